"""Tasks: content-hash versions, template loading and errors, rendering order, the registry and
the built-in item_tags task with its local (non-LLM) solver."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import BaseModel

from recloom.errors import ConfigError, UnknownTaskError
from recloom.prompts import PromptTemplate, Task, TaskRegistry, get_task, lint_schema, strict_schema
from recloom.prompts.builtin.item_tags import ItemTags, ItemTagsInput, keyword_tags, title_keywords


class In(BaseModel):
    id: str
    text: str


class Out(BaseModel):
    label: str
    note: str | None = None


def templates(
    tmp_path: Path, system: str = "Sys {{ schema_json }}", user: str = "U {{ text }}"
) -> PromptTemplate:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "system.j2").write_text(system)
    (tmp_path / "user.j2").write_text(user)
    return PromptTemplate.from_dir(tmp_path)


def make(tmp_path: Path, **kw) -> Task[In, Out]:
    template = kw.pop("template", None) or templates(tmp_path)
    return Task(name="t", input_model=In, output_model=Out, template=template, **kw)


def test_version_changes_with_template_schema_and_validator_identity(tmp_path: Path):
    base = make(tmp_path / "a")
    assert base.version == make(tmp_path / "b").version and len(base.version) == 12
    assert (
        make(tmp_path / "c", template=templates(tmp_path / "c2", user="U2 {{ text }}")).version
        != base.version
    )

    class Out2(Out):
        extra: int

    assert replace(base, output_model=Out2).version != base.version

    def check(out, inp):
        return None

    with_validator = make(tmp_path / "d", validator=check)
    assert with_validator.version != base.version
    assert replace(with_validator, validator_version="2").version != with_validator.version


def test_builtin_version_is_the_same_in_a_fresh_process():
    code = "from recloom.prompts import get_task; print(get_task('item_tags').version)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == get_task("item_tags").version


def test_render_puts_the_static_system_prompt_first_and_rendered_once(tmp_path: Path):
    task = make(tmp_path)
    a, b = task.render(In(id="1", text="x")), task.render(In(id="2", text="y"))
    assert [m.role for m in a] == ["system", "user"] and a[0] is b[0]
    assert a[0].content.startswith("Sys {") and a[1].content == "U x"


def test_system_template_using_input_fields_is_rendered_per_input(tmp_path: Path):
    task = make(tmp_path, template=templates(tmp_path, system="About {{ text }}"))
    assert task.render(In(id="1", text="x"))[0].content == "About x"


def test_template_errors_name_the_file_and_line(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"user.j2:2: template syntax error"):
        templates(tmp_path, user="ok\n{% if %}")
    task = make(tmp_path / "u", template=templates(tmp_path / "u", user="line\n{{ missing_var }}"))
    with pytest.raises(ConfigError, match=r"user.j2:2: cannot render: 'missing_var' is undefined"):
        task.render(In(id="1", text="x"))
    with pytest.raises(ConfigError, match="system.j2 does not exist"):
        PromptTemplate.from_dir(tmp_path / "nowhere")


def test_includes_are_part_of_the_version(tmp_path: Path):
    (tmp_path / "part.j2").write_text("PART A")
    task = make(tmp_path, template=templates(tmp_path, user="{% include 'part.j2' %} {{ text }}"))
    (tmp_path / "part.j2").write_text("PART B")
    task2 = make(tmp_path, template=PromptTemplate.from_dir(tmp_path))
    assert "part.j2" in task.template.sources and task.version != task2.version
    assert task2.render(In(id="1", text="x"))[1].content == "PART B x"


def test_task_needs_its_id_field_and_a_valid_name(tmp_path: Path):
    with pytest.raises(ConfigError, match="no id field 'key'"):
        make(tmp_path, id_field="key")
    with pytest.raises(ConfigError, match="task name"):
        Task(name="bad name!", input_model=In, output_model=Out, template=templates(tmp_path))


def test_registry_errors_and_solver_attachment(tmp_path: Path):
    registry = TaskRegistry()
    task = registry.register(make(tmp_path))
    with pytest.raises(ConfigError, match="already registered"):
        registry.register(make(tmp_path))
    with pytest.raises(UnknownTaskError, match="unknown task 'x'; registered tasks: t"):
        registry.get("x")
    attached = registry.attach_local_solver("t", keyword_tags)
    assert (
        attached.local_solver is keyword_tags and registry.get("t") is attached and task.local_solver is None
    )


def test_strict_schema_closes_objects_requires_all_and_drops_defaults():
    schema = strict_schema(Out)
    assert schema["additionalProperties"] is False and schema["required"] == ["label", "note"]
    assert "default" not in schema["properties"]["note"]


def test_lint_flags_keywords_grammar_engines_drop():
    warnings = lint_schema(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "pattern": "^x", "maxLength": 3},
                "b": {"allOf": [{"type": "integer"}]},
                "c": {"minimum": 1},
            },
        }
    )
    assert len(warnings) == 3 and any("#/properties/a" in w and "45592" in w for w in warnings)
    assert lint_schema(get_task("item_tags").json_schema) == []


def test_item_tags_local_solver_is_deterministic_keyword_extraction():
    inp = ItemTagsInput(id="1", title="Star Wars (1977)", genres=["Action", "Sci-Fi", "War"])
    out = keyword_tags.solve(inp, {})
    assert out == ItemTags(
        tags=["action", "sci-fi", "war", "1970s", "star", "wars"],
        summary="Star Wars (action, sci-fi, war, 1977).",
    )
    assert keyword_tags.identity == "item_tags.keywords@1"
    assert title_keywords("The Lord of the Rings: The Return of the King (2003)") == [
        "lord",
        "rings",
        "return",
        "king",
    ]


def test_unknown_builtin_task():
    with pytest.raises(UnknownTaskError, match="item_tags"):
        get_task("top_match_v0")
