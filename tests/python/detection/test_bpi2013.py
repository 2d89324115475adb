"""Detection on the real BPI Challenge 2013 incident log: an extract of finished incidents (almost none open, most
created within two months), so it is `not_a_flow` with its reasons, and that does not change when the windows move
by a day."""

from __future__ import annotations

import pandas as pd
import pytest

from flowmetrics.analysis import INTERVAL_COLUMNS, detect_constraint, verdict_sentence
from flowmetrics.ingest import ingest_directory, write_raw_tables
from flowmetrics.warehouse.findings import read_status_intervals
from flowmetrics.warehouse.marts import MartReader
from tests.python.fixtures.bpi2013 import LOG, read_log, to_raw_tables


@pytest.fixture(scope="module")
def bpi_intervals(tmp_path_factory: pytest.TempPathFactory, build_warehouse) -> tuple[pd.DataFrame, pd.Timestamp]:
    if not LOG.exists():
        pytest.skip(f"the shared BPI 2013 log is missing at {LOG} (../shared/data/bpi2013_incidents.csv.gz)")
    work = tmp_path_factory.mktemp("bpi-detect")
    write_raw_tables(to_raw_tables(read_log()), work / "raw")
    warehouse = work / "bpi.duckdb"
    ingest_directory(work / "raw", warehouse)
    build_warehouse(warehouse, work)
    with MartReader.open(warehouse=warehouse) as reader:
        as_of = pd.Timestamp(reader.as_of())
        frame = read_status_intervals(reader, INTERVAL_COLUMNS, (as_of - pd.Timedelta(days=100)).to_pydatetime())
    return frame, as_of


def _verdict(frame: pd.DataFrame, as_of: pd.Timestamp) -> tuple:
    f = detect_constraint(frame, as_of)
    classes = {v.stage: v.classification for v in f.stages}
    return f, (f.constraint_stage, f.constraint_team, f.kind, classes)


def test_the_verdict_is_stable_when_the_window_moves_by_a_day(bpi_intervals) -> None:
    frame, as_of = bpi_intervals
    f, verdict = _verdict(frame, as_of)
    for days in (1, 2):
        earlier, moved = _verdict(frame, as_of - pd.Timedelta(days=days))
        assert moved[:3] == verdict[:3], days
        # a stage may turn borderline near a cut (resolution's parked share sits near 0.5), never the other class
        for stage, cls in verdict[3].items():
            assert moved[3][stage] in {cls, "borderline"} or cls == "borderline", (days, stage, moved[3][stage], cls)
        # a day earlier 315 incidents were open (the last day closed 217 of them): the burst of arrivals stays
        assert "arrival_burst" in {r.code for r in earlier.reasons}, days
    # what it finds: not a running flow (98 of 7,554 incidents open against ~900 in the flow on average, 90% of
    # the period's arrivals within 13 days), so no constraint is named; the signals stay as evidence: incidents
    # wait on users and vendors inside resolution and for days to be confirmed and closed
    assert f.constraint_stage is None and f.kind == "not_a_flow"
    assert {"few_open", "arrival_burst"} <= {r.code for r in f.reasons}
    assert "Unmatched / Unmatched" not in verdict_sentence(f)  # the frame has no status column: no names
    assert "Data problem: statuses missing from the status map: 5 visit(s)" in verdict_sentence(f)
    assert f.stage("unmapped").classification == "unmapped"
    resolution = f.stage("resolution").signals
    assert resolution.wait_share > 0.5 and resolution.load_dependence < 0.2
    assert f.stage("confirmation").classification == "delay"
