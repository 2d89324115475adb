"""Deploy → ticket links by ticket key: a GitHub deploy whose pull requests name `WEB-12` (title, branch or commit
message) ships every ticket whose ticket_key is `WEB-12` in any configured source (here the contract's and Linear's:
the Linear fixture names a `web` ticket FM-<n> `WEB-<n>`); the rule of
macros/sources/ticket_keys.sql keeps out look-alikes (`UTF-8`, `v1.2-3`, `SHA-256`, `ISO-8601`, `web-15`,
`abcWEB-16`, `WEB-15a`, a key inside a URL) and a key no ticket has links nothing but is counted by a warning.
One warehouse, one dbt build: the contract demo with five `WEB-` tickets beside the hand-made GitHub cases and the
demo as Fivetran's Linear connector lands it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.sources import fixtures_fivetran_github as fx
from tests.python.sources import fixtures_fivetran_linear as linear_fx
from tests.python.sources.harness import build, demo_frames, land, read

pytestmark = pytest.mark.slow

GITHUB, LINEAR = "gh", "linear"
LINEAR_WEB_12 = f"{LINEAR}:{linear_fx.native_ticket_id('FM-12')}"
KEYED_TICKETS = ["WEB-12", "WEB-13", "WEB-14", "WEB-15", "WEB-16"]
# what the pull requests of the hand-made repository (fixtures_fivetran_github.rule_cases) say: pull request 201
# (merged before deploys 302 and 303), 202 and 203 (same) and 204 (shipped by deploy 304)
TITLES = {201: "WEB-12 Fix login, UTF-8 safe, not abcWEB-16",
          202: "Bump tools to v1.2-3 (WEB-15a)",
          203: "Refs acme/tools#2",
          204: "Dates as ISO-8601, see https://acme.atlassian.net/browse/WEB-16"}
BRANCHES = {201: "feature/save", 202: "feature/WEB-13-login", 203: "docs/search", 204: "web-15-cleanup"}
COMMITS = {"c1": (201, "Handle empty file"), "c2": (204, "WEB-14 hash with SHA-256; NOPE-1 follows")}
# the true references: the keys each deploy's pull requests name, and the links they make (NOPE-1 names no ticket)
TRUE_KEYS = {(302, "WEB-12"), (302, "WEB-13"), (303, "WEB-12"), (303, "WEB-13"), (304, "WEB-14"), (304, "NOPE-1")}



def _true_key_links(warehouse: Path) -> set[tuple[str, str]]:
    """Every ticket of any source whose key a deploy truly names: the contract's (`WEB-12`, its ticket id) and the
    Linear tickets the Linear adapter keys so (which issues it stages is its own rule, tested elsewhere)."""
    tickets = read(warehouse, "stg_tickets__tickets")
    linear = tickets[tickets["source_name"] == LINEAR]
    keyed: dict[str, set[str]] = {}
    for ticket, key in linear[["ticket_id", "ticket_key"]].itertuples(index=False):
        keyed.setdefault(key, set()).add(ticket)
    return {(f"{GITHUB}:{d}", ticket) for d, key in TRUE_KEYS
            for ticket in ({key} if key in KEYED_TICKETS else set()) | keyed.get(key, set())}


def _demo() -> dict[str, pd.DataFrame]:
    return fx.github_system(demo_frames(items=40))


def _linear_demo() -> dict[str, pd.DataFrame]:
    """The demo's tickets as Linear holds them, FM-12 in team `web`: Linear's WEB-12."""
    frames = demo_frames(items=40)
    tickets = frames["tickets"].copy()
    tickets.loc[tickets["ticket_id"] == "FM-12", "team"] = "web"
    return linear_fx.linear_system({**frames, "tickets": tickets})


def _keyed_contract() -> dict[str, pd.DataFrame]:
    """The demo contract plus tickets `WEB-12`…`WEB-16` (the contract's ticket_key is its ticket_id), each with the
    status history of the demo's first ticket."""
    system = _demo()
    tickets, changes = system["tickets"], system["ticket_status_changes"]
    model = tickets.iloc[0]
    history = changes[changes["ticket_id"] == model["ticket_id"]]
    extra_tickets = pd.DataFrame([{**model.to_dict(), "ticket_id": key, "title": f"Ticket {key}"}
                                  for key in KEYED_TICKETS])
    extra_changes = pd.concat([history.assign(ticket_id=key, change_id=history["change_id"] + f"-{key}")
                               for key in KEYED_TICKETS])
    return {**system, "tickets": pd.concat([tickets, extra_tickets], ignore_index=True),
            "ticket_status_changes": pd.concat([changes, extra_changes], ignore_index=True)}


def _keyed_github() -> dict[str, pd.DataFrame]:
    tables, _ = fx.rule_cases()
    issues, pulls, commits = tables["issue"].copy(), tables["pull_request"].copy(), tables["commit"]
    for pr, title in TITLES.items():
        issues.loc[issues["id"] == pr, "title"] = title
    for pr, branch in BRANCHES.items():
        pulls.loc[pulls["issue_id"] == pr, "head_ref"] = branch
    synced = commits["_fivetran_synced"].iloc[0]
    tables["issue"], tables["pull_request"] = issues, pulls
    tables["commit"] = pd.DataFrame([{"sha": sha, "message": message, "author_date": commits["author_date"].iloc[0],
                                      "_fivetran_synced": synced} for sha, (_, message) in COMMITS.items()])
    tables["commit_pull_request"] = pd.DataFrame([{"commit_sha": sha, "pull_request_id": pr + 1000,
                                                   "_fivetran_synced": synced}
                                                  for sha, (pr, _) in COMMITS.items()])
    return tables


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The warehouse and dbt's target directory of one build: the contract (`raw`) and fivetran_github (`gh`)."""
    from flowmetrics.ingest import ingest_directory, write_raw_tables

    workdir = tmp_path_factory.mktemp("deploy_ticket_keys")
    warehouse = workdir / "keys.duckdb"
    write_raw_tables(_keyed_contract(), workdir / "raw")
    ingest_directory(workdir / "raw", warehouse)
    land(warehouse, "github_keys", _keyed_github())
    land(warehouse, "linear_keys", linear_fx.linear_tables(_linear_demo()))
    sources = [{"name": "raw", "adapter": "contract", "schema": "raw"},
               {"name": GITHUB, "adapter": "fivetran_github", "schema": "github_keys"},
               {"name": LINEAR, "adapter": "fivetran_linear", "schema": "linear_keys"}]
    build(warehouse, workdir / "dbt", None, "--vars", json.dumps({"flowmetrics_sources": sources}))
    return warehouse, workdir / "dbt" / "target"


def test_keys_named_in_titles_branches_and_commits_are_found_and_look_alikes_are_not(
        keyed: tuple[Path, Path]) -> None:
    keys = read(keyed[0], "stg_deploys__deploy_ticket_keys")
    found = {(int(d.split(":")[1]), key) for d, key in keys[["deploy_id", "ticket_key"]].itertuples(index=False)}
    assert found == TRUE_KEYS
    precision, recall = len(found & TRUE_KEYS) / len(found), len(found & TRUE_KEYS) / len(TRUE_KEYS)
    assert (precision, recall) == (1.0, 1.0)


def test_a_named_key_links_the_ticket_of_another_source_beside_the_number_references(
        keyed: tuple[Path, Path]) -> None:
    links = read(keyed[0], "stg_deploys__deploy_tickets")
    github = {(d, t) for d, t in links[["deploy_id", "ticket_id"]].itertuples(index=False)
              if d.startswith(f"{GITHUB}:")}
    truth = _true_key_links(keyed[0])
    # WEB-12 is a ticket of two sources: both are linked
    assert {(f"{GITHUB}:302", "WEB-12"), (f"{GITHUB}:302", LINEAR_WEB_12)} <= truth
    key_links = {(d, t) for d, t in github if not t.startswith(f"{GITHUB}:")}
    precision, recall = len(key_links & truth) / len(key_links), len(key_links & truth) / len(truth)
    assert (precision, recall) == (1.0, 1.0), sorted(key_links ^ truth)
    # `Refs acme/tools#2` still links the repository's issue #2 (id 102); nothing else is linked
    number_links = {(f"{GITHUB}:{d}", f"{GITHUB}:102") for d in (302, 303)}
    assert github == truth | number_links
    assert not links.duplicated(["deploy_id", "ticket_id"]).any()
    # the contract's own links are kept as they are
    contract = links[~links["deploy_id"].str.startswith(f"{GITHUB}:")]
    assert len(contract) == len(_demo()["deploy_tickets"])


def test_tickets_shipped_counts_the_tickets_linked_by_key(keyed: tuple[Path, Path]) -> None:
    deployments = read(keyed[0], "fct_deployments").set_index("deploy_id")
    shipped = {d: int(deployments.loc[f"{GITHUB}:{d}", "tickets_shipped"]) for d in (301, 302, 303, 304)}
    truth = _true_key_links(keyed[0])
    # 302, 303: the tickets keyed WEB-12 (the contract's and Linear's), WEB-13 and issue #2; 304: WEB-14 (NOPE-1
    # names no ticket); 301 ships no pull request
    expected = {d: sum(1 for deploy, _ in truth if deploy == f"{GITHUB}:{d}") + (1 if d in (302, 303) else 0)
                for d in (301, 302, 303, 304)}
    assert expected[302] >= 4
    assert shipped == expected


def test_a_key_no_ticket_has_is_counted_by_a_warning(keyed: tuple[Path, Path]) -> None:
    results = json.loads((keyed[1] / "run_results.json").read_text())["results"]
    prefix = "test.flowmetrics.relationships_stg_deploys__deploy_ticket_keys"
    warning = [r for r in results if r["unique_id"].startswith(prefix)]
    assert [(r["status"], r["failures"]) for r in warning] == [("warn", 1)]  # (304, NOPE-1)


# the key rule on texts of its own: (text, the keys it names)
KEY_CASES = [
    ("WEB-12 fix login", ["WEB-12"]),
    ("feature/WEB-13-login", ["WEB-13"]),
    ("[WEB-12] and (OPS-7), WEB-14: done; A1-5.", ["A1-5", "OPS-7", "WEB-12", "WEB-14"]),
    ("WEB-12_retry", ["WEB-12"]),
    ("UTF-8, ISO-8601, SHA-256, RFC-3339", []),
    ("bump to v1.2-3 and 1.2-3", []),
    ("abcWEB-12 x.WEB-12 X-WEB-12 WEB-12a web-15 Web-15", []),
    ("W-1 ABCDEFGHIJK-1 ABCDEFGHIJ-1", ["ABCDEFGHIJ-1"]),
    ("see https://acme.atlassian.net/browse/WEB-16 and WEB-17", ["WEB-17"]),
    ("WEB-12 WEB-12", ["WEB-12"]),
]


def test_the_key_rule_on_its_own(compile_sql) -> None:
    rows = ", ".join(f"({n}, '{text}')" for n, (text, _) in enumerate(KEY_CASES))
    sql = compile_sql(
        f"with texts as (select * from (values {rows}) as texts (deploy_id, reference_text)), "
        "{{ flowmetrics.ticket_key_ctes('texts') }} select deploy_id, ticket_key from found_ticket_keys"
    )
    with duckdb.connect() as con:
        found = con.execute(sql).fetchall()
    for n, (text, expected) in enumerate(KEY_CASES):
        assert sorted(key for text_id, key in found if text_id == n) == expected, text


def test_the_ignored_projects_are_a_var_and_a_malformed_one_is_refused_by_name(compile_sql) -> None:
    assert compile_sql("{{ flowmetrics.ticket_key_ignored_projects() | join(',') }}").strip() == (
        "AES,CVE,ISO,RFC,RSA,SHA,UTF")
    assert compile_sql("{{ flowmetrics.ticket_key_ignored_projects(['ISO']) | join(',') }}").strip() == "ISO"
    with pytest.raises(AssertionError, match="var ticket_key_ignored_projects must be a list of project keys"):
        compile_sql("{{ flowmetrics.ticket_key_ignored_projects('UTF') }}")
