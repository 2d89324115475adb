"""flowmetrics as a dbt package of another project: integration_tests/ is such a host (packages.yml `local: ../`,
its own profile, the raw contract in a schema of its own named through the package's vars, the flow marts in a
`+schema` of their own). `dbt deps` installs the package without the hub; the host's build holds every public mart
row for row as the standalone build of the same data does; with domains switched off by their vars, none of their
nodes is left and the rest still parses.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from flowmetrics.warehouse.project import PROJECT_DIR, dbt_env, dbt_executable
from tests.harness.compare import assert_same_rows, public_marts

HOST_DIR = PROJECT_DIR / "integration_tests"
HOST_RAW_SCHEMA = "tracker_raw"  # integration_tests/dbt_project.yml, vars: flowmetrics: raw_schema
HOST_SCHEMA = "analytics"  # integration_tests/profiles.yml
FLOW_SCHEMA = f"{HOST_SCHEMA}_flow"  # the host's `+schema: flow` on the package's marts/flow
DISABLED = {"flowmetrics_experiments_enabled": False, "flowmetrics_dora_enabled": False}
# The folders and models of the two disabled domains (their models' config(enabled=...) says so).
DISABLED_PATHS = (
    "models/staging/experiments/",
    "models/intermediate/experiments/",
    "models/marts/experiments/",
    "models/marts/finish_rate/fct_experiment_finish_rate.sql",
    "models/staging/deploys/",
    "models/marts/dora/",
)
AS_OF = "model.flowmetrics.int_as_of_resolved"


@dataclass(frozen=True)
class HostBuild:
    warehouse: Path
    workdir: Path
    manifest: dict
    raw_counts_before: dict[str, int]


def dbt(workdir: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """dbt in the host project; a request to the package hub would go to a closed local port and fail."""
    env = dbt_env(warehouse)
    env["DBT_PACKAGE_HUB_URL"] = "http://127.0.0.1:9/"
    env.pop("DBT_EXCLUDE_RESOURCE_TYPES", None)  # the host project runs the package's unit tests too
    paths = ["--log-path", str(workdir / "logs")]
    if args[0] != "deps":
        paths += ["--profiles-dir", str(HOST_DIR), "--target-path", str(workdir / "target")]
    return subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(HOST_DIR), *paths],
        env=env, cwd=HOST_DIR, capture_output=True, text=True, check=False,
    )


def raw_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [HOST_RAW_SCHEMA]
        ).fetchall()
        return {t: con.execute(f'select count(*) from {HOST_RAW_SCHEMA}."{t}"').fetchone()[0] for (t,) in tables}
    finally:
        con.close()


def move_raw(warehouse: Path) -> None:
    """The demo's raw contract tables moved from schema raw into the host's raw schema: the package finds them only
    through the host's vars."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"create schema {HOST_RAW_SCHEMA}")
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall():
            con.execute(f'create table {HOST_RAW_SCHEMA}."{table}" as select * from raw."{table}"')
        con.execute("drop schema raw cascade")
    finally:
        con.close()


