"""The one reader of marts: a registry of the relations the package reads, read with explicit columns."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from textwrap import shorten
from types import MappingProxyType

import pandas as pd

from flowmetrics.errors import MartNotFoundError
from flowmetrics.warehouse.connection import Connection, open_connection
from flowmetrics.warehouse.dbt_yaml import public_models
from flowmetrics.warehouse.profile import Target, resolve_target
from flowmetrics.warehouse.project import PROJECT_DIR


@lru_cache(maxsize=8)
def public_marts(project_dir: Path = PROJECT_DIR) -> Mapping[str, str]:
    """Every mart the package reads, with its grain: the models whose dbt YAML says ``access: public``, in name
    order (read once per process). The package reads no other relation of dbt's schema."""
    return MappingProxyType({m.name: m.grain for m in public_models(project_dir)})


class MartReader:
    """Reads public marts from the schema dbt built them in."""

    def __init__(self, connection: Connection, schema: str | None = None):
        self.connection = connection
        self.schema = schema or connection.target.schema

    @classmethod
    def open(cls, target: Target | None = None, warehouse: Path | None = None, schema: str | None = None) -> MartReader:
        """A read-only reader of the resolved `target` (in `schema`, default its own); a bare DuckDB file when
        only `warehouse` is given."""
        resolved = target if target is not None else resolve_target(None, warehouse)
        return cls(open_connection(resolved, read_only=True), schema)

    def __enter__(self) -> MartReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()

    def relation(self, mart: str) -> str:
        marts = public_marts()
        if mart not in marts:
            raise KeyError(
                f"{mart!r} is not a registered mart (a model the dbt YAML declares access: public); "
                f"known: {', '.join(marts)}"
            )
        return self.connection.qualify(self.schema, mart)

    def exists(self, mart: str) -> bool:
        return self.connection.relation_exists(self.schema, mart)

    def read(self, mart: str, columns: Sequence[str], where: str | None = None) -> pd.DataFrame:
        """Rows of a mart with the given columns (explicit: a mart change breaks loudly, not silently)."""
        relation = self.relation(mart)
        if not self.exists(mart):
            raise MartNotFoundError(
                f"mart {relation} does not exist in {self.connection.target.path or self.connection.target.name}: "
                "run `flowmetrics build` (dbt build) first"
            )
        sql = f"select {', '.join(columns)} from {relation}"
        if where:
            sql += f" where {where}"
        return self.connection.query_df(sql)

    def aggregate(
        self, mart: str, select: Sequence[str], group_by: Sequence[str] = (), where: str | None = None
    ) -> pd.DataFrame:
        """An aggregate over a mart computed in the warehouse (for marts too large to read whole)."""
        relation = self.relation(mart)
        if not self.exists(mart):
            raise MartNotFoundError(f"mart {relation} does not exist: run `flowmetrics build` first")
        sql = f"select {', '.join(select)} from {relation}"
        if where:
            sql += f" where {where}"
        if group_by:
            sql += f" group by {', '.join(group_by)} order by {', '.join(group_by)}"
        return self.connection.query_df(sql)

    def count(self, mart: str) -> int:
        if not self.exists(mart):
            raise MartNotFoundError(f"mart {self.relation(mart)} does not exist: run `flowmetrics build` first")
        return int(self.connection.query_df(f"select count(*) as n from {self.relation(mart)}")["n"].iloc[0])

    def as_of(self) -> datetime | None:
        df = self.read("dim_as_of", ["as_of"])
        if df.empty or pd.isna(df["as_of"].iloc[0]):
            return None
        return pd.Timestamp(df["as_of"].iloc[0]).to_pydatetime()


def describe_marts(warehouse: Path) -> str:
    """A short tour of what a build produced and what to look at next (printed by `make demo`)."""
    with MartReader.open(warehouse=warehouse) as reader:
        as_of = reader.as_of()
        lines = [f"Built {reader.connection.target.path} (as of {as_of:%Y-%m-%d %H:%M} UTC)." if as_of else ""]
        lines.append(f"Marts (schema {reader.schema}):")
        for mart, grain in public_marts().items():
            n = reader.count(mart) if reader.exists(mart) else 0
            lines.append(f"  {mart:<32}{n:>10,} rows  {shorten(grain, 72, placeholder=' …')}")  # full: docs/marts.md
        states = reader.connection.query_df(
            f"select state, count(*) as n from {reader.relation('fct_work_items')} group by state order by state"
        )
        from flowmetrics.warehouse.publish import PUBLISHED_SCHEMA

        published = reader.connection.relation_exists(PUBLISHED_SCHEMA, "fct_work_items")
        schema = PUBLISHED_SCHEMA if published else reader.schema
    lines.append("Work items: " + ", ".join(f"{r.state} {r.n:,}" for r in states.itertuples()))
    lines += ["", "Next:", *(f"  {line}" for line in next_commands(warehouse, schema))]
    return "\n".join(line for line in lines if line is not None)


def next_commands(warehouse: Path, schema: str) -> list[str]:
    """What to run after a build: each line runs as printed in a shell (no duckdb CLI needed; `#` starts its note).

    The queries read ``schema``: the published marts once `flowmetrics publish` ran, else dbt's own schema.
    """
    where = shlex.quote(str(warehouse))
    prefix = f"{schema}."
    return [
        f".venv/bin/flowmetrics detect --warehouse {where}   # the constraint, its evidence; --json for machines",
        f".venv/bin/flowmetrics whatif --warehouse {where} --stage code_review --capacity +30%   # or --arrivals x3",
        f"{_query_command(warehouse, f'select * from {prefix}fct_constraint_queue')}   # who waits in front of it",
        f"{_query_command(warehouse, f'select * from {prefix}fct_work_items limit 10')}   # or any SQL client",
        ".venv/bin/dbt docs generate && .venv/bin/dbt docs serve   # lineage and the definitions of every mart",
    ]


def _query_command(warehouse: Path, sql: str) -> str:
    """A shell command that prints a query's result from the DuckDB file with the project's own Python."""
    code = f"import duckdb; print(duckdb.connect({json.dumps(str(warehouse))}, read_only=True).sql({json.dumps(sql)}))"
    return f".venv/bin/python -c {shlex.quote(code)}"
