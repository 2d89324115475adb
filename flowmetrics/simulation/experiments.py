"""Experiments built by tickets: lifecycle events and exposures, derived from when their ticket shipped.

Runs after the flow (an experiment launches when its ticket is done) with its own random stream, and plants
what an experiment mart must catch: sample-ratio mismatch, runs that never reach their minimum sample,
experiments never decided, `ship` decisions never shipped, abandoned ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from flowmetrics.simulation.config import HOURS_PER_DAY, ExperimentConfig, SimulationConfig
from flowmetrics.simulation.result import ExperimentRecords

TWO_VARIANTS: tuple[tuple[str, float], ...] = (("control", 0.5), ("treatment", 0.5))
THREE_VARIANTS: tuple[tuple[str, float], ...] = (("control", 0.5), ("variant_a", 0.25), ("variant_b", 0.25))
VARIANT_NAMES: tuple[str, ...] = ("control", "treatment", "variant_a", "variant_b")


def simulate_experiments(
    config: SimulationConfig, items: pd.DataFrame, end_hours: float, rng: np.random.Generator
) -> ExperimentRecords:
    """Experiments for the items flagged `experiment`, with everything that happened by `end_hours`."""
    cfg = config.experiments
    rows = items[items["experiment"]]
    builder = _Builder(cfg or ExperimentConfig(), end_hours, rng)
    for e, row in enumerate(rows.itertuples(index=False)):
        builder.add(e, row)
    return builder.records()


class _Builder:
    """Accumulates one experiment at a time into column lists, then frames."""

    def __init__(self, cfg: ExperimentConfig, end: float, rng: np.random.Generator) -> None:
        self.cfg, self.end, self.rng = cfg, end, rng
        self.exp: dict[str, list] = {
            k: []
            for k in (
                "experiment",
                "item",
                "team",
                "ai_assisted",
                "min_sample_size",
                "created_hours",
                "srm",
                "low_traffic",
                "fate",
                "decision",
            )
        }
        self.var: dict[str, list] = {k: [] for k in ("experiment", "variant", "weight", "actual_weight")}
        self.ev: dict[str, list] = {k: [] for k in ("experiment", "event_type", "at_hours", "decision", "variant")}
        self.expo: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        names, probs = zip(*cfg.decisions.items(), strict=True)
        self.decision_names: tuple[str, ...] = names
        self.decision_p = np.asarray(probs, dtype=float) / sum(probs)

    def _event(self, e: int, kind: str, at: float, decision: str | None = None, variant: str | None = None) -> None:
        if at <= self.end:
            for k, v in zip(self.ev, (e, kind, at, decision, variant), strict=True):
                self.ev[k].append(v)

    def add(self, e: int, row: Any) -> None:
        """Experiment `e` on the item `row` (a row of the items frame: pandas types its cells as any scalar)."""
        cfg, rng = self.cfg, self.rng
        u = rng.random(8)
        created = min(float(row.created_hours) + u[0] * 2.0, self.end)
        variants = THREE_VARIANTS if u[1] < cfg.three_variant_share else TWO_VARIANTS
        srm = bool(u[2] < cfg.srm_share)
        low = bool(u[3] < cfg.low_traffic_share)
        planned = np.array([w for _, w in variants])
        actual = planned.copy()
        if srm:
            actual[-1] *= 1 + cfg.srm_skew * (1 if u[4] < 0.5 else -1)
            actual /= actual.sum()
        for (name, w), a in zip(variants, actual, strict=True):
            for k, v in zip(self.var, (e, name, w, float(a)), strict=True):
                self.var[k].append(v)
        self._event(e, "created", created)
        runtime_days = float(rng.choice(cfg.runtime_days))
        # sized for the planned traffic, so only under-powered runs (low traffic, a slow start) miss it
        planned_units = cfg.units_per_day * runtime_days * rng.uniform(0.5, 0.85)
        min_sample = max(100, int(round(planned_units, -2)))
        fate, decision = self._lifecycle(e, row, variants, actual, low, u, runtime_days * HOURS_PER_DAY)
        values = (
            e,
            int(row.item),
            row.team,
            bool(row.ai_assisted),
            min_sample,
            created,
            srm,
            low,
            fate,
            decision,
        )
        for k, v in zip(self.exp, values, strict=True):
            self.exp[k].append(v)

    def _lifecycle(
        self,
        e: int,
        row: Any,
        variants: tuple[tuple[str, float], ...],
        actual: np.ndarray,
        low: bool,
        u: np.ndarray,
        runtime: float,
    ) -> tuple[str, str | None]:
        """Events after creation; returns the planted fate and the decision drawn (if any)."""
        cfg, rng = self.cfg, self.rng
        abandoned_at = float(row.abandoned_hours)
        shipped_at = float(row.finished_hours)
        if not np.isnan(abandoned_at):
            self._event(e, "abandoned", abandoned_at)
            return "ticket_abandoned", None
        if np.isnan(shipped_at):
            return "not_launched", None
        day = HOURS_PER_DAY
        launch = shipped_at + 0.5 + u[5] * 5.5
        self._event(e, "launched", launch)
        active = [(launch, launch + runtime)]
        if u[6] < cfg.pause_share:
            pause = launch + runtime * rng.uniform(0.2, 0.6)
            resume = pause + rng.uniform(1.0, 3.0) * day
            self._event(e, "paused", pause)
            self._event(e, "resumed", resume)
            active = [(launch, pause), (resume, resume + launch + runtime - pause)]
        stop = active[-1][1]
        fate_u = u[7]
        if fate_u < cfg.abandoned_share:
            gone = launch + rng.uniform(0.2, 0.8) * runtime
            active = [(a, min(b, gone)) for a, b in active if a < gone]
            self._event(e, "abandoned", gone)
            fate, decision = "abandoned", None
        elif fate_u < cfg.abandoned_share + cfg.undecided_share:
            self._event(e, "stopped", stop)
            fate, decision = "undecided", None
        else:
            self._event(e, "stopped", stop)
            decision = str(self.decision_names[rng.choice(len(self.decision_names), p=self.decision_p)])
            decided = stop + rng.uniform(0.5, 5.0) * day
            winner = variants[1 + int(rng.integers(len(variants) - 1))][0]
            variant = winner if decision == "ship" else ("control" if decision == "rollback" else None)
            self._event(e, "decided", decided, decision, variant)
            if decision == "ship" and rng.random() >= cfg.missing_shipped_share:
                self._event(e, "shipped", decided + rng.uniform(1.0, 7.0) * day, None, winner)
            fate = "decided"
        self._exposures(e, variants, actual, low, active)
        return fate, decision

    def _exposures(
        self,
        e: int,
        variants: tuple[tuple[str, float], ...],
        actual: np.ndarray,
        low: bool,
        active: list[tuple[float, float]],
    ) -> None:
        cfg, rng = self.cfg, self.rng
        spans = np.array([[a, min(b, self.end)] for a, b in active if a < self.end])
        if len(spans) == 0:
            return
        lengths = spans[:, 1] - spans[:, 0]
        rate = cfg.units_per_day * rng.lognormal(0.0, 0.5) * (0.05 if low else 1.0)
        units = np.unique(rng.integers(0, cfg.unit_population, rng.poisson(rate * lengths.sum() / HOURS_PER_DAY)))
        if len(units) == 0:
            return
        codes = np.array([VARIANT_NAMES.index(name) for name, _ in variants])
        unit_variant = codes[rng.choice(len(variants), size=len(units), p=actual)]
        repeats = 1 + rng.poisson(max(cfg.exposures_per_unit - 1.0, 0.0), len(units))
        unit = np.repeat(units, repeats)
        variant = np.repeat(unit_variant, repeats)
        # each exposure at a uniform time over the active spans
        offset = rng.uniform(0.0, lengths.sum(), len(unit))
        cum = np.concatenate([[0.0], np.cumsum(lengths)])
        span = np.searchsorted(cum, offset, side="right") - 1
        at = spans[span, 0] + offset - cum[span]
        self.expo.append((np.full(len(unit), e, dtype=np.int64), unit, variant, at))

    def records(self) -> ExperimentRecords:
        experiments = pd.DataFrame(self.exp)
        for col in ("experiment", "item", "min_sample_size"):
            experiments[col] = experiments[col].astype("int64")
        for col in ("ai_assisted", "srm", "low_traffic"):
            experiments[col] = experiments[col].astype(bool)
        experiments["created_hours"] = experiments["created_hours"].astype(float)
        events = pd.DataFrame(self.ev)
        events["experiment"] = events["experiment"].astype("int64")
        events["at_hours"] = events["at_hours"].astype(float)
        if self.expo:
            e, unit, variant, at = (np.concatenate(parts) for parts in zip(*self.expo, strict=True))
        else:
            e, unit, variant, at = (np.array([], dtype=t) for t in ("int64", "int64", "int64", "float64"))
        exposures = pd.DataFrame(
            {
                "experiment": e,
                "unit": unit.astype(np.int64),
                "variant": pd.Categorical.from_codes(variant.astype(np.int64), pd.Index(VARIANT_NAMES)),
                "at_hours": at,
            }
        )
        variants = pd.DataFrame(self.var)
        variants["experiment"] = variants["experiment"].astype("int64")
        variants["weight"] = variants["weight"].astype(float)
        variants["actual_weight"] = variants["actual_weight"].astype(float)
        return ExperimentRecords(experiments, variants, events, exposures)