@pytest.fixture(scope="module")
def host_build(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> HostBuild:
    """deps, then a build of the host into a copy of the demo warehouse (the package's data tests ran in the
    standalone build of the same data; here their parse in the host is checked, the marts compared)."""
    workdir = tmp_path_factory.mktemp("package")
    warehouse = workdir / "host.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    move_raw(warehouse)
    before = raw_counts(warehouse)
    deps = dbt(workdir, warehouse, "deps")
    assert deps.returncode == 0, deps.stdout[-3000:] + deps.stderr[-3000:]
    assert (HOST_DIR / "dbt_packages" / "flowmetrics").resolve() == PROJECT_DIR.resolve()
    build = dbt(workdir, warehouse, "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-3000:]
    manifest = json.loads((workdir / "target" / "manifest.json").read_text())
    return HostBuild(warehouse, workdir, manifest, before)


def test_host_builds_every_public_mart_as_the_standalone_project_does(demo_warehouse: Path, host_build: HostBuild):
    standalone = public_marts(demo_warehouse.parent / "target" / "manifest.json")
    assert len(standalone) >= 15, sorted(standalone)
    host_nodes = {n["name"]: n for n in host_build.manifest["nodes"].values()
                  if n["resource_type"] == "model" and n["package_name"] == "flowmetrics"}
    assert not set(standalone) - set(host_nodes), "public marts the host did not build"
    want_con = duckdb.connect(str(demo_warehouse), read_only=True)
    got_con = duckdb.connect(str(host_build.warehouse), read_only=True)
    try:
        for name, relation in standalone.items():
            node = host_nodes[name]
            expected = FLOW_SCHEMA if node["original_file_path"].startswith("models/marts/flow/") else HOST_SCHEMA
            assert node["schema"] == expected, f"{name}: schema {node['schema']}, expected {expected}"
            want = want_con.execute(f"select * from main.{name}").df()
            got = got_con.execute(f'select * from {node["schema"]}."{name}"').df()
            assert len(want) > 0 or name == "fct_constraint_queue", f"{name} is empty in the standalone build"
            assert_same_rows(want, got, relation.key, f"{name} (host project against standalone)")
    finally:
        want_con.close()
        got_con.close()


def test_host_build_reads_the_raw_schema_its_vars_name_and_leaves_it_as_it_was(host_build: HostBuild):
    assert raw_counts(host_build.warehouse) == host_build.raw_counts_before
    assert host_build.raw_counts_before["ticket_status_changes"] > 0
    con = duckdb.connect(str(host_build.warehouse), read_only=True)
    try:
        schemas = {s for (s,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
    finally:
        con.close()
    assert "raw" not in schemas
    sources = [s for s in host_build.manifest["sources"].values() if s["source_name"] == "tickets"]
    assert sources and {s["schema"] for s in sources} == {HOST_RAW_SCHEMA}


def test_host_runs_the_package_under_its_own_profile_and_flags(host_build: HostBuild):
    """The package's `profile: flowmetrics` is not in the host's profiles.yml: dbt ignores a package's profile."""
    assert host_build.manifest["metadata"]["project_name"] == "flowmetrics_integration_tests"
    assert "flowmetrics:" not in (HOST_DIR / "profiles.yml").read_text()


def in_disabled_domain(path: str) -> bool:
    return path.startswith(DISABLED_PATHS)


def test_disabled_domains_leave_none_of_their_nodes_and_the_rest_parses(host_build: HostBuild):
    listed = dbt(
        host_build.workdir / "disabled", host_build.warehouse, "ls", "--vars", json.dumps(DISABLED),
        *(arg for kind in ("model", "seed", "test", "unit_test", "analysis", "exposure")
          for arg in ("--resource-type", kind)),
        "--output", "json", "--output-keys", "unique_id", "original_file_path", "depends_on", "package_name",
    )
    assert listed.returncode == 0, listed.stdout[-5000:] + listed.stderr[-3000:]
    nodes = {n["unique_id"]: n for n in map(json.loads, filter(lambda line: line.startswith("{"),
                                                               listed.stdout.splitlines()))}
    package = {uid: n for uid, n in nodes.items() if n["package_name"] == "flowmetrics"}
    assert not [uid for uid, n in package.items() if in_disabled_domain(n["original_file_path"])]
    disabled_models = {uid for uid, n in host_build.manifest["nodes"].items()
                       if n["resource_type"] == "model" and in_disabled_domain(n["original_file_path"])}
    assert len(disabled_models) >= 10
    still_reading = {uid: sorted(set(n.get("depends_on", {}).get("nodes", [])) & disabled_models)
                     for uid, n in package.items()}
    assert not {uid: deps for uid, deps in still_reading.items() if deps}
    # Every node of the full build that reads neither domain is still there (models, seeds, tests, unit tests,
    # analyses, exposures). The as-of reads the latest event of every enabled domain, so its edges do not count.
    full = host_build.manifest["nodes"] | host_build.manifest["exposures"] | host_build.manifest["unit_tests"]

    disabled_names = {uid.rsplit(".", 1)[-1] for uid in disabled_models}

    def given_disabled(node: dict) -> bool:
        """A unit test whose given rows name a disabled model reads it, whatever its model reads."""
        inputs = " ".join(str(g.get("input", "")) for g in node.get("given") or [])
        return any(f"'{name}'" in inputs for name in disabled_names)

    def reads_disabled(uid: str, seen: frozenset[str] = frozenset()) -> bool:
        node = full.get(uid)
        if node is None or uid in seen or uid == AS_OF:
            return False
        if uid in disabled_models or given_disabled(node):
            return True
        return any(reads_disabled(dep, seen | {uid}) for dep in node.get("depends_on", {}).get("nodes", []))

    kept = {uid for uid, n in full.items() if n.get("package_name") == "flowmetrics"
            and n["resource_type"] in ("model", "seed", "test", "unit_test", "analysis", "exposure")
            and (n.get("config") or {}).get("enabled", True)}
    left_out = kept - set(package)
    assert len(left_out) >= 50
    missing = sorted(uid for uid in left_out if not reads_disabled(uid))
    assert not missing, "nodes of the enabled domain left out"
    for flow_mart in ("fct_work_items", "fct_stage_visits", "fct_constraint_queue", "fct_work_item_finish_rate",
                      "dim_as_of"):
        assert f"model.flowmetrics.{flow_mart}" in package


def test_with_domains_switched_off_every_unit_test_left_compiles_and_passes(host_build: HostBuild):
    """A unit test whose given rows name a switched-off domain's models cannot run (those models do not exist): it
    must be left out with them. The switches given as text, as a shell's `--vars` gives them, count as booleans."""
    as_text = {name: str(value).lower() for name, value in DISABLED.items()}
    units = dbt(host_build.workdir / "disabled-units", host_build.warehouse, "test", "--select", "test_type:unit",
                "--vars", json.dumps(as_text))
    assert units.returncode == 0, units.stdout[-5000:] + units.stderr[-3000:]
    done = re.search(r"Done\. PASS=(\d+) WARN=0 ERROR=0", units.stdout)
    assert done and int(done.group(1)) >= 20, units.stdout[-2000:]
