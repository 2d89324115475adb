"""`flowmetrics publish`: validate exactly what readers will see, and make it visible in schema ``published`` in one
atomic step.

1. Recover: drop snapshot schemas that a killed run left behind (never the one ``published`` points at).
2. Copy every relation of the registry that exists into a new snapshot schema ``published_snapshot_<run>``
   (one transaction).
3. The gate runs on that snapshot (a callable the caller passes: the quality suites, reading the snapshot's
   copies). When it fails, the snapshot is dropped and its error goes up: nothing is published.
4. Swap, in ONE transaction: every view ``published.<relation>`` is re-created over the checked snapshot, views
   of relations no longer published are dropped, and the run is recorded in ``flowmetrics.publish_runs`` with the
   id of the quality run that checked the snapshot.
5. Drop the previous snapshot schema.

A writer that changes the marts after the copy cannot change what is published: the snapshot is what was checked
and what is swapped in. Readers only ever see committed states: yesterday's set or today's, never a mix. On
DuckDB a reader process cannot even open the file while the publish writes (one writer or many readers);
in-process readers and Postgres readers get the transaction's atomicity. A kill in 1 to 4 leaves ``published``
as it was (the swap never committed); a kill in 5 leaves an extra schema that the next publish drops.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flowmetrics import faultpoints
from flowmetrics.contract import RAW_SCHEMA, TABLES, LoadMode
from flowmetrics.errors import ConfigError, PublishError
from flowmetrics.results import PublishResult, QualityReport
from flowmetrics.warehouse.connection import Connection
from flowmetrics.warehouse.dbt_yaml import models, source_tables
from flowmetrics.warehouse.domains import switched_off_domains
from flowmetrics.warehouse.package_tables import (
    PACKAGE_SCHEMA,
    PUBLISH_RUNS_COLUMNS,
    PUBLISHED_COUNTS_COLUMNS,
    PUBLISHED_DAILY_COLUMNS,
    daily_event_counts,
    ensure_package_tables,
    insert_rows,
    last_publish,
    open_writer,
)
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.project import PROJECT_DIR
from flowmetrics.warehouse.sql import ident, literal

PUBLISHED_SCHEMA = "published"
SNAPSHOT_PREFIX = "published_snapshot_"
INFO_VIEW = "publish_info"
RUN_ID_COLUMN = "published_run_id"


@dataclass(frozen=True)
class Publishable:
    """A relation readers get in schema ``published``: where it comes from and whether it must exist."""

    name: str
    layer: str  # "mart": dbt's target schema; "flowmetrics": the package's schema
    required: bool
    domain: str | None = None  # a mart's domain: not expected when the build switched that domain off


PUBLISH_META = "publish"
"""The ``meta`` key of the dbt YAML that says how a relation is published: ``required`` (publishing fails while
it is missing) or ``optional`` (published once it exists). Every ``access: public`` model is published, required
unless its meta says optional; a table of source ``flowmetrics`` (the package's own schema) is published only when
its meta sets the key."""
PUBLISH_MODES = ("required", "optional")


def _mode(meta: dict[str, Any], where: str) -> str | None:
    mode = meta.get(PUBLISH_META)
    if mode is not None and mode not in PUBLISH_MODES:
        raise ConfigError(f"{where} sets meta {PUBLISH_META}: {mode!r}; use one of {', '.join(PUBLISH_MODES)}")
    return mode


@lru_cache(maxsize=8)
def published_relations(project_dir: Path = PROJECT_DIR) -> tuple[Publishable, ...]:
    """The one registry of what is published, derived from the dbt YAML (read once per process): every public
    model (layer "mart"), then every table of source ``flowmetrics`` whose meta sets ``publish`` (layer
    "flowmetrics"), each in name order. Every entry has a quality suite (a test keeps the two in step); an
    optional one is published when it exists, and once published it must keep existing (a vanished relation is
    an error, not a silent removal from readers' schema)."""
    marts: list[Publishable] = []
    for model in models(project_dir):
        where = f"{model.yaml_file}: model {model.name}"
        mode = _mode(model.meta, where)
        if model.is_public:
            marts.append(Publishable(model.name, "mart", mode != "optional", model.domain))
        elif mode is not None:
            raise ConfigError(f"{where} sets meta {PUBLISH_META} but is not access: public (only public models "
                              "are published)")
    package: list[Publishable] = []
    for table in source_tables(project_dir):
        where = f"{table.yaml_file}: source {table.source}, table {table.name}"
        mode = _mode(table.meta, where)
        if mode is None:
            continue
        if table.source != PACKAGE_SCHEMA:  # the package's source is named after the schema it writes
            raise ConfigError(f"{where} sets meta {PUBLISH_META}, but only tables of source {PACKAGE_SCHEMA} "
                              "(the package's own schema) are published")
        package.append(Publishable(table.name, PACKAGE_SCHEMA, mode == "required"))
    relations = (*marts, *sorted(package, key=lambda p: p.name))
    names = [p.name for p in relations]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ConfigError(f"the dbt project at {project_dir} publishes {', '.join(clashes)} twice (a public model "
                          f"and a table of source {PACKAGE_SCHEMA} with the same name)")
    return relations


Progress = Callable[[str], None]
Gate = Callable[[str], QualityReport]
"""Runs the quality gate on the snapshot schema it is given and returns its (passing) report; raises when a
blocking check fails (``flowmetrics.quality.runner.SnapshotGate``)."""


def snapshot_schema_for(run_id: str) -> str:
    return SNAPSHOT_PREFIX + re.sub(r"[^a-z0-9_]", "_", run_id.lower())


def publish(
    target: Target,
    *,
    run_id: str,
    gate: Gate,
    lock_timeout: float = 60.0,
    progress: Progress | None = None,
    relations: tuple[Publishable, ...] | None = None,
) -> PublishResult:
    """Copy the publishable relations (default: ``published_relations()``) into a snapshot, run ``gate`` on it,
    and swap it in only when it passes."""
    clock = time.perf_counter()
    relations = published_relations() if relations is None else relations
    say = progress or (lambda _m: None)
    faultpoints.reached("publish.before_copy")
    con = open_writer(target, lock_timeout)
    try:
        ensure_package_tables(con)
        current = last_publish(con)
        keep = {current["snapshot_schema"]} if current else set()
        recovered = _drop_snapshots(con, keep=keep)
        if recovered:
            say(f"recovered: dropped {', '.join(recovered)} left by an interrupted run")
        present, not_built = _present(con, target, relations, current)
        snapshot = snapshot_schema_for(run_id)
        if snapshot in keep:
            raise PublishError(f"run {run_id} is already published (snapshot {snapshot}): use a new run id")
        say(f"copying {len(present)} relations into {snapshot}")
        copied = _copy(con, target, present, snapshot)
    finally:
        con.close()  # the gate opens its own connections (DuckDB: one process cannot mix read-only and read-write)

    faultpoints.reached("publish.before_gate")
    say(f"checking the snapshot {snapshot}")
    try:
        report = gate(snapshot)
        if not report.passed:  # a gate returns only when it passed; never swap in a failed snapshot regardless
            raise PublishError(f"the quality run {report.run_id} failed on {snapshot}: nothing was published")
    except BaseException:
        with contextlib.suppress(Exception):  # the gate's error is the one to report; recovery drops a leftover
            _discard(target, snapshot, lock_timeout)
        raise

    con = open_writer(target, lock_timeout)
    try:
        faultpoints.reached("publish.before_swap")
        say(f"swapping schema {PUBLISHED_SCHEMA} to {snapshot} in one transaction")
        raw_counts = _raw_counts(con)
        _swap(con, run_id, snapshot, present, copied, raw_counts, report.as_of, report.run_id, lock_timeout)
        faultpoints.reached("publish.after_swap")
        dropped = _drop_snapshots(con, keep={snapshot})
    finally:
        con.close()
    return PublishResult(
        run_id=run_id,
        target=str(target.path or target.name),
        snapshot_schema=snapshot,
        relations=copied,
        not_built=tuple(not_built),
        previous_run_id=current["run_id"] if current else None,
        recovered=tuple(recovered),
        dropped=tuple(dropped),
        seconds=round(time.perf_counter() - clock, 2),
        quality_run_id=report.run_id,
    )


def _discard(target: Target, snapshot: str, lock_timeout: float) -> None:
    """Drop the snapshot the gate refused (a kill before this leaves it to the next publish's recovery)."""
    con = open_writer(target, lock_timeout)
    try:
        _drop_schema(con, snapshot)
    finally:
        con.close()


def _key(p: Publishable) -> str:
    return f"{p.layer}.{p.name}"


def _source_schema(target: Target, p: Publishable) -> str:
    return target.schema if p.layer == "mart" else PACKAGE_SCHEMA


def _present(
    con: Connection, target: Target, relations: tuple[Publishable, ...], current: dict | None
) -> tuple[dict[str, Publishable], list[str]]:
    present: dict[str, Publishable] = {}
    not_built: list[str] = []
    missing_required = []
    off = switched_off_domains(con, target.schema)
    for p in relations:
        if p.domain in off:
            not_built.append(p.name)  # its domain is switched off: not published, and gone if it was
        elif con.relation_exists(_source_schema(target, p), p.name):
            present[p.name] = p
        elif p.required:
            missing_required.append(p.name)
        else:
            not_built.append(p.name)
    previously = set((current or {}).get("relations", {}))
    vanished = sorted(previously - set(present) - {p.name for p in relations if p.domain in off})
    problems = []
    if missing_required:
        problems.append(f"required relation(s) missing: {', '.join(missing_required)} (run `flowmetrics build`)")
    if vanished:
        problems.append(
            f"relation(s) published by run {current['run_id']} no longer exist: {', '.join(vanished)}"  # type: ignore[index]
        )
    if problems:
        raise PublishError("nothing was published: " + "; ".join(problems))
    return present, not_built


def _copy(con: Connection, target: Target, present: dict[str, Publishable], snapshot: str) -> dict[str, int]:
    con.execute("begin transaction")
    try:
        con.execute(f"create schema {con.qualify(snapshot)}")
        for name, p in present.items():
            con.execute(
                f"create table {con.qualify(snapshot, name)} as "
                f"select * from {con.qualify(_source_schema(target, p), name)}"
            )
            faultpoints.reached("publish.copying")
        counts = {
            name: int(con.query_df(f"select count(*) as n from {con.qualify(snapshot, name)}")["n"].iloc[0])
            for name in present
        }
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def _raw_counts(con: Connection) -> dict[str, int]:
    out = {}
    for name, table in TABLES.items():
        if table.load_mode is LoadMode.REPLACE:
            continue  # configuration (status_map): a shorter new map is not lost data
        if con.relation_exists(RAW_SCHEMA, name):
            n = con.query_df(f"select count(*) as n from {con.qualify(RAW_SCHEMA, name)}")["n"].iloc[0]
            out[f"raw.{name}"] = int(n)
    return out


def _swap(
    con: Connection,
    run_id: str,
    snapshot: str,
    present: dict[str, Publishable],
    copied: dict[str, int],
    raw_counts: dict[str, int],
    as_of: str | None,
    quality_run_id: str | None,
    lock_timeout: float,
) -> None:
    published_at = datetime.now(UTC).replace(tzinfo=None)
    daily = daily_event_counts(con)
    existing = con.query_df(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'VIEW'",
        [PUBLISHED_SCHEMA],
    )["table_name"].tolist()
    run = literal(run_id)
    _begin_with_view_locks(con, [con.qualify(PUBLISHED_SCHEMA, v) for v in existing], lock_timeout)
    try:
        con.execute(f"create schema if not exists {con.qualify(PUBLISHED_SCHEMA)}")
        for name in [*existing, INFO_VIEW]:
            con.execute(f"drop view if exists {con.qualify(PUBLISHED_SCHEMA, name)}")
        for name in present:
            # the view body names schema.relation without the catalog, so a reader may ATTACH the file by any alias
            con.execute(
                f"create view {con.qualify(PUBLISHED_SCHEMA, name)} as "
                f"select *, {run} as {RUN_ID_COLUMN} from {ident(snapshot)}.{ident(name)}"
            )
        as_of_sql = f"cast({literal(as_of)} as timestamp)" if as_of else "cast(null as timestamp)"
        con.execute(
            f"create view {con.qualify(PUBLISHED_SCHEMA, INFO_VIEW)} as select {run} as {RUN_ID_COLUMN}, "
            f"cast({literal(published_at.isoformat(sep=' '))} as timestamp) as published_at, "
            f"{as_of_sql} as as_of, {literal(snapshot)} as snapshot_schema, "
            f"{literal(', '.join(present))} as relations"
        )
        insert_rows(
            con,
            "publish_runs",
            PUBLISH_RUNS_COLUMNS,
            [(run_id, published_at, as_of, snapshot, json.dumps(copied), quality_run_id)],
        )
        counts = {**raw_counts, **{_key(p): copied[n] for n, p in present.items()}}
        insert_rows(con, "published_counts", PUBLISHED_COUNTS_COLUMNS, [(run_id, k, v) for k, v in counts.items()])
        insert_rows(
            con,
            "published_daily_counts",
            PUBLISHED_DAILY_COLUMNS,
            [
                (run_id, relation, day, int(n))
                for relation, day, n in zip(daily["relation"], daily["day"], daily["n"], strict=True)
            ],
        )
        faultpoints.reached("publish.in_swap")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _begin_with_view_locks(con: Connection, views: list[str], lock_timeout: float) -> None:
    """Begin the swap transaction. On Postgres, first take every published view's lock at once, without waiting
    (NOWAIT): a swap that waited for one view while holding another would deadlock with a reader that holds the
    one and wants the other. When a reader is busy, let go of everything, pause, try again. DuckDB has no
    relation locks (its catalog is versioned in-process; across processes the file lock already excludes readers).
    """
    con.execute("begin transaction")
    if con.target.is_duckdb or not views:
        return
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            con.execute(f"lock table {', '.join(views)} in access exclusive mode nowait")
            return
        except Exception as exc:  # psycopg2's LockNotAvailable: a reader holds a view right now
            con.execute("rollback")
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise PublishError(
                    f"could not swap schema {PUBLISHED_SCHEMA}: readers kept its views busy for {lock_timeout:g}s "
                    f"({exc}); nothing was published"
                ) from exc
            time.sleep(0.05)
            con.execute("begin transaction")


def _drop_snapshots(con: Connection, keep: set[str]) -> list[str]:
    """Drop every snapshot schema except those in ``keep``; returns what was dropped."""
    schemas = con.query_df(
        "select schema_name from information_schema.schemata where schema_name like ?",
        [SNAPSHOT_PREFIX + "%"],
    )["schema_name"].tolist()
    dropped = []
    for schema in sorted(set(schemas)):
        if schema in keep or not schema.startswith(SNAPSHOT_PREFIX):
            continue
        _drop_schema(con, schema)
        dropped.append(schema)
    return dropped


def _drop_schema(con: Connection, schema: str) -> None:
    # unqualified: DuckDB 2.0 refuses catalog.schema in DROP SCHEMA when a schema is named like the catalog
    con.execute(f"drop schema if exists {ident(schema)} cascade")

