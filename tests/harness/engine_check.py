"""The same project on another engine: build the demo data there and compare every keyed relation with DuckDB.

    tests/harness/with_postgres.sh .venv/bin/python -m tests.harness.engine_check --target postgres
    .venv/bin/python -m tests.harness.engine_check --target spark --spark-venv .venv-spark

It simulates the demo system and takes two exports of it (yesterday's, and tonight's with a day of new events and
some late ones). Each export is ingested into a DuckDB file through the raw contract (`flowmetrics ingest`) and
its raw tables are copied to schema raw of the engine; the engine builds after each (`dbt build --target T`: a full
build, then a nightly incremental one). DuckDB builds tonight's data in one full build, the reference. Then every
model with a primary-key test (from dbt's manifest: the public marts and the intermediate models) must hold the
same rows on both engines, compared sorted by key, every column (but those whose YAML meta says engine_specific),
floats within a tiny tolerance.
On Postgres a random-nights pass follows (skip it with --no-random-nights): the fixed nightly plans of
tests/harness/random_nights.py (lagging, stalled and caught-up exports, re-sends, late, deleted and changed tickets)
replayed night by night, each night's incremental build compared with a full refresh of the same raw tables.
Exit code 0 when they do, 1 with the differences when they do not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from tests.harness.compare import Relation, differences, keyed_relations

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_TYPES = {"postgres": {"string": "text", "timestamp": "timestamp", "boolean": "boolean",
                               "integer": "bigint", "double": "double precision"}}


def log(message: str) -> None:
    print(f"[engine-check] {message}", flush=True)


def run(args: list[str], *, env: dict[str, str], cwd: Path, what: str) -> None:
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        # dbt says what failed on stdout; Spark's JVM logs (stderr) are long: their first error lines only
        errors = [line[:400] for line in proc.stderr.splitlines() if "ERROR" in line or "Error" in line][:10]
        tail = "\n".join(proc.stdout.splitlines()[-60:] + errors)
        raise SystemExit(f"{what} failed (exit {proc.returncode}):\n{tail}")
    log(f"{what}: ok ({time.perf_counter() - started:.0f} s)")


def dbt_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_PROFILES_DIR=str(ROOT))
    env.update(extra or {})
    return env


def write_exports(work: Path, items: int, seed: int) -> tuple[Path, Path]:
    from flowmetrics.ingest import write_raw_tables
    from flowmetrics.simulation import generate_raw_tables
    from flowmetrics.simulation.exports import export_at, late_changes

    frames = generate_raw_tables(items=items, seed=seed)
    changes = frames["ticket_status_changes"]
    taken_at = changes["changed_at"].max().floor("D")
    late = late_changes(changes, taken_at, pd.Timedelta(days=2), every=5)
    write_raw_tables(export_at(frames, taken_at, late), work / "yesterday")
    write_raw_tables(frames, work / "tonight")
    return work / "yesterday", work / "tonight"


def raw_columns(name: str) -> tuple:
    """The columns of raw table `name` as ingest writes it: the contract's, then the load stamps."""
    from flowmetrics.contract import LOAD_STAMPS, TABLES

    return (*TABLES[name].columns, *LOAD_STAMPS)


def export_raw(warehouse: Path, out: Path, fmt: str) -> dict[str, Path]:
    """Every raw contract table of the DuckDB file (its columns, then the load stamps) as one CSV or Parquet file."""
    from flowmetrics.contract import TABLES

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    files = {}
    try:
        for name in TABLES:
            path = out / f"{name}.{fmt}"
            options = "(format csv, header true)" if fmt == "csv" else "(format parquet)"
            columns = ", ".join(c.name for c in raw_columns(name))
            con.execute(f"copy (select {columns} from raw.{name}) to '{path}' {options}")
            files[name] = path
    finally:
        con.close()
    return files


# --- Postgres -----------------------------------------------------------------------------------------------------

def postgres_connect():
    import psycopg2

    from flowmetrics.warehouse.profile import resolve_target

    s = resolve_target("postgres").settings
    con = psycopg2.connect(host=s["host"], port=int(s["port"]), user=s["user"], password=s.get("password") or None,
                           dbname=s["dbname"])
    con.autocommit = True
    return con, s["schema"]


def postgres_load_raw(files: dict[str, Path]) -> None:
    """Replace schema raw's contract tables with the exported ones (types from the contract)."""
    types = CONTRACT_TYPES["postgres"]
    con, _ = postgres_connect()
    try:
        with con.cursor() as cur:
            cur.execute("create schema if not exists raw")
            for name, path in files.items():
                columns = ", ".join(f"{c.name} {types[c.type.value]}" for c in raw_columns(name))
                cur.execute(f"create table if not exists raw.{name} ({columns})")
                cur.execute(f"truncate raw.{name}")  # the staging views depend on it: reload, never drop
                with path.open() as f:
                    cur.copy_expert(f"copy raw.{name} from stdin with (format csv, header true)", f)
    finally:
        con.close()


