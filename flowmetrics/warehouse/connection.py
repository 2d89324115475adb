"""One connection interface over the warehouses the package reads and writes: a DuckDB file or a dbt target."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import pandas as pd

from flowmetrics.errors import ConfigError, WarehouseError
from flowmetrics.warehouse.profile import Target
from flowmetrics.warehouse.sql import ident


class Connection(Protocol):
    target: Target

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame: ...

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    def relation_exists(self, schema: str, name: str) -> bool: ...

    def iter_df(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]: ...

    def qualify(self, schema: str, name: str | None = None) -> str: ...

    def close(self) -> None: ...


class DuckDBConnection:
    """A DuckDB file (read-only for readers: many may read while nobody writes)."""

    def __init__(self, target: Target, read_only: bool = True):
        from flowmetrics.warehouse.duckdb_file import connect

        if target.path is None:
            raise ConfigError(f"DuckDB target {target.name!r} has no path")
        self.target = target
        self._con = connect(target.path, read_only=read_only)
        row = self._con.execute("select current_database()").fetchone()
        self.catalog = str(row[0]) if row else ""

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self._con.execute(sql, list(params) if params else None).df()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._con.execute(sql, list(params) if params else None)

    def qualify(self, schema: str, name: str | None = None) -> str:
        """catalog.schema[.name]: a file named like a schema (flowmetrics.duckdb) makes 2-part names ambiguous."""
        parts = [self.catalog, schema] + ([name] if name else [])
        return ".".join(ident(p) for p in parts)

    def iter_df(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The rows of a query as data frames of at most ``chunk_rows`` rows (one empty frame for no rows)."""
        cursor = self._con.cursor()  # its own cursor: other queries may run between the chunks
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            reader = cursor.sql(sql).to_arrow_reader(chunk_rows)
            empty = True
            for batch in reader:
                if batch.num_rows:
                    empty = False
                    yield batch.to_pandas()
            if empty:
                yield reader.schema.empty_table().to_pandas()
        finally:
            cursor.close()

    def relation_exists(self, schema: str, name: str) -> bool:
        row = self._con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()
        return bool(row and row[0])

    @property
    def raw(self) -> Any:
        """The underlying duckdb connection, for bulk writes (register a data frame, transactions)."""
        return self._con

    def close(self) -> None:
        self._con.close()


class PostgresConnection:
    """A Postgres target of the dbt profile (psycopg2, installed with dbt-postgres)."""

    def __init__(self, target: Target, read_only: bool = True):
        try:
            import psycopg2
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError("the postgres target needs dbt-postgres: pip install '.[postgres]'") from exc
        s = target.settings
        self.target = target
        try:
            self._con = psycopg2.connect(
                host=s.get("host"),
                port=int(s.get("port", 5432)),
                user=s.get("user"),
                password=s.get("password") or s.get("pass"),
                dbname=s.get("dbname") or s.get("database"),
            )
        except psycopg2.Error as exc:
            raise WarehouseError(f"cannot connect to postgres target {target.name!r}: {exc}".strip()) from exc
        self._con.set_session(readonly=read_only, autocommit=True)

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with self._con.cursor() as cur:
            cur.execute(_pg_sql(sql, params), list(params) if params else None)
            columns = [d[0] for d in cur.description or []]
            return pd.DataFrame(cur.fetchall(), columns=columns)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._con.cursor() as cur:
            cur.execute(_pg_sql(sql, params), list(params) if params else None)

    def qualify(self, schema: str, name: str | None = None) -> str:
        return ".".join(ident(p) for p in [schema] + ([name] if name else []))

    def iter_df(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The rows of a query in data frames of at most ``chunk_rows`` rows, through a server-side cursor."""
        self._con.set_session(autocommit=False)
        try:
            with self._con.cursor(name="flowmetrics_chunks") as cur:
                cur.itersize = chunk_rows
                cur.execute(sql)
                columns: list[str] | None = None
                yielded = False
                while True:
                    rows = cur.fetchmany(chunk_rows)
                    if columns is None:
                        columns = [d[0] for d in cur.description or []]
                    if not rows:
                        break
                    yielded = True
                    yield pd.DataFrame(rows, columns=columns)
                if not yielded:
                    yield pd.DataFrame(columns=columns or [])
        finally:
            self._con.rollback()
            self._con.set_session(autocommit=True)

    def relation_exists(self, schema: str, name: str) -> bool:
        df = self.query_df(
            "select count(*) as n from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        )
        return bool(df["n"].iloc[0])

    @property
    def raw(self) -> Any:
        return self._con

    def close(self) -> None:
        self._con.close()


def _pg_sql(sql: str, params: Sequence[Any] | None) -> str:
    """The package's ?-placeholders as psycopg2's %s (a literal % is doubled when parameters are bound)."""
    if not params:
        return sql
    return sql.replace("%", "%%").replace("?", "%s")


def open_connection(target: Target, read_only: bool = True) -> Connection:
    """A connection to the target; DuckDB files open read-only unless asked (dbt may be the writer)."""
    if target.is_duckdb:
        return DuckDBConnection(target, read_only=read_only)
    if target.type == "postgres":
        return PostgresConnection(target, read_only=read_only)
    raise ConfigError(
        f"flowmetrics reads DuckDB and Postgres targets directly; target {target.name!r} is {target.type!r}. "
        "Run the package against a DuckDB or Postgres copy of the marts, or read them with your BI tool."
    )
