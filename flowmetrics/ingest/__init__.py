"""flowmetrics.ingest: read raw files, check them against the contract, quarantine bad rows, load raw."""

from flowmetrics.ingest.pipeline import ingest_directory
from flowmetrics.ingest.writer import write_raw_tables

__all__ = ["ingest_directory", "write_raw_tables"]
