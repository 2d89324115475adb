"""The project's portable SQL macros, rendered by dbt and run on DuckDB, against independent computations:
the chi-square survival function (the SRM p-value) against scipy, the calendar macros against pandas."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from flowmetrics.warehouse.dbt_yaml import project_var

SPLIT = "-- next query --"
QUERIES = {
    "chi_square_sf": "select x, df, {{ flowmetrics.chi_square_sf('x', 'df') }} as p from grid",
    "erfc": "select z, {{ flowmetrics.erfc('z') }} as erfc from erfc_grid",
    "spine_duckdb": (
        "{{ flowmetrics.flowmetrics_date_spine(\"cast('2024-02-27' as date)\", \"cast('2024-03-02' as date)\") }}"
    ),
    "spine_default": (
        "{{ flowmetrics.default__flowmetrics_date_spine(\"cast('2024-02-27' as date)\","
        " \"cast('2024-03-02' as date)\") }}"
    ),
    # dbt's own date_spine (day grain, end exclusive), which a time spine model may use: dispatch looks in the
    # root project first, so a project macro named default__date_spine or duckdb__date_spine would answer it
    "spine_dbt": "{{ dbt.date_spine('day', \"cast('2024-02-27' as date)\", \"cast('2024-03-02' as date)\") }}",
    "calendar": (
        "select ts, {{ flowmetrics.flowmetrics_iso_week_start('ts') }} as week_start,"
        " {{ flowmetrics.utc_date('ts') }} as day, {{ flowmetrics.month_start('ts') }} as month_start from timestamps"
    ),
    "percentile": (
        "select {{ flowmetrics.flowmetrics_percentile_cont('v', 0.85) }} as p85,"
        " {{ flowmetrics.flowmetrics_median('v') }} as p50 from vals"
    ),
}

# p-values from 0.5 to 1e-6 for 1..9 degrees of freedom: the range an SRM decision at 0.001 lives in
DEGREES = range(1, 10)
SRM_MIN_P = float(project_var("srm_min_p_value"))  # the threshold fct_experiments decides at
P_VALUES = np.logspace(np.log10(0.5), -6, 60)
# the accuracy the README and the model docs state
RELATIVE_ERROR = 2e-7


@pytest.fixture(scope="module")
def compiled(compile_sql: Callable[[str], str]) -> dict[str, str]:
    sql = compile_sql(f"\n{SPLIT}\n".join(QUERIES.values()))
    parts = [part.strip() for part in sql.split(SPLIT)]
    assert len(parts) == len(QUERIES)
    return dict(zip(QUERIES, parts, strict=True))


def run(sql: str, **frames: pd.DataFrame) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        for name, frame in frames.items():
            con.register(name, frame)
        return con.execute(sql).df()
    finally:
        con.close()


def chi_square_sf(compiled: dict[str, str], x: np.ndarray, df: np.ndarray) -> np.ndarray:
    grid = pd.DataFrame({"x": np.asarray(x, dtype=float), "df": np.asarray(df, dtype="int64")})
    return run(compiled["chi_square_sf"], grid=grid)["p"].to_numpy(dtype=float)


def test_chi_square_sf_matches_scipy_for_df_1_to_9_and_p_from_half_to_1e_minus_6(compiled: dict[str, str]):
    df = np.repeat(np.array(DEGREES), len(P_VALUES))
    target = np.tile(P_VALUES, len(DEGREES))
    x = chi2.isf(target, df)
    expected = chi2.sf(x, df)
    got = chi_square_sf(compiled, x, df)
    relative = np.abs(got - expected) / expected
    assert relative.max() < RELATIVE_ERROR, f"max relative error {relative.max():.3g} at df={df[relative.argmax()]}"


def test_chi_square_sf_stays_accurate_in_the_far_tail_and_up_to_40_degrees(compiled: dict[str, str]):
    df = np.repeat(np.arange(1, 41), 40)
    x = chi2.isf(np.tile(np.logspace(-1, -200, 40), 40), df)
    expected = chi2.sf(x, df)
    relative = np.abs(chi_square_sf(compiled, x, df) - expected) / expected
    assert relative.max() < RELATIVE_ERROR


def test_the_srm_threshold_is_decided_like_scipy_just_either_side_of_it(compiled: dict[str, str]):
    df = np.repeat(np.array(DEGREES), 2)
    x = chi2.isf(np.tile([SRM_MIN_P * (1 + 1e-5), SRM_MIN_P * (1 - 1e-5)], len(DEGREES)), df)
    got = chi_square_sf(compiled, x, df)
    assert ((got >= SRM_MIN_P) == (chi2.sf(x, df) >= SRM_MIN_P)).all()


def test_chi_square_sf_edge_cases(compiled: dict[str, str]):
    grid = pd.DataFrame({"x": [0.0, 1e-320, 5000.0, 3.0, 3.0, None, 3.0], "df": [1, 2, 1, 0, 41, 2, None]})
    grid["df"] = grid["df"].astype("Int64")
    p = run(compiled["chi_square_sf"], grid=grid)["p"].tolist()
    assert p[0] == 1.0 and p[1] == 1.0  # no deviation at all
    assert p[2] == 0.0  # beyond any representable tail
    assert all(pd.isna(v) for v in p[3:])  # df outside 1..40, or a null input


def test_erfc_has_a_small_relative_error_far_into_the_tail(compiled: dict[str, str]):
    from scipy.special import erfc

    z = np.concatenate([np.linspace(0, 3, 301), np.linspace(3, 26, 231)])
    got = run(compiled["erfc"], erfc_grid=pd.DataFrame({"z": z}))["erfc"].to_numpy()
    assert (np.abs(got - erfc(z)) / erfc(z)).max() < 1.2e-7


def test_date_spine_is_every_day_inclusive_on_both_implementations(compiled: dict[str, str]):
    expected = list(pd.date_range("2024-02-27", "2024-03-02", freq="D").date)  # leap day included
    for name in ("spine_duckdb", "spine_default"):
        days = sorted(pd.to_datetime(run(compiled[name])["date_day"]).dt.date)
        assert days == expected, name


def test_dbt_date_spine_is_dbts_own_beside_the_projects_spine(compiled: dict[str, str]):
    days = sorted(pd.to_datetime(run(compiled["spine_dbt"])["date_day"]).dt.date)
    assert days == list(pd.date_range("2024-02-27", "2024-03-01", freq="D").date)  # dbt's end is exclusive


def test_iso_weeks_start_on_monday_utc_and_days_and_months_truncate(compiled: dict[str, str]):
    ts = pd.to_datetime(
        ["2026-01-04 23:59:59.999999", "2026-01-05 00:00:00", "2026-01-11 12:00:00", "2024-12-31 23:59:59"],
        format="ISO8601",
    )
    out = run(compiled["calendar"], timestamps=pd.DataFrame({"ts": ts}))
    weeks = [d.isoformat() for d in pd.to_datetime(out["week_start"]).dt.date]
    assert weeks == ["2025-12-29", "2026-01-05", "2026-01-05", "2024-12-30"]
    assert [d.isoformat() for d in pd.to_datetime(out["day"]).dt.date] == [
        "2026-01-04", "2026-01-05", "2026-01-11", "2024-12-31"
    ]
    assert [d.isoformat() for d in pd.to_datetime(out["month_start"]).dt.date] == [
        "2026-01-01", "2026-01-01", "2026-01-01", "2024-12-01"
    ]


def test_percentile_cont_interpolates_like_numpy(compiled: dict[str, str]):
    values = np.array([3.0, 1.0, 10.0, 7.0, 2.0, None], dtype=float)
    out = run(compiled["percentile"], vals=pd.DataFrame({"v": values})).iloc[0]
    present = values[~np.isnan(values)]
    assert out["p85"] == pytest.approx(np.percentile(present, 85))
    assert out["p50"] == pytest.approx(np.median(present))
