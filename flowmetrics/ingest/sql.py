"""Quoting helpers for the SQL that ingest builds (file paths and column names come from users)."""

from __future__ import annotations

from pathlib import Path


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | Path) -> str:
    """A single-quoted SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"
