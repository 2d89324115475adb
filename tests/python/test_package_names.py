"""flowmetrics installed as a package next to dbt's own macros and the common packages: none of its macro or
generic-test names is one of theirs, so dispatch never answers their calls with ours (dbt searches the root project
first) and a host's unqualified test never resolves to ours. docs/package.md lists the names and the overrides."""

from __future__ import annotations

import re
from pathlib import Path

import dbt.include.duckdb
import dbt.include.global_project
import dbt.include.postgres
import pytest

from flowmetrics.warehouse.project import PROJECT_DIR

DEFINITION = re.compile(r"{%-?\s*(macro|test)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")
# dbt's own macros the project overrides on purpose (docs/package.md): for Postgres and Spark (macros/portability/),
# applying in a host only through its dispatch config; and get_where_subquery (macros/incremental/scoped_tests.sql),
# which scopes an incremental night's row tests in the standalone project and never applies in a host (dbt takes
# it from the root project only), where every test reads its whole model
DELIBERATE_OVERRIDES = {
    "get_empty_schema_sql", "get_table_columns_and_constraints", "load_csv_rows", "get_where_subquery",
}
# Names the common packages define (macro or generic test) that a project like this one is tempted to use
COMMON_PACKAGE_NAMES = {
    "date_spine": "dbt_utils, dbt_date, fivetran_utils",
    "median": "dbt_expectations, fivetran_utils",
    "percentile_cont": "dbt_expectations",
    "iso_week_start": "dbt_date",
    "expression_is_true": "dbt_utils, dbt_expectations",
    "unique_combination_of_columns": "dbt_utils",
    "accepted_range": "dbt_utils",
}


def definitions(*folders: Path) -> dict[str, str]:
    """Every macro and generic test defined under the folders: its name (a test as test_<name>) → its file."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.sql")):
            for kind, name in DEFINITION.findall(path.read_text(encoding="utf-8")):
                found["test_" + name if kind == "test" else name] = str(path)
    return found


def base_name(name: str) -> str:
    """A dispatched implementation's base name (default__x → x); the name itself otherwise."""
    return name.split("__", 1)[1] if re.match(r"^[a-z0-9]+__", name) else name


@pytest.fixture(scope="module")
def ours() -> dict[str, str]:
    return definitions(PROJECT_DIR / "macros", PROJECT_DIR / "tests" / "dbt" / "generic")


def test_no_macro_or_test_name_of_dbts_own(ours: dict[str, str]):
    adapters = (dbt.include.global_project, dbt.include.duckdb, dbt.include.postgres)
    builtins = definitions(*(Path(p) for module in adapters for p in module.__path__))
    assert "date_spine" in builtins and "test_unique" in builtins
    builtin_bases = {base_name(name) for name in builtins}
    clashes = {name: path for name, path in ours.items()
               if base_name(name) in builtin_bases and base_name(name) not in DELIBERATE_OVERRIDES}
    assert not clashes


def test_no_macro_or_test_name_of_the_common_packages(ours: dict[str, str]):
    clashes = {name: COMMON_PACKAGE_NAMES[base_name(name).removeprefix("test_")] for name in ours
               if base_name(name).removeprefix("test_") in COMMON_PACKAGE_NAMES}
    assert not clashes
