"""The raw contract as data: the tables flowmetrics reads, their columns, types, enums and keys.

Everything that checks or loads raw data (ingest, the dbt sources, the quality suites, the demo generator)
reads this one description, so the contract is stated once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ColumnType(StrEnum):
    """Logical column types of the raw contract (mapped to each engine's type where used)."""

    STRING = "string"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DOUBLE = "double"

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB_TYPES[self]

    @property
    def expectation(self) -> str:
        """How a user would describe a valid value, for error messages."""
        return _EXPECTATIONS[self]


_DUCKDB_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.TIMESTAMP: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.DOUBLE: "DOUBLE",
}

_EXPECTATIONS = {
    ColumnType.STRING: "text",
    ColumnType.TIMESTAMP: "an ISO-8601 timestamp (UTC when it has no offset)",
    ColumnType.BOOLEAN: "a boolean (true/false, 1/0, yes/no)",
    ColumnType.INTEGER: "an integer",
    ColumnType.DOUBLE: "a number",
}


class LoadMode(StrEnum):
    """How a newer export of a table combines with what is already loaded."""

    APPEND = "append"  # events: rows with a new key are appended, repeats of a loaded key are skipped
    UPSERT = "upsert"  # entities: a newer row for a loaded key replaces it (latest export wins)
    REPLACE = "replace"  # configuration: a file replaces the whole table


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    accepted_values: tuple[str, ...] | None = None
    description: str = ""
    free_text: bool = False  # prose that may hold line breaks inside quotes (a title); other values may not


@dataclass(frozen=True)
class RequiredWhen:
    """A column that must have a value when another column holds a given value."""

    column: str
    when_column: str
    when_value: str


@dataclass(frozen=True)
class NotBefore:
    """A timestamp column that, when set, must not be earlier than another timestamp column of the same row."""

    column: str
    earlier_column: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    load_mode: LoadMode
    required_table: bool = False
    required_when: tuple[RequiredWhen, ...] = field(default=())
    not_before: tuple[NotBefore, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


S, T, B, I, D = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.BOOLEAN,
    ColumnType.INTEGER,
    ColumnType.DOUBLE,
)

