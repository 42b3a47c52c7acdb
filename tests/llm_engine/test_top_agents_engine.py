"""The ToP agent steps (``recloom.agents.top``) on the real vLLM server with the tiny test model,
through the same code path as every backend: matching (batched, halved, fallbacks recorded),
refinement (split + re-assignment) and reasoning, then a strict replay with zero calls.

The tiny model's answers are meaningless, so the assertions are about structure: calls reach the
server, tokens are counted, every answer that finished is valid JSON for the task's schema (guided
decoding), every semantic failure is recorded with its raw text, no item or user is dropped, and the
replay reproduces the artifacts. Construction prompts do not fit the test model's 1,024-token
context, so the tree is built here directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from llm_engine_support import EngineServer

from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.agents.top import (
    MATCH,
    SPLIT,
    ItemTable,
    MatchConfig,
    ReasonConfig,
    RefineConfig,
    UserRecord,
    match_items,
    reason_users,
    refine_tree,
)
from recloom.graph import tree_io
from recloom.graph.tree import NodeSpec, PreferenceTree

pytestmark = pytest.mark.engine

TEXTS = [
    "robots in space",
    "a galaxy far away",
    "alien ships attack",
    "space station crew",
    "a lawyer in court",
    "a family drama",
    "soldiers at war",
    "father and son",
]


def setup_tree() -> tuple[PreferenceTree, ItemTable]:
    tree = PreferenceTree.from_specs(
        [
            NodeSpec(
                "Films",
                "",
                (
                    NodeSpec("Space", "space robots aliens"),
                    NodeSpec("Court", "lawyers trials"),
                    NodeSpec("Home", "family"),
                ),
            )
        ]
    )
    ids = tuple(range(len(TEXTS)))
    return tree, ItemTable(ids, tuple(TEXTS), tuple(TEXTS), ("Films",) * len(ids))


def runner(server: EngineServer, cache: Path, mode: str = "rw") -> Runner:
    return Runner(
        RuntimeConfig(
            backend="vllm-server",
            model=server.model,
            base_url=server.base_url,
            cache_dir=str(cache),
            cache_mode=mode,
            progress=False,
            max_reasks=0,
            max_tokens=300,
            max_tokens_cap=300,
            request_timeout_s=300.0,
            concurrency=4,
        )
    )


def finished_answers(step_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(task, raw text) of every recorded attempt that finished normally, from the failure files."""
    out = []
    for path in step_dir.rglob("failures.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            out += [(row["task"], a) for a in row["attempts"] if a["finish_reason"] == "stop"]
    return out


def test_top_steps_on_the_real_engine_then_replay(engine_server: EngineServer, tmp_path: Path) -> None:
    tree, items = setup_tree()
    match = match_items(
        runner(engine_server, tmp_path / "cache"),
        tree,
        items,
        config=MatchConfig(max_items_per_call=2),
        out_dir=tmp_path / "run" / "match",
    )
    assert (
        match.stats.backend_calls >= 4 and match.stats.prompt_tokens > 0 and match.stats.completion_tokens > 0
    )
    assert sorted(tree.items) == list(items.ids) and set(match.source.values()) <= {"llm", "fallback"}
    assert len(match.failures) == sum(s == "fallback" for s in match.source.values())
    assert all(f["attempts"] and f["reason"] for f in match.failures)

    tree.assign_many({i: tree.leaves()[0] for i in range(6)}, move=True)  # overload "Space"
    refine = refine_tree(
        runner(engine_server, tmp_path / "cache"),
        tree,
        items,
        config=RefineConfig(max_ops=1),
        match_config=MatchConfig(max_items_per_call=2),
        out_dir=tmp_path / "run" / "refine",
    )
    (op,) = [r for r in refine.operations if r["counted"]]
    assert op["kind"] in ("split", "split_undone") and (op["ok"] or op["error"])
    assert sorted(tree.items) == list(items.ids) and not tree.pending

    users = [UserRecord(1, "likes space", (0, 1)), UserRecord(2, "a lawyer", (4,))]
    reason = reason_users(
        runner(engine_server, tmp_path / "cache"),
        tree,
        users,
        items,
        config=ReasonConfig(n_leaves=2, history_cap=2),
        out_dir=tmp_path / "run" / "reason",
    )
    assert [len(set(u.leaf_ids)) for u in reason.users] == [2, 2]

    schemas = {MATCH.name: MATCH.json_schema, SPLIT.name: SPLIT.json_schema}
    for task, attempt in finished_answers(tmp_path / "run"):
        if task in schemas:  # guided decoding: whatever finished is valid JSON for the schema
            jsonschema.validate(json.loads(attempt["text"]), schemas[task])

    tree2, items2 = setup_tree()
    replayed = match_items(
        runner(engine_server, tmp_path / "cache", "replay"),
        tree2,
        items2,
        config=MatchConfig(max_items_per_call=2),
        out_dir=tmp_path / "replay" / "match",
    )
    assert replayed.stats.backend_calls == 0 and replayed.assignment == match.assignment
    assert tree_io.dumps(tree2) == (tmp_path / "run" / "match" / "tree.json").read_text().strip()
