"""Named points where the fault-injection tests stop a run, to prove that a kill there loses nothing.

Inert unless env FLOWMETRICS_FAULTPOINT names the point: then the process writes FLOWMETRICS_FAULTPOINT_MARKER
(if set: the point and its pid) and pauses, so a test can SIGKILL it exactly there; with
FLOWMETRICS_FAULTPOINT_ACTION=kill it SIGKILLs itself.
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
    time.sleep(3600)
