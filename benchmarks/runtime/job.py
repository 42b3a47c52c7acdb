"""The one job every contender does: N structured-output calls with the same JSON schema, each
answer parsed and validated with pydantic.

The prompt is the same text for everyone: recloom renders it from ``templates/tags`` (Jinja2, its
cost counted in recloom's overhead); the peers build it with an f-string, as their users would.
The loopback server always answers ``ANSWER`` (valid for ``Tags``), so every call must validate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

MODEL = "bench-model"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "tags"
ANSWER = json.dumps(
    {
        "tags": ["drama", "1990s", "prison", "friendship", "hope"],
        "summary": "Two imprisoned men bond over decades and find redemption through small acts of decency.",
        "score": 9,
    }
)


class TagsIn(BaseModel):
    id: str
    title: str
    genres: str


class Tags(BaseModel):
    tags: list[str] = Field(min_length=1, max_length=8)
    summary: str = Field(min_length=1, max_length=200)
    score: int = Field(ge=0, le=10)


def inputs(n: int, prefix: str = "i") -> list[dict[str, str]]:
    """``n`` distinct inputs (distinct prompts, so distinct cache keys)."""
    return [
        {"id": f"{prefix}{k}", "title": f"Movie number {k} ({1950 + k % 70})", "genres": "Drama"}
        for k in range(n)
    ]


def strict_schema() -> dict[str, Any]:
    """The strict JSON schema every contender sends (recloom's contract for ``Tags``)."""
    from recloom.prompts.schema import strict_schema as strict

    return strict(Tags)


def schema_json() -> str:
    return json.dumps(strict_schema(), separators=(",", ":"), sort_keys=True)


def system_prompt() -> str:
    """The rendered system template (what recloom sends), read once for the peers' f-strings."""
    head = (TEMPLATES / "system.j2").read_text().replace("{{ schema_json }}", schema_json())
    return head.strip()


def user_prompt(row: dict[str, str]) -> str:
    return f"Item {row['id']}\nTitle: {row['title']}\nGenres: {row['genres']}"


def messages(system: str, row: dict[str, str]) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user_prompt(row)}]


def recloom_task() -> Any:
    from recloom.prompts import PromptTemplate, Task

    return Task(
        name="bench_tags",
        input_model=TagsIn,
        output_model=Tags,
        template=PromptTemplate.from_dir(TEMPLATES),
        max_tokens=256,
    )
