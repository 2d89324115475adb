"""The one error hierarchy of flowmetrics.

Every error the package raises on purpose is a FlowmetricsError; its ``exit_code`` is what the CLI returns
(1: the data failed a check or a step failed on it, 2: usage or configuration error). Messages name the file,
table, column and row count involved.
"""

from __future__ import annotations


class FlowmetricsError(Exception):
    """Base class of every error flowmetrics raises on purpose."""

    exit_code: int = 2


class ConfigError(FlowmetricsError):
    """A usage or configuration problem: a missing path, an unknown target, a bad option value."""

    exit_code = 2


class RawContractError(FlowmetricsError):
    """Raw input breaks the contract at file level (missing file or column, wrong type). Nothing was loaded.

    ``problems`` holds every problem found, not just the first.
    """

    exit_code = 1

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the raw input breaks the contract; nothing was loaded:\n{lines}")


class WarehouseError(FlowmetricsError):
    """The warehouse could not be opened, read or written."""

    exit_code = 2


class WarehouseWriteError(WarehouseError):
    """Writing the warehouse failed for a reason outside the data and the configuration (its disk is full, or
    another process held it past the lock timeout); nothing was changed and the same run can succeed later."""

    exit_code = 1


class WarehouseBusyError(FlowmetricsError):
    """Another writing command held the warehouse's lock for longer than --lock-timeout; nothing was changed."""

    exit_code = 1


class MartNotFoundError(WarehouseError):
    """A mart the package reads does not exist: run `flowmetrics build` (dbt build) first."""

    exit_code = 2


class DbtRunError(FlowmetricsError):
    """`dbt build` (or another dbt command) failed."""

    exit_code = 1


class DataQualityError(FlowmetricsError):
    """One or more error-severity data quality checks failed; carries every failed check."""

    exit_code = 1

    def __init__(self, failures: list[str], report: object | None = None):
        self.failures = list(failures)
        self.report = report  # the QualityReport with every result, when the gate produced one
        lines = "\n".join(f"  - {f}" for f in self.failures)
        super().__init__(f"{len(self.failures)} data quality check(s) failed:\n{lines}")


class AnalysisError(FlowmetricsError):
    """The analysis cannot run on the data given (e.g. no stage visits at all)."""

    exit_code = 1


class PublishError(FlowmetricsError):
    """Publishing refused or failed; schema published was left as it was."""

    exit_code = 1


class ExtractError(FlowmetricsError):
    """Pulling from a tracker's API failed (the server kept failing, answered something unexpected, or could not be
    reached); the output directory was left as it was. ``status`` is the HTTP status when the server answered."""

    exit_code = 1

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)


class ExtractCredentialsError(ExtractError):
    """The tracker's credentials are missing or were refused (401/403); the message names the variable to set."""

    exit_code = 2
