"""Prompt templates stored as files: ``<dir>/system.j2`` and ``<dir>/user.j2`` (Jinja2).

Convention for prefix caching (vLLM automatic prefix caching, OpenAI prompt caching): the system
message holds the static part (instructions, the output schema), the user message starts with any
context shared by many inputs (a tree, a catalogue excerpt) and ends with the per-item part.

Undefined variables are errors (``StrictUndefined``); errors name the template file and line.
``{% include "_shared/..." %}`` reaches the shared templates shipped with recloom.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from recloom.cache.canonical import content_hash
from recloom.errors import ConfigError
from recloom.prompts.messages import Message

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
SYSTEM_FILE = "system.j2"
USER_FILE = "user.j2"
# Variables a system template may use and still count as static (rendered once per task).
STATIC_VARIABLES = frozenset({"schema_json", "task_name"})


def _environment(directory: Path) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(directory)), jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES))]
    )
    return jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@dataclass(frozen=True)
class PromptTemplate:
    """A system + user template pair loaded from one directory."""

    directory: Path
    sources: dict[str, str] = field(repr=False)
    _system: jinja2.Template = field(repr=False, compare=False)
    _user: jinja2.Template = field(repr=False, compare=False)

    @classmethod
    def from_dir(cls, directory: str | Path) -> PromptTemplate:
        directory = Path(directory)
        for name in (SYSTEM_FILE, USER_FILE):
            if not (directory / name).is_file():
                raise ConfigError(f"prompt template {directory / name} does not exist")
        env = _environment(directory)
        sources = _collect_sources(env, [SYSTEM_FILE, USER_FILE])
        return cls(directory, sources, _load(env, SYSTEM_FILE), _load(env, USER_FILE))

    @property
    def system_is_static(self) -> bool:
        """True when the system template uses only task-level variables (no includes): it is then
        rendered once per task, and every request shares it as an identical prefix."""
        env = _environment(self.directory)
        parsed = env.parse(self.sources[SYSTEM_FILE])
        has_refs = any(True for _ in meta.find_referenced_templates(parsed))
        return not has_refs and meta.find_undeclared_variables(parsed) <= STATIC_VARIABLES

    def render_system(self, variables: dict[str, Any]) -> Message:
        return Message("system", self._render(self._system, SYSTEM_FILE, variables).strip())

    def render_user(self, variables: dict[str, Any]) -> Message:
        return Message("user", self._render(self._user, USER_FILE, variables).strip())

    @property
    def source_hash(self) -> str:
        """sha256 over every template file this pair uses (includes too)."""
        return content_hash(self.sources)

    def render(self, variables: dict[str, Any]) -> tuple[Message, Message]:
        return (
            Message("system", self._render(self._system, SYSTEM_FILE, variables).strip()),
            Message("user", self._render(self._user, USER_FILE, variables).strip()),
        )

    def _render(self, template: jinja2.Template, name: str, variables: dict[str, Any]) -> str:
        return fast_render(template, variables, self.directory / name)


def fast_render(template: jinja2.Template, variables: dict[str, Any], where: Path) -> str:
    """``template.render(variables)`` without Jinja's per-call merge of its globals (a ChainMap
    copied into a fresh dict on every render, the largest cost of rendering a short prompt): the
    globals are merged once per template. Any error re-renders the ordinary way, so messages and
    template line numbers are Jinja's own."""
    base = _GLOBALS.get(id(template))
    if base is None or base[0] is not template:
        base = _GLOBALS[id(template)] = (template, dict(template.globals))
    try:
        context = template.new_context({**base[1], **variables}, shared=True)
        return "".join(template.root_render_func(context))
    except Exception:
        pass
    try:
        return template.render(variables)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{where}{_template_line(exc)}: cannot render: {exc}") from exc


_GLOBALS: dict[int, tuple[jinja2.Template, dict[str, Any]]] = {}


def _load(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename}:{exc.lineno}: template syntax error: {exc.message}") from exc


def _collect_sources(env: jinja2.Environment, roots: list[str]) -> dict[str, str]:
    """Source text of ``roots`` and of every template they include, import or extend."""
    assert env.loader is not None
    sources: dict[str, str] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        try:
            source, _, _ = env.loader.get_source(env, name)
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(f"template {name!r} (included from {roots}) not found") from exc
        sources[name] = source
        try:
            parsed = env.parse(source, name=name)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"{name}:{exc.lineno}: template syntax error: {exc.message}") from exc
        pending.extend(ref for ref in meta.find_referenced_templates(parsed) if ref is not None)
    return sources


def _template_line(exc: BaseException) -> str:
    lineno = getattr(exc, "lineno", None)
    if lineno is None:
        frames = traceback.extract_tb(sys.exc_info()[2])
        lines = [f.lineno for f in frames if f.filename.endswith(".j2")]
        lineno = lines[-1] if lines else None
    return f":{lineno}" if lineno else ""


@dataclass(frozen=True)
class TextTemplate:
    """One template file rendered to plain text (the shared re-ask message)."""

    path: Path
    sources: dict[str, str] = field(repr=False)
    _template: jinja2.Template = field(repr=False, compare=False)

    @classmethod
    def from_file(cls, path: str | Path) -> TextTemplate:
        path = Path(path)
        env = _environment(path.parent)
        return cls(path, _collect_sources(env, [path.name]), _load(env, path.name))

    def render_text(self, variables: dict[str, Any]) -> str:
        return fast_render(self._template, variables, self.path).strip()


_REASK: list[TextTemplate] = []


def reask_template() -> TextTemplate:
    """The shared re-ask message: shows the model the exact error of its previous answer."""
    if not _REASK:
        _REASK.append(TextTemplate.from_file(BUILTIN_TEMPLATES / "_shared" / "reask.j2"))
    return _REASK[0]
