"""Late exposures of any age change an experiment's verdict on the next nightly build, not only on a full refresh.

A finished experiment, measured cleanly, gets 2,000 control-arm exposures dated 8 to 13 days before the as-of
(older than the lookback, var incremental_lookback_days, 3 days). The nightly incremental build must then give
what `dbt build --full-refresh` of the same data gives, row for row in every relation: for that experiment a
sample-ratio mismatch, not measured cleanly, not finished. A warehouse whose exposures aggregate was left stale
fails the error-level test assert_no_late_exposures_missed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from flowmetrics.ingest import ingest_directory, write_raw_tables
from flowmetrics.simulation import generate_raw_tables
from flowmetrics.warehouse.dbt_runner import dbt_command
from flowmetrics.warehouse.project import dbt_env
from tests.harness.compare import Relation, assert_same_rows, keyed_relations
from tests.harness.warehouse_query import query_df as query

pytestmark = pytest.mark.slow

LATE_UNITS = 2_000
LATE_FROM, LATE_TO = pd.Timedelta(days=13), pd.Timedelta(days=8)  # before the as-of
LOOKBACK = pd.Timedelta(days=3)  # the project's default var incremental_lookback_days
AGGREGATE = "int_experiment_units_first_exposed"
VERDICT = ["units_exposed", "srm_p_value", "measurement_issue", "measured_cleanly", "is_finished"]


def run_results(workdir: Path) -> dict[str, dict]:
    results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r for r in results}


def pick_finished_experiment(warehouse: Path) -> tuple[str, pd.Timestamp]:
    """A finished experiment measured cleanly, with a control arm and no exposure inside the lookback: an
    incremental build that only looked at recent exposures would leave it as built."""
    as_of = query(warehouse, "select as_of from main.dim_as_of")["as_of"][0]
    found = query(
        warehouse,
        """
        select experiments.experiment_id
        from main.fct_experiments as experiments
        inner join main.stg_experiments__variants as variants
            on experiments.experiment_id = variants.experiment_id
            and variants.variant = 'control' and variants.planned_weight > 0
        inner join (
            select experiment_id, max(exposed_at) as last_exposed_at
            from main.stg_experiments__exposures group by experiment_id
        ) as exposed
            on experiments.experiment_id = exposed.experiment_id
        where experiments.is_finished and experiments.measured_cleanly and exposed.last_exposed_at < ?
        order by experiments.experiment_id
        """,
        [(as_of - LOOKBACK - pd.Timedelta(days=1)).to_pydatetime()],
    )
    assert len(found), "the demo has a finished experiment that stopped exposing units before the lookback"
    return str(found["experiment_id"][0]), as_of


def late_control_exposures(experiment_id: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """LATE_UNITS new units exposed to control, spread evenly from 13 to 8 days before the as-of."""
    step = (LATE_FROM - LATE_TO) / (LATE_UNITS - 1)
    return pd.DataFrame({
        "experiment_id": experiment_id,
        "unit_id": [f"late-unit-{i:05d}" for i in range(LATE_UNITS)],
        "variant": "control",
        "exposed_at": [as_of - LATE_FROM + i * step for i in range(LATE_UNITS)],
    })


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory, build_warehouse: Callable[..., None]) -> dict:
    """Yesterday: ingest + full build. Tonight: the late exposures ingested, then `stale` (a copy, not rebuilt),
    `nightly` (an incremental build) and `reference` (a full refresh of the same data)."""
    work = tmp_path_factory.mktemp("late-exposures")
    frames = generate_raw_tables(items=300, seed=21)
    write_raw_tables(frames, work / "yesterday")
    nightly = work / "nightly.duckdb"
    ingest_directory(work / "yesterday", nightly)
    build_warehouse(nightly, work / "yesterday")
    experiment_id, as_of = pick_finished_experiment(nightly)
    before = query(nightly, "select * from main.fct_experiments where experiment_id = ?", [experiment_id])

    late = late_control_exposures(experiment_id, as_of)
    exposures = pd.concat([frames["experiment_exposures"], late], ignore_index=True)
    write_raw_tables({**frames, "experiment_exposures": exposures}, work / "tonight")
    ingest_directory(work / "tonight", nightly)
    stale = shutil.copyfile(nightly, work / "stale.duckdb")
    reference = shutil.copyfile(nightly, work / "reference.duckdb")
    build_warehouse(nightly, work / "tonight")
    build_warehouse(reference, work / "reference", "--full-refresh")
    return {"work": work, "nightly": nightly, "reference": reference, "stale": Path(stale),
            "experiment_id": experiment_id, "as_of": as_of, "before": before}


def test_the_late_exposures_are_in_raw_and_older_than_the_lookback(warehouses: dict):
    late = query(
        warehouses["nightly"],
        "select count(*) as n, min(exposed_at) as first, max(exposed_at) as last from raw.experiment_exposures "
        "where experiment_id = ? and unit_id like 'late-unit-%' and variant = 'control'",
        [warehouses["experiment_id"]],
    )
    as_of = warehouses["as_of"]
    assert late["n"][0] == LATE_UNITS
    assert as_of - late["last"][0] >= LATE_TO and as_of - late["first"][0] <= LATE_FROM
    assert query(warehouses["nightly"], "select as_of from main.dim_as_of")["as_of"][0] == as_of
    before = warehouses["before"]
    assert bool(before["measured_cleanly"][0]) and bool(before["is_finished"][0]), "clean and finished yesterday"


def test_the_nightly_build_gives_the_full_refresh_verdict(warehouses: dict):
    compiled = (warehouses["work"] / "tonight" / "target" / "run" / "flowmetrics" / "models" / "intermediate"
                / "experiments" / f"{AGGREGATE}.sql").read_text()
    assert "delete from" in compiled, "the exposures aggregate ran incrementally (delete+insert of experiments)"
    sql = f"select {', '.join(VERDICT)} from main.fct_experiments where experiment_id = ?"
    nightly = query(warehouses["nightly"], sql, [warehouses["experiment_id"]])
    reference = query(warehouses["reference"], sql, [warehouses["experiment_id"]])

    assert reference["measurement_issue"][0] == "sample_ratio_mismatch" and reference["srm_p_value"][0] < 1e-6
    assert not reference["measured_cleanly"][0] and not reference["is_finished"][0]
    assert reference["units_exposed"][0] == warehouses["before"]["units_exposed"][0] + LATE_UNITS
    pd.testing.assert_frame_equal(nightly, reference)


def test_every_relation_of_the_nightly_build_equals_the_full_refresh(warehouses: dict):
    relations: dict[str, Relation] = keyed_relations(warehouses["work"] / "tonight" / "target" / "manifest.json")
    assert {AGGREGATE, "fct_experiments", "int_experiment_samples_checked"} <= set(relations)
    for name, relation in relations.items():
        sql = f"select * from main.{name}"
        assert_same_rows(query(warehouses["reference"], sql), query(warehouses["nightly"], sql), relation.key,
                         f"{name} (nightly vs full refresh)")
    assert run_results(warehouses["work"] / "tonight")["assert_no_late_exposures_missed"]["status"] == "pass"


def test_a_stale_exposures_aggregate_fails_the_build(warehouses: dict, tmp_path: Path):
    result = subprocess.run(
        [*dbt_command("test", extra_args=["--select", "assert_no_late_exposures_missed",
                                          "--target-path", str(tmp_path / "target"),
                                          "--log-path", str(tmp_path / "logs")])],
        env=dbt_env(warehouses["stale"]), capture_output=True, text=True, check=False,
    )

    assert result.returncode == 1, result.stdout[-2000:]
    check = run_results(tmp_path)["assert_no_late_exposures_missed"]
    assert check["status"] == "fail" and check["failures"] == 1, check
    assert "Failure in test assert_no_late_exposures_missed" in result.stdout
    built = query(warehouses["stale"], f"select count(*) as n from main.{AGGREGATE} where unit_id like 'late-unit-%'")
    assert built["n"][0] == 0, "the stale copy's aggregate was not rebuilt"
