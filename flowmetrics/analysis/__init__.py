"""flowmetrics.analysis: pure functions over data frames (no I/O): constraint detection and what-if calibration.

Detection reads `fct_status_intervals` (INTERVAL_COLUMNS) and returns a `ConstraintFinding`; calibration reads
it and `fct_work_items` and returns the `Calibration` the what-if simulates. Typed results live in
`flowmetrics.results`.
"""

from flowmetrics.analysis.calibration import CALIBRATION_INTERVAL_COLUMNS, WORK_ITEM_COLUMNS, calibrate
from flowmetrics.analysis.detect import detect_constraint
from flowmetrics.analysis.explain import finding_table, verdict_sentence, whatif_text
from flowmetrics.analysis.flow import INTERVAL_COLUMNS

__all__ = [
    "CALIBRATION_INTERVAL_COLUMNS",
    "INTERVAL_COLUMNS",
    "WORK_ITEM_COLUMNS",
    "calibrate",
    "detect_constraint",
    "finding_table",
    "verdict_sentence",
    "whatif_text",
]
