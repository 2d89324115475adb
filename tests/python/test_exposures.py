"""Every exposure of models/marts/_exposures.yml names what exists and exactly what its owner reads: the Python
API every public mart (its one registry), the report's SQL the marts its analyses ref. (What the flow report reads
is observed on a warehouse: tests/python/integration/test_exposures_read.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from flowmetrics.warehouse.dbt_yaml import source_tables
from flowmetrics.warehouse.marts import public_marts

ROOT = Path(__file__).resolve().parents[2]
_REF = re.compile(r"ref\(\s*'(\w+)'\s*\)")
_SOURCE = re.compile(r"source\(\s*'(\w+)'\s*,\s*'(\w+)'\s*\)")


def exposures() -> dict[str, dict]:
    entries = yaml.safe_load((ROOT / "models" / "marts" / "_exposures.yml").read_text())["exposures"]
    return {entry["name"]: entry for entry in entries}


def depends_on(name: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The models (refs) and source tables an exposure depends on."""
    text = "\n".join(exposures()[name]["depends_on"])
    return set(_REF.findall(text)), set(_SOURCE.findall(text))


def test_the_exposures_are_the_report_the_api_and_the_report_sql():
    found = exposures()
    assert {name: e["type"] for name, e in found.items()} == {
        "flow_report": "dashboard", "python_api": "application", "report_charts_sql": "analysis"}
    sources = {(t.source, t.name) for t in source_tables()}
    for name, exposure in found.items():
        assert exposure["owner"]["name"] and exposure["description"].strip(), name
        refs, used = depends_on(name)
        assert len(refs) + len(used) == len(exposure["depends_on"]), f"{name}: a depends_on entry is not parsed"
        private = refs - set(public_marts())
        assert not private, f"{name} depends on models that are not public: {private}"
        assert used <= sources, f"{name} depends on undeclared sources: {used - sources}"


def test_the_api_exposure_depends_on_every_public_mart():
    refs, used = depends_on("python_api")
    assert refs == set(public_marts()) and not used


def report_analyses() -> list[Path]:
    return sorted((ROOT / "analyses").glob("report_*.sql"))


def test_the_report_sql_exposure_depends_on_what_its_analyses_ref():
    read = {name for path in report_analyses() for name in _REF.findall(path.read_text())}
    assert len(report_analyses()) >= 8
    assert depends_on("report_charts_sql") == (read, set())


def test_every_report_analysis_documents_its_columns():
    documented = yaml.safe_load((ROOT / "analyses" / "_analyses.yml").read_text())["analyses"]
    assert sorted(a["name"] for a in documented) == sorted(p.stem for p in report_analyses())
    for analysis in documented:
        assert analysis["description"].startswith("One row"), analysis["name"]
        assert analysis["columns"], analysis["name"]
