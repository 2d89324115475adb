"""Names that become relations must fit every engine: Postgres truncates nothing and refuses identifiers over 63
bytes, and a dbt unit test runs as a relation named after the test."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_MAX_IDENTIFIER = 63


def test_unit_test_and_model_names_fit_a_postgres_identifier():
    too_long = []
    for path in sorted((ROOT / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        names = [t["name"] for t in document.get("unit_tests") or []]
        names += [m["name"] for m in document.get("models") or []]
        too_long += [f"{path.relative_to(ROOT)}: {n} ({len(n)})" for n in names if len(n) > POSTGRES_MAX_IDENTIFIER]
    too_long += [str(p.relative_to(ROOT)) for p in (ROOT / "models").rglob("*.sql")
                 if len(p.stem) > POSTGRES_MAX_IDENTIFIER]
    assert not too_long, "names longer than 63 characters:\n" + "\n".join(too_long)
