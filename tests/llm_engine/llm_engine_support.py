"""Shared pieces of the engine tests: the server handle and the schemas the tiny model answers."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from recloom.prompts.task import Task
from recloom.prompts.templates import PromptTemplate

REPO = Path(__file__).resolve().parents[2]
ENGINE_HOME = Path(os.environ.get("RECLOOM_ENGINE_HOME", Path.home() / ".cache" / "recloom" / "engine"))
ENGINE_PYTHON = ENGINE_HOME / "venv" / "bin" / "python"
MODEL_DIR = ENGINE_HOME / "tiny-chat"

# run_in_engine(script, *args, timeout=...) -> the JSON object the script wrote (see conftest.py)
RunInEngine = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class EngineServer:
    """A running OpenAI-compatible vLLM server."""

    base_url: str  # ends in /v1, as the openai client wants it
    model: str
    log_path: Path
    startup_s: float


# Strings, ints, lists and an enum: the shapes recloom's task outputs are made of.
TICKET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 60},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
        "kind": {"enum": ["bug", "feature", "docs"]},
    },
    "required": ["title", "score", "tags", "kind"],
    "additionalProperties": False,
}


class TicketIn(BaseModel):
    id: str
    text: str


class TicketOut(BaseModel):
    title: str = Field(min_length=1, max_length=60)
    score: int = Field(ge=0, le=10)
    tags: list[Annotated[str, StringConstraints(max_length=20)]] = Field(max_length=3)


# A small real recloom task (templates in tests/llm_engine/templates/engine_ticket) for runtime tests.
TICKET_TASK: Task[TicketIn, TicketOut] = Task(
    name="engine_ticket",
    input_model=TicketIn,
    output_model=TicketOut,
    template=PromptTemplate.from_dir(Path(__file__).with_name("templates") / "engine_ticket"),
    description="label a support ticket (engine tests only)",
    max_tokens=200,
)


def ticket_inputs(n: int) -> list[dict[str, str]]:
    words = ["login fails", "docs typo", "page is slow", "crash on save", "dark mode please"]
    return [{"id": f"t{i}", "text": f"{words[i % len(words)]} (report {i})"} for i in range(n)]
