"""What a suite is: one relation (or one small derived frame) and the checks over it, as code.

A check is a great-expectations expectation built from the run's context (thresholds, as-of, reference time)
with a stable id and a severity (``error`` blocks publishing, ``warn`` is reported). Suites never import
great_expectations at module level: it takes seconds to import, so only the gate's runner loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowmetrics.quality.config import QualityConfig
from flowmetrics.warehouse import dbt_yaml
from flowmetrics.warehouse.project import PROJECT_DIR

if TYPE_CHECKING:  # pragma: no cover
    from flowmetrics.quality.reader import GateReader


class VolumeKind(StrEnum):
    """How a relation's row count may move between two published runs (judged by ``volume.row_counts``)."""

    HISTORY = "history"  # events and what is built one row per event or item: never shrinks, grows by a night's worth
    SUMMARY = "summary"  # calendar cells, cohorts and run logs: never shrinks; grows in steps (a new week, a new run)
    SNAPSHOT = "snapshot"  # the state now (open work, the constraint's queue): shrinks and grows freely


class Layer(StrEnum):
    RAW = "raw"  # schema raw (the contract tables, quarantine, ingest_runs)
    STAGING = "staging"  # dbt's target schema, staging views
    MART = "mart"  # dbt's target schema, public marts
    PACKAGE = "flowmetrics"  # schema flowmetrics (what the package writes)


@dataclass(frozen=True)
class LastPublish:
    """What the last published run recorded: the baseline of the volume checks."""

    run_id: str
    published_at: datetime
    row_counts: dict[str, int]  # "layer.relation" -> rows
    daily: pd.DataFrame  # relation, day, rows


@dataclass(frozen=True)
class CheckContext:
    config: QualityConfig
    reference_time: datetime  # "now" of the checks (naive UTC)
    as_of: datetime | None  # the build's as-of (dim_as_of)
    latest_event_at: datetime | None
    ingest_run_id: str | None
    last_publish: LastPublish | None = None

    @property
    def future_limit(self) -> datetime:
        return self.reference_time + timedelta(seconds=self.config.clock_skew_seconds)

    @property
    def max_duration_seconds(self) -> float:
        return self.config.max_duration_days * 86400.0


ExpectationFactory = Callable[[CheckContext], Any]


@dataclass(frozen=True)
class Check:
    """One check: a GX expectation (built per run), its id, what it means, its default severity."""

    id: str
    description: str
    expectation: ExpectationFactory
    severity: str = "error"
    threshold: Callable[[CheckContext], str] | None = None
    sample_columns: tuple[str, ...] = ()  # columns shown for a failing row (default: the suite's key + column)


FrameBuilder = Callable[["GateReader", CheckContext], pd.DataFrame]


@dataclass(frozen=True)
class Suite:
    """The checks of one relation, or of one derived frame computed from several (``frame``).

    A relation suite reads ``columns`` (explicitly, in chunks) plus a ``_key_rows`` column (rows sharing the row's
    key) when ``key`` is set. A derived suite's ``frame`` returns a small data frame (aggregates); its
    ``requires`` lists the relations it needs: when one is missing the suite reports "not built".
    """

    name: str
    layer: Layer
    checks: tuple[Check, ...]
    relation: str | None = None  # the relation read (relation suites); derived suites leave it None
    columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()  # read when the relation has them (the suite's derive copes)
    key: tuple[str, ...] = ()
    frame: FrameBuilder | None = None
    requires: tuple[tuple[Layer, str], ...] = ()
    derive: Callable[[pd.DataFrame, CheckContext], pd.DataFrame] | None = None
    description: str = ""
    volume: VolumeKind | None = None  # how the relation's row count may move between runs (relation suites)
    applies: Callable[[CheckContext], str | None] | None = None  # None: always; else why not in this run, or None
    yaml_model: str | None = None  # the dbt model whose YAML rules some of ``checks`` come from (``model_suite``)

    @property
    def needs(self) -> tuple[tuple[Layer, str], ...]:
        if self.relation is not None:
            return ((self.layer, self.relation), *self.requires)
        return self.requires

    @property
    def label(self) -> str:
        if self.relation is None:
            return self.name
        return f"{self.layer.value}.{self.relation}" if self.layer is Layer.RAW else self.relation


