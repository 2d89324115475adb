"""mkdocs hook: the mart catalog of docs/marts.md, generated at build time from the dbt YAML (one source).

The public marts are the models whose properties say `access: public` in `models/**/*.yml`; for each, the page
gets its name, grain (the first sentence of its description, which the house style starts with the grain),
materialization, description and every column (name, data_type, description), with `{{ doc('…') }}` blocks
resolved from the project's `{% docs %}` files. A public mart column without a description stops the build with
an error naming the file, mart and column. Descriptions are shown as text: HTML in them is escaped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flowmetrics.errors import ConfigError
from flowmetrics.warehouse.dbt_yaml import Model, public_models

MARKER = "<!-- mart-catalog -->"
"""The line of docs/marts.md that the catalog replaces."""

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def public_marts(project_dir: Path) -> list[Model]:
    """Every `access: public` model of the project's YAML (flowmetrics.warehouse.dbt_yaml), in name order."""
    return list(public_models(project_dir))


def check(marts: list[Model]) -> None:
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


def render(marts: list[Model]) -> str:
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
