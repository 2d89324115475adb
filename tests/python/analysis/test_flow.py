"""Status intervals become clipped arrays and stage visits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowmetrics.analysis.flow import prepare_flow
from flowmetrics.errors import AnalysisError
from tests.python.analysis.conftest import EPOCH


def test_visits_sum_time_by_kind_and_stay_open_at_the_as_of(tiny_flow: pd.DataFrame) -> None:
    flow = prepare_flow(tiny_flow, EPOCH + pd.Timedelta(hours=10))
    assert flow.stages == ("review",)
    order = np.argsort(flow.v_start)
    assert (flow.v_queue[order] / 3600).tolist() == pytest.approx([1.0, 1.0])
    assert (flow.v_active[order] / 3600).tolist() == pytest.approx([2.0, 1.0])
    assert (flow.v_wait[order] / 3600).tolist() == pytest.approx([0.0, 6.0])
    assert flow.v_open[order].tolist() == [False, True]
    assert flow.has_work.tolist() == [True] and flow.has_queue.tolist() == [True]


def test_an_earlier_as_of_replays_the_past(tiny_flow: pd.DataFrame) -> None:
    flow = prepare_flow(tiny_flow, EPOCH + pd.Timedelta(hours=2.5))
    # B entered at 2.0 and is still queued; A is still being reviewed
    assert flow.v_open.all()
    assert (np.sort(flow.v_queue) / 3600).tolist() == pytest.approx([0.5, 1.0])
    assert flow.i_end.max() == flow.as_of


def test_nothing_before_the_as_of_is_an_error(tiny_flow: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="as-of"):
        prepare_flow(tiny_flow, EPOCH - pd.Timedelta(days=1))
    with pytest.raises(AnalysisError, match="column"):
        prepare_flow(tiny_flow.drop(columns=["team"]), EPOCH)
