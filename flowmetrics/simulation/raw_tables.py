"""A simulation result as the raw contract tables, looking like a real Jira/deploy/experiment export.

Adds what a real changelog has and the engine does not need: string ids, timestamps from the epoch,
`from_status`, reassignments (a change into the status the ticket is already in, by someone else) and rows
in no particular order. Vectorised throughout (strings are spelled out last, by `take` from small
dictionaries): the benchmark turns millions of changes into tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from flowmetrics.contract import TABLES, ColumnType
from flowmetrics.simulation.result import SimulationResult

if TYPE_CHECKING:
    from pandas._typing import AstypeArg

_SECONDS_PER_HOUR = 3600.0
_VERBS = ("Add", "Fix", "Improve", "Remove", "Refactor", "Test", "Update", "Migrate")
_OBJECTS = (
    "checkout flow",
    "search ranking",
    "onboarding email",
    "pricing page",
    "login form",
    "billing export",
    "feature flag",
    "signup funnel",
    "push notification",
    "recommendations",
    "analytics event",
    "landing page",
)
_EXPERIMENT_WORDS = ("pricing", "onboarding", "copy", "layout", "ranking", "checkout", "nudge", "banner")
_DTYPES: dict[ColumnType, AstypeArg] = {
    ColumnType.STRING: "str",
    ColumnType.BOOLEAN: "bool",
    ColumnType.TIMESTAMP: "datetime64[us]",
    ColumnType.INTEGER: "int64",
    ColumnType.DOUBLE: "float64",
}


def to_raw_tables(result: SimulationResult) -> dict[str, pd.DataFrame]:
    """The raw contract tables of `result`: columns in contract order, contract dtypes, deterministic."""
    rng = np.random.default_rng(np.random.SeedSequence([result.seed, 1]))
    stamp = _Stamper(np.datetime64(result.config.epoch.replace(tzinfo=None), "us"))
    deploys, deploy_tickets = _deploys(result, rng, stamp)
    frames = {
        "tickets": _tickets(result, rng, stamp),
        "ticket_status_changes": _status_changes(result, rng, stamp),
        "status_map": _status_map(result),
        "deploys": deploys,
        "deploy_tickets": deploy_tickets,
        "incidents": _incidents(result, stamp),
        **_experiment_tables(result, stamp),
    }
    return {name: conform(name, frames[name]) for name in TABLES}


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the contract's columns of table `name`, in order, in the contract's dtypes."""
    table = TABLES[name]
    out = pd.DataFrame(index=frame.index)
    for col in table.columns:
        values = frame[col.name] if col.name in frame else pd.Series([None] * len(frame), index=frame.index)
        out[col.name] = values.astype(_DTYPES[col.type])
    return out.reset_index(drop=True)


class _Stamper:
    """Simulation hours -> whole-second UTC-naive timestamps from the epoch."""

    def __init__(self, epoch: np.datetime64) -> None:
        self.epoch = epoch

    @staticmethod
    def seconds(hours: np.ndarray | pd.Series) -> np.ndarray:
        return np.rint(np.asarray(hours, dtype=float) * _SECONDS_PER_HOUR)

    def __call__(self, seconds: np.ndarray) -> np.ndarray:
        secs = np.asarray(seconds, dtype=float)
        missing = np.isnan(secs)
        offset = np.where(missing, 0, secs).astype("int64").astype("timedelta64[s]")
        out = (self.epoch + offset).astype("datetime64[us]")
        out[missing] = np.datetime64("NaT", "us")
        return out

    def hours(self, hours: np.ndarray | pd.Series) -> np.ndarray:
        return self(self.seconds(hours))


def _ids(prefix: str, numbers: np.ndarray, width: int = 0) -> ExtensionArray:
    """prefix + number (zero-padded to `width`) as a string array."""
    digits = pd.Series(np.asarray(numbers, dtype=np.int64)).astype(str)
    return (prefix + (digits.str.zfill(width) if width else digits)).array


def ticket_ids(items: np.ndarray) -> ExtensionArray:
    """Jira-like keys FM-1, FM-2, ... for item numbers 0, 1, ..."""
    return _ids("FM-", np.asarray(items) + 1)