def postgres_read(relations: dict[str, Relation], schema: str | None = None) -> dict[str, pd.DataFrame]:
    con, target_schema = postgres_connect()
    schema = schema or target_schema
    try:
        frames = {}
        with con.cursor() as cur:
            for name in relations:
                cur.execute(f"select * from {schema}.{name}")
                frames[name] = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        return frames
    finally:
        con.close()


# --- Spark --------------------------------------------------------------------------------------------------------

def spark_io(spark_python: Path, work: Path, *args: str) -> None:
    run([str(spark_python), str(ROOT / "tests" / "harness" / "spark_io.py"), *args],
        env=dbt_env(), cwd=work, what=f"spark {args[0]}")


def spark_read(spark_python: Path, work: Path, relations: dict[str, Relation]) -> dict[str, pd.DataFrame]:
    out = work / "spark-out"
    spark_io(spark_python, work, "dump", str(out), *relations)
    con = duckdb.connect()
    try:
        return {name: con.execute(f"select * from read_parquet('{out / name}/*.parquet')").df() for name in relations}
    finally:
        con.close()


# --- the check ----------------------------------------------------------------------------------------------------

class Engine:
    """How the check loads raw tables into an engine and reads relations back."""

    def __init__(self, target: str, work: Path, spark_venv: Path | None):
        self.target, self.work = target, work
        if target == "spark":
            assert spark_venv is not None
            self.dbt = spark_venv / "bin" / "dbt"
            self.spark_python = spark_venv / "bin" / "python"
            self.raw_format = "parquet"
        else:
            self.dbt = Path(sys.executable).parent / "dbt"
            self.raw_format = "csv"

    def load(self, files: dict[str, Path]) -> None:
        if self.target == "spark":
            spark_io(self.spark_python, self.work, "load", *(str(p) for p in files.values()))
        else:
            postgres_load_raw(files)

    def read(self, relations: dict[str, Relation]) -> dict[str, pd.DataFrame]:
        if self.target == "spark":
            return spark_read(self.spark_python, self.work, relations)
        return postgres_read(relations)


def check(target: str, items: int, seed: int, work: Path, spark_venv: Path | None, nightly: bool) -> int:
    python = Path(sys.executable)
    dbt_main = python.parent / "dbt"
    yesterday, tonight = write_exports(work, items, seed)
    warehouse = work / "duckdb.duckdb"
    project = ["--project-dir", str(ROOT), "--log-path", str(work / "logs")]
    engine = Engine(target, work, spark_venv)

    def engine_build(label: str) -> None:
        args = [str(engine.dbt), "build", "--target", target, *project, "--target-path", str(work / f"target-{target}")]
        run(args, env=dbt_env(), cwd=work, what=f"dbt build --target {target} ({label})")

    ingest = [str(python), "-m", "flowmetrics.cli", "ingest"]
    exports = [("yesterday", yesterday), ("tonight", tonight)] if nightly else [("tonight", tonight)]
    for label, export in exports:
        run([*ingest, str(export), "--warehouse", str(warehouse)], env=dbt_env(), cwd=work, what=f"ingest {label}")
        engine.load(export_raw(warehouse, work / f"raw-{label}", engine.raw_format))
        log(f"raw tables of {label}'s export loaded into {target} ({engine.raw_format})")
        engine_build("full build" if label == exports[0][0] else "nightly incremental build")

    run([str(dbt_main), "build", "--target", "duckdb", *project, "--target-path", str(work / "target-duckdb")],
        env=dbt_env({"FLOWMETRICS_DUCKDB": str(warehouse)}), cwd=work, what="dbt build --target duckdb (reference)")

    relations = keyed_relations(work / "target-duckdb" / "manifest.json")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        expected = {name: con.execute(f"select * from main.{name}").df() for name in relations}
    finally:
        con.close()
    actual = engine.read(relations)
    failed = 0
    for name, relation in relations.items():
        engine_specific = list(relation.engine_specific)
        found = differences(expected[name].drop(columns=engine_specific, errors="ignore"),
                            actual[name].drop(columns=engine_specific, errors="ignore"), relation.key)
        status = "same rows" if not found else "DIFFERENT"
        log(f"{name:<36}{len(expected[name]):>8} rows  key {', '.join(relation.key):<32} {status}")
        for problem in found:
            log(f"    {problem}")
        failed += bool(found)
    if failed:
        log(f"{failed} of {len(relations)} relations differ between {target} and DuckDB")
        return 1
    log(f"all {len(relations)} keyed relations hold the same rows on {target} and DuckDB")
    return 0


# --- random nights: every night, incremental equals a full refresh on the engine -----------------------------------

