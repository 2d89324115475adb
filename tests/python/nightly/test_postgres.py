"""The gate and the atomic publish on Postgres: a throwaway cluster on 127.0.0.1, loaded with the baseline's raw
tables and marts (the dbt build on Postgres belongs to the portability work; here the package's side is proven).
Skipped where PostgreSQL's server binaries are not installed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.runner import SnapshotGate
from flowmetrics.warehouse.connection import PostgresConnection
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.publish import publish
from tests.python.nightly.helpers import REFERENCE_TIME, Baseline

pytestmark = pytest.mark.slow
INITDB = shutil.which("initdb") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None)


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Target]:
    if INITDB is None:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    bindir = Path(INITDB).resolve().parent
    home = Path(tempfile.mkdtemp(prefix="flowmetrics-pg-"))  # outside pytest's 0700 root-owned tmp tree
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "flowmetrics"]),
                   check=True, capture_output=True)
    port = _free_port()
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                                 str(data / "log"), "start"]), check=True, capture_output=True)
    try:
        yield Target("pg", "postgres", "main", None,
                     {"host": "127.0.0.1", "port": port, "user": "flowmetrics", "dbname": "postgres"})
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


PG_TYPES = {"VARCHAR": "text", "TIMESTAMP": "timestamp", "BIGINT": "bigint", "DOUBLE": "double precision",
            "BOOLEAN": "boolean", "HUGEINT": "numeric", "DATE": "date", "INTEGER": "integer"}


def load(baseline: Baseline, target: Target) -> None:
    """Copy schemas raw and main of the baseline (tables and views alike) into Postgres as tables."""
    src = duckdb.connect(str(baseline.warehouse), read_only=True)
    pg = PostgresConnection(target, read_only=False)
    try:
        relations = src.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'main') order by 1, 2"
        ).fetchall()
        for schema, name in relations:
            columns = src.execute(f'describe "{schema}"."{name}"').fetchall()
            spec = ", ".join(f'"{c[0]}" {PG_TYPES.get(c[1], "text")}' for c in columns)
            pg.execute(f'create schema if not exists "{schema}"')
            pg.execute(f'drop table if exists "{schema}"."{name}" cascade')
            pg.execute(f'create table "{schema}"."{name}" ({spec})')
            rows = src.execute(f'select * from "{schema}"."{name}"').fetchall()
            if rows:
                with pg.raw.cursor() as cur:
                    from psycopg2.extras import execute_values

                    execute_values(cur, f'insert into "{schema}"."{name}" values %s', rows, page_size=2000)
    finally:
        src.close()
        pg.close()


def test_check_and_publish_on_postgres_with_a_reader_that_never_sees_a_mix(baseline: Baseline, postgres: Target):
    load(baseline, postgres)
    config = QualityConfig(reference_time=REFERENCE_TIME)

    def gate(run_id: str) -> SnapshotGate:
        return SnapshotGate(postgres, config=config, run_id=run_id)

    checked = gate("pg-1")
    first = publish(postgres, run_id="pg-1", gate=checked)
    report = checked.report
    assert report is not None and report.passed
    assert report.snapshot_schema == "published_snapshot_pg_1"
    assert sum(r.status == "passed" for r in report.results) > 100
    assert first.relations["fct_work_items"] == 300

    seen: list[str] = []
    mixed: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    orders = [
        ("publish_info", "fct_work_items", "fct_stage_visits", "dim_as_of"),
        ("dim_as_of", "fct_stage_visits", "fct_work_items", "publish_info"),
        ("fct_stage_visits", "publish_info", "dim_as_of", "fct_stage_transitions"),
    ]

    def reader(order: tuple[str, ...]) -> None:  # readers are never refused on Postgres, and must never fail
        con = PostgresConnection(postgres, read_only=True)
        try:
            while not stop.is_set():
                parts = ", ".join(f"(select max(published_run_id) from published.{name}) as {name}" for name in order)
                try:
                    frame = con.query_df(f"select {parts}")
                except Exception as exc:  # a deadlock or any error is a failure of the swap's design
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return
                ids = set(frame.iloc[0].tolist())
                if len(ids) != 1:
                    mixed.append(repr(ids))
                seen.append(ids.pop())
        finally:
            con.close()

    threads = [threading.Thread(target=reader, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    try:
        second = publish(postgres, run_id="pg-2", gate=gate("pg-2"))
        for n in (3, 4, 5):  # more swaps under the same readers, each checked on its own snapshot
            publish(postgres, run_id=f"pg-{n}", gate=gate(f"pg-{n}"))
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors[:3]
    assert not mixed
    assert seen[0] == "pg-1" and seen[-1] == "pg-5"
    assert second.previous_run_id == "pg-1" and second.dropped == ("published_snapshot_pg_1",)
    con = PostgresConnection(postgres, read_only=True)
    try:
        runs = con.query_df("select run_id, count(*) as n from flowmetrics.quality_runs group by run_id order by 1")
        assert runs["run_id"].tolist() == [f"pg-{n}" for n in range(1, 6)]  # each publish's gate is recorded
        assert runs["n"].nunique() == 1  # every run checked the same suites
        named = con.query_df("select run_id, quality_run_id from flowmetrics.publish_runs order by 1")
        assert (named["run_id"] == named["quality_run_id"]).all() and len(named) == 5
    finally:
        con.close()
