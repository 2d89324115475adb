"""Write the raw contract tables an extract pulled into its output directory, all or nothing.

Every table is written in full into a temporary directory beside the output first and moved into place (one atomic
rename per file) only once all of them are written, so a failed or interrupted pull leaves the previous files as they
were. Appending merges with the files already there by the contract's keys: a change id or ticket id pulled again
replaces its row instead of repeating it, so `flowmetrics ingest` of the directory holds each one once."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from flowmetrics.contract import FILE_SUFFIXES, LoadMode, table
from flowmetrics.errors import ConfigError

SUFFIX = ".csv"
"""What an extract writes: CSV, UTF-8, one kind of line ending (the raw contract's file rules)."""


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame], *, append: bool) -> dict[str, int]:
    """Write each contract table of ``tables`` as ``<table>.csv`` in ``out_dir``; with ``append``, merged by the
    table's key with the file already there (the new row wins; a replace-mode table such as status_map is replaced
    whole). Returns the rows per table now in ``out_dir``."""
    for name in tables:
        table(name)  # a KeyError names the contract's tables: a programming error, not the user's
    _check_out_dir(out_dir, tables)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.extract-", dir=out_dir.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write beside --out {out_dir}: {exc.strerror or exc}") from exc
    try:
        rows: dict[str, int] = {}
        for name, frame in tables.items():
            contract = table(name)
            target = out_dir / f"{name}{SUFFIX}"
            frame = frame.drop_duplicates(subset=list(contract.key), keep="last")  # a row pulled twice: the later
            if append and contract.load_mode is not LoadMode.REPLACE and target.exists():
                frame = merge_by_key(read_table(target), frame, contract.key)
            shaped = frame.reindex(columns=list(contract.column_names))
            shaped.to_csv(staging / target.name, index=False, lineterminator="\n", encoding="utf-8")
            rows[name] = len(shaped)
        for name in tables:
            os.replace(staging / f"{name}{SUFFIX}", out_dir / f"{name}{SUFFIX}")
    except OSError as exc:
        raise ConfigError(f"cannot write the extract into {out_dir}: {exc.strerror or exc}; the files already there "
                          "were left as they were") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return rows


def read_table(path: Path) -> pd.DataFrame:
    """A table an earlier extract wrote, every value as text (an empty field is null)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path} to merge the new pull into it: {exc}") from exc


def merge_by_key(existing: pd.DataFrame, new: pd.DataFrame, key: tuple[str, ...]) -> pd.DataFrame:
    """``existing`` with ``new`` appended, a row of ``existing`` whose key ``new`` holds replaced by the new one."""
    if existing.empty:
        return new
    missing = [k for k in key if k not in existing.columns]
    if missing:
        raise ConfigError(f"cannot merge into the existing file: it has no key column {', '.join(missing)}")
    merged = pd.concat([existing.astype(object), new.astype(object)], ignore_index=True)
    return merged.drop_duplicates(subset=list(key), keep="last").reset_index(drop=True)


def _check_out_dir(out_dir: Path, tables: dict[str, pd.DataFrame]) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create --out {out_dir}: {exc.strerror or exc}") from exc
    for name in tables:
        others = [f"{name}{s}" for s in FILE_SUFFIXES if s != SUFFIX and (out_dir / f"{name}{s}").exists()]
        if others:
            raise ConfigError(f"{out_dir} holds {', '.join(others)}: an extract writes {name}{SUFFIX}, and ingest "
                              "reads one file per table; move the other file away")