STAGE_KINDS = ("queue", "active", "wait", "done", "abandoned")
DEPLOY_STATUSES = ("success", "failed", "rolled_back")
EXPERIMENT_EVENT_TYPES = (
    "created",
    "launched",
    "paused",
    "resumed",
    "stopped",
    "decided",
    "shipped",
    "abandoned",
)
DECISIONS = ("ship", "rollback", "iterate", "inconclusive")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "tickets",
            "One row per ticket (work item).",
            (
                Column("ticket_id", S, True, description="The ticket's id, unique."),
                Column("title", S, free_text=True),
                Column("ticket_type", S),
                Column("team", S, True, description="The owning team."),
                Column(
                    "requested_by",
                    S,
                    description="The requesting function: growth, product, marketing, design, data, eng...",
                ),
                Column("experiment_id", S, description="The experiment this ticket builds, if any."),
                Column("ai_assisted", B, description="Whether the work was produced with AI assistance."),
                Column("created_at", T, True),
            ),
            key=("ticket_id",),
            load_mode=LoadMode.UPSERT,
            required_table=True,
        ),
        Table(
            "ticket_status_changes",
            "One row per status change of a ticket (a Jira/Linear changelog).",
            (
                Column("change_id", S, True),
                Column("ticket_id", S, True),
                Column("changed_at", T, True),
                Column("from_status", S),
                Column("to_status", S, True),
                Column("changed_by", S),
            ),
            key=("change_id",),
            load_mode=LoadMode.APPEND,
            required_table=True,
        ),
        Table(
            "status_map",
            "One row per raw status: which stage it belongs to and whether it is the stage's queue or active part.",
            (
                Column("raw_status", S, True),
                Column("stage", S, True),
                Column("stage_kind", S, True, STAGE_KINDS),
                Column("stage_order", I, True),
            ),
            key=("raw_status",),
            load_mode=LoadMode.REPLACE,
        ),
        Table(
            "deploys",
            "One row per deploy.",
            (
                Column("deploy_id", S, True),
                Column("service", S, True),
                Column("environment", S, True),
                Column("deployed_at", T, True),
                Column("status", S, True, DEPLOY_STATUSES),
                Column("commit_sha", S),
                Column("first_commit_at", T),
            ),
            key=("deploy_id",),
            load_mode=LoadMode.UPSERT,
        ),
        Table(
            "deploy_tickets",
            "One row per ticket shipped by a deploy.",
            (Column("deploy_id", S, True), Column("ticket_id", S, True)),
            key=("deploy_id", "ticket_id"),
            load_mode=LoadMode.APPEND,
        ),
        Table(
            "incidents",
            "One row per production incident (an incident is re-sent when it is resolved).",
            (
                Column("incident_id", S, True, description="The incident's id, unique."),
                Column("service", S, description="The affected service."),
                Column("opened_at", T, True, description="When the incident was opened (the failure began)."),
                Column("resolved_at", T, description="When service was restored; null while the incident is open."),
                Column("severity", S, description="The incident's severity, as the team names it (free)."),
                Column("caused_by_deploy_id", S, description="The deploy that caused it; null when unknown."),
            ),
            key=("incident_id",),
            load_mode=LoadMode.UPSERT,
            not_before=(NotBefore("resolved_at", "opened_at"),),
        ),
        Table(
            "experiments",
            "One row per experiment.",
            (
                Column("experiment_id", S, True),
                Column("name", S, free_text=True),
                Column("team", S, True),
                Column("ticket_id", S),
                Column("ai_assisted", B),
                Column("min_sample_size", I),
                Column("created_at", T, True),
            ),
            key=("experiment_id",),
            load_mode=LoadMode.UPSERT,
        ),
        Table(
            "experiment_variants",
            "One row per planned variant of an experiment, with its planned allocation weight.",
            (
                Column("experiment_id", S, True),
                Column("variant", S, True),
                Column("weight", D, True),
            ),
            key=("experiment_id", "variant"),
            load_mode=LoadMode.UPSERT,
        ),
        Table(
            "experiment_events",
            "One row per lifecycle event of an experiment.",
            (
                Column("event_id", S, True),
                Column("experiment_id", S, True),
                Column("event_type", S, True, EXPERIMENT_EVENT_TYPES),
                Column("occurred_at", T, True),
                Column("decision", S, False, DECISIONS),
                Column("variant", S),
            ),
            key=("event_id",),
            load_mode=LoadMode.APPEND,
            required_when=(RequiredWhen("decision", "event_type", "decided"),),
        ),
        Table(
            "experiment_exposures",
            "One row per exposure of a unit (user, account) to a variant.",
            (
                Column("experiment_id", S, True),
                Column("unit_id", S, True),
                Column("variant", S, True),
                Column("exposed_at", T, True),
            ),
            key=("experiment_id", "unit_id", "variant", "exposed_at"),
            load_mode=LoadMode.APPEND,
        ),
    )
}

# Timestamps outside [EARLIEST, LATEST) UTC are quarantined as implausible: a year-1 or year-9999 value would
# stretch every daily series over millennia.
EARLIEST_TIMESTAMP = datetime(1970, 1, 1)
LATEST_TIMESTAMP = datetime(2100, 1, 1)

# Columns ingest writes on every raw contract table beside the file's own: where and when each row's values were
# loaded. A file never carries them; a table landed by another tool may lack them (the dbt staging reads NULL).
LOAD_STAMPS: tuple[Column, ...] = (
    Column(
        "_ingest_run_id", S,
        description="Stamped by ingest: the run (raw.ingest_runs) that last wrote this row's values.",
    ),
    Column(
        "_loaded_at", T,
        description="Stamped by ingest: the UTC start of that run, the row's load time.",
    ),
    Column(
        "_file_row", I,
        description="Stamped by ingest: the row's position in the file that run read (1 = first data row).",
    ),
)
LOAD_STAMP_NAMES: tuple[str, ...] = tuple(c.name for c in LOAD_STAMPS)

REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required_table)
RAW_SCHEMA = "raw"
QUARANTINE_TABLE = "quarantine"
FILE_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")


def table(name: str) -> Table:
    """The contract of one raw table; a KeyError names the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown raw table {name!r}; the contract has {', '.join(TABLES)}") from None