@dataclass
class SuiteRegistry:
    """Every suite the gate runs, registered in one place (``flowmetrics.quality.registry``)."""

    suites: list[Suite] = field(default_factory=list)

    def add(self, *suites: Suite) -> None:
        known = {s.name for s in self.suites}
        for suite in suites:
            if suite.name in known:
                raise ValueError(f"suite {suite.name!r} is registered twice")
            ids = [c.id for c in suite.checks]
            if len(ids) != len(set(ids)):
                raise ValueError(f"suite {suite.name!r} has duplicate check ids")
            known.add(suite.name)
            self.suites.append(suite)

    def get(self, name: str) -> Suite:
        for suite in self.suites:
            if suite.name == name:
                return suite
        raise KeyError(f"no quality suite {name!r}; known: {', '.join(s.name for s in self.suites)}")

    def only(self, layer: Layer) -> SuiteRegistry:
        """The suites that read one layer only: raw before dbt builds on it; the package's schema after detect."""
        return SuiteRegistry(
            [s for s in self.suites if s.layer is layer and all(lay is layer for lay, _ in s.needs)]
        )

    def raw_only(self) -> SuiteRegistry:
        return self.only(Layer.RAW)

    def check_ids(self) -> list[str]:
        return [c.id for s in self.suites for c in s.checks]

    def volume_kinds(self) -> dict[str, VolumeKind]:
        """``layer.relation`` -> its volume kind, for every relation suite that states one."""
        return {
            f"{s.layer.value}.{s.relation}": s.volume
            for s in self.suites
            if s.relation is not None and s.volume is not None
        }


# --- check builders: one line per check in the suites ------------------------------------------------------


def _gxe() -> Any:
    import great_expectations.expectations as gxe

    return gxe


def not_null(prefix: str, column: str, severity: str = "error") -> Check:
    return Check(
        f"{prefix}.{column}.not_null",
        f"{column} is never null",
        lambda ctx: _gxe().ExpectColumnValuesToNotBeNull(column=column),
        severity,
        sample_columns=(),
    )


NOT_NULL_WHEN = "not_null_when_defined"
Condition = tuple[str, str, Any]  # (column, "==" | ">" | "not_null", value): one clause of a row condition


def not_null_when(prefix: str, column: str, when: str, *conditions: Condition, severity: str = "error") -> Check:
    """``column`` has a value on every row where the mart defines it: the rows matching every clause of
    ``conditions`` (``when`` says the same in words, and the check's description repeats it)."""
    return Check(
        f"{prefix}.{column}.{NOT_NULL_WHEN}",
        f"{column} is not null when {when}",
        lambda ctx: _gxe().ExpectColumnValuesToNotBeNull(column=column, row_condition=_row_condition(conditions)),
        severity,
        threshold=lambda ctx: f"not null when {when}",
    )


def _row_condition(conditions: Sequence[Condition]) -> Any:
    from great_expectations.expectations.row_conditions import Column

    out = None
    for name, op, value in conditions:
        if op == "==":
            clause = Column(name) == value
        elif op == ">":
            clause = Column(name) > value
        elif op == "not_null":
            clause = Column(name).is_not_null()
        else:  # pragma: no cover - a typo in a suite
            raise ValueError(f"unknown row-condition operator {op!r}")
        out = clause if out is None else out & clause
    return out


def unique(prefix: str, key: Sequence[str], severity: str = "error") -> Check:
    """Key unique, as a per-row count of rows sharing the key: composes across chunks of a large relation."""
    name = "_".join(key)
    return Check(
        f"{prefix}.{name}.unique",
        f"({', '.join(key)}) is unique: no two rows share it",
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column=KEY_ROWS, max_value=1),
        severity,
        threshold=lambda ctx: "at most 1 row per key",
        sample_columns=(*key, KEY_ROWS),
    )


def accepted(prefix: str, column: str, values: Sequence[Any], severity: str = "error") -> Check:
    text = ", ".join(str(v) for v in values)
    return Check(
        f"{prefix}.{column}.accepted_values",
        f"{column} is one of {text}",
        lambda ctx: _gxe().ExpectColumnValuesToBeInSet(column=column, value_set=list(values)),
        severity,
        threshold=lambda ctx: text,
    )


def not_future(prefix: str, column: str, severity: str = "error") -> Check:
    """A raw or staging timestamp not after the reference time (plus the allowed clock skew)."""
    return Check(
        f"{prefix}.{column}.not_future",
        f"{column} is not in the future of the run (reference time + clock skew)",
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column=column, max_value=ctx.future_limit),
        severity,
        threshold=lambda ctx: f"<= {ctx.future_limit:%Y-%m-%d %H:%M:%S} UTC",
    )


def duration(prefix: str, column: str, severity: str = "error") -> Check:
    return Check(
        f"{prefix}.{column}.duration_range",
        f"{column} is non-negative and below the sane maximum",
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(
            column=column, min_value=0, max_value=ctx.max_duration_seconds
        ),
        severity,
        threshold=lambda ctx: f"0 .. {ctx.max_duration_seconds:,.0f} s ({ctx.config.max_duration_days:g} days)",
    )


