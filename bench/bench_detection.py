"""Benchmark of constraint detection: accuracy over a sweep of seeded scenarios, and speed at 10M status changes.

Sweep: every scenario family (`flowmetrics.simulation.all_scenarios`: a constraint at each stage, decoys, rework,
deploy trains, shared staff, a moving constraint, no constraint, tripled arrivals, wide stages saturated with short
queues at 10-40 people, a shift from a wide stage to a narrow one and back, two stages near saturation, kanban WIP
limits, weekly batch releases, and a constraint that is one team's people inside a shared stage, narrow and wide)
with each of `--seeds` held-out seeds (two disjoint ranges, judged apart), all through the real pipeline (raw
tables → ingest → dbt build, one warehouse per range) and judged against the planted truth: the stage (any
acceptable one), the kind (sole/shifting/none), the team, and a shift located within one window. Prints accuracy and
shift location error (in windows) per family, the confidence calibration for named and "none" verdicts apart (of
verdicts given with confidence >= 0.9, the share that was right; for a "none" verdict its confidence is 1 - the
reported one: the bootstrap share that found no constraint either) and every wrong verdict given at >= 0.9 with its
signals. Seed stability: the confidence of one system of each scenario under `--seed` 1..10 (max - min).

Scale: the demo system generated with enough tickets for `--changes` status changes, ingested and built, then
`flowmetrics detect` timed phase by phase (read the marts, detect, write the findings, rebuild the queue).

    .venv/bin/python bench/bench_detection.py                       # sweep (2 x 12 seeds x 22 scenarios)
    .venv/bin/python bench/bench_detection.py --changes 10000000    # and the 10M detection time
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DBT_PROFILES_DIR", str(ROOT))

import pandas as pd  # noqa: E402

from flowmetrics.analysis import INTERVAL_COLUMNS, detect_constraint  # noqa: E402
from flowmetrics.results import ConstraintFinding, StageVerdict  # noqa: E402
from flowmetrics.simulation import all_scenarios  # noqa: E402
from tests.python.detection.scenario_warehouse import build_scenario_warehouse, judge, read_intervals  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_foundation import CHANGES_PER_TICKET  # noqa: E402

# Held out: the method was developed on seeds 100-111 (the tests use 21); a first held-out sweep on 1000-1007 gave
# 94.8% and its failures were studied (so those seeds are development data now); 2000-2011 are the final sweep
# (the saturation signals were developed on 2000-2003, their cuts set once on the misses of 2004-2011).
# 3000-3011 is a second, disjoint range, first run after the confidence accounted for the shift's location, the
# runner-up and borderline "none" verdicts (developed on 2000-2011): the calibration is reported on both.
DEFAULT_SEEDS = (*range(2000, 2012), *range(3000, 3012))
STABILITY_SEEDS = tuple(range(1, 11))
HIGH = 0.9  # the confidence the calibration target speaks of


def sweep(seeds: tuple[int, ...], work: Path) -> bool:
    """The sweep per range of seeds (seeds grouped by thousands: disjoint ranges judged apart)."""
    ok = True
    for n, group in enumerate(sorted({seed // 1000 for seed in seeds})):
        mine = tuple(seed for seed in seeds if seed // 1000 == group)
        print(f"\n=== seeds {mine[0]}-{mine[-1]} ===")
        ok &= sweep_range(mine, work / f"range{n}")
    return ok


def sweep_range(seeds: tuple[int, ...], work: Path) -> bool:
    runs = [(s, seed) for seed in seeds for s in all_scenarios()]
    started = time.perf_counter()
    warehouse, built = build_scenario_warehouse(runs, work)
    print(
        f"sweep: {len(built)} scenarios ({len(seeds)} seeds) simulated, ingested and built in "
        f"{time.perf_counter() - started:.0f}s"
    )
    rows = []
    frames = {}
    detect_seconds = 0.0
    for run in built:
        frame, as_of = read_intervals(warehouse, run.key)
        if run.seed == seeds[0]:
            frames[run.scenario.name] = (frame, as_of)
        t = time.perf_counter()
        finding = detect_constraint(frame, as_of)
        detect_seconds += time.perf_counter() - t
        j = judge(run, finding)
        confidence = verdict_confidence(finding)
        rows.append((run, finding, j, confidence))
        if not j.correct:
            e = run.scenario.expected
            print(
                f"  wrong: {run.scenario.name} seed {run.seed}: expected {e.constraint_stage}/{e.constraint_team}/"
                f"{e.kind}, got {finding.constraint_stage}/{finding.constraint_team}/{finding.kind} "
                f"({finding.confidence:.2f}), shifts {[(s.from_stage, s.to_stage) for s in finding.shifts]}"
            )
    print(f"detection: {detect_seconds / len(rows):.2f}s per scenario")
    by_family: dict[str, list] = defaultdict(list)
    for row in rows:
        by_family[row[0].scenario.family].append(row)
    print(f"\n  {'family':<26}{'n':>4}{'right':>7}{'accuracy':>10}{'mean conf':>11}{'shift error (windows)':>23}")
    for family, items in by_family.items():
        right = sum(r[2].correct for r in items)
        errors = [r[2].shift_error_days / 7 for r in items if r[2].shift_error_days is not None]
        err = f"{sum(errors) / len(errors):.2f} mean, {max(errors):.2f} max" if errors else ""
        mean_conf = sum(r[3] for r in items) / len(items)
        print(f"  {family:<26}{len(items):>4}{right:>7}{right / len(items):>10.0%}{mean_conf:>11.2f}{err:>23}")
    planted = [r for r in rows if r[0].scenario.expected.constraint_stage is not None]
    none = [r for r in rows if r[0].scenario.expected.constraint_stage is None]
    shifting = [r for r in rows if r[0].scenario.expected.kind == "shifting"]
    acc = sum(r[2].correct for r in planted) / len(planted)
    print(f"\n  planted constraints: {sum(r[2].correct for r in planted)}/{len(planted)} right ({acc:.1%}; target 95%)")
    print(f"  shifts located within one window: {sum(r[2].shift_ok for r in shifting)}/{len(shifting)}")
    print(f"  'none' on the no-constraint family: {sum(r[2].correct for r in none)}/{len(none)}")
    print("\n  confidence calibration (verdict confidence: named -> confidence, none -> 1 - confidence)")
    for label, named in (("named", True), ("none", False)):
        for lo, hi in ((HIGH, 1.01), (0.7, HIGH), (0.0, 0.7)):
            bucket = [r for r in rows if lo <= r[3] < hi and (r[1].constraint_stage is not None) == named]
            if bucket:
                right = sum(r[2].correct for r in bucket)
                print(
                    f"    {label:<6}[{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}: {len(bucket):>4} verdicts, "
                    f"{right}/{len(bucket)} right ({right / len(bucket):.1%}; target at >= {HIGH}: 99%)"
                )
    wrong_high = [r for r in rows if r[3] >= HIGH and not r[2].correct]
    print(f"\n  wrong verdicts at >= {HIGH}: {len(wrong_high)}")
    for run, finding, _, confidence in wrong_high:
        print(f"    {run.scenario.family} {run.scenario.name} seed {run.seed}: {_verdict(finding)} ({confidence:.3f})")
        for v in finding.stages:
            if v.signals.has_work:
                print(f"      {_stage_line(v)}")
    stability(frames)
    return acc >= 0.95 and all(r[2].correct for r in none) and all(r[2].shift_ok for r in shifting)


def verdict_confidence(finding: ConstraintFinding) -> float:
    """The confidence in the verdict given: a named one's, or for "none" the bootstrap share finding none too."""
    return finding.confidence if finding.constraint_stage is not None else 1 - finding.confidence


