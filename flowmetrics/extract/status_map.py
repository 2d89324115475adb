"""A suggested status_map for an extract: the statuses a tracker declares (with its category of each) and the ones its
changes use, mapped by the same rules as the build's suggested map (int_status_mappings_suggested: an abandoned name
in a done category first (Jira's "Won't Do"), then a declared category, then the first matching row of seed
status_name_rules, waits homed in the stage they most often follow, flow stages ordered by typical position). The
rules are the seed's rows, read from the project; this module applies them to the extract's rows before any warehouse
exists, so the map can be edited before the first ingest."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flowmetrics.errors import ConfigError
from flowmetrics.warehouse.project import PROJECT_DIR

NAME_RULES = PROJECT_DIR / "seeds" / "status_name_rules.csv"
FLOW_KINDS = ("queue", "active", "wait")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class NameRule:
    rule_order: int
    match_type: str  # exact, prefix or contains
    words: str
    stage_kind: str
    stage: str | None


def read_name_rules(path: Path = NAME_RULES) -> tuple[NameRule, ...]:
    """The seed's rules by rule_order."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rules = [NameRule(int(r["rule_order"]), r["match_type"], r["words"], r["stage_kind"], r["stage"] or None)
                     for r in csv.DictReader(handle)]
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"cannot read the status name rules {path}: {exc}") from exc
    return tuple(sorted(rules, key=lambda r: r.rule_order))


def status_words(name: str) -> str:
    """Lower case letters and digits, one space between words (the status_words macro)."""
    return _NOT_WORD.sub(" ", name.lower()).strip()


def suggest_status_map(categories: dict[str, str], changes: pd.DataFrame,
                       rules: tuple[NameRule, ...] | None = None) -> pd.DataFrame:
    """The status_map (raw_status, stage, stage_kind, stage_order) of every status in ``categories`` (name →
    todo, in_progress, done or canceled) or in ``changes`` (from_status, to_status)."""
    rules = read_name_rules() if rules is None else rules
    positions = _typical_positions(changes)
    names = sorted(set(categories) | set(positions) | _used(changes))
    named: dict[str, tuple[str, str, bool]] = {}  # status → (stage, kind, named by itself)
    for name in names:
        named[name] = _name_stage(status_words(name), categories.get(name), rules)
    homes = _wait_homes(changes, named)
    mapped = {name: (homes.get(name, stage) if kind == "wait" and alone else stage, kind)
              for name, (stage, kind, alone) in named.items()}
    stage_positions: dict[str, float | None] = {}
    for name, (stage, kind) in mapped.items():
        if kind in FLOW_KINDS:  # a stage sits at its earliest status's position (statuses without one: last)
            found = [p for p in (stage_positions.get(stage), positions.get(name)) if p is not None]
            stage_positions[stage] = min(found, default=None)
    ordered = sorted(stage_positions, key=lambda s: (stage_positions[s] is None, stage_positions[s] or 0.0, s))
    orders = {stage: 10 * (i + 1) for i, stage in enumerate(ordered)}
    terminal = {"done": 10 * (len(ordered) + 1), "abandoned": 10 * (len(ordered) + 2)}
    rows = [(name, stage, kind, terminal[kind] if kind in terminal else orders[stage])
            for name, (stage, kind) in mapped.items()]
    frame = pd.DataFrame(rows, columns=["raw_status", "stage", "stage_kind", "stage_order"])
    return frame.sort_values(["stage_order", "raw_status"], kind="stable").reset_index(drop=True)