def experiment_ids(experiments: np.ndarray) -> ExtensionArray:
    return _ids("EXP-", np.asarray(experiments) + 1, 4)


def _text(values: pd.Series) -> ExtensionArray:
    return values.astype(str).array


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> ExtensionArray:
    return pd.array(list(words), dtype="str").take(rng.integers(0, len(words), n))


def _tickets(result: SimulationResult, rng: np.random.Generator, stamp: _Stamper) -> pd.DataFrame:
    items = result.items
    n = len(items)
    # created a little before the first status change is logged (Jira sets the initial status just after)
    created = np.maximum(stamp.seconds(items["created_hours"]) - rng.integers(1, 120, n), 0)
    exp = result.experiments.experiments
    exp_code = np.full(n, -1, dtype=np.int64)
    exp_code[exp["item"].to_numpy()] = exp["experiment"].to_numpy()
    title = pd.Series(_pick(rng, _VERBS, n)) + " " + pd.Series(_pick(rng, _OBJECTS, n))
    return pd.DataFrame(
        {
            "ticket_id": ticket_ids(items["item"].to_numpy()),
            "title": title.array,
            "ticket_type": _text(items["ticket_type"]),
            "team": _text(items["team"]),
            "requested_by": _text(items["requested_by"]),
            "experiment_id": experiment_ids(np.arange(len(exp))).take(exp_code, allow_fill=True),
            "ai_assisted": items["ai_assisted"].to_numpy(dtype=bool),
            "created_at": stamp(created),
        }
    )


def _status_changes(result: SimulationResult, rng: np.random.Generator, stamp: _Stamper) -> pd.DataFrame:
    changes = result.changes
    item = changes["item"].to_numpy()
    hours = changes["at_hours"].to_numpy()
    status = changes["status"].cat.codes.to_numpy().astype(np.int64)
    actor = changes["actor"].cat.codes.to_numpy().astype(np.int64)
    statuses = list(changes["status"].cat.categories)
    actors = list(changes["actor"].cat.categories)
    # per ticket in order (stable: the engine logged same-time changes of a ticket in the order they happened)
    order = np.lexsort((hours, item))
    item, hours, status, actor = item[order], hours[order], status[order], actor[order]
    item, hours, status, actor, actors = _with_reassignments(result, rng, item, hours, status, actor, actors)
    seconds = stamp.seconds(hours)
    n = len(item)
    first = np.ones(n, dtype=bool)
    first[1:] = item[1:] != item[:-1]
    seq = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    from_code = np.concatenate([[-1], status[:-1]]).astype(np.int64)
    from_code[first] = -1
    # change ids in time order (ties: per ticket in sequence), zero-padded so they sort as strings too
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((seq, item, seconds))] = np.arange(n)
    # an export is in no particular order: shuffle the integer columns, then spell them out
    perm = rng.permutation(n)
    item, seconds, status, from_code, actor, rank = (x[perm] for x in (item, seconds, status, from_code, actor, rank))
    status_names = pd.array(statuses, dtype="str")
    return pd.DataFrame(
        {
            "change_id": _ids("", rank + 1, max(9, len(str(n)))),
            "ticket_id": ticket_ids(np.arange(len(result.items))).take(item),
            "changed_at": stamp(seconds),
            "from_status": status_names.take(from_code, allow_fill=True),
            "to_status": status_names.take(status),
            "changed_by": pd.array(actors, dtype="str").take(actor),
        }
    )


