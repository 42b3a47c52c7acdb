"""The ToP tasks (prompt files under ``recloom/prompts/templates/top/``, input/output models,
semantic validators and local solvers), registered in the default task registry on import:
``top.construct``, ``top.match``, ``top.merge``, ``top.split`` and ``top.reason``."""

from __future__ import annotations

from typing import Any

from recloom.agents.top.construct_local import cluster_tree
from recloom.agents.top.construct_task import ConstructInput, ConstructOutput, check_construction
from recloom.agents.top.match_task import MatchInput, MatchOutput, check_matches, nearest_leaf
from recloom.agents.top.reason_local import history_and_exploration
from recloom.agents.top.reason_task import ReasonInput, ReasonOutput, check_reasoning
from recloom.agents.top.refine_local import keyword_merge_name, two_means_split
from recloom.agents.top.refine_task import (
    MergeInput,
    MergeOutput,
    SplitInput,
    SplitOutput,
    check_merge,
    check_split,
)
from recloom.prompts.registry import default_registry
from recloom.prompts.task import Task
from recloom.prompts.templates import BUILTIN_TEMPLATES, PromptTemplate

TEMPLATES = BUILTIN_TEMPLATES / "top"


def _template(name: str) -> PromptTemplate:
    return PromptTemplate.from_dir(TEMPLATES / name)


CONSTRUCT: Task[ConstructInput, ConstructOutput] = Task(
    name="top.construct",
    input_model=ConstructInput,
    output_model=ConstructOutput,
    template=_template("construct"),
    validator=check_construction,
    description="ToP construction: one preference subtree per category (Eq. 1)",
    max_tokens=4096,
    local_solver=cluster_tree,
)

MATCH: Task[MatchInput, MatchOutput] = Task(
    name="top.match",
    input_model=MatchInput,
    output_model=MatchOutput,
    template=_template("match"),
    validator=check_matches,
    description="item matching: one leaf per item, many items per call (Eq. 3)",
    max_tokens=2048,
    local_solver=nearest_leaf,
)

MERGE: Task[MergeInput, MergeOutput] = Task(
    name="top.merge",
    input_model=MergeInput,
    output_model=MergeOutput,
    template=_template("merge"),
    validator=check_merge,
    description="refinement: name the preference of merged sibling leaves",
    max_tokens=512,
    local_solver=keyword_merge_name,
)

SPLIT: Task[SplitInput, SplitOutput] = Task(
    name="top.split",
    input_model=SplitInput,
    output_model=SplitOutput,
    template=_template("split"),
    validator=check_split,
    description="refinement: finer child preferences of an over-loaded leaf",
    max_tokens=768,
    local_solver=two_means_split,
)

REASON: Task[ReasonInput, ReasonOutput] = Task(
    name="top.reason",
    input_model=ReasonInput,
    output_model=ReasonOutput,
    template=_template("reason"),
    validator=check_reasoning,
    description="preference reasoning: n leaves with a reason each per user (Eq. 2)",
    max_tokens=2048,
    local_solver=history_and_exploration,
)

TASKS: list[Task[Any, Any]] = [CONSTRUCT, MATCH, MERGE, SPLIT, REASON]


def register() -> None:
    """Put the ToP tasks in the default registry (idempotent)."""
    registry = default_registry()
    for task in TASKS:
        registry.register(task)


register()
