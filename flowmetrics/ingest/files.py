"""Find the raw files in a directory: one `<table>.csv`, `.csv.gz` or `.parquet` per contract table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flowmetrics.contract import FILE_SUFFIXES, REQUIRED_TABLES, TABLES

LOADS_ALONE: tuple[str, ...] = ("status_map",)
"""Tables a directory may hold without the required ones: a status map edited after `flowmetrics statuses --write`
loads by itself, every other raw table left as it was."""


@dataclass(frozen=True)
class RawFile:
    """One raw file and the contract table it holds."""

    table: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fmt(self) -> str:
        """'parquet' or 'csv' (a .csv.gz file is a CSV that DuckDB decompresses while reading)."""
        return "parquet" if self.path.name.endswith(".parquet") else "csv"


@dataclass(frozen=True)
class Discovery:
    """The raw files found, the file-level problems of the directory, and data files that match no table."""

    files: dict[str, RawFile]
    problems: tuple[str, ...]
    unrecognized: tuple[str, ...]


def discover(source_dir: Path) -> Discovery:
    """Match the directory's files to contract tables; a missing required table or two files for one table
    is a problem (so is a directory where a file should be), unless the directory holds only LOADS_ALONE tables."""
    by_table: dict[str, list[Path]] = {}
    unrecognized: list[str] = []
    for path in sorted(source_dir.iterdir()):
        table = table_of(path.name)
        if table is None:
            if not path.name.startswith(".") and any(path.name.endswith(s) for s in FILE_SUFFIXES):
                unrecognized.append(path.name)
            continue
        by_table.setdefault(table, []).append(path)

    problems: list[str] = []
    files: dict[str, RawFile] = {}
    for table, paths in by_table.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            problems.append(f"{table}: found {len(paths)} files for one table ({names}): keep exactly one")
        elif not paths[0].is_file():
            problems.append(f"{paths[0].name}: is not a regular file")
        else:
            files[table] = RawFile(table, paths[0])
    alone = bool(by_table) and set(by_table) <= set(LOADS_ALONE)
    for table in REQUIRED_TABLES:
        if table not in by_table and not alone:
            hint = (
                f"; data files that match no contract table: {', '.join(unrecognized)}"
                if unrecognized
                else ""
            )
            problems.append(
                f"{table}: required file missing in {source_dir}: expected {table}.csv, {table}.csv.gz "
                f"or {table}.parquet{hint}"
            )
    ordered = {name: files[name] for name in TABLES if name in files}
    return Discovery(ordered, tuple(problems), tuple(unrecognized))


def table_of(file_name: str) -> str | None:
    """The contract table a file name stands for, or None."""
    for suffix in FILE_SUFFIXES:
        if file_name.endswith(suffix) and file_name[: -len(suffix)] in TABLES:
            return file_name[: -len(suffix)]
    return None
