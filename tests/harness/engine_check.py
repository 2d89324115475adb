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


def export_raw(warehouse: Path, out: Path, fmt: str) -> dict[str, Path]:
    """Every raw contract table of the DuckDB file as one CSV or Parquet file."""
    from flowmetrics.contract import TABLES

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    files = {}
    try:
        for name in TABLES:
            path = out / f"{name}.{fmt}"
            options = "(format csv, header true)" if fmt == "csv" else "(format parquet)"
            con.execute(f"copy (select * from raw.{name}) to '{path}' {options}")
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
    from flowmetrics.contract import TABLES

    types = CONTRACT_TYPES["postgres"]
    con, _ = postgres_connect()
    try:
        with con.cursor() as cur:
            cur.execute("create schema if not exists raw")
            for name, path in files.items():
                columns = ", ".join(f"{c.name} {types[c.type.value]}" for c in TABLES[name].columns)
                cur.execute(f"create table if not exists raw.{name} ({columns})")
                cur.execute(f"truncate raw.{name}")  # the staging views depend on it: reload, never drop
                with path.open() as f:
                    cur.copy_expert(f"copy raw.{name} from stdin with (format csv, header true)", f)
    finally:
        con.close()


def postgres_read(relations: dict[str, Relation]) -> dict[str, pd.DataFrame]:
    con, schema = postgres_connect()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["postgres", "spark"], required=True)
    parser.add_argument("--items", type=int, default=400, help="tickets of the simulated demo system")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spark-venv", type=Path, default=ROOT / ".venv-spark")
    parser.add_argument("--no-nightly", dest="nightly", action="store_false",
                        help="only one full build of tonight's data on the engine (no incremental run)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"flowmetrics-{args.target}-"))
    log(f"work directory {work}")
    try:
        code = check(args.target, args.items, args.seed, work, args.spark_venv.resolve(), args.nightly)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
