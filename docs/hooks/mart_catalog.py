"""mkdocs hook: the mart catalog of docs/marts.md, generated at build time from the dbt YAML (one source).

The public marts are the models whose properties say `access: public` in `models/**/*.yml`; for each, the page
gets its name, grain (the first sentence of its description, which the house style starts with the grain),
materialization, description and every column (name, data_type, description), with `{{ doc('…') }}` blocks
resolved from the project's `{% docs %}` files. A public mart column without a description stops the build with
an error naming the file, mart and column. Descriptions are shown as text: HTML in them is escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flowmetrics.errors import ConfigError

MARKER = "<!-- mart-catalog -->"
"""The line of docs/marts.md that the catalog replaces."""

_DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
_DOC_CALL = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")
_SQL_MATERIALIZED = re.compile(r"config\s*\((?:[^()]|\([^()]*\))*?materialized\s*=\s*['\"](\w+)['\"]", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class Mart:
    name: str
    yaml_file: str
    description: str
    grain: str
    materialized: str
    columns: tuple[Column, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "yaml_file": self.yaml_file,
            "description": self.description,
            "grain": self.grain,
            "materialized": self.materialized,
            "columns": [vars(c) for c in self.columns],
        }


def doc_blocks(project_dir: Path) -> dict[str, str]:
    """Every `{% docs name %}` block of the project's model folder, by name."""
    blocks: dict[str, str] = {}
    for path in sorted((project_dir / "models").rglob("*.md")):
        for name, text in _DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            blocks[name] = text.strip()
    return blocks


def _resolve(text: str | None, blocks: dict[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in blocks:
            raise ConfigError(f"{where}: doc('{name}') names no {{% docs %}} block under models/")
        return blocks[name]

    return _DOC_CALL.sub(replace, (text or "").strip()).strip()


def _grain(description: str) -> str:
    """A description's first sentence up to its first colon (outside parentheses): the grain it starts with."""
    text = " ".join(description.split())
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ".:" and text[i + 1 : i + 2] in (" ", ""):
            return text[:i]
    return text


def _folder_materialization(project_dir: Path, model_dir: Path) -> str:
    """The `+materialized` dbt_project.yml gives the model's folder (the deepest folder that sets one)."""
    project = _load_yaml(project_dir / "dbt_project.yml")
    node = (project.get("models") or {}).get(project["name"]) or {}
    found = node.get("+materialized", "view")
    for part in model_dir.relative_to(project_dir / "models").parts:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            break
        found = node.get("+materialized", found)
    return str(found)


def _materialization(project_dir: Path, yaml_path: Path, model: dict[str, Any]) -> str:
    config = model.get("config") or {}
    if config.get("materialized"):
        return str(config["materialized"])
    sql = yaml_path.parent / f"{model['name']}.sql"
    if sql.exists():
        match = _SQL_MATERIALIZED.search(sql.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
    return _folder_materialization(project_dir, yaml_path.parent)


def _is_public(model: dict[str, Any]) -> bool:
    return (model.get("access") or (model.get("config") or {}).get("access")) == "public"


def public_marts(project_dir: Path) -> list[Mart]:
    """Every `access: public` model of models/**/*.yml, in name order, with its columns in YAML order."""
    blocks = doc_blocks(project_dir)
    marts: list[Mart] = []
    for path in sorted((project_dir / "models").rglob("*.yml")):
        properties = _load_yaml(path) or {}
        rel = path.relative_to(project_dir).as_posix()
        for model in properties.get("models") or []:
            if not _is_public(model):
                continue
            name = model["name"]
            description = _resolve(model.get("description"), blocks, f"{rel}: mart {name}")
            columns = tuple(
                Column(
                    name=str(col["name"]),
                    data_type=str(col.get("data_type") or ""),
                    description=_resolve(col.get("description"), blocks, f"{rel}: mart {name}, column {col['name']}"),
                )
                for col in model.get("columns") or []
            )
            marts.append(
                Mart(
                    name=name,
                    yaml_file=rel,
                    description=description,
                    grain=_grain(description),
                    materialized=_materialization(project_dir, path, model),
                    columns=columns,
                )
            )
    return sorted(marts, key=lambda m: m.name)


def check(marts: list[Mart]) -> None:
    """Every public mart has a description and every column of it a description; else one error naming them all."""
    problems = [f"{m.yaml_file}: mart {m.name} has no description" for m in marts if not m.description]
    problems += [
        f"{m.yaml_file}: mart {m.name}, column {c.name} has no description"
        for m in marts
        for c in m.columns
        if not c.description
    ]
    problems += [f"{m.yaml_file}: mart {m.name} documents no columns" for m in marts if not m.columns]
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"the mart catalog needs a description for {len(problems)} item(s):\n{lines}")


def _text(text: str, in_table: bool = False) -> str:
    """Markdown for a description: HTML outside code spans escaped; in a table cell one line, pipes escaped."""
    if in_table:
        text = " ".join(text.split())
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape(text[last : match.start()], in_table))
        out.append(match.group(0).replace("|", "\\|") if in_table else match.group(0))
        last = match.end()
    out.append(_escape(text[last:], in_table))
    return "".join(out)


def _escape(text: str, in_table: bool) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|") if in_table else text


def render(marts: list[Mart]) -> str:
    """The catalog as Markdown: an index table, then per mart its facts, description and columns."""
    lines = ["| mart | grain | materialized | columns |", "|---|---|---|---|"]
    lines += [
        f"| [`{m.name}`](#{m.name}) | {_text(m.grain, True)} | {m.materialized} | {len(m.columns)} |" for m in marts
    ]
    for m in marts:
        lines += [
            "",
            f"## `{m.name}` {{#{m.name}}}",
            "",
            f"**Grain:** {_text(m.grain)}. **Materialized:** `{m.materialized}`. **Defined in:** `{m.yaml_file}`.",
            "",
            _text(m.description),
            "",
            "| column | data_type | description |",
            "|---|---|---|",
        ]
        lines += [f"| `{c.name}` | `{c.data_type}` | {_text(c.description, True)} |" for c in m.columns]
    return "\n".join(lines) + "\n"


def catalog_markdown(project_dir: Path) -> str:
    """The checked catalog of the project at project_dir (raises ConfigError when a description is missing)."""
    marts = public_marts(project_dir)
    check(marts)
    return render(marts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs event: replace the marker of the page that holds it with the catalog."""
    if MARKER not in markdown:
        return markdown
    from mkdocs.exceptions import PluginError

    try:
        catalog = catalog_markdown(Path(config["config_file_path"]).resolve().parent)
    except ConfigError as err:
        raise PluginError(str(err)) from err
    return markdown.replace(MARKER, catalog)
