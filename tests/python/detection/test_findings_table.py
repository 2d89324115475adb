"""The findings table carries the verdict's kind, its reasons and the window's reason, also in a warehouse whose
table was created before those columns existed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np

from flowmetrics.warehouse.findings import FINDINGS_COLUMNS, write_findings
from flowmetrics.warehouse.profile import resolve_target
from tests.python.detection.frames import flow_frame, judged

OLD_COLUMNS = [(c, t) for c, t in FINDINGS_COLUMNS if c not in ("reasons", "window_reason")]


def test_reasons_are_written_and_an_older_table_gains_the_columns(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema flowmetrics")
    con.execute(f"create table flowmetrics.constraint_findings ({', '.join(f'{c} {t}' for c, t in OLD_COLUMNS)})")
    con.execute("insert into flowmetrics.constraint_findings (run_id, scope, kind) values ('old', 'overall', 'none')")
    con.close()
    finding = judged(flow_frame(np.array([0.0, 20.0, 40.0])))
    run_id = write_findings(resolve_target(None, warehouse), finding, run_id="new")
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "select run_id, kind, reasons, window_reason, confidence from flowmetrics.constraint_findings"
        " where scope = 'overall' order by run_id"
    ).fetchall()
    con.close()
    assert run_id == "new"
    assert rows[1][:2] == ("old", "none") and rows[1][2:4] == (None, None)  # older rows keep null
    new = rows[0]
    assert new[1] == "insufficient_data" and new[4] is None
    assert [r["code"] for r in json.loads(new[2])] == [r.code for r in finding.reasons]
    assert new[3] == finding.window_reason
    assert new[3].startswith("7-day windows, the shortest: the history (2 day(s)) is too short")
