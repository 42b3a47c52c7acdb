"""Item matching: one test per validation rule, batch splitting by the character budget, halving
of failed batches down to single items, recorded failures with the embedding fallback (never a
silent drop), single-leaf scopes, and the local nearest-leaf solver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from top_agents_support import BagEmbedder, ScriptedLLM, llm_runner, local_runner, two_level_tree

from recloom.agents.artifacts import read_jsonl
from recloom.agents.backends.base import LLMRequest
from recloom.agents.top.batching import halves, plan_batches
from recloom.agents.top.config import MatchConfig
from recloom.agents.top.items import ItemTable
from recloom.agents.top.match import match_items, scope_leaves
from recloom.agents.top.match_task import (
    ItemMatch,
    MatchInput,
    MatchItem,
    MatchOutput,
    check_matches,
    nearest_leaf,
)
from recloom.errors import ConfigError, SemanticValidationError

TEXTS = {
    10: "a fast car chase through the city with racing cars",
    11: "kung fu master fighting with karate",
    12: "a lawyer defends the accused before the jury in court",
    13: "soldiers in a long war battle",
    14: "a mother and father raise their children, a family story",
}


def table(texts: dict[int, str] = TEXTS) -> ItemTable:
    ids = tuple(texts)
    return ItemTable(
        ids, tuple(texts[i][:20] for i in ids), tuple(texts[i] for i in ids), ("Films",) * len(ids)
    )


def match_input(items: list[int] | None = None) -> MatchInput:
    tree = two_level_tree()
    return MatchInput(
        id="b",
        leaves=scope_leaves(tree, tree.roots[0]),
        items=[MatchItem(id=i, text=TEXTS[i]) for i in (items or [10, 11])],
    )


def out(*rows: tuple[int, int, str]) -> MatchOutput:
    return MatchOutput(matches=[ItemMatch(item=i, leaf_id=leaf, name=name) for i, leaf, name in rows])


def test_valid_answer_is_returned_in_input_order_with_tree_names() -> None:
    checked = check_matches(out((11, 4, " martial  ARTS"), (10, 3, "Car chases")), match_input())
    assert [(m.item, m.leaf_id, m.name) for m in checked.matches] == [
        (10, 3, "Car chases"),
        (11, 4, "Martial arts"),
    ]


def test_rule_unknown_leaf_id() -> None:
    with pytest.raises(SemanticValidationError, match="leaf id 99 does not exist"):
        check_matches(out((10, 99, "Car chases"), (11, 4, "Martial arts")), match_input())


def test_rule_internal_node_is_not_a_leaf() -> None:
    with pytest.raises(SemanticValidationError, match="leaf id 2 does not exist"):
        check_matches(out((10, 2, "Action"), (11, 4, "Martial arts")), match_input())


def test_rule_name_must_match_the_id() -> None:
    with pytest.raises(SemanticValidationError, match="leaf 3 is named 'Car chases', not 'Martial arts'"):
        check_matches(out((10, 3, "Martial arts"), (11, 4, "Martial arts")), match_input())


def test_rule_missing_item() -> None:
    with pytest.raises(SemanticValidationError, match=r"items \[11\] are missing"):
        check_matches(out((10, 3, "Car chases")), match_input())


def test_rule_duplicate_item() -> None:
    with pytest.raises(SemanticValidationError, match=r"items \[10\] are answered more than once"):
        check_matches(
            out((10, 3, "Car chases"), (10, 4, "Martial arts"), (11, 4, "Martial arts")), match_input()
        )


def test_rule_unknown_item() -> None:
    with pytest.raises(SemanticValidationError, match=r"items \[77\] were not asked about"):
        check_matches(
            out((10, 3, "Car chases"), (11, 4, "Martial arts"), (77, 3, "Car chases")), match_input()
        )


def test_batches_respect_budget_and_item_cap_and_cover_every_item_once() -> None:
    items = [f"item-{k}-" + "x" * (k % 7) * 10 for k in range(40)]
    batches = plan_batches(items, len, static_chars=100, char_budget=400, max_items=6, overhead=10)
    assert [i for b in batches for i in b.items] == items
    assert all(len(b.items) <= 6 and b.chars <= 400 for b in batches)
    assert all(b.chars == 100 + sum(len(i) + 10 for i in b.items) for b in batches)
    # every batch is full: the next item would not have fitted
    for b, nxt in zip(batches, batches[1:], strict=False):
        assert len(b.items) == 6 or b.chars + len(nxt.items[0]) + 10 > 400


def test_an_item_over_the_budget_gets_a_batch_of_its_own() -> None:
    batches = plan_batches(
        ["a", "b" * 500, "c"], len, static_chars=10, char_budget=100, max_items=5, overhead=0
    )
    assert [b.items for b in batches] == [("a",), ("b" * 500,), ("c",)]
    assert batches[1].over_budget(100) and not batches[0].over_budget(100)
    assert halves([1, 2, 3]) == [(1, 2), (3,)]
    with pytest.raises(ConfigError):
        plan_batches(["a"], len, static_chars=0, char_budget=10, max_items=0)


def oracle(request: LLMRequest, bad: set[int] = frozenset()) -> dict:  # type: ignore[assignment]
    """Answers a match request correctly except for items in ``bad`` (a wrong leaf name)."""
    inp = request.payload
    emb = BagEmbedder()
    best = nearest_leaf.solve(inp, {"embedder": emb})
    rows = [
        {"item": m.item, "leaf_id": m.leaf_id, "name": "nonsense" if m.item in bad else m.name}
        for m in best.matches
    ]
    return {"matches": rows}


def test_small_char_budget_splits_into_several_calls(tmp_path: Path) -> None:
    backend = ScriptedLLM(oracle)
    tree = two_level_tree()
    items = table()
    config = MatchConfig(max_items_per_call=20, char_budget=1900)
    result = match_items(
        llm_runner(backend), tree, items, config=config, out_dir=tmp_path / "m", embedder=BagEmbedder()
    )
    sizes = [len(r.payload.items) for r in backend.requests]
    assert len(backend.requests) >= 2 and sum(sizes) == len(items)
    assert all(sum(len(m.content) for m in r.messages) <= config.char_budget for r in backend.requests)
    assert set(result.source.values()) == {"llm"} and result.fallbacks == 0
    assert {i: tree.leaf_of(i) for i in items.ids} == result.assignment


def test_failing_items_are_isolated_recorded_and_fall_back(tmp_path: Path) -> None:
    backend = ScriptedLLM(lambda r: oracle(r, bad={12}))
    tree = two_level_tree()
    items = table()
    result = match_items(
        llm_runner(backend, max_reasks=1),
        tree,
        items,
        config=MatchConfig(max_items_per_call=8),
        out_dir=tmp_path / "m",
        embedder=BagEmbedder(),
    )
    # the 5-item batch fails, halves (3 + 2) are retried, the half with item 12 again, then [12] alone
    assert result.source[12] == "fallback" and all(result.source[i] == "llm" for i in items.ids if i != 12)
    assert result.manifest["counts"]["batches_per_round"] == [1, 2, 2]
    assert result.fallbacks == 1 and result.fallback_rate == pytest.approx(0.2)
    assert tree.leaf_of(12) == 6  # the courtroom leaf is the nearest by text
    (failure,) = list(read_jsonl(tmp_path / "m" / "match_failures.jsonl"))
    assert (
        failure["item"] == 12
        and failure["fallback_leaf"] == 6
        and "named 'Courtroom', not 'nonsense'" in failure["reason"]
    )
    assert len(failure["batches"]) == 3 and '"nonsense"' in failure["attempts"][-1]["text"]
    assert len(failure["attempts"]) == 2  # the answer and one re-ask, raw text kept
    assignments = list(read_jsonl(tmp_path / "m" / "assignments.jsonl"))
    assert sorted(a["item"] for a in assignments) == sorted(items.ids)
    assert (tmp_path / "m" / "calls" / "round-2" / "failures.jsonl").is_file()


def test_without_halving_a_failed_batch_falls_back_whole(tmp_path: Path) -> None:
    backend = ScriptedLLM(lambda r: oracle(r, bad={12}))
    tree = two_level_tree()
    result = match_items(
        llm_runner(backend), tree, table(), config=MatchConfig(halve_failed=False), embedder=BagEmbedder()
    )
    assert result.fallbacks == 5 and len(backend.requests) == 2  # one call + one re-ask
    assert sorted(tree.items) == sorted(TEXTS)


def test_single_leaf_scope_needs_no_call() -> None:
    from recloom.graph.tree import NodeSpec, PreferenceTree

    tree = PreferenceTree.from_specs([NodeSpec("Only", "one leaf category"), *two_level_tree_specs()])
    backend = ScriptedLLM(oracle)
    items = table({1: "anything"})
    result = match_items(llm_runner(backend), tree, items, scopes={1: tree.roots[0]}, embedder=BagEmbedder())
    assert result.source == {1: "single-leaf"} and tree.leaf_of(1) == tree.roots[0] and not backend.requests


def two_level_tree_specs():  # noqa: ANN201
    from recloom.graph.tree import NodeSpec

    return [NodeSpec("Films", "", (NodeSpec("A", "x"), NodeSpec("B", "y")))]


def test_local_solver_picks_the_nearest_leaf_text() -> None:
    answer = nearest_leaf.solve(match_input([10, 11, 12, 13, 14]), {"embedder": BagEmbedder()})
    assert [m.leaf_id for m in answer.matches] == [3, 4, 6, 7, 8]
    check_matches(answer, match_input([10, 11, 12, 13, 14]))


def test_local_backend_matches_through_the_runtime(tmp_path: Path) -> None:
    tree = two_level_tree()
    result = match_items(
        local_runner(embedder=BagEmbedder()), tree, table(), out_dir=tmp_path / "m", embedder=BagEmbedder()
    )
    assert set(result.source.values()) == {"local"}
    assert result.assignment == {10: 3, 11: 4, 12: 6, 13: 7, 14: 8}
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["backend"]["is_llm"] is False and manifest["counts"]["by_source"] == {"local": 5}
