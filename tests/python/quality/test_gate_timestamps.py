"""The gate checks timestamps column-wise in any unit, and does no work it never reads."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from flowmetrics.quality.config import QualityConfig
from flowmetrics.quality.gx_runner import GxRunner, Outcome, nanosecond_times
from flowmetrics.quality.suite import CheckContext, Layer, Suite, not_future


def test_microsecond_timestamps_become_nanoseconds_and_a_sentinel_keeps_its_unit():
    frame = pd.DataFrame({
        "changed_at": pd.Series(pd.to_datetime(["2026-01-01 10:00:00", None]), dtype="datetime64[us]"),
        "far_future": pd.Series([pd.Timestamp("9999-12-31").to_datetime64(), None], dtype="datetime64[us]"),
        "seconds": [1.0, 2.0],
    })
    out = nanosecond_times(frame)
    assert str(out["changed_at"].dtype) == "datetime64[ns]"
    assert out["changed_at"].iloc[0] == pd.Timestamp("2026-01-01 10:00:00") and pd.isna(out["changed_at"].iloc[1])
    assert str(out["far_future"].dtype) == "datetime64[us]"  # 9999 does not fit in nanoseconds
    assert out["seconds"].tolist() == [1.0, 2.0]


def test_a_future_timestamp_in_microseconds_fails_not_future_with_its_row():
    check = not_future("fct_x", "changed_at")
    suite = Suite(name="fct_x", layer=Layer.MART, relation="fct_x", columns=("id", "changed_at"), key=("id",),
                  checks=(check,))
    ctx = CheckContext(config=QualityConfig(), reference_time=datetime(2026, 6, 1), as_of=None,
                       latest_event_at=None, ingest_run_id=None)
    frame = pd.DataFrame({
        "id": ["a", "b", "c"],
        "changed_at": pd.Series(
            pd.to_datetime(["2026-05-01", "2027-01-01", "9999-12-31"], format="ISO8601"), dtype="datetime64[us]"
        ),
    })
    gx = GxRunner(docs_dir=None, sample_rows=5)
    outcome = Outcome(check, "error")
    checkpoint = gx.checkpoint(suite, [(outcome, check.expectation(ctx))])
    gx.validate(checkpoint, frame, {check.id: outcome}, suite)
    assert outcome.success is False
    assert outcome.unexpected_count == 2 and outcome.element_count == 3
    assert sorted(row["id"] for row in outcome.sample) == ["b", "c"]


def test_the_gate_does_not_fingerprint_the_frames_it_validates():
    """GX would hash every value of each chunk into a batch marker the gate never reads."""
    check = not_future("fct_x", "changed_at")
    suite = Suite(name="fct_x", layer=Layer.MART, relation="fct_x", columns=("changed_at",), checks=(check,))
    ctx = CheckContext(config=QualityConfig(), reference_time=datetime(2026, 6, 1), as_of=None,
                       latest_event_at=None, ingest_run_id=None)
    gx = GxRunner(docs_dir=None, sample_rows=5)
    checkpoint = gx.checkpoint(suite, [(Outcome(check, "error"), check.expectation(ctx))])
    frame = pd.DataFrame({"changed_at": pd.to_datetime(["2026-05-01", "2026-05-02"])})
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    (validation,) = result.run_results.values()
    assert validation.success
    assert "pandas_data_fingerprint" not in validation.meta["batch_markers"]
