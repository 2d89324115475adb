"""Helpers for derived suites: identities between relations, as rows whose ``difference`` must be 0, and counts
recomputed from the raw tables through the status map in force."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowmetrics.quality.reader import GateReader
from flowmetrics.quality.suite import Layer


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


MAP_IN_FORCE = "int_status_mappings_resolved"
"""The model that holds the status map a build used, with map_source: raw, suggested or default."""
MAP_SOURCES = {"suggested": "the suggested status map (int_status_mappings_suggested)",
               "default": "default_status_map (seed)"}


def status_map_in_force(reader: GateReader) -> tuple[str, str] | None:
    """The status map in force, as (SQL relation, source): raw ``status_map`` when it has rows (it wins in every
    build, also before the one that loads it); else the map the last build chose (int_status_mappings_resolved:
    the suggested map when a connector source is configured, else the seed); else the project's default seed;
    None when none of them is in the warehouse."""
    if reader.exists(Layer.RAW, "status_map"):
        raw_map = reader.qualified(Layer.RAW, "status_map")
        if reader.scalar(f"select count(*) from {raw_map}"):
            return raw_map, "raw.status_map"
    if reader.exists(Layer.STAGING, MAP_IN_FORCE):
        built = reader.qualified(Layer.STAGING, MAP_IN_FORCE)
        source = reader.scalar(f"select max(map_source) from {built} where map_source <> 'raw'")
        if source in MAP_SOURCES:
            return built, MAP_SOURCES[source]
    if reader.exists(Layer.STAGING, "default_status_map"):
        return reader.qualified(Layer.STAGING, "default_status_map"), MAP_SOURCES["default"]
    return None


STAGED_TICKET_RELATIONS: tuple[str, ...] = ("stg_tickets__status_changes", "stg_tickets__tickets")
"""The staged relations that hold every configured source's tickets and raw status changes."""


def raw_state_identity(reader: GateReader, name: str, mart_sql: str, kind: str) -> list[tuple[str, str, str]]:
    """An identity between a mart count and the tickets (created at or before the as-of) whose latest raw status
    change at or before the as-of goes into a status whose kind, in the map in force, satisfies ``kind`` (SQL
    after ``kind``, e.g. ``= 'done'``). A ticket without a change sits in the map's entry status (a flow kind).
    The marts derive the state through the status intervals; this reads the raw changes as staged (every
    configured source's tickets and changes, renamed and cast, nothing derived), so it holds whatever the source.
    Empty when they are not built."""
    status_map = status_map_in_force(reader)
    if status_map is None or not all(reader.exists(Layer.STAGING, t) for t in STAGED_TICKET_RELATIONS):
        return []
    mapping, _ = status_map
    changes = reader.qualified(Layer.STAGING, "stg_tickets__status_changes")
    tickets = reader.qualified(Layer.STAGING, "stg_tickets__tickets")
    as_of = f"(select as_of from {reader.qualified(Layer.MART, 'dim_as_of')})"
    # A ticket's latest second may hold several changes (automation, bulk moves): the last of them is the one whose
    # to_status no other change of that second leaves (the end of their from_status chain); change ids only
    # break what the chain leaves open.
    last_second = (
        f"select c.ticket_id, c.change_id, c.from_status, c.to_status from {changes} as c "
        f"join (select ticket_id, max(changed_at) as last_at from {changes} where changed_at <= {as_of} "
        "group by ticket_id) as l on c.ticket_id = l.ticket_id and c.changed_at = l.last_at"
    )
    flagged = (
        "select g.ticket_id, g.change_id, g.to_status, case when exists (select 1 from "
        f"({last_second}) as n where n.ticket_id = g.ticket_id and n.change_id <> g.change_id "
        "and n.from_status = g.to_status) then 1 else 0 end as is_left "
        f"from ({last_second}) as g"
    )
    latest = (
        "select f.ticket_id, f.to_status, row_number() over (partition by f.ticket_id "
        "order by f.is_left, f.change_id desc) as recency "
        f"from ({flagged}) as f"
    )
    current = (
        f"select t.ticket_id, coalesce(lower(m.stage_kind), case when l.ticket_id is null then 'queue' "
        "else 'unmapped' end) as kind "
        f"from (select distinct ticket_id from {tickets} where created_at <= {as_of}) as t "
        f"left join ({latest}) as l on t.ticket_id = l.ticket_id and l.recency = 1 "
        f"left join {mapping} as m on l.to_status = m.raw_status"
    )
    return [(name, mart_sql, f"select count(*) from ({current}) as s where s.kind {kind}")]
