"""``item_tags``: short descriptive tags and a one-line summary for a catalogue item.

A small real task that exercises the whole runtime end to end (any backend, cache, replay, re-ask).
Its local solver is a deterministic keyword extractor over the title, genres and release year: a
non-LLM baseline, not a model of item semantics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from recloom.errors import SemanticValidationError
from recloom.prompts.solver import local_solver
from recloom.prompts.task import Task
from recloom.prompts.templates import BUILTIN_TEMPLATES, PromptTemplate

Tag = Annotated[str, StringConstraints(min_length=1, max_length=40)]
_YEAR = re.compile(r"\((\d{4})\)")
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_STOP = frozenset(
    "a an and the of in on at to for with from by is it its this that or as be are was my your his her "
    "their our we you i me us them he she they la le les el los das der die und".split()
)


class ItemTagsInput(BaseModel):
    id: str
    title: str = Field(min_length=1)
    genres: list[str] = Field(default_factory=list)


class ItemTags(BaseModel):
    tags: list[Tag] = Field(
        min_length=1, max_length=8, description="lowercase descriptive tags, 1-3 words each"
    )
    summary: str = Field(min_length=1, max_length=200, description="one line, no line breaks")


def check_item_tags(output: ItemTags, inp: ItemTagsInput) -> ItemTags:
    """Normalise tags (lowercase, trimmed) and check them against the item they describe."""
    tags = [" ".join(t.lower().split()) for t in output.tags]
    if len(set(tags)) != len(tags):
        raise SemanticValidationError(f"tags must be distinct, got {tags}")
    if any(len(t.split()) > 3 for t in tags):
        raise SemanticValidationError(f"each tag must have at most 3 words, got {tags}")
    if "\n" in output.summary.strip():
        raise SemanticValidationError("summary must be one line")
    genres = [g.lower() for g in inp.genres]
    if genres and not any(g in t or t in g for t in tags for g in genres):
        raise SemanticValidationError(f"at least one tag must name one of the item's genres {inp.genres}")
    return ItemTags(tags=tags, summary=output.summary.strip())


def title_keywords(title: str, limit: int = 8) -> list[str]:
    """Lowercase content words of a title, in order, without the year, stopwords and duplicates."""
    words: list[str] = []
    for word in _WORD.findall(_YEAR.sub(" ", title).lower()):
        word = word.strip("'-")
        if len(word) > 2 and word not in _STOP and not word.isdigit() and word not in words:
            words.append(word)
    return words[:limit]


@local_solver("item_tags.keywords", "1")
def keyword_tags(inp: ItemTagsInput, context: Mapping[str, Any]) -> ItemTags:
    """Genres, then the decade, then title keywords; summary from title, year and genres."""
    tags: list[str] = []
    for tag in [g.lower() for g in inp.genres]:
        if tag not in tags:
            tags.append(tag)
    year = _YEAR.search(inp.title)
    if year:
        tags.append(f"{year.group(1)[:3]}0s")
    tags.extend(k for k in title_keywords(inp.title) if k not in tags)
    name = _YEAR.sub("", inp.title).strip() or inp.title
    kind = ", ".join(inp.genres[:3]).lower() or "uncategorised"
    when = f", {year.group(1)}" if year else ""
    return ItemTags(tags=tags[:8] or ["item"], summary=f"{name} ({kind}{when})."[:200])


ITEM_TAGS: Task[ItemTagsInput, ItemTags] = Task(
    name="item_tags",
    input_model=ItemTagsInput,
    output_model=ItemTags,
    template=PromptTemplate.from_dir(BUILTIN_TEMPLATES / "item_tags"),
    validator=check_item_tags,
    description="descriptive tags and a one-line summary for an item (title + genres)",
    max_tokens=256,
    local_solver=keyword_tags,
)

TASKS = [ITEM_TAGS]