def _verdict(f: ConstraintFinding) -> str:
    shifts = ", ".join(f"{s.from_stage} -> {s.to_stage} at {s.at:%Y-%m-%d}" for s in f.shifts)
    return f"{f.constraint_stage}/{f.constraint_team}/{f.kind}" + (f" ({shifts})" if shifts else "")


def _stage_line(v: StageVerdict) -> str:
    s = v.signals
    return (
        f"{v.stage:<10} {v.classification:<11} queue>0 {s.queue_nonempty_share:.2f} queue time {s.waiting_share:.2f} "
        f"load dep {s.load_dependence:.2f} occupancy {s.occupancy:.2f} at cap {s.at_ceiling_share:.2f} "
        f"burst {s.burst_response:.2f} bottleneck {s.bottleneck_share:.2f}"
    )


def stability(frames: dict[str, tuple[pd.DataFrame, pd.Timestamp]]) -> None:
    """Per system (one of each scenario, the range's first seed): max - min of the verdict's confidence over
    STABILITY_SEEDS bootstrap seeds."""
    spreads = []
    for name, (frame, as_of) in frames.items():
        found = [verdict_confidence(detect_constraint(frame, as_of, seed=seed)) for seed in STABILITY_SEEDS]
        spreads.append((max(found) - min(found), name, min(found), max(found)))
    spreads.sort(reverse=True)
    top = ", ".join(f"{n} {lo:.3f}-{hi:.3f}" for _, n, lo, hi in spreads[:3])
    print(
        f"\n  confidence against --seed {STABILITY_SEEDS[0]}..{STABILITY_SEEDS[-1]} ({len(spreads)} systems): "
        f"max - min at most {spreads[0][0]:.3f}, median {spreads[len(spreads) // 2][0]:.3f} (target: within "
        f"+-0.02 of the middle, max - min <= 0.04); "
        f"widest: {top}"
    )


