"""Compare dbt relations row for row, sorted by key, every column.

One comparison serves the incremental-vs-full-refresh test (DuckDB against DuckDB) and the engine checks
(Postgres or Spark against DuckDB). Which relations to compare and their keys come from dbt's manifest: every model
whose primary key is tested (`unique` on a column, or `unique_combination`), so a new mart with a key test is
compared without touching this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FLOAT_RTOL = 1e-9  # engines sum seconds in different orders: a relative difference this small is the same number
FLOAT_ATOL = 1e-6  # seconds: a microsecond


@dataclass(frozen=True)
class Relation:
    """A model of the dbt project: its name, materialization, access and the key its tests assert is unique, and
    the columns whose values depend on the engine (column meta `engine_specific: true`, e.g. a hash fingerprint:
    equal between builds on one engine, not across engines)."""

    name: str
    materialized: str
    access: str
    key: tuple[str, ...]
    engine_specific: tuple[str, ...] = ()


def keyed_relations(manifest_path: Path) -> dict[str, Relation]:
    """Every model with a primary-key test, from target/manifest.json; the key of a single-column `unique` test
    wins over a `unique_combination` one."""
    manifest = json.loads(Path(manifest_path).read_text())
    keys: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        meta = node.get("test_metadata") or {}
        model_id = node["attached_node"]
        if meta.get("name") == "unique" and node.get("column_name"):
            keys[model_id] = (node["column_name"],)
        elif meta.get("name") == "unique_combination" and model_id not in keys:
            keys[model_id] = tuple(meta["kwargs"]["columns"])
    relations = {}
    for unique_id, key in keys.items():
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] != "model":
            continue
        materialized = node["config"]["materialized"]
        if materialized == "ephemeral":
            continue
        engine_specific = tuple(sorted(
            name for name, column in node.get("columns", {}).items()
            if (column.get("meta") or {}).get("engine_specific")
        ))
        relations[node["name"]] = Relation(
            node["name"], materialized, node.get("access", "protected"), key, engine_specific
        )
    return dict(sorted(relations.items()))


def public_marts(manifest_path: Path) -> dict[str, Relation]:
    """The public marts (what BI tools and the package read) that have a key test."""
    return {name: r for name, r in keyed_relations(manifest_path).items() if r.access == "public"}


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    values = series.dropna()
    if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
        return "bool"
    if len(values) and all(isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "isoformat") for v in values):
        return "timestamp"
    if len(values) and all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def _canonical(series: pd.Series, kind: str) -> pd.Series:
    """One representation per kind, whatever the engine's driver returned (naive UTC timestamps, float numbers,
    Python bools and strings with None for null)."""
    if kind == "timestamp":
        converted = pd.to_datetime(series, utc=True)
        return converted.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    if kind == "number":
        return pd.to_numeric(series).astype("float64")
    if kind == "bool":
        return series.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                          else bool(v)).astype(object)
    return series.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                      else str(v)).astype(object)


def differences(expected: pd.DataFrame, actual: pd.DataFrame, key: tuple[str, ...], *, show: int = 5) -> list[str]:
    """What differs between two versions of a relation (empty when they hold the same rows): columns, row count,
    then per column the keys of the first rows that differ. Floats compare with a tiny tolerance."""
    problems: list[str] = []
    if set(expected.columns) != set(actual.columns):
        missing = sorted(set(expected.columns) - set(actual.columns))
        extra = sorted(set(actual.columns) - set(expected.columns))
        return [f"columns differ: missing {missing}, extra {extra}"]
    if len(expected) != len(actual):
        problems.append(f"{len(actual)} rows, expected {len(expected)}{_unmatched_keys(expected, actual, key, show)}")
    for name, frame in (("expected", expected), ("actual", actual)):
        duplicated = frame.duplicated(list(key)).sum()
        if duplicated:
            problems.append(f"{name} has {duplicated} duplicated key(s) {key}")
    if problems:
        return problems
    columns = list(expected.columns)
    kinds = {c: _kind(expected[c]) if expected[c].notna().any() else _kind(actual[c]) for c in columns}
    left = pd.DataFrame({c: _canonical(expected[c], kinds[c]) for c in columns})
    right = pd.DataFrame({c: _canonical(actual[c], kinds[c]) for c in columns})
    left = left.sort_values(list(key), kind="stable").reset_index(drop=True)
    right = right.sort_values(list(key), kind="stable").reset_index(drop=True)
    keys_l, keys_r = left[list(key)], right[list(key)]
    # a null key part (e.g. the ticket type of an overall row) matches a null: rows are the same row
    key_mismatch = ~((keys_l == keys_r) | (keys_l.isna() & keys_r.isna())).all(axis=1)
    if key_mismatch.any():
        rows = left.loc[key_mismatch, list(key)].head(show).to_dict("records")
        return [f"keys differ, first expected keys without a match: {rows}"]
    for column in columns:
        a, b = left[column], right[column]
        both_null = a.isna() & b.isna()
        if kinds[column] == "number":
            same = both_null | np.isclose(a.to_numpy(), b.to_numpy(), rtol=FLOAT_RTOL, atol=FLOAT_ATOL)
        else:
            same = both_null | (a == b).fillna(False).astype(bool)
        if not same.all():
            bad = left.loc[~same, list(key)].head(show).to_dict("records")
            pairs = list(zip(a[~same].head(show), b[~same].head(show), strict=True))
            problems.append(
                f"column {column}: {int((~same).sum())} row(s) differ, e.g. keys {bad}: expected/actual {pairs}"
            )
    return problems


def _unmatched_keys(expected: pd.DataFrame, actual: pd.DataFrame, key: tuple[str, ...], show: int) -> str:
    """The first keys only one side holds (compared as text), e.g. ": missing keys [...], extra keys [...]"."""
    def keys(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        return set(frame[list(key)].astype(str).itertuples(index=False, name=None))

    want, got = keys(expected), keys(actual)
    parts = [f"{what} keys {sorted(found)[:show]}" for what, found in (("missing", want - got), ("extra", got - want))
             if found]
    return f": {', '.join(parts)}" if parts else ""


def assert_same_rows(expected: pd.DataFrame, actual: pd.DataFrame, key: tuple[str, ...], what: str) -> None:
    found = differences(expected, actual, key)
    assert not found, f"{what} differs:\n  " + "\n  ".join(found)