def _with_reassignments(
    result: SimulationResult,
    rng: np.random.Generator,
    item: np.ndarray,
    hours: np.ndarray,
    status: np.ndarray,
    actor: np.ndarray,
    actors: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Insert, inside some queue/active status stays, a same-status change by the ticket team's lead.

    The arrays are per ticket in time order; a reassignment goes right after the change it splits.
    """
    cfg = result.config
    n = len(item)
    if n == 0 or cfg.reassign_probability <= 0:
        return item, hours, status, actor, actors
    kinds = {s.name: s.kind for s in cfg.statuses}
    statuses = list(result.changes["status"].cat.categories)
    eligible = np.array([kinds.get(s) in ("queue", "active") for s in statuses])
    nxt = np.full(n, result.end_hours)
    nxt[:-1] = np.where(item[1:] == item[:-1], hours[1:], result.end_hours)
    idx = np.flatnonzero(eligible[status] & (nxt > hours) & (rng.random(n) < cfg.reassign_probability))
    team = result.items["team"]
    lead = len(actors) + team.cat.codes.to_numpy().astype(np.int64)[item[idx]]
    actors = actors + [f"{t}-lead" for t in team.cat.categories]
    new_hours = hours[idx] + rng.uniform(0.1, 0.9, len(idx)) * (nxt[idx] - hours[idx])
    order = np.argsort(np.concatenate([np.arange(n) * 2, idx * 2 + 1]), kind="stable")
    return (
        np.concatenate([item, item[idx]])[order],
        np.concatenate([hours, new_hours])[order],
        np.concatenate([status, status[idx]])[order],
        np.concatenate([actor, lead])[order],
        actors,
    )


def _status_map(result: SimulationResult) -> pd.DataFrame:
    statuses = result.config.statuses
    return pd.DataFrame(
        {
            "raw_status": [s.name for s in statuses],
            "stage": [s.stage for s in statuses],
            "stage_kind": [s.kind for s in statuses],
            "stage_order": [s.order for s in statuses],
        }
    )


def _deploys(result: SimulationResult, rng: np.random.Generator, stamp: _Stamper) -> tuple[pd.DataFrame, pd.DataFrame]:
    d, di = result.deploys, result.deploy_items
    trains = result.config.deploy_trains
    n = len(d)
    deploy_id = _ids("DEP-", d["deploy"].to_numpy() + 1, 5)
    # first commit: when the earliest-started ticket of the deploy first entered an active status
    kinds = {s.name: s.kind for s in result.config.statuses}
    ch = result.changes
    is_active = np.array([kinds[s] == "active" for s in ch["status"].cat.categories])[ch["status"].cat.codes]
    started = ch[is_active].groupby("item", sort=False)["at_hours"].min()
    first = (
        di.assign(started=di["item"].map(started))
        .groupby("deploy")["started"]
        .min()
        .reindex(d["deploy"])
        .to_numpy(dtype=float)
    )
    missing_share = trains.missing_first_commit_share if trains is not None else 0.0
    first = np.where(rng.random(n) < missing_share, np.nan, first)
    sha = np.frombuffer(rng.bytes(20 * n), dtype=np.uint8).reshape(n, 20)
    deploys = pd.DataFrame(
        {
            "deploy_id": deploy_id,
            "service": _text(d["service"]),
            "environment": trains.environment if trains is not None else "production",
            "deployed_at": stamp.hours(d["at_hours"]),
            "status": _text(d["status"]),
            "commit_sha": [row.tobytes().hex() for row in sha],
            "first_commit_at": stamp.hours(first),
        }
    )
    links = pd.DataFrame(
        {"deploy_id": deploy_id.take(di["deploy"].to_numpy()), "ticket_id": ticket_ids(di["item"].to_numpy())}
    )
    return deploys, links


_SEVERITIES = ("sev1", "sev2", "sev3")
_SEVERITY_WEIGHTS = (0.1, 0.3, 0.6)
_LATENT_FAILURE_SHARE = 0.03  # successful deploys whose change still causes an incident, found later
_UNKNOWN_CAUSE_SHARE = 0.15  # incidents whose cause is not traced to a deploy


def _incidents(result: SimulationResult, stamp: _Stamper) -> pd.DataFrame:
    """Production incidents: one per failed or rolled-back deploy (opened minutes after it, resolved by its
    successful redeploy), a few from successful deploys (a latent failure found hours later) and some whose cause
    is unknown. Resolutions after the last simulated event are left open. Its own random stream, so the other
    tables do not change."""
    rng = np.random.default_rng(np.random.SeedSequence([result.seed, 2]))
    d = result.deploys
    if len(d) == 0:
        return pd.DataFrame({c: [] for c in TABLES["incidents"].column_names})
    at = d["at_hours"].to_numpy(dtype=float)
    failed = (d["status"].astype(str) != "success").to_numpy()
    redeployed = d[d["redeploy_of"] >= 0]
    restored_at = pd.Series(redeployed["at_hours"].to_numpy(), index=redeployed["redeploy_of"].to_numpy())
    restored = restored_at[~restored_at.index.duplicated()].reindex(np.arange(len(d))).to_numpy(dtype=float)
    latent = ~failed & (rng.random(len(d)) < _LATENT_FAILURE_SHARE)
    causing = np.flatnonzero(failed | latent)
    opened = at[causing] + np.where(failed[causing], rng.exponential(0.1, len(causing)),
                                    rng.lognormal(1.0, 0.8, len(causing)))
    resolved = np.where(failed[causing], restored[causing], opened + rng.lognormal(0.7, 0.6, len(causing)))
    opened = np.minimum(opened, np.where(np.isnan(resolved), opened, resolved))
    cause = _ids("DEP-", causing + 1, 5)
    service = _text(d["service"]).take(causing)
    unknown = rng.random(len(causing)) < _UNKNOWN_CAUSE_SHARE
    horizon = max(at.max(), float(result.changes["at_hours"].max()))
    resolved = np.where(resolved > horizon, np.nan, resolved)
    order = np.lexsort((causing, opened))
    severity = pd.array(list(_SEVERITIES), dtype="str").take(
        rng.choice(len(_SEVERITIES), len(causing), p=_SEVERITY_WEIGHTS)
    )
    return pd.DataFrame(
        {
            "incident_id": _ids("INC-", np.arange(len(causing)) + 1, 4),
            "service": service.take(order),
            "opened_at": stamp.hours(opened[order]),
            "resolved_at": stamp.hours(resolved[order]),
            "severity": severity.take(order),
            "caused_by_deploy_id": pd.Series(cause.take(order)).where(~unknown[order], None).array,
        }
    )


def _experiment_tables(result: SimulationResult, stamp: _Stamper) -> dict[str, pd.DataFrame]:
    rec = result.experiments
    exp, var, ev, expo = rec.experiments, rec.variants, rec.events, rec.exposures
    ids = experiment_ids(np.arange(len(exp)))
    number = exp["experiment"].to_numpy()
    words = pd.Series(pd.array(list(_EXPERIMENT_WORDS), dtype="str").take(number % len(_EXPERIMENT_WORDS)))
    name = pd.Series(_text(exp["team"])) + " " + words + " test " + pd.Series(number + 1).astype(str)
    experiments = pd.DataFrame(
        {
            "experiment_id": ids.take(number),
            "name": name.array,
            "team": _text(exp["team"]),
            "ticket_id": ticket_ids(exp["item"].to_numpy()),
            "ai_assisted": exp["ai_assisted"].to_numpy(dtype=bool),
            "min_sample_size": exp["min_sample_size"].to_numpy(dtype=np.int64),
            "created_at": stamp.hours(exp["created_hours"]),
        }
    )
    variants = pd.DataFrame(
        {
            "experiment_id": ids.take(var["experiment"].to_numpy()),
            "variant": _text(var["variant"]),
            "weight": var["weight"].to_numpy(dtype=float),
        }
    )
    ev_seconds = stamp.seconds(ev["at_hours"])
    rank = np.empty(len(ev), dtype=np.int64)
    rank[np.lexsort((np.arange(len(ev)), ev_seconds))] = np.arange(len(ev))
    events = pd.DataFrame(
        {
            "event_id": _ids("EV-", rank + 1, 6),
            "experiment_id": ids.take(ev["experiment"].to_numpy()),
            "event_type": ev["event_type"].to_numpy(dtype=object),
            "occurred_at": stamp(ev_seconds),
            "decision": ev["decision"].to_numpy(dtype=object),
            "variant": ev["variant"].to_numpy(dtype=object),
        }
    )
    exposures = pd.DataFrame(
        {
            "experiment_id": ids.take(expo["experiment"].to_numpy()),
            "unit_id": _ids("u", expo["unit"].to_numpy(), 7),
            "variant": _text(expo["variant"]),
            "exposed_at": stamp.hours(expo["at_hours"]),
        }
    )
    exposures = exposures.drop_duplicates(list(TABLES["experiment_exposures"].key))
    return {
        "experiments": experiments,
        "experiment_variants": variants,
        "experiment_events": events,
        "experiment_exposures": exposures,
    }
