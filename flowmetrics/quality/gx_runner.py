"""great-expectations behind one small class: suites become GX suites, data frames are validated through a
pandas datasource (GX's SQL datasource fails every expectation on DuckDB, see STACK.md), and every validation
is rendered into an offline Data Docs site. great_expectations is imported here only, when a gate runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flowmetrics.quality.suite import Check, Suite

GX_SEVERITY = {"error": "critical", "warn": "warning"}


@dataclass
class Outcome:
    """One check's result, accumulated over the chunks of a relation."""

    check: Check
    severity: str
    success: bool = True
    evaluated: bool = False
    unexpected_count: int | None = None
    element_count: int | None = None
    observed: Any = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class GxRunner:
    """An ephemeral GX context with one pandas datasource; Data Docs go to ``docs_dir`` when given."""

    def __init__(self, docs_dir: Path | None, sample_rows: int):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every data frame under 1 GB it is given (an md5 over every value, a batch marker in the
        # results) before validating it; the gate validates a relation chunk by chunk and never reads the
        # fingerprint, which cost 40 s of a 10M-row publish. No frame is small enough to be fingerprinted.
        pandas_execution_engine.HASH_THRESHOLD = 0
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_dir = docs_dir
        if docs_dir is not None:
            docs_dir.mkdir(parents=True, exist_ok=True)
            self.context.add_data_docs_site(
                site_name="flowmetrics",
                site_config={
                    "class_name": "SiteBuilder",
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir.resolve()),
                    },
                },
            )
        self.datasource = self.context.data_sources.add_pandas("flowmetrics")
        self.sample_rows = sample_rows
        self._checkpoints: dict[str, Any] = {}

    def checkpoint(self, suite: Suite, expectations: list[tuple[Outcome, Any]]) -> Any:
        """The GX checkpoint of a suite (built once per run): its expectations carry our check id and severity."""
        gx = self._gx
        name = suite.name
        if name in self._checkpoints:
            return self._checkpoints[name]
        asset = self.datasource.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe(f"{name} rows")
        gx_suite = self.context.suites.add(gx.ExpectationSuite(name=name, meta={"description": suite.description}))
        for outcome, expectation in expectations:
            expectation.meta = {"check_id": outcome.check.id, "severity": outcome.severity}
            expectation.severity = GX_SEVERITY.get(outcome.severity, "info")
            gx_suite.add_expectation(expectation)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=[],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": self.sample_rows},
            )
        )
        self._checkpoints[name] = checkpoint
        return checkpoint

    def build_docs(self) -> Path | None:
        """Render the Data Docs site once for every validation of the run (per checkpoint it is quadratic)."""
        if self.docs_dir is None:
            return None
        self.context.build_data_docs(site_names=["flowmetrics"])
        return self.docs_dir / "index.html"

    def validate(self, checkpoint: Any, frame: pd.DataFrame, outcomes: dict[str, Outcome], suite: Suite) -> None:
        """Validate one data frame and fold each expectation's result into its check's outcome."""
        frame = nanosecond_times(frame)
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        for validation in result.run_results.values():
            for r in validation.results:
                check_id = (r.expectation_config.meta or {}).get("check_id")
                outcome = None if check_id is None else outcomes.get(check_id)
                if outcome is None:
                    continue
                _fold(outcome, r, frame, suite, self.sample_rows)


def nanosecond_times(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its timestamp columns in nanoseconds where they fit (years 1677-2262).

    Arrow hands DuckDB's timestamps over in microseconds; GX compares only nanosecond timestamps column-wise and
    every other unit one Python call per value, which made a range check on a 10M-row mart take minutes. A column
    with a value outside the nanosecond range (a 9999-12-31 sentinel, say) keeps its unit: slower, still checked.
    """
    converted: dict[str, pd.Series] = {}
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype) and not pd.api.types.is_datetime64_ns_dtype(dtype):
            try:
                converted[str(column)] = frame[column].astype(
                    "datetime64[ns, UTC]" if getattr(dtype, "tz", None) else "datetime64[ns]"
                )
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                continue
    return frame.assign(**converted) if converted else frame


def _fold(outcome: Outcome, r: Any, frame: pd.DataFrame, suite: Suite, sample_rows: int) -> None:
    outcome.evaluated = True
    info = r.exception_info or {}
    messages = _exception_messages(info)
    if messages:
        outcome.success = False
        outcome.errors.extend(m for m in messages if m not in outcome.errors)
        return
    res = r.result or {}
    if not r.success:
        outcome.success = False
    if res.get("element_count") is not None:
        outcome.element_count = (outcome.element_count or 0) + int(res["element_count"])
        outcome.unexpected_count = (outcome.unexpected_count or 0) + int(res.get("unexpected_count") or 0)
    if "observed_value" in res and res["observed_value"] is not None:
        outcome.observed = res["observed_value"]
    if r.success or len(outcome.sample) >= sample_rows:
        return
    indices = res.get("partial_unexpected_index_list") or []
    columns = _sample_columns(outcome.check, r.expectation_config.kwargs, suite, frame)
    for index in indices[: sample_rows - len(outcome.sample)]:
        if isinstance(index, dict) or index not in frame.index:
            continue
        outcome.sample.append({c: jsonable(frame.at[index, c]) for c in columns})


def _exception_messages(info: dict[str, Any]) -> list[str]:
    if info.get("raised_exception"):
        return [str(info.get("exception_message"))]
    out = []
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            out.append(str(value.get("exception_message")))
    return out


def _sample_columns(check: Check, kwargs: dict[str, Any], suite: Suite, frame: pd.DataFrame) -> list[str]:
    if check.sample_columns:
        wanted = list(check.sample_columns)
    elif suite.relation is None:
        wanted = list(frame.columns)
    else:
        wanted = list(suite.key)
        for k in ("column", "column_A", "column_B"):
            if kwargs.get(k) and kwargs[k] not in wanted:
                wanted.append(kwargs[k])
    return [c for c in wanted if c in frame.columns]


def jsonable(value: Any) -> Any:
    """A value fit for JSON: timestamps as ISO text, numpy scalars as Python, missing as None."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