def _name_stage(words: str, category: str | None, rules: tuple[NameRule, ...]) -> tuple[str, str, bool]:
    rule = next((r for r in rules if _matches(words, r) and _eligible(r, category)), None)
    if rule is not None and rule.stage_kind == "abandoned":
        kind, stage_words = "abandoned", "abandoned"
    elif category == "done":
        kind, stage_words = "done", "done"
    elif category == "canceled":
        kind, stage_words = "abandoned", "abandoned"
    else:
        if rule is not None:
            kind = rule.stage_kind
        elif category == "in_progress":
            kind = "active"
        elif category in ("todo", "backlog"):
            kind = "queue"
        else:
            kind = "active"
        if rule is not None and rule.stage:
            stage_words = rule.stage
        elif rule is not None and rule.match_type == "prefix" and len(words) > len(rule.words):
            stage_words = words[len(rule.words) + 1:]
        elif rule is None and category in ("todo", "backlog"):
            stage_words = "backlog"
        else:
            stage_words = words
    alone = category not in ("done", "canceled") and (rule is None or (
        not rule.stage and (rule.match_type != "prefix" or len(words) <= len(rule.words))))
    if kind in ("done", "abandoned"):
        stage = kind
    elif stage_words.replace(" ", "_") in ("", "done", "abandoned"):
        stage = stage_words.replace(" ", "_") + "_stage"
    else:
        stage = stage_words.replace(" ", "_")
    return stage, kind, alone


def _matches(words: str, rule: NameRule) -> bool:
    if rule.match_type == "exact":
        return words == rule.words
    if rule.match_type == "prefix":
        return words == rule.words or words.startswith(rule.words + " ")
    return f" {rule.words} " in f" {words} "


def _eligible(rule: NameRule, category: str | None) -> bool:
    if category == "done":  # a tracker's done category holds "Won't Do" and "Duplicate" too: their names decide
        return rule.stage_kind == "abandoned"
    if category == "canceled":
        return False
    if rule.stage_kind in ("queue", "wait"):
        return True
    if rule.stage_kind == "active":
        return (category or "in_progress") == "in_progress"
    return category is None


def _used(changes: pd.DataFrame) -> set[str]:
    return {str(s) for column in ("from_status", "to_status") for s in changes[column].dropna()}


def _typical_positions(changes: pd.DataFrame) -> dict[str, float]:
    """Median, over tickets, of the rank of each status's first entry in the ticket's sequence of statuses."""
    if changes.empty:
        return {}
    at = pd.to_datetime(changes["changed_at"], utc=True, format="ISO8601")
    events = pd.concat([
        pd.DataFrame({"ticket_id": changes["ticket_id"], "changed_at": at, "side": side,
                      "change_id": changes["change_id"], "raw_status": changes[column]})
        for side, column in ((0, "from_status"), (1, "to_status"))
    ]).dropna(subset=["raw_status"])
    events = events.sort_values(["ticket_id", "changed_at", "side", "change_id"], kind="stable")
    events["event_number"] = events.groupby("ticket_id").cumcount()
    first = events.groupby(["ticket_id", "raw_status"])["event_number"].min().reset_index()
    first = first.sort_values(["ticket_id", "event_number"])
    first["ordinal"] = first.groupby("ticket_id").cumcount() + 1
    return {str(k): float(v) for k, v in first.groupby("raw_status")["ordinal"].median().items()}


def _wait_homes(changes: pd.DataFrame, named: dict[str, tuple[str, str, bool]]) -> dict[str, str]:
    """Each status's most frequent predecessor's stage, among predecessors of kind active (ties: the stage name)."""
    moves = changes.dropna(subset=["from_status", "to_status"])
    moves = moves[moves["from_status"] != moves["to_status"]]
    counts = moves.groupby(["to_status", "from_status"]).size().reset_index(name="n")
    best: dict[str, tuple[int, str]] = {}
    for to_status, from_status, n in zip(counts["to_status"], counts["from_status"], counts["n"], strict=True):
        stage, kind, _ = named.get(str(from_status), ("", "", False))
        if kind != "active":
            continue
        current = best.get(str(to_status))
        if current is None or (-int(n), stage) < (-current[0], current[1]):
            best[str(to_status)] = (int(n), stage)
    return {status: stage for status, (_, stage) in best.items()}
