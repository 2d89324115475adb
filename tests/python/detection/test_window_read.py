"""`flowmetrics detect` without --window reads the history the shortest window needs, and further back only when the
data chooses a longer window: the verdict then sees every window it judges."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pandas as pd
import pytest

from flowmetrics.steps import detect as step
from tests.python.detection.frames import flow_frame, spread


@pytest.mark.parametrize(("arrivals", "days", "window"), [(2400, 120, 7), (450, 300, 28)])
def test_the_read_reaches_back_as_far_as_the_chosen_window(monkeypatch, arrivals: int, days: int, window: int) -> None:
    frame = flow_frame(spread(arrivals, days))
    as_of = (pd.Timestamp(frame["entered_at"].max()) + pd.Timedelta(hours=12)).floor("s")
    reads: list[pd.Timestamp] = []

    def read(reader, columns, since):
        reads.append(pd.Timestamp(since))
        return frame[frame["exited_at"].isna() | (frame["exited_at"] >= since)]

    reader = SimpleNamespace(as_of=lambda: as_of)
    monkeypatch.setattr(step.MartReader, "open", lambda target: contextlib.nullcontext(reader))
    monkeypatch.setattr(step, "read_status_intervals", read)
    run = step.run_detection(SimpleNamespace(path="w.duckdb", name=None), write=False)
    assert run.finding.window_days == window
    assert reads[0] == as_of - pd.Timedelta(days=7 * 12)
    assert reads[-1] == as_of - pd.Timedelta(days=window * 12) and len(reads) == (1 if window == 7 else 2)
    assert len(run.finding.windows) >= min(12, days // window)  # the first read alone holds 84 days: 3 windows