def _run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def scale(changes: int, work: Path, built: Path | None = None) -> None:
    bin_dir = Path(sys.executable).parent
    if built is not None:
        print(f"\nscale: detection on the already built warehouse {built}")
        return time_detection(built, work)
    items = int(changes / CHANGES_PER_TICKET)
    raw, warehouse = work / "raw", work / "scale.duckdb"
    print(f"\nscale: demo system with {items:,} tickets (~{changes:,} status changes)")
    t = _run(
        [
            str(bin_dir / "flowmetrics"),
            "generate",
            "--out",
            str(raw),
            "--items",
            str(items),
            "--format",
            "parquet",
            "--seed",
            "5",
        ]
    )
    print(f"  generate {t:.0f}s")
    t = _run([str(bin_dir / "flowmetrics"), "ingest", str(raw), "--warehouse", str(warehouse)])
    print(f"  ingest {t:.0f}s")
    t = _run(
        [
            str(bin_dir / "flowmetrics"),
            "build",
            "--warehouse",
            str(warehouse),
            "--",
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ]
    )
    print(f"  dbt build {t:.0f}s")
    time_detection(warehouse, work)


def time_detection(warehouse: Path, work: Path) -> None:
    """`flowmetrics detect` on `warehouse`, phase by phase."""
    import pandas as pd

    bin_dir = Path(sys.executable).parent

    from flowmetrics.warehouse.findings import read_status_intervals, write_findings
    from flowmetrics.warehouse.marts import MartReader

    with MartReader.open(warehouse=warehouse) as reader:
        n_changes = reader.count("fct_stage_transitions")
        started = time.perf_counter()
        as_of = pd.Timestamp(reader.as_of())
        frame = read_status_intervals(reader, INTERVAL_COLUMNS, (as_of - pd.Timedelta(days=84)).to_pydatetime())
        read_s = time.perf_counter() - started
        target = reader.connection.target
    started = time.perf_counter()
    finding = detect_constraint(frame, as_of)
    detect_s = time.perf_counter() - started
    started = time.perf_counter()
    write_findings(target, finding)
    write_s = time.perf_counter() - started
    t = _run(
        [
            str(bin_dir / "dbt"),
            "build",
            "--select",
            "stg_flowmetrics__constraint_findings",
            "fct_constraint_queue",
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        env={**os.environ, "FLOWMETRICS_DUCKDB": str(warehouse)},
    )
    print(
        f"  marts hold {n_changes:,} transitions; detection read {len(frame):,} status intervals (12 windows of 7 days)"
    )
    print(
        f"  detect: read marts {read_s:.1f}s + analysis {detect_s:.1f}s + write findings {write_s:.1f}s "
        f"= {read_s + detect_s + write_s:.1f}s; rebuild of fct_constraint_queue {t:.0f}s"
    )
    print(f"  verdict: {finding.constraint_stage} ({finding.kind}, {finding.confidence:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="*", default=list(DEFAULT_SEEDS))
    parser.add_argument("--changes", type=int, default=0, help="also time detection on marts of this many changes")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--warehouse", type=Path, default=None, help="time detection on this built warehouse")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-detection-"))
    ok = True
    try:
        if not args.skip_sweep:
            ok = sweep(tuple(args.seeds), work / "sweep")
        if args.changes or args.warehouse:
            scale(args.changes, work / "scale", args.warehouse)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
