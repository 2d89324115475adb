"""`flowmetrics forecast` on a copy of the demo warehouse: the JSON shape, exit codes, the forecasts written to
flowmetrics.forecasts (and nothing with --no-write) and published by `flowmetrics publish`; `api.forecast`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from flowmetrics import api
from flowmetrics.cli import main

FAST = ("--replications", "20")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["forecast", *args], catch_exceptions=False)


def rows(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """forecast writes: a copy of the session's demo warehouse."""
    copy = tmp_path_factory.mktemp("forecast") / "demo.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy


@pytest.fixture(scope="module")
def written(warehouse: Path) -> dict:
    result = run("--warehouse", str(warehouse), "--days", "14", "--seed", "3", "--json", *FAST)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_days_json_has_one_object_per_method_with_item_quantiles(written: dict):
    assert written["question"] == "days" and written["horizon_days"] == 14 and written["run_id"]
    assert [f["method"] for f in written["forecasts"]] == ["throughput", "simulation"]
    for f in written["forecasts"]:
        assert f["as_of"] == written["as_of"] and f["horizon_days"] == 14 and f["status"] == "ok"
        q = f["items"]
        assert list(q) == ["p5", "p50", "p85", "p95"]
        assert 0 < q["p95"] <= q["p85"] <= q["p50"] <= q["p5"]


def test_the_forecast_is_written_one_row_per_method_and_quantile(warehouse: Path, written: dict):
    table = rows(warehouse, "select * from flowmetrics.forecasts order by method, likelihood")
    assert set(table["run_id"]) == {written["run_id"]} and len(table) == 8
    mine = table[table["method"] == "throughput"].set_index("quantile")["items"].to_dict()
    assert mine == written["forecasts"][0]["items"]
    assert set(table["question"]) == {"days"} and set(table["horizon_days"]) == {14}
    assert table["team"].isna().all() and set(table["status"]) == {"ok"}


def test_items_json_has_dates_and_no_write_writes_nothing(warehouse: Path, written: dict):
    before = rows(warehouse, "select count(*) as n from flowmetrics.forecasts")["n"].iloc[0]
    result = run("--warehouse", str(warehouse), "--items", "40", "--no-write", "--json", *FAST)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["run_id"] is None and doc["items_asked"] == 40
    for f in doc["forecasts"]:
        assert list(f["dates"]) == ["p50", "p85", "p95"] and f["dates"]["p50"] <= f["dates"]["p95"]
        assert f["dates"]["p50"] > doc["as_of"][:10]
    assert rows(warehouse, "select count(*) as n from flowmetrics.forecasts")["n"].iloc[0] == before


def test_the_same_seed_gives_the_same_forecast_from_the_api(warehouse: Path):
    ask = dict(days=7, warehouse=warehouse, published=False, replications=20, seed=5, team="mobile")
    first = api.forecast(**ask)
    assert first == api.forecast(**ask) and first.scope["team"] == "mobile"
    assert [f.status for f in first.forecasts] == ["ok", "ok"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("--items", "10", "--days", "5"), "ask one question: --items N"),
        (("--days", "5", "--team", "nobody"), "--team 'nobody' is not in fct_work_items.team; known: "),
        (("--days", "5", "--as-of", "2030-01-01"), "is after the marts' as-of"),
        (("--days", "5", "--method", "throughput", "--arrivals", "x3"), "change the simulated system"),
        (("--by", "2020-01-01"), "--by 2020-01-01 is not after the as-of"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(warehouse: Path, written: dict, args: tuple[str, ...], message: str):
    before = rows(warehouse, "select count(*) as n from flowmetrics.forecasts")["n"].iloc[0]
    result = run("--warehouse", str(warehouse), *args)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert rows(warehouse, "select count(*) as n from flowmetrics.forecasts")["n"].iloc[0] == before


def test_too_little_history_is_insufficient_data_and_exit_1(warehouse: Path, written: dict):
    start = rows(warehouse, "select min(created_at) as t from main.fct_work_items")["t"].iloc[0]
    early = (pd.Timestamp(start) + pd.Timedelta(hours=20)).isoformat()
    result = run("--warehouse", str(warehouse), "--days", "7", "--as-of", early, "--json", *FAST)
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [f["status"] for f in doc["forecasts"]] == ["insufficient_data", "insufficient_data"]
    assert all(f["items"] is None and f["reason"] for f in doc["forecasts"])
    table = rows(warehouse, f"select * from flowmetrics.forecasts where run_id = '{doc['run_id']}'")
    assert len(table) == 2 and table["quantile"].isna().all()


def test_publish_copies_the_forecasts_into_schema_published(warehouse: Path, written: dict,
                                                              tmp_path: Path):
    result = CliRunner().invoke(main, ["publish", "--warehouse", str(warehouse), "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    published = rows(warehouse, "select run_id, method, quantile from published.forecasts")
    written_rows = rows(warehouse, "select run_id, method, quantile from flowmetrics.forecasts")
    assert written["run_id"] in set(published["run_id"]) and len(published) == len(written_rows)


def test_the_forecast_does_not_depend_on_the_order_the_warehouse_returns_rows_in(
        warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    from flowmetrics.steps.forecast import Question, run_forecasting
    from flowmetrics.warehouse.marts import MartReader
    from flowmetrics.warehouse.profile import resolve_target

    read = MartReader.read
    order = iter(range(100))

    def shuffled(self: MartReader, mart: str, columns, where=None) -> pd.DataFrame:
        frame = read(self, mart, columns, where)
        return frame.sample(frac=1.0, random_state=next(order)).reset_index(drop=True)

    monkeypatch.setattr(MartReader, "read", shuffled)
    target = resolve_target(None, warehouse)
    ask = dict(method="simulation", replications=10, seed=2)
    assert run_forecasting(target, Question(days=7), **ask) == run_forecasting(target, Question(days=7), **ask)
