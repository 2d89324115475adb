"""The manual's mart catalog comes from the dbt YAML: every column of every public mart, each with a description."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flowmetrics.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
HOOK = ROOT / "docs" / "hooks" / "mart_catalog.py"


def load_hook():
    spec = importlib.util.spec_from_file_location("mart_catalog", HOOK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through the module
    spec.loader.exec_module(module)
    return module


def public_models(project: Path) -> dict[str, dict]:
    """The public models and their columns, read straight from the YAML (not through the hook)."""
    models: dict[str, dict] = {}
    for path in sorted((project / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            if model.get("access") == "public":
                models[model["name"]] = model
    return models


def mart_section(markdown: str, mart: str) -> str:
    start = markdown.index(f"## `{mart}`")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


def project_copy(tmp_path: Path) -> Path:
    """The project's models, dbt_project.yml, docs and mkdocs.yml in a temp dir, to break on purpose."""
    for name in ("models", "docs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("dbt_project.yml", "mkdocs.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def set_column_description(project: Path, mart: str, column: str, description: str) -> Path:
    for path in sorted((project / "models").rglob("*.yml")):
        properties = yaml.safe_load(path.read_text())
        for model in (properties or {}).get("models") or []:
            if model["name"] == mart:
                [target] = [c for c in model["columns"] if c["name"] == column]
                target["description"] = description
                path.write_text(yaml.safe_dump(properties, sort_keys=False))
                return path
    raise AssertionError(f"{mart}.{column} not found")


def test_the_catalog_names_every_column_of_every_public_mart_with_its_type_and_description():
    models = public_models(ROOT)
    markdown = load_hook().catalog_markdown(ROOT)
    assert len(models) >= 17
    for name, model in models.items():
        section = mart_section(markdown, name)
        assert f"[`{name}`](#{name})" in markdown, name
        assert model["columns"], name
        for column in model["columns"]:
            row = f"| `{column['name']}` | `{column['data_type']}` | "
            assert row in section, (name, column["name"])
            line = section[section.index(row) :].split("\n", 1)[0]
            assert line.removeprefix(row).strip(" |"), (name, column["name"])


def test_the_catalog_states_grain_and_materialization_from_the_models():
    marts = {m.name: m for m in load_hook().public_marts(ROOT)}
    assert marts["fct_stage_visits"].grain == "One row per ticket per stage visit"
    assert marts["fct_stage_visits"].materialized == "incremental"  # the model's own config() call
    assert marts["fct_rework_rate"].grain == "One row per team x ai_assisted (null ai_assisted: not recorded)"
    assert marts["fct_rework_rate"].materialized == "table"  # the marts folder in dbt_project.yml
    assert "{{" not in marts["fct_work_items"].description  # doc() blocks resolved
    assert "Open (censored) items" in marts["fct_work_items"].description


@pytest.mark.parametrize("description", ["", "   "])
def test_a_public_mart_column_without_a_description_fails_naming_file_mart_and_column(tmp_path, description):
    project = project_copy(tmp_path)
    path = set_column_description(project, "fct_work_items", "title", description)
    with pytest.raises(ConfigError) as caught:
        load_hook().catalog_markdown(project)
    message = str(caught.value)
    assert "1 item(s)" in message
    assert f"{path.relative_to(project).as_posix()}: mart fct_work_items, column title has no description" in message


def test_html_in_a_description_is_shown_as_text(tmp_path):
    project = project_copy(tmp_path)
    set_column_description(project, "fct_work_items", "title", "Free <script>alert(1)</script> text, `a <b> c`")
    section = mart_section(load_hook().catalog_markdown(project), "fct_work_items")
    assert "<script>" not in section
    assert "Free &lt;script&gt;alert(1)&lt;/script&gt; text, `a <b> c`" in section


def run_mkdocs(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_manual_builds_strict_with_the_catalog_in_place(tmp_path):
    result = run_mkdocs(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "marts" / "index.html").read_text()
    assert "<!-- mart-catalog -->" not in page
    for name in public_models(ROOT):
        assert f'id="{name}"' in page, name


def test_the_manual_does_not_build_when_a_mart_column_lacks_a_description(tmp_path):
    project = project_copy(tmp_path / "project")
    set_column_description(project, "fct_stage_visits", "stage", "")
    result = run_mkdocs(project, tmp_path / "site")
    assert result.returncode == 1
    assert "mart fct_stage_visits, column stage has no description" in result.stderr
    assert not (tmp_path / "site" / "marts" / "index.html").exists()
