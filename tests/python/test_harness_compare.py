"""The row-for-row comparison used by the incremental test and the engine checks: it must see every difference,
and only real ones (driver types, row order and float noise are not differences)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.harness.compare import differences, keyed_relations, public_marts


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "visit_id": ["a#1", "a#2", "b#1"],
            "entered_at": pd.to_datetime(["2026-01-01 00:00:00", "2026-01-02 00:00:00.5", "2026-01-03"],
                                         format="ISO8601"),
            "queue_seconds": [1.0, 2.5, 0.0],
            "visit_number": [1, 1, 1],
            "is_open": [False, True, None],
            "stage": ["dev", None, "qa"],
        }
    )


def test_same_rows_in_another_order_and_driver_types_are_the_same():
    other = frame().iloc[::-1].copy()
    other["entered_at"] = other["entered_at"].dt.tz_localize("UTC")  # a driver returning aware timestamps
    other["queue_seconds"] = other["queue_seconds"] * (1 + 1e-12)  # summed in another order
    other["visit_number"] = other["visit_number"].astype(object)
    other["is_open"] = pd.array([None, True, False], dtype="boolean")  # a nullable boolean column
    assert differences(frame(), other, ("visit_id",)) == []


def test_every_kind_of_difference_is_reported():
    changed = frame()
    changed.loc[1, "queue_seconds"] = 2.6
    changed.loc[0, "entered_at"] = pd.Timestamp("2026-01-01 00:00:01")
    changed.loc[2, "is_open"] = False
    changed.loc[1, "stage"] = "dev"
    found = "\n".join(differences(frame(), changed, ("visit_id",)))
    for column in ("queue_seconds", "entered_at", "is_open", "stage"):
        assert f"column {column}: 1 row(s) differ" in found
    assert "visit_number" not in found


def test_missing_rows_columns_and_keys_are_reported():
    assert differences(frame(), frame().iloc[:2], ("visit_id",)) == ["2 rows, expected 3: missing keys [('b#1',)]"]
    extra = pd.concat([frame(), frame().iloc[:1].assign(visit_id="c#9")], ignore_index=True)
    assert differences(frame(), extra, ("visit_id",)) == ["4 rows, expected 3: extra keys [('c#9',)]"]
    assert "columns differ" in differences(frame(), frame().drop(columns="stage"), ("visit_id",))[0]
    other = frame()
    other.loc[2, "visit_id"] = "c#1"
    assert "keys differ" in differences(frame(), other, ("visit_id",))[0]


def test_relations_and_keys_come_from_the_manifest(tmp_path: Path):
    manifest = {
        "nodes": {
            "model.p.fct_a": {"resource_type": "model", "name": "fct_a", "access": "public",
                              "config": {"materialized": "incremental"}},
            "model.p.int_b": {"resource_type": "model", "name": "int_b", "access": "protected",
                              "config": {"materialized": "table"},
                              "columns": {"x": {"meta": {}}, "fp": {"meta": {"engine_specific": True}}}},
            "model.p.int_c": {"resource_type": "model", "name": "int_c", "access": "protected",
                              "config": {"materialized": "ephemeral"}},
            "test.p.unique_fct_a_id": {"resource_type": "test", "attached_node": "model.p.fct_a",
                                       "column_name": "id", "test_metadata": {"name": "unique", "kwargs": {}}},
            "test.p.combo_fct_a": {"resource_type": "test", "attached_node": "model.p.fct_a", "column_name": None,
                                   "test_metadata": {"name": "unique_combination",
                                                     "kwargs": {"columns": ["x", "y"]}}},
            "test.p.combo_int_b": {"resource_type": "test", "attached_node": "model.p.int_b", "column_name": None,
                                   "test_metadata": {"name": "unique_combination",
                                                     "kwargs": {"columns": ["x", "y"]}}},
            "test.p.unique_int_c": {"resource_type": "test", "attached_node": "model.p.int_c",
                                    "column_name": "id", "test_metadata": {"name": "unique", "kwargs": {}}},
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    relations = keyed_relations(path)
    assert {name: r.key for name, r in relations.items()} == {"fct_a": ("id",), "int_b": ("x", "y")}
    assert list(public_marts(path)) == ["fct_a"]
    assert {name: r.engine_specific for name, r in relations.items()} == {"fct_a": (), "int_b": ("fp",)}


def test_a_null_part_of_a_key_matches_a_null_and_nothing_else():
    lines = pd.DataFrame({"scope": ["overall", "type", "type"], "ticket_type": [None, "bug", "story"],
                          "p85": [7.0, 5.0, 9.0]})
    assert differences(lines, lines.iloc[::-1].reset_index(drop=True), ("scope", "ticket_type")) == []
    other = lines.assign(ticket_type=["bug", "bug", "story"], scope=["type", "type", "type"])
    assert differences(lines, other, ("scope", "ticket_type"))  # duplicated keys, and none matches the null one
    changed = lines.assign(p85=[7.5, 5.0, 9.0])
    (problem,) = differences(lines, changed, ("scope", "ticket_type"))
    assert problem.startswith("column p85: 1 row(s) differ")