def non_negative(prefix: str, column: str, severity: str = "error") -> Check:
    return Check(
        f"{prefix}.{column}.non_negative",
        f"{column} is not negative",
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column=column, min_value=0),
        severity,
        threshold=lambda ctx: ">= 0",
    )


def rate(prefix: str, column: str, severity: str = "error") -> Check:
    return Check(
        f"{prefix}.{column}.rate_range",
        f"{column} is a rate within [0, 1]",
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1),
        severity,
        threshold=lambda ctx: "0 .. 1",
    )


def at_least(prefix: str, column_a: str, column_b: str, severity: str = "error") -> Check:
    return Check(
        f"{prefix}.{column_b}.not_above_{column_a}",
        f"{column_b} <= {column_a}",
        lambda ctx: _gxe().ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        severity,
        sample_columns=(column_a, column_b),
    )


def zero(prefix: str, column: str, description: str, severity: str = "error") -> Check:
    """A derived column that must be 0 on every row (a difference that should not exist)."""
    return Check(
        f"{prefix}.{column}",
        description,
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=0),
        severity,
        threshold=lambda ctx: "0 on every row",
    )


def at_most(
    check_id: str,
    column: str,
    description: str,
    limit: Callable[[CheckContext], float],
    limit_text: Callable[[CheckContext], str],
    severity: str = "error",
    sample_columns: tuple[str, ...] = (),
) -> Check:
    """Every row of a derived frame has ``column`` <= a threshold from the config."""
    return Check(
        check_id,
        description,
        lambda ctx: _gxe().ExpectColumnValuesToBeBetween(column=column, max_value=limit(ctx)),
        severity,
        threshold=limit_text,
        sample_columns=sample_columns,
    )


KEY_ROWS = "_key_rows"


# --- checks derived from the dbt project's YAML ------------------------------------------------------------


def yaml_checks(
    model: str, columns: Iterable[str], key: Sequence[str] = (), project_dir: Path = PROJECT_DIR
) -> tuple[Check, ...]:
    """The per-column rules the model's YAML states (``not_null``, ``unique``, ``accepted_values``, from data tests
    and contract constraints) as checks of the gate, on the ``columns`` the suite reads, in YAML order.

    Each rule is stated once, in the YAML, and dbt's tests and the gate both read it. A rule on a column the suite
    does not read stays dbt's alone (the gate does not read a large mart's column again just for it). ``unique``
    becomes a check when its column is the suite's whole ``key`` (the rows-sharing-the-key count the reader
    adds); a composite key is not a per-column rule, so its suite keeps its own ``unique``. A rule with a
    ``where:`` is left to dbt: its condition is SQL, which the gate does not translate into a frame filter. A
    rule's ``severity: warn`` is the check's default severity (the quality config may still override it).
    """
    found = dbt_yaml.model(model, project_dir)
    read = set(columns)
    checks: dict[str, Check] = {}
    for column in found.columns:
        if column.name not in read:
            continue
        for rule in column.rules:
            if rule.where:
                continue
            if rule.kind == "not_null":
                check = not_null(model, column.name, rule.severity)
            elif rule.kind == "accepted_values":
                check = accepted(model, column.name, rule.values, rule.severity)
            elif rule.kind == "unique" and tuple(key) == (column.name,):
                check = unique(model, key, rule.severity)
            else:
                continue
            checks.setdefault(check.id, check)  # a constraint and a data test may state the same rule
    return tuple(checks.values())


def model_suite(
    name: str,
    layer: Layer,
    *,
    columns: tuple[str, ...],
    checks: tuple[Check, ...] = (),
    key: tuple[str, ...] = (),
    optional_columns: tuple[str, ...] = (),
    project_dir: Path = PROJECT_DIR,
    **fields: Any,
) -> Suite:
    """The suite of dbt model ``name``: the per-column rules of its YAML (``yaml_checks``) on the columns it reads,
    then ``checks``, what the YAML cannot say (ranges, durations, pairs, conditional rules, derived flags).

    A column the suite judges with ``not_null_when`` (null where the mart does not define it, e.g. a rate of a
    cohort without starts) keeps that rule alone: one null then fails one check, which names the rows it judges.
    """
    conditional = {c.id.rsplit(".", 2)[1] for c in checks if c.id.endswith(f".{NOT_NULL_WHEN}")}
    derived = tuple(
        c for c in yaml_checks(name, (*columns, *optional_columns, *key), key, project_dir)
        if not (c.id.endswith(".not_null") and c.id.rsplit(".", 2)[1] in conditional)
    )
    return Suite(
        name=name,
        layer=layer,
        relation=name,
        columns=columns,
        key=key,
        optional_columns=optional_columns,
        checks=(*derived, *checks),
        yaml_model=name,
        **fields,
    )
