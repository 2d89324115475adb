"""Every dbt the package starts dies with the process that started it: a SIGKILL of the nightly while detect
rebuilds fct_constraint_queue, or of `flowmetrics build`, leaves no dbt running against the warehouse, which can
then be opened for writing at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.python.nightly.helpers import (
    CLI,
    Baseline,
    copy_baseline,
    dbt_paths,
    env,
    nightly_args,
    published_contents,
    wait_for,
)

pytestmark = pytest.mark.slow


def dbt_processes_of(warehouse: Path) -> list[int]:
    """Live dbt processes whose environment points at `warehouse` (zombies, already dead, are not counted)."""
    marker = f"FLOWMETRICS_DUCKDB={warehouse.resolve()}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours
            continue
        if state != "Z" and any(Path(a.decode(errors="replace")).name == "dbt" for a in argv[:2]) and marker in environ:
            found.append(int(proc.name))
    return found


def dbt_child(pid: int) -> int | None:
    """The pid of a dbt child of process `pid`, if one runs now."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    for child in children:
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(Path(a.decode(errors="replace")).name == "dbt" for a in argv[:2]):
            return int(child)
    return None


def kill_once_dbt_runs(proc: subprocess.Popen, ready: Callable[[], bool], what: str) -> int:
    """Wait until `ready()` and a dbt child of `proc` runs, SIGKILL `proc` alone, and return the dbt child's pid."""
    found: list[int] = []

    def dbt_started() -> bool:
        pid = dbt_child(proc.pid)
        if pid is not None:
            found.append(pid)
        return pid is not None

    try:
        wait_for(ready, 300, what)
        wait_for(dbt_started, 60, f"the dbt child of {what}", poll=0.02)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # only the parent: its dbt child must die with it
        proc.wait()
    return found[0]


def assert_no_dbt_left_and_writable(warehouse: Path, child: int) -> None:
    # the kernel kills the child at once; an orphan would run on for seconds (dbt takes longer than that to start)
    wait_for(lambda: not dbt_processes_of(warehouse), 2, f"dbt (pid {child}) of {warehouse} to die")
    con = duckdb.connect(str(warehouse))  # no writer or reader is left holding the file
    con.close()


def test_killing_the_nightly_while_detect_runs_dbt_kills_that_dbt(baseline: Baseline, tmp_path: Path):
    raw, warehouse = copy_baseline(baseline, tmp_path)
    log = tmp_path / "killed" / "nightly.log"
    proc = subprocess.Popen(nightly_args(tmp_path / "killed", warehouse, raw, tmp_path / "dbt"), env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = kill_once_dbt_runs(
        proc, lambda: log.exists() and "dbt build --select fct_constraint_queue" in log.read_text(),
        "the nightly's detect step to rebuild fct_constraint_queue",
    )
    assert proc.returncode == -signal.SIGKILL
    assert_no_dbt_left_and_writable(warehouse, child)
    assert "[5/5] publish" not in log.read_text()
    assert published_contents(warehouse) == baseline.published


def test_killing_flowmetrics_build_kills_its_dbt(baseline: Baseline, tmp_path: Path):
    _, warehouse = copy_baseline(baseline, tmp_path)
    proc = subprocess.Popen([*CLI, "build", "--warehouse", str(warehouse), *dbt_paths(tmp_path / "dbt")], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = kill_once_dbt_runs(proc, lambda: True, "`flowmetrics build`")
    assert proc.returncode == -signal.SIGKILL
    assert_no_dbt_left_and_writable(warehouse, child)
    assert published_contents(warehouse) == baseline.published


SLEEPER_IN_A_THREAD = """
import os, sys, threading, time
from flowmetrics.warehouse.dbt_runner import run_dbt_child

def work():
    run_dbt_child([sys.executable, "-c", "import time; time.sleep(120)"], env=dict(os.environ), capture=False)

threading.Thread(target=work, daemon=True).start()
time.sleep(120)
"""


def test_a_child_started_from_a_worker_thread_dies_with_the_process():
    """run_dbt_child called from a worker thread (PR_SET_PDEATHSIG follows the thread that starts the child, and
    run_dbt_child waits in it): a kill of the process kills the child too, which would otherwise sleep 120 s."""
    parent = subprocess.Popen([sys.executable, "-c", SLEEPER_IN_A_THREAD], env=env())
    children: list[int] = []

    def started() -> bool:
        for task in Path(f"/proc/{parent.pid}/task").iterdir():  # the child is the worker thread's
            children.extend(int(c) for c in (task / "children").read_text().split())
        return bool(children)

    try:
        wait_for(started, 30, "the child of the worker thread")
        time.sleep(0.5)  # the thread is blocked waiting for its child
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    assert children
    wait_for(lambda: not any(alive(c) for c in children), 2, f"child {children} to die")


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
