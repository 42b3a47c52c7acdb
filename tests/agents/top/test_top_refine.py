"""Refinement: the merge and split validators (one test per rule), the local naming/splitting
solvers, and the refinement loop (split over-loaded, merge under-loaded siblings, collapse whole
families, undo a split that separates nothing, log every operation, keep every item, ≤ max_ops)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from top_agents_support import BagEmbedder, ScriptedLLM, llm_runner, local_runner

from recloom.agents.artifacts import read_jsonl
from recloom.agents.backends.base import LLMRequest
from recloom.agents.top.config import RefineConfig
from recloom.agents.top.items import ItemTable
from recloom.agents.top.match_task import nearest_leaf
from recloom.agents.top.refine import refine_tree
from recloom.agents.top.refine_local import keyword_merge_name, two_means_split
from recloom.agents.top.refine_task import (
    MergeInput,
    MergeLeaf,
    MergeOutput,
    SplitChild,
    SplitInput,
    SplitOutput,
    check_merge,
    check_split,
)
from recloom.errors import SemanticValidationError, TreeError
from recloom.graph.tree import NodeSpec, PreferenceTree


def merge_input() -> MergeInput:
    return MergeInput(
        id="m",
        parent_path="Films > Drama",
        leaves=[
            MergeLeaf(id=6, name="Courtroom", samples=["a trial"]),
            MergeLeaf(id=7, name="War", samples=["a battle"]),
        ],
        sibling_names=["Family", "Romance"],
    )


def split_input(n: int = 2) -> SplitInput:
    return SplitInput(id="s", path="Films > Drama > War", name="War", samples=["a", "b", "c"], n_children=n)


def test_merge_answer_accepted_and_cleaned() -> None:
    assert (
        check_merge(MergeOutput(name="  Trials and\nbattles ", description=" x "), merge_input()).name
        == "Trials and battles"
    )


def test_merge_rule_name_non_empty() -> None:
    with pytest.raises(SemanticValidationError, match="'name' is empty"):
        check_merge(MergeOutput(name="  "), merge_input())


def test_merge_rule_name_not_a_remaining_sibling() -> None:
    with pytest.raises(SemanticValidationError, match="repeats the sibling 'Family'"):
        check_merge(MergeOutput(name="FAMILY"), merge_input())


def test_merge_rule_no_path_separator() -> None:
    with pytest.raises(SemanticValidationError, match="must not contain ' > '"):
        check_merge(MergeOutput(name="Drama > Trials"), merge_input())


def test_merge_may_reuse_a_merged_leaf_name() -> None:
    assert check_merge(MergeOutput(name="War"), merge_input()).name == "War"


def split(*names: str) -> SplitOutput:
    return SplitOutput(children=[SplitChild(name=n, description="") for n in names])


def test_split_answer_accepted() -> None:
    assert [c.name for c in check_split(split("Trench war", " Air  war"), split_input()).children] == [
        "Trench war",
        "Air war",
    ]


def test_split_rule_exact_child_count() -> None:
    with pytest.raises(SemanticValidationError, match="exactly 2 children, not 3"):
        check_split(split("a", "b", "c"), split_input())


def test_split_rule_names_non_empty() -> None:
    with pytest.raises(SemanticValidationError, match="non-empty name"):
        check_split(split("a", " "), split_input())


def test_split_rule_names_distinct() -> None:
    with pytest.raises(SemanticValidationError, match="must be distinct"):
        check_split(split("Air war", "air  WAR"), split_input())


def test_split_rule_children_differ_from_the_leaf() -> None:
    with pytest.raises(SemanticValidationError, match="may not repeat the leaf's own name 'War'"):
        check_split(split("war", "Peace"), split_input())


def test_split_rule_no_path_separator() -> None:
    with pytest.raises(SemanticValidationError, match="must not contain"):
        check_split(split("a > b", "c"), split_input())


def test_local_refinement_solvers_give_valid_answers() -> None:
    name = keyword_merge_name.solve(merge_input(), {})
    check_merge(name, merge_input())
    inp = SplitInput(
        id="s",
        path="Films > War",
        name="War",
        n_children=3,
        samples=[
            "air battle planes",
            "air planes pilots",
            "trench mud soldiers",
            "trench soldiers gas",
            "navy ships sea",
            "ships sea submarine",
        ],
    )
    out = check_split(two_means_split.solve(inp, {"embedder": BagEmbedder()}), inp)
    assert len(out.children) == 3 and all(c.description.startswith("keywords:") for c in out.children)
    few = SplitInput(id="s", path="A", name="A", n_children=3, samples=["one", "one"])
    assert len(check_split(two_means_split.solve(few, {"embedder": BagEmbedder()}), few).children) == 3


def unbalanced() -> tuple[PreferenceTree, ItemTable]:
    """Leaf "Mixed" holds 12 items (two themes), four light sibling leaves hold 1 each, and a branch
    whose two leaves are both light (a whole family)."""
    tree = PreferenceTree.from_specs(
        [
            NodeSpec(
                "Films",
                "",
                (
                    NodeSpec("Mixed", "space robots ocean ships"),
                    NodeSpec(
                        "Drama",
                        "",
                        (
                            NodeSpec("Courtroom", "court"),
                            NodeSpec("Family", "family"),
                            NodeSpec("Sports", "sports"),
                            NodeSpec("Music", "music"),
                            NodeSpec("Heist", "heist bank robbery crime"),
                        ),
                    ),
                    NodeSpec("Old", "", (NodeSpec("Silent", "silent"), NodeSpec("Noir", "noir"))),
                ),
            )
        ]
    )
    texts = {k: f"space robots galaxy {k}" for k in range(6)} | {
        k: f"ocean ships sea {k}" for k in range(6, 12)
    }
    texts |= {20: "court", 21: "family", 22: "sports", 23: "music", 30: "silent", 31: "noir"}
    texts |= {40 + k: f"heist bank robbery crime {k}" for k in range(5)}
    ids = tuple(texts)
    items = ItemTable(ids, tuple(texts[i] for i in ids), tuple(texts[i] for i in ids), ("Films",) * len(ids))
    leaf = {n: x for x in tree.leaves() for n in [tree.name(x)]}
    for i in ids:
        name = {20: "Courtroom", 21: "Family", 22: "Sports", 23: "Music", 30: "Silent", 31: "Noir"}.get(i)
        tree.assign(i, leaf[name] if name else leaf["Heist"] if i >= 40 else leaf["Mixed"])
    return tree, items


def test_refinement_splits_merges_and_collapses_with_a_full_log(tmp_path: Path) -> None:
    tree, items = unbalanced()
    result = refine_tree(
        local_runner(embedder=BagEmbedder()), tree, items, out_dir=tmp_path / "r", embedder=BagEmbedder()
    )
    kinds = [r["kind"] for r in result.operations]
    assert kinds[0] == "split" and "merge" in kinds and "collapse" in kinds
    assert sorted(tree.items) == sorted(items.ids) and not tree.pending
    assert all(load > 0 for load in tree.loads().values())
    assert (
        result.manifest["counts"]["loads_after"]["max_over_mean"]
        < result.manifest["counts"]["loads_before"]["max_over_mean"]
    )
    first = result.operations[0]
    assert first["leaf_ids"] and first["loads"] and first["mean_load"] > 0 and first["new_leaves"]
    merge = next(r for r in result.operations if r["kind"] == "merge")
    assert merge["leaf_ids"] == [4, 5] and tree.items_of(merge["new_leaves"][0]) == [
        20,
        21,
    ]  # union of their items
    collapse = next(r for r in result.operations if r["kind"] == "collapse")
    assert tree.is_leaf(collapse["new_leaves"][0]) and tree.name(collapse["new_leaves"][0]) == "Old"
    logged = list(read_jsonl(tmp_path / "r" / "refine_log.jsonl"))
    assert [r["kind"] for r in logged] == kinds
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["counts"]["operations"] == len(kinds)


def test_operation_budget_is_respected() -> None:
    tree, items = unbalanced()
    result = refine_tree(
        local_runner(embedder=BagEmbedder()),
        tree,
        items,
        config=RefineConfig(max_ops=1),
        embedder=BagEmbedder(),
    )
    assert len([r for r in result.operations if r["counted"]]) == 1
    tree2, items2 = unbalanced()
    assert (
        refine_tree(
            local_runner(embedder=BagEmbedder()),
            tree2,
            items2,
            config=RefineConfig(max_ops=0),
            embedder=BagEmbedder(),
        ).operations
        == []
    )


def test_a_split_that_separates_nothing_is_undone_and_not_retried() -> None:
    tree, items = unbalanced()

    def answer(request: LLMRequest) -> dict:
        inp = request.payload
        if request.task == "top.split":
            return {
                "children": [
                    {"name": "Everything", "description": "space robots ocean ships galaxy sea"},
                    {"name": "Nothing", "description": "zzz"},
                ]
            }
        if request.task == "top.match":
            return nearest_leaf.solve(inp, {"embedder": BagEmbedder()}).model_dump()
        return keyword_merge_name.solve(inp, {}).model_dump()

    before = set(tree.items_of(tree.leaves()[0]))
    result = refine_tree(
        llm_runner(ScriptedLLM(answer)), tree, items, config=RefineConfig(max_ops=3), embedder=BagEmbedder()
    )
    undone = result.operations[0]
    assert undone["kind"] == "split_undone" and undone["child_loads"]
    (leaf,) = undone["new_leaves"]
    assert set(tree.items_of(leaf)) == before and tree.name(leaf) == "Mixed"
    assert all(r["leaf_ids"] != [leaf] for r in result.operations[1:])


def test_a_failed_call_leaves_the_tree_unchanged_and_is_logged() -> None:
    tree, items = unbalanced()
    before = {x: tree.items_of(x) for x in tree.leaves()}
    result = refine_tree(
        llm_runner(ScriptedLLM(lambda r: "not json")),
        tree,
        items,
        config=RefineConfig(max_ops=10),
        embedder=BagEmbedder(),
    )
    failed = [r for r in result.operations if r["counted"]]
    assert failed and all(not r["ok"] and r["error"] for r in failed if r["kind"] != "collapse")
    untouched = {x: tree.items_of(x) for x in tree.leaves() if x in before}
    assert untouched == {x: v for x, v in before.items() if x in untouched}


def test_refinement_refuses_unassigned_items() -> None:
    tree, items = unbalanced()
    more = ItemTable(
        (*items.ids, 99), (*items.titles, "x"), (*items.texts, "x"), (*items.categories, "Films")
    )
    with pytest.raises(TreeError, match="unassigned"):
        refine_tree(local_runner(embedder=BagEmbedder()), tree, more, embedder=BagEmbedder())
