"""Which optional raw tables a warehouse lacks, said in words: every command names what is absent (its marts
are empty) instead of failing on it.

A table is absent when schema raw has no such relation or it has no rows; a table whose parent is absent is not
named again ("no experiments" already says there are no exposures).
"""

from __future__ import annotations

from flowmetrics.contract import RAW_SCHEMA, REQUIRED_TABLES, TABLES
from flowmetrics.warehouse.connection import Connection, open_connection
from flowmetrics.warehouse.profile import Target

ABSENT_NOTES: dict[str, str] = {
    "status_map": "no status_map in this warehouse: statuses are mapped with the project's default "
                  "(seeds/default_status_map.csv)",
    "deploys": "no deploys in this warehouse: the delivery (DORA) marts fct_deployments and fct_dora_weekly are "
               "empty",
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

PARENT: dict[str, str] = {
    "deploy_tickets": "deploys",
    "incidents": "deploys",
    "experiment_variants": "experiments",
    "experiment_events": "experiments",
    "experiment_exposures": "experiments",
}
"""A table that only means something with its parent: named only when the parent is present."""

OPTIONAL_TABLES: tuple[str, ...] = tuple(name for name in TABLES if name not in REQUIRED_TABLES)


def _empty(con: Connection, name: str) -> bool:
    if not con.relation_exists(RAW_SCHEMA, name):
        return True
    rows = con.query_df(f"select count(*) as n from (select 1 from {con.qualify(RAW_SCHEMA, name)} limit 1) as t")
    return int(rows["n"].iloc[0]) == 0


def absent_tables(con: Connection) -> tuple[str, ...]:
    """The optional raw tables that are absent or empty, in contract order (none when schema raw has no tickets:
    then this warehouse's raw data is not here to judge)."""
    if not con.relation_exists(RAW_SCHEMA, REQUIRED_TABLES[0]):
        return ()
    return tuple(name for name in OPTIONAL_TABLES if _empty(con, name))


def absence_notes(absent: tuple[str, ...]) -> tuple[str, ...]:
    """One line per absent table, leaving out a table whose parent is absent too."""
    return tuple(
        ABSENT_NOTES.get(name, f"no {name} in this warehouse")
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
