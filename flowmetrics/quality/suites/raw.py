"""Suites over the raw contract tables, generated from the contract itself (``flowmetrics/contract.py``).

Ingest already quarantines rows that break the contract; these checks also cover raw tables that an EL tool
landed directly. Raw keys are ``warn``: the staging and intermediate layers count a repeated key once.
"""

from __future__ import annotations

from flowmetrics.contract import TABLES, ColumnType, LoadMode, Table
from flowmetrics.quality.suite import (
    Check,
    Layer,
    Suite,
    VolumeKind,
    accepted,
    at_least,
    non_negative,
    not_future,
    not_null,
    unique,
)

# appended events and upserted entities never lose rows; a replaced configuration table may shrink
VOLUME = {
    LoadMode.APPEND: VolumeKind.HISTORY,
    LoadMode.UPSERT: VolumeKind.HISTORY,
    LoadMode.REPLACE: VolumeKind.SNAPSHOT,
}


def raw_suite(table: Table) -> Suite:
    prefix = f"raw.{table.name}"
    checks: list[Check] = [not_null(prefix, c) for c in table.required_columns]
    checks.append(unique(prefix, table.key, severity="warn"))
    for column in table.columns:
        if column.accepted_values:
            checks.append(accepted(prefix, column.name, column.accepted_values))
        if column.type is ColumnType.TIMESTAMP:
            checks.append(not_future(prefix, column.name))
    for rule in table.not_before:
        checks.append(at_least(prefix, rule.column, rule.earlier_column))
    if table.name == "experiment_variants":
        checks.append(non_negative(prefix, "weight"))
    return Suite(
        name=prefix,
        layer=Layer.RAW,
        relation=table.name,
        volume=VOLUME[table.load_mode],
        columns=table.column_names,
        key=table.key,
        checks=tuple(checks),
        description=table.description,
    )


SUITES: tuple[Suite, ...] = tuple(raw_suite(t) for t in TABLES.values())
