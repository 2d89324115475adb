"""The reference the foundation benchmark compares with: pm4py's performance DFG of a status-change CSV.

For every pair of consecutive statuses of a ticket, pm4py measures the time spent in the first before moving to the
second: the per-status durations flowmetrics' interval facts also give. The figure includes reading the CSV, like
the pipeline's ingest. pm4py is AGPL-licensed and not a dependency of flowmetrics: install it in a separate
environment and pass that environment's python to `bench_foundation.py --pm4py-python`:

    python3 -m venv /tmp/pm4py && /tmp/pm4py/bin/pip install pm4py
    .venv/bin/python bench/bench_foundation.py --changes 5000000 --pm4py-python /tmp/pm4py/bin/python

Prints the number of status pairs measured.
"""

from __future__ import annotations

import sys

import pandas as pd
import pm4py  # type: ignore[import-not-found]  # installed only in the reference's own environment


def main(path: str) -> None:
    changes = pd.read_csv(path, usecols=["ticket_id", "change_id", "changed_at", "to_status"])
    changes["changed_at"] = pd.to_datetime(changes["changed_at"], utc=True, format="ISO8601")
    log = pm4py.format_dataframe(changes, case_id="ticket_id", activity_key="to_status", timestamp_key="changed_at")
    performance, _, _ = pm4py.discover_performance_dfg(log)
    print(f"{len(performance)} status pairs measured")


if __name__ == "__main__":
    main(sys.argv[1])
