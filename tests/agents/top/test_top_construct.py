"""Construction task: one test per validation rule of methods.md §1.5 item 1, the conversion into a
PreferenceTree, and the local clustering solver producing valid trees (hypothesis over sizes and
bounds with a cheap embedder; a real MovieLens-100K sample with MiniLM)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from top_agents_support import BagEmbedder

from recloom.agents.top.config import BuildConfig
from recloom.agents.top.construct_local import cluster_tree
from recloom.agents.top.construct_task import (
    ConstructInput,
    ConstructOutput,
    SampleItem,
    check_construction,
    constraints_for,
    to_node_spec,
    tree_shape,
)
from recloom.errors import SemanticValidationError
from recloom.graph.tree import PreferenceTree


def leaf(name: str) -> dict[str, Any]:
    return {"name": name, "description": f"{name} things", "criteria": "", "sub_branches": []}


def node(name: str, *kids: dict[str, Any], criteria: str = "by mood") -> dict[str, Any]:
    return {"name": name, "description": "", "criteria": criteria, "sub_branches": list(kids)}


def answer(*branches: dict[str, Any], root: str = "Drama", criteria: str = "by theme") -> ConstructOutput:
    return ConstructOutput.model_validate(
        {"root": root, "description": "", "criteria": criteria, "sub_branches": list(branches)}
    )


def good() -> ConstructOutput:
    """3 levels, 3 + 3 = 6 leaves."""
    return answer(
        node("Love", leaf("First love"), leaf("Lost love"), leaf("Forbidden love")),
        node("War", leaf("Front line"), leaf("Home front"), leaf("Aftermath")),
    )


def inp(**bounds: int) -> ConstructInput:
    base = {
        "min_depth": 3,
        "max_depth": 4,
        "min_leaves": 4,
        "max_leaves": 8,
        "min_children": 2,
        "max_children": 4,
    }
    return ConstructInput(
        id="Drama", category="Drama", items=[SampleItem(n=1, text="x")], **{**base, **bounds}
    )


def rejects(out: ConstructOutput, match: str, **bounds: int) -> None:
    with pytest.raises(SemanticValidationError, match=match):
        check_construction(out, inp(**bounds))


def test_a_valid_tree_is_accepted_and_cleaned() -> None:
    out = good()
    out.sub_branches[0].name = "  Love \n stories "
    out.sub_branches[0].sub_branches[0].criteria = "leaf criteria are dropped"
    checked = check_construction(out, inp())
    assert checked.sub_branches[0].name == "Love stories"
    assert checked.sub_branches[0].sub_branches[0].criteria == ""
    assert tree_shape(checked) == (3, 6)


def test_rule_root_present() -> None:
    out = good()
    out.root = "   "
    rejects(out, "'root' is empty")


def test_rule_root_has_children() -> None:
    rejects(answer(), "root has no sub_branches")


def test_rule_internal_nodes_state_a_criterion() -> None:
    out = good()
    out.sub_branches[1].criteria = " "
    rejects(out, "'Drama > War' has no 'criteria'")


def test_rule_no_single_child_chains() -> None:
    out = answer(node("Love", node("Only", leaf("a"), leaf("b"))), node("War", leaf("c"), leaf("d")))
    rejects(out, "single child 'Only'")


def test_rule_at_least_min_children() -> None:
    rejects(good(), "has 2 children; at least 3", min_children=3, max_children=4)


def test_rule_at_most_max_children() -> None:
    out = answer(node("Love", *(leaf(f"l{k}") for k in range(5))), node("War", leaf("c"), leaf("d")))
    rejects(out, "'Drama > Love' has 5 children; at most 4", max_leaves=10)


def test_rule_child_names_non_empty() -> None:
    out = good()
    out.sub_branches[0].sub_branches[1].name = " "
    rejects(out, "child #2 of 'Drama > Love' has an empty name")


def test_rule_child_names_unique_per_parent() -> None:
    out = good()
    out.sub_branches[0].sub_branches[1].name = "FIRST  love"
    rejects(out, "two children named 'FIRST love'")


def test_rule_leaf_paths_unique() -> None:
    # "Love > War" as a name makes the path "Drama > Love > War" twice, although siblings differ.
    out = answer(
        node("Love", leaf("War"), leaf("Peace")), leaf("Love > War"), node("X", leaf("y"), leaf("z"))
    )
    rejects(out, "leaf paths must be unique")


def test_rule_depth_not_above_max() -> None:
    deep = node("Love", node("Deep", node("Deeper", leaf("a"), leaf("b")), leaf("c")), leaf("d"))
    rejects(answer(deep, node("War", leaf("e"), leaf("f"))), "has 5 levels", max_depth=4)


def test_rule_depth_not_below_min() -> None:
    rejects(answer(*(leaf(f"l{k}") for k in range(4))), "has 2 levels including the root")


def test_rule_leaf_count_within_bounds() -> None:
    rejects(good(), "has 6 leaves; it must have 7 to 8", min_leaves=7)
    rejects(good(), "has 6 leaves; it must have 2 to 5", min_leaves=2, max_leaves=5)


def test_every_broken_rule_is_reported_at_once() -> None:
    out = answer(node("Love", leaf("a")), node("Love", leaf("b"), leaf("c"), criteria=""))
    with pytest.raises(SemanticValidationError) as err:
        check_construction(out, inp())
    text = str(err.value)
    assert "single child" in text and "two children named 'Love'" in text and "no 'criteria'" in text


def test_conversion_names_the_root_by_category_and_keeps_descriptions() -> None:
    out = check_construction(good(), inp())
    out.root = "Dramatic films"
    tree = PreferenceTree.from_specs([to_node_spec(out, "Drama")])
    root = tree.roots[0]
    assert tree.name(root) == "Drama" and tree.description(root).startswith("Dramatic films")
    assert [tree.name(x) for x in tree.leaves()][:2] == ["First love", "Lost love"]
    assert tree.description(tree.leaves()[0]) == "First love things"
    assert len(tree.leaves()) == 6 and tree.max_depth() == 3


def test_constraints_shrink_for_small_samples() -> None:
    config = BuildConfig()
    assert constraints_for(140, config)["min_leaves"] == 8 and constraints_for(140, config)["min_depth"] == 3
    small = constraints_for(9, config)
    assert small["min_leaves"] == 3 and small["min_depth"] == 2
    assert constraints_for(2, config)["min_leaves"] == 2


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 150),
    min_leaves=st.integers(2, 12),
    extra=st.integers(0, 30),
    max_children=st.integers(3, 6),
    seed=st.integers(0, 5),
)
def test_local_solver_output_always_validates(
    n: int, min_leaves: int, extra: int, max_children: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    words = ["space", "war", "love", "crime", "music", "horse", "ghost", "school", "ocean", "robot"]
    texts = [
        " ".join(rng.choice(words, size=3)) + f" ({1930 + 10 * int(rng.integers(0, 7))})" for _ in range(n)
    ]
    config = BuildConfig(
        min_leaves=min_leaves, max_leaves=max(min_leaves + extra, 3), max_children=max_children
    )
    bounds = constraints_for(n, config)
    x = ConstructInput(
        id="g", category="Films", items=[SampleItem(n=k, text=t) for k, t in enumerate(texts, 1)], **bounds
    )
    out = cluster_tree.solve(x, {"embedder": BagEmbedder()})
    checked = check_construction(out, x)  # raises if any rule is broken
    depth, leaves = tree_shape(checked)
    assert bounds["min_leaves"] <= leaves <= bounds["max_leaves"] and depth <= bounds["max_depth"]
