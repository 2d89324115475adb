"""Named points where the fault-injection tests stop a run, to prove that a kill there loses nothing.

Inert unless env FLOWMETRICS_FAULTPOINT names the point: then the process writes FLOWMETRICS_FAULTPOINT_MARKER
(if set: the point and its pid) and pauses, so a test can SIGKILL it exactly there; with
FLOWMETRICS_FAULTPOINT_ACTION=kill it SIGKILLs itself; with FLOWMETRICS_FAULTPOINT_ACTION=wait it goes on once the
test has deleted the marker (so a test can act at that moment, e.g. write to the warehouse, and let the run finish).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ENV = "FLOWMETRICS_FAULTPOINT"
MARKER_ENV = "FLOWMETRICS_FAULTPOINT_MARKER"
ACTION_ENV = "FLOWMETRICS_FAULTPOINT_ACTION"


def reached(name: str) -> None:
    if os.environ.get(ENV) != name:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        Path(marker).write_text(f"{name} {os.getpid()}\n")
    if os.environ.get(ACTION_ENV) == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(ACTION_ENV) == "wait" and marker:
        deadline = time.monotonic() + 3600
        while Path(marker).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return
    time.sleep(3600)
