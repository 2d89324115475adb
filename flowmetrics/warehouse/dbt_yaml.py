"""The dbt project's YAML read as data: the one source of what is public, each column's rules and the project's vars.

Read from the files (``dbt_project.yml``, ``models/**/*.yml``, ``models/**/*.md``), not from a manifest, so every
reader gets the same answer whether or not a build ran: the manual's mart catalog, the published relations, the
reader of marts and the quality gate's per-column expectations. ``{{ doc('…') }}`` calls in descriptions are
resolved from the project's ``{% docs %}`` blocks; other Jinja is kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from flowmetrics.errors import ConfigError
from flowmetrics.warehouse.project import PROJECT_DIR

_DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
_DOC_CALL = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")
_SQL_MATERIALIZED = re.compile(r"config\s*\((?:[^()]|\([^()]*\))*?materialized\s*=\s*['\"](\w+)['\"]", re.DOTALL)
_SQL_DOMAIN = re.compile(r"flowmetrics_domain_enabled\(\s*['\"](\w+)['\"]\s*\)")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RULE_KINDS = ("not_null", "unique", "accepted_values")
"""The per-column rules this reader returns: dbt's generic tests (and, for not_null and unique, the contract
constraints ``not_null``, ``unique`` and ``primary_key``) that a data frame check can state the same way."""


@dataclass(frozen=True)
class ColumnRule:
    """One per-column rule of the YAML: a generic test or a contract constraint."""

    kind: str  # one of RULE_KINDS
    values: tuple[Any, ...] = ()  # accepted_values only
    where: str | None = None  # the test's `config: where:` (SQL), when it has one
    severity: str = "error"  # the test's `config: severity:` (a constraint is always an error)
    origin: str = "data_test"  # "data_test" or "constraint"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str
    rules: tuple[ColumnRule, ...] = ()


@dataclass(frozen=True)
class Model:
    name: str
    yaml_file: str  # relative to the project
    description: str
    grain: str  # the description's first sentence, which the house style starts with the grain
    materialized: str
    access: str  # "public", "protected" (dbt's default) or "private"
    meta: dict[str, Any] = field(default_factory=dict)
    columns: tuple[Column, ...] = ()
    domain: str | None = None  # the domain whose var switches the model (its SQL's config), None when none does

    @property
    def is_public(self) -> bool:
        return self.access == "public"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.yaml_file}: model {self.name} has no column {name!r}")


@dataclass(frozen=True)
class SourceTable:
    source: str
    name: str
    yaml_file: str
    description: str
    meta: dict[str, Any] = field(default_factory=dict)


def _meta(properties: dict[str, Any]) -> dict[str, Any]:
    """A resource's meta as dbt merges it: the ``config: meta:`` block, then the top-level ``meta:`` block."""
    return {**dict((properties.get("config") or {}).get("meta") or {}), **dict(properties.get("meta") or {})}


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc


