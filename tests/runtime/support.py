"""Test task and helpers shared by the runtime tests: a ``label`` task defined from a tmp template
dir, the server-side oracle that answers it correctly, and scripted backends."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.errors import SemanticValidationError
from recloom.prompts import PromptTemplate, Task
from recloom.prompts.solver import local_solver

SYSTEM = "Label the text with its first word. Answer JSON matching: {{ schema_json }}\n"
USER = "ID: {{ id }}\nTEXT: {{ text }}\n"


class LabelIn(BaseModel):
    id: str
    text: str


class Label(BaseModel):
    label: str
    score: int = Field(ge=0, le=10)


def check_label(out: Label, inp: LabelIn) -> None:
    if out.label not in inp.text.split():
        raise SemanticValidationError(f"label {out.label!r} is not a word of the text")


@local_solver("label.first_word", "1")
def first_word(inp: LabelIn, context: Any) -> Label:
    return Label(label=inp.text.split()[0], score=len(inp.text) % 11)


def write_templates(directory: Path, system: str = SYSTEM, user: str = USER) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "system.j2").write_text(system)
    (directory / "user.j2").write_text(user)
    return directory


def label_task(directory: Path, **kwargs: Any) -> Task[LabelIn, Label]:
    return Task(
        name=kwargs.pop("name", "label"),
        input_model=LabelIn,
        output_model=Label,
        template=PromptTemplate.from_dir(directory),
        validator=check_label,
        local_solver=first_word,
        **kwargs,
    )


def inputs(n: int) -> list[dict[str, str]]:
    return [{"id": f"x{i}", "text": f"w{i} alpha beta {'g' * (i % 7)}"} for i in range(n)]


def parse_user(body: dict[str, Any]) -> tuple[str, str]:
    """(input id, text) from the first user message of a request body."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    m = re.search(r"ID: (\S+)\nTEXT: (.*)", user)
    assert m, user
    return m.group(1), m.group(2)


def correct_answer(text: str) -> str:
    return json.dumps({"label": text.split()[0], "score": len(text) % 11})


def attempt_of(body: dict[str, Any]) -> int:
    return sum(1 for m in body["messages"] if m["role"] == "assistant")


class ScriptedBackend:
    """A backend that answers from ``script(request) -> LLMResponse`` and records every request."""

    kind = "openai"
    is_llm = True

    def __init__(self, script: Callable[[LLMRequest], LLMResponse], model: str = "gpt-4o-mini") -> None:
        self.script, self.model = script, model
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        return self.script(request)

    async def aclose(self) -> None:
        return None


def ok_response(request: LLMRequest, usage: Usage | None = None) -> LLMResponse:
    user = request.messages[1].content
    text = user.split("TEXT: ", 1)[1]
    return LLMResponse(correct_answer(text), "stop", usage or Usage(30, 8, 10))


def texts(requests: Sequence[LLMRequest]) -> list[str]:
    return [r.messages[-1].content for r in requests]
