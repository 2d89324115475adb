"""The one quoting of names and values in the SQL the package builds: schema, table and column names, file paths
and run ids come from users and stay data, never SQL."""

from __future__ import annotations

from pathlib import Path


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | Path) -> str:
    """A single-quoted SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def qualified(schema: str, table: str) -> str:
    """schema.table, each part quoted."""
    return f"{ident(schema)}.{ident(table)}"
