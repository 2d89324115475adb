"""Helpers for derived suites: identities between relations, as rows whose ``difference`` must be 0."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowmetrics.quality.reader import GateReader


def identities(reader: GateReader, rows: Sequence[tuple[str, str, str]]) -> pd.DataFrame:
    """One row per identity (name, left SQL scalar, right SQL scalar), with both sides and their difference."""
    out = []
    for name, left_sql, right_sql in rows:
        left = reader.scalar(left_sql)
        right = reader.scalar(right_sql)
        left = 0 if left is None else int(left)
        right = 0 if right is None else int(right)
        out.append({"identity": name, "left": left, "right": right, "difference": left - right})
    return pd.DataFrame(out, columns=["identity", "left", "right", "difference"])
