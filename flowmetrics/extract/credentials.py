"""Tracker credentials from environment variables: which ones a tracker reads, and a clear error when none is set.

A credential is read from the environment only, never from an option (it would land in the shell history)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from flowmetrics.errors import ExtractCredentialsError


def read_env(names: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The values of every variable of ``names`` when all are set (non-empty), else None."""
    source = os.environ if env is None else env
    values = {name: source.get(name, "").strip() for name in names}
    return values if all(values.values()) else None


def first_credentials(
    tracker: str, choices: Sequence[Sequence[str]], env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The first set of ``choices`` whose variables are all set; an ExtractCredentialsError (exit 2) naming every
    choice when none is. E.g. choices (("JIRA_EMAIL", "JIRA_API_TOKEN"), ("JIRA_PAT",))."""
    for names in choices:
        values = read_env(names, env)
        if values is not None:
            return values
    options = " or ".join(" and ".join(names) for names in choices)
    raise ExtractCredentialsError(f"no {tracker} credentials: set {options} in the environment")
