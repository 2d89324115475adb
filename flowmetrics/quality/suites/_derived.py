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


def recomputed(
    reader: GateReader, mart_sql: str, recompute_sql: str, key: Sequence[str], measures: Sequence[str]
) -> pd.DataFrame:
    """A mart's counts per key next to the same counts recomputed another way (from another mart or raw rows).

    One row per key found on either side: ``<measure>`` as the mart has it, ``<measure>_recomputed``, and
    ``difference`` (the sum of absolute differences; a key missing on one side counts as zeros there).
    """
    mart = reader.df(mart_sql)
    again = reader.df(recompute_sql).rename(columns={m: f"{m}_recomputed" for m in measures})
    keys = list(key)
    for frame in (mart, again):
        for k in keys:  # a null key (e.g. ai_assisted not recorded) joins as a value of its own
            frame[k] = frame[k].astype("object").where(frame[k].notna(), "<null>")
    merged = mart.merge(again, on=keys, how="outer")
    difference = pd.Series(0, index=merged.index, dtype="int64")
    for m in measures:
        merged[m] = merged[m].fillna(0).astype("int64")
        merged[f"{m}_recomputed"] = merged[f"{m}_recomputed"].fillna(0).astype("int64")
        difference += (merged[m] - merged[f"{m}_recomputed"]).abs()
    merged["difference"] = difference
    for k in keys:
        merged[k] = merged[k].astype(str)
    columns = [*keys, *(c for m in measures for c in (m, f"{m}_recomputed")), "difference"]
    return merged.sort_values(["difference", *keys], ascending=[False, *[True] * len(keys)])[columns]
