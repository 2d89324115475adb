"""The flowmetrics command line: arguments in, library calls, output out (text or --json), exit codes.

Exit codes: 0 ok, 1 the data failed a check or a step failed on it, 2 usage or configuration error.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from flowmetrics.errors import FlowmetricsError

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON document.")
WAREHOUSE_OPTION = click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB file (default: env FLOWMETRICS_DUCKDB, else flowmetrics.duckdb).",
)


def _emit(payload: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
    else:
        click.echo(text)


def _progress(as_json: bool):
    """A progress callback for long steps: on a terminal only, never in --json mode or when piped."""
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: click.echo(f"  … {message}", err=True)


def _warehouse_path(warehouse: Path | None) -> Path:
    from flowmetrics.warehouse.project import DEFAULT_DUCKDB, DUCKDB_ENV

    return Path(warehouse or os.environ.get(DUCKDB_ENV) or DEFAULT_DUCKDB)


class FlowmetricsGroup(click.Group):
    """Turns FlowmetricsError into a one-paragraph message and its exit code, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlowmetricsError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=FlowmetricsGroup)
@click.version_option(package_name="flowmetrics")
def main() -> None:
    """Where is the real constraint, and what fraction of started work finishes."""


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--items", type=click.IntRange(min=1), default=1500, show_default=True, help="Tickets to simulate.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@JSON_OPTION
def generate(out_dir: Path, items: int, seed: int, fmt: str, as_json: bool) -> None:
    """Write every raw table of a simulated delivery system to OUT (deterministic for a seed)."""
    from flowmetrics.ingest import write_raw_tables
    from flowmetrics.results import GenerateSummary
    from flowmetrics.simulation import generate_raw_tables

    started = time.perf_counter()
    frames = generate_raw_tables(items=items, seed=seed)
    rows = write_raw_tables(frames, out_dir, fmt=fmt)
    summary = GenerateSummary(str(out_dir), seed, items, rows, round(time.perf_counter() - started, 2))
    lines = [f"wrote {sum(rows.values()):,} rows to {out_dir} ({summary.seconds}s):"]
    lines += [f"  {name:<24}{n:>12,}" for name, n in rows.items()]
    _emit(summary.to_dict(), as_json, "\n".join(lines))


@main.command()
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=Path))
@WAREHOUSE_OPTION
@JSON_OPTION
def ingest(source_dir: Path, warehouse: Path | None, as_json: bool) -> None:
    """Check the raw files in SOURCE_DIR against the contract and load them into schema raw."""
    from flowmetrics.ingest import ingest_directory

    summary = ingest_directory(source_dir, _warehouse_path(warehouse), progress=_progress(as_json))
    lines = [f"ingested {source_dir} into {summary.warehouse} ({summary.seconds:.1f}s)"]
    lines.append(f"  {'table':<24}{'read':>12}{'inserted':>12}{'updated':>10}{'unchanged':>12}{'quarantined':>13}")
    for t in summary.tables:
        if t.source_file is None:
            lines.append(f"  {t.table:<24}{'(no file: left as it was)':>59}")
            continue
        lines.append(
            f"  {t.table:<24}{t.rows_read:>12,}{t.rows_inserted:>12,}{t.rows_updated:>10,}"
            f"{t.rows_unchanged:>12,}{t.rows_quarantined:>13,}"
        )
        for reason, n in sorted(t.quarantine_reasons.items()):
            lines.append(f"      quarantined {n:,}: {reason}")
    if summary.rows_quarantined:
        lines.append(f"{summary.rows_quarantined:,} row(s) quarantined: see raw.quarantine (table, row, reason)")
    _emit(summary.to_dict(), as_json, "\n".join(lines))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@WAREHOUSE_OPTION
@click.option("--target", default=None, help="dbt target of the profile (default: the profile's default).")
@click.option("--as-of", "as_of", default=None, help="As-of time (ISO-8601, UTC); default: the latest event.")
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def build(warehouse: Path | None, target: str | None, as_of: str | None, dbt_args: tuple[str, ...]) -> None:
    """Run `dbt build` of this project (extra arguments after -- go to dbt, e.g. -- --full-refresh)."""
    from flowmetrics.warehouse.dbt_runner import run_dbt_build

    result = run_dbt_build(
        warehouse=None if target and target != "duckdb" and warehouse is None else _warehouse_path(warehouse),
        target=target,
        as_of=as_of,
        extra_args=dbt_args,
    )
    if result.note:
        click.echo(result.note)
    click.echo(f"dbt build finished in {result.seconds:.1f}s")


@main.command("next-steps")
@WAREHOUSE_OPTION
def next_steps(warehouse: Path | None) -> None:
    """Print what to look at after `make demo`."""
    from flowmetrics.warehouse.marts import describe_marts

    path = _warehouse_path(warehouse)
    click.echo(describe_marts(path))


if __name__ == "__main__":  # pragma: no cover
    main()
