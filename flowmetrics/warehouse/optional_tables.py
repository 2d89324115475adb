"""Which optional raw tables a warehouse lacks, said in words: every command names what is absent (its marts
are empty) instead of failing on it.

A table is absent when schema raw has no such relation or it has no rows; a table whose parent is absent is not
named again ("no experiments" already says there are no exposures). A warehouse whose tickets come only from
connector sources (var flowmetrics_sources; schema raw has no tickets) is judged on the staged relations dbt built
from every source, and says first that it has no raw contract tables.
"""

from __future__ import annotations

from flowmetrics.contract import RAW_SCHEMA, REQUIRED_TABLES, TABLES
from flowmetrics.warehouse.connection import Connection, open_connection
from flowmetrics.warehouse.profile import Target

NO_RAW_CONTRACT = ("no raw contract tables in this warehouse (schema raw has no tickets): sources come from "
                   "flowmetrics_sources (the connector tables its source adapters read)")
"""Said first when the tickets come only from connector sources (absent_tables then starts with `tickets`)."""

ABSENT_NOTES: dict[str, str] = {
    "status_map": "no status_map in this warehouse: statuses are mapped with the project's default "
                  "(seeds/default_status_map.csv)",
    "deploys": "no deploys in this warehouse: the delivery (DORA) marts fct_deployments, fct_dora_weekly and "
               "fct_dora_tiers are empty",
    "deploy_tickets": "no deploy_tickets in this warehouse: no deploy is linked to a ticket",
    "incidents": "no incidents in this warehouse: DORA takes failures and time to restore from deploy status "
                 "(failed or rolled_back until the next successful deploy)",
    "experiments": "no experiments in this warehouse: the experiment marts fct_experiments, "
                   "fct_experiment_finish_rate and fct_shipped_decisions are empty",
    "experiment_variants": "no experiment_variants in this warehouse: no experiment has a planned allocation, so "
                           "none is measured cleanly",
    "experiment_events": "no experiment_events in this warehouse: no experiment is launched, decided or shipped",
    "experiment_exposures": "no experiment_exposures in this warehouse: no experiment has exposed units, so none "
                            "is measured cleanly",
}
"""What each optional raw table's absence means, one line a table."""

SUGGESTED_MAP_NOTE = ("no status_map in this warehouse: statuses are mapped by the map suggested from the data "
                      "(see `flowmetrics statuses`)")
"""The status_map note of a build with connector sources: without a shipped map they use the suggested one."""

PARENT: dict[str, str] = {
    "deploy_tickets": "deploys",
    "incidents": "deploys",
    "experiment_variants": "experiments",
    "experiment_events": "experiments",
    "experiment_exposures": "experiments",
}
"""A table that only means something with its parent: named only when the parent is present."""

OPTIONAL_TABLES: tuple[str, ...] = tuple(name for name in TABLES if name not in REQUIRED_TABLES)

STAGED: dict[str, str] = {
    "tickets": "stg_tickets__tickets",
    "ticket_status_changes": "stg_tickets__status_changes",
    "status_map": "stg_tickets__status_map",
    "deploys": "stg_deploys__deploys",
    "deploy_tickets": "stg_deploys__deploy_tickets",
    "incidents": "stg_deploys__incidents",
    "experiments": "stg_experiments__experiments",
    "experiment_variants": "stg_experiments__variants",
    "experiment_events": "stg_experiments__events",
    "experiment_exposures": "stg_experiments__exposures",
}
"""The staged relation (dbt's schema) that holds each contract table's rows from every configured source."""


def _empty(con: Connection, schema: str, name: str) -> bool:
    if not con.relation_exists(schema, name):
        return True
    rows = con.query_df(f"select count(*) as n from (select 1 from {con.qualify(schema, name)} limit 1) as t")
    return int(rows["n"].iloc[0]) == 0


def connector_only(con: Connection) -> bool:
    """Whether this warehouse's tickets come only from connector sources: schema raw has no tickets and dbt has
    built the staged tickets (before a first build nothing says where the tickets come from)."""
    return (not con.relation_exists(RAW_SCHEMA, REQUIRED_TABLES[0])
            and con.relation_exists(con.target.schema, STAGED[REQUIRED_TABLES[0]]))


def absent_tables(con: Connection) -> tuple[str, ...]:
    """The optional raw tables that are absent or empty, in contract order. Without raw tickets: `tickets` (no raw
    contract) then the optional tables whose staged relation is empty, when dbt built them; else none (this
    warehouse's raw data is not here to judge)."""
    if con.relation_exists(RAW_SCHEMA, REQUIRED_TABLES[0]):
        return tuple(name for name in OPTIONAL_TABLES if _empty(con, RAW_SCHEMA, name))
    if not connector_only(con):
        return ()
    return (REQUIRED_TABLES[0],
            *(name for name in OPTIONAL_TABLES if _empty(con, con.target.schema, STAGED[name])))


def absence_notes(absent: tuple[str, ...]) -> tuple[str, ...]:
    """One line per absent table, leaving out a table whose parent is absent too."""
    notes = dict(ABSENT_NOTES)
    if REQUIRED_TABLES[0] in absent:
        notes[REQUIRED_TABLES[0]] = NO_RAW_CONTRACT
        notes["status_map"] = SUGGESTED_MAP_NOTE
    return tuple(
        notes.get(name, f"no {name} in this warehouse")
        for name in absent
        if PARENT.get(name) not in absent
    )


def warehouse_absence_notes(target: Target) -> tuple[str, ...]:
    """absence_notes of the warehouse behind `target`, read through a short read-only connection."""
    con = open_connection(target, read_only=True)
    try:
        return absence_notes(absent_tables(con))
    finally:
        con.close()
