"""Helpers of the fault-injection suite: run the real CLI in a subprocess, read schema published completely."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

CLI = [sys.executable, "-m", "flowmetrics.cli"]
NOW = "2026-02-10T00:00:00Z"  # the reference time of the checks: the demo data (300 tickets) ends on 2026-02-09
REFERENCE_TIME = datetime.fromisoformat(NOW).replace(tzinfo=None)  # NOW for the quality gate's config


@dataclass(frozen=True)
class Baseline:
    raw: Path
    warehouse: Path
    run_id: str
    published: dict[str, list[tuple]]
    dbt_dir: Path


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out.update({"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    out.update(extra)
    return out


def dbt_paths(work: Path) -> list[str]:
    return ["--", "--target-path", str(work / "target"), "--log-path", str(work / "dbt-logs")]


def nightly_args(work: Path, warehouse: Path, raw: Path | None, dbt_dir: Path, *extra: str) -> list[str]:
    args = [*CLI, "nightly", "--warehouse", str(warehouse), "--now", NOW, "--log-file", str(work / "nightly.log"),
            "--report-dir", str(work / "quality"), "--lock-timeout", "30", *extra]
    if raw is not None:
        args += ["--raw", str(raw)]
    return args + dbt_paths(dbt_dir)


def publish_args(work: Path, warehouse: Path, *extra: str, lock_timeout: float = 60) -> list[str]:
    return [*CLI, "publish", "--warehouse", str(warehouse), "--now", NOW, "--report-dir", str(work / "q"),
            "--lock-timeout", f"{lock_timeout:g}", *extra]


def run(args: list[str], **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env(**extra_env))


def published_contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every view of schema published, all rows and columns, sorted: what a reader sees."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'published' order by 1"
        ).fetchall()]
        return {n: sorted(con.execute(f'select * from published."{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def schemas(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("select distinct schema_name from information_schema.schemata")
                      .fetchall())
    finally:
        con.close()


def snapshot_schemas(warehouse: Path) -> list[str]:
    return [s for s in schemas(warehouse) if s.startswith("published_snapshot_")]


def copy_baseline(baseline: Baseline, work: Path) -> tuple[Path, Path]:
    """A private copy of the baseline's raw directory and warehouse file."""
    raw = work / "raw"
    shutil.copytree(baseline.raw, raw)
    warehouse = work / "wh.duckdb"
    shutil.copyfile(baseline.warehouse, warehouse)
    return raw, warehouse


def wait_for(predicate, timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