NIGHTS_SCHEMA = "nights"  # the schema both builds write (one profile: no full parse for the second build)
PUT_ASIDE = "nights_incremental"  # where the incremental build waits while the full refresh is built
FLOW_FACTS = ["--select", "+fct_work_items +fct_stage_visits +fct_stage_transitions",
              "--exclude", "resource_type:test resource_type:unit_test"]


def postgres_execute(*statements: str) -> None:
    con, _ = postgres_connect()
    try:
        with con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        con.close()


def check_random_nights(target: str, work: Path) -> int:
    """The random-nights property (tests/python/integration/test_random_nights.py) on Postgres for the fixed plans
    of tests.harness.random_nights: each night's export is ingested into DuckDB (deleted tickets deleted from raw),
    its raw tables replace Postgres' schema raw, and the flow facts are built there incrementally, then (that
    schema renamed aside) with --full-refresh, as-of = the night's time; every keyed incremental relation must hold
    the same rows in both. Returns how many (plan, night, relation) differ."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables
    from flowmetrics.simulation import generate_raw_tables
    from flowmetrics.simulation.nights import nightly_exports
    from tests.harness.random_nights import FIXED_PLANS, delete_tickets

    if target != "postgres":
        raise SystemExit("the random-nights pass runs on postgres only")
    env = dbt_env({"FLOWMETRICS_PG_SCHEMA": NIGHTS_SCHEMA})
    failed = 0
    for number, (items, seed, plan) in enumerate(FIXED_PLANS, start=1):
        base = work / f"nights-{number}"
        warehouse, target_path = base / "duckdb.duckdb", work / "target-nights"
        postgres_execute(f"drop schema if exists {NIGHTS_SCHEMA} cascade", f"drop schema if exists {PUT_ASIDE} cascade")
        for night in nightly_exports(generate_raw_tables(items=items, seed=seed), plan):
            label = f"plan {number} ({items} items, seed {seed}) night {night.number} (as-of {night.as_of})"
            write_raw_tables(night.frames, base / f"night-{night.number}")
            ingest_directory(base / f"night-{night.number}", warehouse)
            con = duckdb.connect(str(warehouse))
            try:
                delete_tickets(con, night.deleted_tickets)
            finally:
                con.close()
            postgres_load_raw(export_raw(warehouse, base / f"raw-{night.number}", "csv"))
            build = [str(Path(sys.executable).parent / "dbt"), "build", "--target", target, "--project-dir",
                     str(ROOT), "--target-path", str(target_path), "--log-path", str(base / "logs"),
                     "--vars", f"{{as_of: '{night.as_of.isoformat(sep=' ')}'}}", *FLOW_FACTS]
            run(build, env=env, cwd=base, what=f"{label}: incremental")
            postgres_execute(f"alter schema {NIGHTS_SCHEMA} rename to {PUT_ASIDE}")
            run([*build, "--full-refresh"], env=env, cwd=base, what=f"{label}: full refresh")
            relations = {
                name: r for name, r in keyed_relations(target_path / "manifest.json").items()
                if r.materialized == "incremental" and name in ran(target_path)
            }
            expected, actual = postgres_read(relations, NIGHTS_SCHEMA), postgres_read(relations, PUT_ASIDE)
            postgres_execute(f"drop schema {NIGHTS_SCHEMA} cascade",
                             f"alter schema {PUT_ASIDE} rename to {NIGHTS_SCHEMA}")
            for name, relation in relations.items():
                found = differences(expected[name], actual[name], relation.key)
                failed += bool(found)
                if found:
                    log(f"{label} {name}: incremental differs from a full refresh")
                    for problem in found:
                        log(f"    {problem}")
            log(f"{label}: {len(relations)} incremental relations compared")
    if failed:
        log(f"random nights: {failed} relation(s) differ between incremental and full refresh on {target}")
    else:
        log(f"random nights: every night of {len(FIXED_PLANS)} plans, incremental equals a full refresh on {target}")
    return failed


def ran(target_path: Path) -> set[str]:
    """The models the last dbt command with this target path ran."""
    import json

    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1] for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["postgres", "spark"], required=True)
    parser.add_argument("--items", type=int, default=400, help="tickets of the simulated demo system")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spark-venv", type=Path, default=ROOT / ".venv-spark")
    parser.add_argument("--no-nightly", dest="nightly", action="store_false",
                        help="only one full build of tonight's data on the engine (no incremental run)")
    parser.add_argument("--no-random-nights", dest="random_nights", action="store_false",
                        help="skip the random-nights pass (postgres: each night of fixed nightly plans, incremental "
                             "vs full refresh)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"flowmetrics-{args.target}-"))
    log(f"work directory {work}")
    try:
        code = check(args.target, args.items, args.seed, work, args.spark_venv.resolve(), args.nightly)
        if args.random_nights and args.target == "postgres":
            started = time.perf_counter()
            code = max(code, int(check_random_nights(args.target, work) > 0))
            log(f"random nights: {time.perf_counter() - started:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