def doc_blocks(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """Every `{% docs name %}` block of the project's model folder, by name."""
    blocks: dict[str, str] = {}
    for path in sorted((project_dir / "models").rglob("*.md")):
        for name, text in _DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            blocks[name] = text.strip()
    return blocks


def resolve_docs(text: str | None, blocks: dict[str, str], where: str) -> str:
    """``text`` with every ``{{ doc('name') }}`` replaced by its block; an unknown block is a ConfigError."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in blocks:
            raise ConfigError(f"{where}: doc('{name}') names no {{% docs %}} block under models/")
        return blocks[name]

    return _DOC_CALL.sub(replace, (text or "").strip()).strip()


def grain_of(description: str) -> str:
    """A description's first sentence up to its first colon (outside parentheses): the grain it starts with."""
    text = " ".join(description.split())
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ".:" and text[i + 1 : i + 2] in (" ", ""):
            return text[:i]
    return text


def _project(project_dir: Path) -> dict[str, Any]:
    loaded = _load_yaml(project_dir / "dbt_project.yml")
    if not isinstance(loaded, dict) or "name" not in loaded:
        raise ConfigError(f"{project_dir / 'dbt_project.yml'} has no project name")
    return loaded


def _folder_config(project: dict[str, Any], models_dir: Path, model_dir: Path, key: str, default: Any) -> Any:
    """The ``+key`` dbt_project.yml (``project``) gives the model's folder (the deepest folder that sets one)."""
    node = (project.get("models") or {}).get(project["name"]) or {}
    found = node.get(f"+{key}", default)
    for part in model_dir.relative_to(models_dir).parts:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            break
        found = node.get(f"+{key}", found)
    return found


def _materialization(project: dict[str, Any], models_dir: Path, yaml_path: Path, model: dict[str, Any]) -> str:
    config = model.get("config") or {}
    if config.get("materialized"):
        return str(config["materialized"])
    sql = yaml_path.parent / f"{model['name']}.sql"
    if sql.exists():
        match = _SQL_MATERIALIZED.search(sql.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
    return str(_folder_config(project, models_dir, yaml_path.parent, "materialized", "view"))


def _domain(yaml_path: Path, model: dict[str, Any]) -> str | None:
    sql = yaml_path.parent / f"{model['name']}.sql"
    match = _SQL_DOMAIN.search(sql.read_text(encoding="utf-8")) if sql.exists() else None
    return match.group(1) if match else None


def _access(project: dict[str, Any], models_dir: Path, yaml_path: Path, model: dict[str, Any]) -> str:
    found = model.get("access") or (model.get("config") or {}).get("access")
    return str(found or _folder_config(project, models_dir, yaml_path.parent, "access", "protected"))


def _rules(column: dict[str, Any], where: str) -> tuple[ColumnRule, ...]:
    rules: list[ColumnRule] = []
    for constraint in column.get("constraints") or []:
        kind = str((constraint or {}).get("type", ""))
        if kind == "primary_key":
            rules += [ColumnRule("not_null", origin="constraint"), ColumnRule("unique", origin="constraint")]
        elif kind in ("not_null", "unique"):
            rules.append(ColumnRule(kind, origin="constraint"))
    for test in column.get("data_tests") or column.get("tests") or []:
        body: dict[str, Any]
        if isinstance(test, str):
            name, body = test, {}
        elif isinstance(test, dict) and len(test) == 1:
            [(name, body)] = test.items()
            body = body or {}
        else:
            raise ConfigError(f"{where}: a data test must be a name or a one-key mapping, got {test!r}")
        if name not in RULE_KINDS:
            continue
        arguments = body.get("arguments") or {}
        config = body.get("config") or {}
        values: tuple[Any, ...] = ()
        if name == "accepted_values":
            raw = arguments.get("values", body.get("values"))
            if not isinstance(raw, list):
                raise ConfigError(f"{where}: accepted_values needs a list of values")
            values = tuple(raw)
        rules.append(
            ColumnRule(
                kind=str(name),
                values=values,
                where=config.get("where") or body.get("where"),
                severity=str(config.get("severity") or body.get("severity") or "error").lower(),
            )
        )
    return tuple(rules)


def _fingerprint(project_dir: Path) -> tuple[tuple[str, int], ...]:
    """The project's YAML, docs and model files with their modification times: a changed file is read again (a
    model's SQL may set its materialization)."""
    files = [project_dir / "dbt_project.yml", *(project_dir / "models").rglob("*.yml"),
             *(project_dir / "models").rglob("*.md"), *(project_dir / "models").rglob("*.sql")]
    return tuple(sorted((str(f), f.stat().st_mtime_ns) for f in files if f.exists()))


@lru_cache(maxsize=8)
def _models(project_dir: Path, _files: tuple[tuple[str, int], ...]) -> tuple[Model, ...]:
    blocks = doc_blocks(project_dir)
    project = _project(project_dir)  # read once: every model's folder defaults come from it
    models_dir = project_dir / "models"
    found: list[Model] = []
    for path in sorted(models_dir.rglob("*.yml")):
        properties = _load_yaml(path) or {}
        rel = path.relative_to(project_dir).as_posix()
        for model in properties.get("models") or []:
            name = str(model["name"])
            description = resolve_docs(model.get("description"), blocks, f"{rel}: model {name}")
            columns = tuple(
                Column(
                    name=str(col["name"]),
                    data_type=str(col.get("data_type") or ""),
                    description=resolve_docs(col.get("description"), blocks, f"{where}, column {col['name']}"),
                    rules=_rules(col, f"{where}, column {col['name']}"),
                )
                for col in model.get("columns") or []
                for where in [f"{rel}: model {name}"]
            )
            found.append(
                Model(
                    name=name,
                    yaml_file=rel,
                    description=description,
                    grain=grain_of(description),
                    materialized=_materialization(project, models_dir, path, model),
                    access=_access(project, models_dir, path, model),
                    meta=_meta(model),
                    columns=columns,
                    domain=_domain(path, model),
                )
            )
    return tuple(sorted(found, key=lambda m: m.name))


def models(project_dir: Path = PROJECT_DIR) -> tuple[Model, ...]:
    """Every model with properties in models/**/*.yml, in name order, its columns in YAML order."""
    root = project_dir.resolve()
    return _models(root, _fingerprint(root))


def public_models(project_dir: Path = PROJECT_DIR) -> tuple[Model, ...]:
    """The models whose properties (or folder) say ``access: public``: the marts readers may rely on."""
    return tuple(m for m in models(project_dir) if m.is_public)


def model(name: str, project_dir: Path = PROJECT_DIR) -> Model:
    for found in models(project_dir):
        if found.name == name:
            return found
    raise ConfigError(f"the dbt project at {project_dir} has no model {name!r} with properties in models/**/*.yml")


@lru_cache(maxsize=8)
def _sources(project_dir: Path, _files: tuple[tuple[str, int], ...]) -> tuple[SourceTable, ...]:
    found: list[SourceTable] = []
    for path in sorted((project_dir / "models").rglob("*.yml")):
        properties = _load_yaml(path) or {}
        rel = path.relative_to(project_dir).as_posix()
        for source in properties.get("sources") or []:
            source_meta = _meta(source)
            for table in source.get("tables") or []:
                meta = {**source_meta, **_meta(table)}
                found.append(SourceTable(str(source["name"]), str(table["name"]), rel,
                                         str(table.get("description") or ""), meta))
    return tuple(found)


def source_tables(project_dir: Path = PROJECT_DIR) -> tuple[SourceTable, ...]:
    """Every table of every source declared in models/**/*.yml, with its meta (the source's, then the table's)."""
    root = project_dir.resolve()
    return _sources(root, _fingerprint(root))


def project_vars(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The project's vars as dbt_project.yml sets them (the values a build uses unless ``--vars`` overrides)."""
    return dict(_project(project_dir).get("vars") or {})


def project_var(name: str, project_dir: Path = PROJECT_DIR) -> Any:
    values = project_vars(project_dir)
    if name not in values:
        raise ConfigError(f"{project_dir / 'dbt_project.yml'} sets no var {name!r}")
    return values[name]
