"""`flowmetrics ingest`: check a directory of raw files against the contract and load it into schema raw.

One run is one transaction: every file's header or schema is checked before the warehouse is opened, every
file is staged and type-checked before anything is written, and any error rolls back raw and quarantine.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flowmetrics.contract import TABLES, LoadMode
from flowmetrics.errors import ConfigError, RawContractError
from flowmetrics.ingest import quarantine, replacements
from flowmetrics.ingest.files import discover
from flowmetrics.ingest.load import LoadCounts, LoadStamp, flag_duplicates, merge
from flowmetrics.ingest.raw_tables import INGEST_RUNS, INGEST_RUNS_COLUMNS, ensure_raw_tables
from flowmetrics.ingest.schema_check import FileLayout, check_file, type_problems
from flowmetrics.ingest.stage import Staged, StageNames, create_staged_rows, drop, quarantine_selects, stage
from flowmetrics.ingest.writing import open_waiting, remove_created, write_error
from flowmetrics.results import IngestSummary, TableIngest
from flowmetrics.warehouse.runs import new_run_id
from flowmetrics.warehouse.sql import ident, literal

Progress = Callable[[str], None]
MEMORY_LIMIT_ENV = "FLOWMETRICS_INGEST_MEMORY_LIMIT"
THREADS_ENV = "FLOWMETRICS_INGEST_THREADS"


def ingest_directory(
    source_dir: Path,
    warehouse: Path,
    *,
    progress: Progress | None = None,
    run_id: str | None = None,
    hold_replacements: bool = False,
    lock_timeout: float = 0.0,
) -> IngestSummary:
    """Load the raw files in ``source_dir`` into schema raw of the DuckDB file ``warehouse``.

    Raises RawContractError (listing every problem, nothing changed) when a file breaks the contract at file
    level; rows that break it go to raw.quarantine. ``run_id`` lets a caller (the nightly run) name the run.
    ``hold_replacements`` (the nightly) keeps what a replace-mode table held until check-raw decides (see
    flowmetrics.ingest.replacements). Waits up to ``lock_timeout`` seconds while another process holds the file
    (the CLI's --lock-timeout; 0 fails at once).
    """
    clock = time.perf_counter()
    say: Progress = progress or (lambda _message: None)
    source_dir, warehouse = Path(source_dir), Path(warehouse)
    if not source_dir.is_dir():
        raise ConfigError(f"raw directory {source_dir} does not exist or is not a directory")

    layouts = _check_files(source_dir, say)
    started_at = datetime.now(UTC).replace(tzinfo=None)
    run_id = run_id or new_run_id(started_at)
    existed = warehouse.exists()
    options = _resources(warehouse)
    con = open_waiting(warehouse, lock_timeout, existed=existed, who=f"ingest into {warehouse}")
    try:
        _apply(con, options)
        con.execute("BEGIN TRANSACTION")
        ensure_raw_tables(con)
        if con.execute(f"SELECT 1 FROM {INGEST_RUNS} WHERE ingest_run_id = ? LIMIT 1", [run_id]).fetchone():
            raise ConfigError(
                f"ingest run id {run_id!r} is already in raw.ingest_runs: give each run its own id"
            )
        staged, table_started = _stage_all(con, layouts, say)
        problems = [p for s in staged.values() for p in type_problems(con, ident(s.names.rows), s.layout)]
        if problems:
            raise RawContractError(problems)
        results = []
        for name in TABLES:
            if name in staged:
                result = _load_table(
                    con, staged[name], run_id, started_at, table_started[name], say, hold_replacements
                )
            else:
                say(f"{name}: no file, raw.{name} left as it was")
                result = TableIngest(name, None)
                _record(con, run_id, result, LoadCounts(), started_at, started_at)
            results.append(result)
        con.execute("COMMIT")
    except BaseException as exc:
        _abandon(con, warehouse, existed)
        error = write_error(exc, warehouse, f"ingest into {warehouse}", "failed and was rolled back, nothing changed")
        if error is not None:
            raise error from exc
        raise
    with contextlib.suppress(duckdb.Error, OSError):  # committed: a failure to close changes nothing
        con.close()
    seconds = round(time.perf_counter() - clock, 3)
    return IngestSummary(str(warehouse), str(source_dir), tuple(results), seconds)


def _check_files(source_dir: Path, say: Progress) -> dict[str, FileLayout]:
    """Every file's header or schema, before the warehouse is opened; every problem is collected."""
    found = discover(source_dir)
    for name in found.unrecognized:
        say(f"ignored {name}: its name matches no contract table")
    problems = list(found.problems)
    layouts: dict[str, FileLayout] = {}
    with _scratch() as mem:
        for name, raw_file in found.files.items():
            layout, file_problems = check_file(raw_file, TABLES[name], mem)
            problems += file_problems
            if layout is not None:
                layouts[name] = layout
        if problems:
            # The files whose headers are fine still get their type check, so one error lists everything.
            for layout in layouts.values():
                names = StageNames.of(layout.table.name)
                create_staged_rows(mem, layout, names)
                problems += type_problems(mem, ident(names.rows), layout)
            raise RawContractError(problems)
    for layout in layouts.values():
        if layout.ignored_columns:
            say(
                f"{layout.raw_file.name}: ignored columns not in the contract: "
                f"{', '.join(layout.ignored_columns)}"
            )
    return layouts


def _scratch() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _stage_all(
    con: duckdb.DuckDBPyConnection, layouts: dict[str, FileLayout], say: Progress
) -> tuple[dict[str, Staged], dict[str, datetime]]:
    staged: dict[str, Staged] = {}
    started: dict[str, datetime] = {}
    for name, layout in layouts.items():
        started[name] = datetime.now(UTC).replace(tzinfo=None)
        size = layout.raw_file.path.stat().st_size
        say(f"{name}: reading {layout.raw_file.name} ({size / 2**20:,.1f} MB)")
        staged[name] = stage(con, layout)
        s = staged[name]
        n = s.unreadable_lines
        unreadable = f" ({n:,} unreadable line{'s' if n > 1 else ''})" if n else ""
        say(f"{name}: {s.rows_read:,} rows read from {layout.raw_file.name}{unreadable}")
    return staged, started


def _load_table(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    run_id: str,
    ingested_at: datetime,
    started: datetime,
    say: Progress,
    hold_replacements: bool,
) -> TableIngest:
    layout = staged.layout
    name = layout.table.name
    source_file = str(layout.raw_file.path.resolve())
    replace = layout.table.load_mode is LoadMode.REPLACE
    if replace:
        replacements.keep_previous(con, name)
    flag_duplicates(con, staged)
    counts = merge(con, staged, LoadStamp(run_id, ingested_at))
    if replace:
        changed = bool(counts.inserted or counts.updated or counts.deleted)
        replacements.record(con, name, run_id, ingested_at, changed=changed, hold=hold_replacements)
    ctx = quarantine.RunContext(run_id, ingested_at, name, source_file)
    for select_sql in quarantine_selects(staged):
        quarantine.insert(con, ctx, select_sql)
    drop(con, staged.names)
    reasons = quarantine.reasons_of_run(con, ctx)
    result = TableIngest(
        table=name,
        source_file=source_file,
        rows_read=staged.rows_read,
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
        rows_quarantined=sum(reasons.values()),
        quarantine_reasons=reasons,
        ignored_columns=layout.ignored_columns,
    )
    _record(con, run_id, result, counts, started, datetime.now(UTC).replace(tzinfo=None))
    deleted = f", {counts.deleted:,} deleted" if counts.deleted else ""
    say(
        f"{name}: {result.rows_inserted:,} inserted, {result.rows_updated:,} updated, "
        f"{result.rows_unchanged:,} unchanged{deleted}, {result.rows_quarantined:,} quarantined"
    )
    return result


def _record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    result: TableIngest,
    counts: LoadCounts,
    started: datetime,
    finished: datetime,
) -> None:
    """One row of raw.ingest_runs for this run and table."""
    values = (
        run_id,
        result.table,
        result.source_file,
        TABLES[result.table].load_mode.value,
        result.rows_read,
        result.rows_inserted,
        result.rows_updated,
        result.rows_unchanged,
        counts.deleted,
        result.rows_quarantined,
        ", ".join(result.ignored_columns) or None,
        started,
        finished,
    )
    columns = ", ".join(ident(c) for c, _ in INGEST_RUNS_COLUMNS)
    placeholders = ", ".join("?" for _ in INGEST_RUNS_COLUMNS)
    con.execute(f"INSERT INTO {INGEST_RUNS} ({columns}) VALUES ({placeholders})", list(values))


