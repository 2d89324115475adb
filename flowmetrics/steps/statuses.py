"""`flowmetrics statuses`: every status the data holds, how the map in force maps it, what the suggested map says,
and a status map file to edit and load.

Reads two models of a build (dbt's schema, read-only, like every reader: a writer holding a DuckDB file makes it
fail naming the holder): int_status_mappings_suggested (one row per observed or declared status, with the
suggestion) and int_status_mappings_resolved (the map in force, with map_source raw, suggested or default).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowmetrics.errors import ConfigError, MartNotFoundError, WarehouseError
from flowmetrics.results import Result
from flowmetrics.warehouse.connection import Connection, open_connection
from flowmetrics.warehouse.profile import Target

SUGGESTED = "int_status_mappings_suggested"
IN_FORCE = "int_status_mappings_resolved"
MAP_COLUMNS = ("raw_status", "stage", "stage_kind", "stage_order")
"""The columns of a status map file (the raw contract's status_map)."""
KIND_ORDER = {"queue": 0, "active": 1, "wait": 2, "done": 3, "abandoned": 4}
TERMINAL_KINDS = ("done", "abandoned")
SUGGESTED_NOTE = (
    "statuses mapped by the suggested map: run `flowmetrics statuses --write status_map.csv`, edit, and load it "
    "(`flowmetrics ingest DIR` with a folder holding it, then `flowmetrics build -- --full-refresh`)"
)


@dataclass(frozen=True)
class StatusRow(Result):
    """One observed (or declared) status: its facts, the mapping in force and the suggested one.

    ``differs``: the map in force leaves it unmapped, or gives it another stage or kind than the suggestion
    (stage orders are numbered per map, so they are not compared)."""

    raw_status: str
    status_category: str | None
    change_count: int
    ticket_count: int
    typical_position: float | None
    current_stage: str | None
    current_kind: str | None
    current_order: int | None
    current_map_source: str | None  # raw, suggested or default; None: unmapped
    suggested_stage: str
    suggested_kind: str
    suggested_order: int
    name_rule: int | None  # rule_order of the seed status_name_rules row that decided; None: category or default
    differs: bool


@dataclass(frozen=True)
class StatusesResult(Result):
    """Every status of the build, the map in force, and the status map file written (if any)."""

    warehouse: str
    map_source: str | None  # the map in force: raw, suggested or default; None: the build mapped nothing
    statuses: tuple[StatusRow, ...]
    written: str | None = None
    written_rows: int = 0
    note: str | None = None


def run_statuses(target: Target, write: Path | None = None, force: bool = False) -> StatusesResult:
    """The statuses of the build behind ``target``; with ``write``, also the merged status map written there as a
    status_map file (refused when the file exists, unless ``force``)."""
    if write is not None and write.exists() and not force:
        raise ConfigError(f"{write} exists: flowmetrics statuses --write never overwrites a file; give another name "
                          "or add --force")
    suggested, in_force = read_build(target)
    rows = status_rows(suggested, in_force)
    sources = sorted(set(in_force["map_source"].dropna().astype(str)))
    map_source = ", ".join(sources) or None
    written, written_rows = None, 0
    if write is not None:
        merged = merged_status_map(rows, in_force)
        _write_map(merged, write, force)
        written, written_rows = str(write), len(merged)
    return StatusesResult(
        warehouse=str(target.path or target.name),
        map_source=map_source,
        statuses=rows,
        written=written,
        written_rows=written_rows,
        note=SUGGESTED_NOTE if map_source == "suggested" else None,
    )


def read_build(target: Target) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The suggested map and the map in force as the last build left them (read-only)."""
    connection = open_connection(target, read_only=True)
    try:
        suggested = _read(connection, SUGGESTED, "raw_status, status_category, change_count, ticket_count, "
                                                 "typical_position, stage, stage_kind, stage_order, name_rule")
        in_force = _read(connection, IN_FORCE, "raw_status, stage, stage_kind, stage_order, map_source")
    finally:
        connection.close()
    return suggested, in_force


def suggested_map_note(target: Target) -> str | None:
    """SUGGESTED_NOTE when the build behind ``target`` mapped statuses by the suggested map, else None (also when
    there is no build to read)."""
    try:
        connection = open_connection(target, read_only=True)
    except (ConfigError, WarehouseError):  # a target the package does not read, or no file yet: nothing to say
        return None
    try:
        relation = connection.qualify(connection.target.schema, IN_FORCE)
        if not connection.relation_exists(connection.target.schema, IN_FORCE):
            return None
        found = connection.query_df(f"select count(*) as n from {relation} where map_source = 'suggested'")
    finally:
        connection.close()
    return SUGGESTED_NOTE if int(found["n"].iloc[0]) else None


def status_rows(suggested: pd.DataFrame, in_force: pd.DataFrame) -> tuple[StatusRow, ...]:
    """One StatusRow per status of the suggested map (every observed or declared status), by typical position."""
    current = {str(row.raw_status): row for row in in_force.itertuples(index=False)}
    ordered = suggested.sort_values(["typical_position", "raw_status"], na_position="last")
    rows = []
    s: Any  # a row of the suggested map, whose cells pandas types as any scalar
    for s in ordered.itertuples(index=False):
        c = current.get(str(s.raw_status))
        rows.append(StatusRow(
            raw_status=str(s.raw_status),
            status_category=None if pd.isna(s.status_category) else str(s.status_category),
            change_count=int(s.change_count),
            ticket_count=int(s.ticket_count),
            typical_position=None if pd.isna(s.typical_position) else float(s.typical_position),
            current_stage=None if c is None else str(c.stage),
            current_kind=None if c is None else str(c.stage_kind),
            current_order=None if c is None else _int(c.stage_order),
            current_map_source=None if c is None else str(c.map_source),
            suggested_stage=str(s.stage),
            suggested_kind=str(s.stage_kind),
            suggested_order=int(s.stage_order),
            name_rule=_int(s.name_rule),
            differs=c is None or (str(c.stage), str(c.stage_kind)) != (str(s.stage), str(s.stage_kind)),
        ))
    return tuple(rows)


def merged_status_map(rows: tuple[StatusRow, ...], in_force: pd.DataFrame) -> pd.DataFrame:
    """A status map (MAP_COLUMNS) to edit: the map in force's row for every status it maps, the suggestion for the
    others, and every row of a shipped map (raw) even for statuses the data does not hold.

    A suggested row joins the map in force where it can: a done or abandoned status takes the stage and order of
    the map's done or abandoned stage, a stage the map already has takes its order, and a new flow stage is kept
    before the map's first terminal order (the gate wants done and abandoned after every flow stage).

    Rows are written by stage_order, stage and kind, then in the map's own order (it decides the entry status):
    the map in force's order for the statuses it maps, then the others by typical position."""
    stage_orders: dict[str, int] = {}
    terminal: dict[str, tuple[str, int]] = {}
    for m in in_force.itertuples(index=False):
        order = _int(m.stage_order)
        if order is None:
            continue
        stage_orders.setdefault(str(m.stage), order)
        if str(m.stage_kind) in TERMINAL_KINDS:
            terminal.setdefault(str(m.stage_kind), (str(m.stage), order))
    first_terminal = min((order for _, order in terminal.values()), default=None)
    merged: dict[str, tuple[str, str, int | None]] = {}
    for r in rows:
        if r.current_kind is not None:
            merged[r.raw_status] = (str(r.current_stage), r.current_kind, r.current_order)
            continue
        stage, kind, order = r.suggested_stage, r.suggested_kind, r.suggested_order
        if kind in terminal:
            stage, order = terminal[kind]
        elif stage in stage_orders:
            order = stage_orders[stage]
        elif kind not in TERMINAL_KINDS and first_terminal is not None and order >= first_terminal:
            order = first_terminal - 1
        merged[r.raw_status] = (stage, kind, order)
    for m in in_force.itertuples(index=False):
        if str(m.map_source) == "raw" and str(m.raw_status) not in merged:
            merged[str(m.raw_status)] = (str(m.stage), str(m.stage_kind), _int(m.stage_order))
    frame = pd.DataFrame(
        [(status, *mapping) for status, mapping in merged.items()], columns=list(MAP_COLUMNS)
    )
    frame["kind_rank"] = frame["stage_kind"].map(KIND_ORDER).fillna(len(KIND_ORDER))
    orders = in_force["map_order"] if "map_order" in in_force else pd.Series(dtype=float)
    in_force_order = dict(zip(in_force["raw_status"].astype(str), orders, strict=False))
    frame["map_order"] = pd.to_numeric(frame["raw_status"].map(in_force_order), errors="coerce")
    frame["position"] = range(len(frame))  # typical position: rows were merged in that order
    frame = frame.sort_values(
        ["stage_order", "stage", "kind_rank", "map_order", "position"], na_position="last", kind="stable"
    )
    return frame.drop(columns=["kind_rank", "map_order", "position"]).reset_index(drop=True)


def _write_map(frame: pd.DataFrame, path: Path, force: bool) -> None:
    """The map as a status_map CSV; mode x (fail if it exists) unless ``force``, so nothing is overwritten by a
    race either."""
    try:
        with path.open("w" if force else "x", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(MAP_COLUMNS)
            for row in frame.itertuples(index=False):
                writer.writerow(["" if v is None or pd.isna(v) else v for v in row])
    except FileExistsError:
        raise ConfigError(f"{path} exists: flowmetrics statuses --write never overwrites a file; give another name "
                          "or add --force") from None
    except OSError as exc:
        raise ConfigError(f"cannot write the status map {path}: {exc.strerror or exc}") from exc


def _read(connection: Connection, model: str, columns: str) -> pd.DataFrame:
    schema = connection.target.schema
    if not connection.relation_exists(schema, model):
        raise MartNotFoundError(
            f"{connection.qualify(schema, model)} does not exist in "
            f"{connection.target.path or connection.target.name}: run `flowmetrics build` first"
        )
    return connection.query_df(f"select {columns} from {connection.qualify(schema, model)}")


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def statuses_table(result: StatusesResult) -> str:
    """The statuses as a table for people: `*` marks a status the map in force leaves unmapped or maps to another
    stage or kind than the suggestion."""
    header = (f"  {'status':<32}{'changes':>9}{'position':>9}  {'in force (stage, kind, order, map)':<44}"
              f"{'suggested (stage, kind, order)':<36}")
    lines = [f"{len(result.statuses)} status(es) in {result.warehouse}; map in force: {result.map_source or 'none'}",
             header]
    for r in result.statuses:
        current = ("unmapped" if r.current_kind is None
                   else f"{r.current_stage}, {r.current_kind}, {r.current_order}, {r.current_map_source}")
        position = "-" if r.typical_position is None else f"{r.typical_position:g}"
        lines.append(
            f"{'*' if r.differs else ' '} {_cut(r.raw_status, 31):<32}{r.change_count:>9,}{position:>9}  "
            f"{_cut(current, 43):<44}{_cut(f'{r.suggested_stage}, {r.suggested_kind}, {r.suggested_order}', 35)}"
        )
    differing = sum(r.differs for r in result.statuses)
    lines.append(f"{differing} status(es) marked *: unmapped by the map in force, or mapped to another stage or kind "
                 "than the suggestion")
    if result.written:
        lines.append(f"wrote {result.written_rows} row(s) to {result.written}: edit it, then load it with "
                     "`flowmetrics ingest DIR` (DIR holding it as status_map.csv) and `flowmetrics build -- "
                     "--full-refresh`")
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
