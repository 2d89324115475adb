"""The nightly's ingest waits up to --lock-timeout for a reader of the DuckDB file, then fails naming it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.python.nightly.helpers import (
    Baseline,
    copy_baseline,
    env,
    nightly_args,
    published_contents,
    run,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_ingest_waits_for_a_reader_within_the_lock_timeout(baseline: Baseline, tmp_path: Path, dbt_dir: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    log = tmp_path / "nightly.log"
    reader = duckdb.connect(str(warehouse), read_only=True)
    nightly = subprocess.Popen(
        nightly_args(tmp_path, warehouse, raw, dbt_dir, "--lock-timeout", "10", "--run-id", "waited", "--json"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
    )
    try:
        wait_for(lambda: log.exists() and "[1/5] ingest" in log.read_text(), 60, "the ingest step to start")
        time.sleep(2)
    finally:
        reader.close()
    out, err = nightly.communicate(timeout=600)

    assert nightly.returncode == 0, out[-3000:] + err[-3000:]
    steps = {s["name"]: s for s in json.loads(out)["steps"]}
    assert steps["ingest"]["status"] == "ok" and steps["ingest"]["seconds"] >= 1.5  # it waited for the reader
    assert published_contents(warehouse)["publish_info"][0][0] == "waited"


def test_ingest_gives_up_after_the_lock_timeout_naming_the_reader(
    baseline: Baseline, tmp_path: Path, dbt_dir: Path
):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        started = time.monotonic()
        result = run(nightly_args(tmp_path, warehouse, raw, dbt_dir, "--lock-timeout", "0.5"))
        elapsed = time.monotonic() - started
    finally:
        reader.close()

    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "[1/5] ingest: FAILED" in output
    assert f"ingest into {warehouse} gave up after waiting 0.5s (--lock-timeout) for its lock, nothing changed" \
        in output
    assert f"PID {os.getpid()}" in output
    assert "Traceback" not in output
    assert elapsed < 60
    assert published_contents(warehouse) == baseline.published