def _apply(con: duckdb.DuckDBPyConnection, options: dict[str, str | int | Path]) -> None:
    for name, value in options.items():
        con.execute(f"SET {name} = {value if isinstance(value, int) else literal(value)}")


def _abandon(con: duckdb.DuckDBPyConnection, warehouse: Path, existed: bool) -> None:
    """Roll back, close, and remove the warehouse file when this run created it. Never raises: the error that
    made the run fail is the one to report (on a full disk the rollback and the close may fail too)."""
    with contextlib.suppress(duckdb.Error, OSError):  # the failing statement may have aborted it already
        con.execute("ROLLBACK")
    with contextlib.suppress(duckdb.Error, OSError):
        con.close()
    if not existed:
        remove_created(warehouse)


def _resources(warehouse: Path) -> dict[str, str | int | Path]:
    """DuckDB limits for ingest: a memory limit (spilling to a temp directory beyond it) and threads.

    Defaults: a quarter of the machine's memory, 1 to 4 GB (10M status changes need about 2 GB unspilled, and
    ingest shares the machine with dbt); every core. Override with
    FLOWMETRICS_INGEST_MEMORY_LIMIT (e.g. "2GB") and FLOWMETRICS_INGEST_THREADS.
    """
    limit = os.environ.get(MEMORY_LIMIT_ENV)
    if not limit:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError):
            total = 8 * 2**30
        limit = f"{max(1, min(4, total // 2**32))}GB"
    options: dict[str, str | int | Path] = {
        "memory_limit": limit,
        "temp_directory": warehouse.with_name(warehouse.name + ".tmp"),
    }
    threads = os.environ.get(THREADS_ENV)
    if threads:
        try:
            options["threads"] = int(threads)
        except ValueError:
            raise ConfigError(f"{THREADS_ENV} must be a whole number, got {threads!r}") from None
    return options
