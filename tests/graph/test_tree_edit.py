"""Tree of Preferences refinement: merge / split / collapse / prune, one case at a time."""

from __future__ import annotations

import pytest

from recloom.errors import TreeError
from recloom.graph.tree import NodeSpec, PreferenceTree

N = NodeSpec


def sample_tree() -> PreferenceTree:
    """1 Science -> {2 AI -> {3 LLM, 4 Vision, 5 Robots}, 6 Physics};
    7 Politics -> {8 Elections, 9 Policy}."""
    t = PreferenceTree.from_specs([
        N("Science", "", (N("AI", "ai", (N("LLM"), N("Vision"), N("Robots"))), N("Physics"))),
        N("Politics", "", (N("Elections"), N("Policy"))),
    ])
    t.assign_many({0: 3, 1: 3, 2: 4, 3: 5, 4: 6, 5: 8, 6: 9, 7: 9})
    return t


def test_merge_moves_items_to_a_fresh_leaf_and_keeps_unrelated_leaves() -> None:
    t = sample_tree()
    new = t.merge([3, 4], "Language and vision", "multimodal")
    assert new == 10 and t.next_id == 11
    assert t.children(2) == [5, 10] and t.is_leaf(new) and t.parent(new) == 2
    assert t.items_of(new) == [0, 1, 2] and t.leaf_of(2) == new
    assert t.name(new) == "Language and vision" and t.description(new) == "multimodal"
    assert 3 not in t and 4 not in t
    assert t.items_of(5) == [3] and t.items_of(9) == [6, 7]  # untouched leaves keep id and items


@pytest.mark.parametrize(("ids", "name", "message"), [
    ([3], "x", "at least two distinct"),
    ([3, 3], "x", "at least two distinct"),
    ([3, 8], "x", "not siblings"),
    ([2, 6], "x", "node 2 .* is not a leaf"),
    ([8, 9], "x", "all the children of node 7; use collapse\\(7\\)"),
    ([3, 4], " robots ", "duplicates sibling 5"),
    ([3, 4], "", "non-empty"),
    ([3, 42], "x", "unknown node id 42"),
])
def test_refused_merge_names_the_problem_and_leaves_the_tree_unchanged(ids: list[int], name: str,
                                                                       message: str) -> None:
    t = sample_tree()
    before = t.copy()
    with pytest.raises(TreeError, match=message):
        t.merge(ids, name)
    assert t == before and t.next_id == before.next_id


def test_merged_leaf_may_reuse_a_merged_leafs_name() -> None:
    t = sample_tree()
    new = t.merge([3, 4], "llm")
    assert t.name(new) == "llm"


def test_split_with_assignment_replaces_the_leaf_by_a_fresh_internal_node() -> None:
    t = sample_tree()
    kids = t.split(3, [("Chatbots", "assistants"), ("Reasoning", "")], {0: 1, 1: 0})
    inner = t.parent(kids[0])
    assert kids == [11, 12] and inner == 10 and 3 not in t
    assert t.name(inner) == "LLM" and not t.is_leaf(inner) and t.parent(inner) == 2
    assert t.children(inner) == kids and t.leaf_of(0) == 12 and t.leaf_of(1) == 11
    assert t.path_names(11) == "Science > AI > LLM > Chatbots"
    assert t.pending == []


def test_split_without_assignment_leaves_items_pending_until_assigned() -> None:
    t = sample_tree()
    kids = t.split(3, [("a", ""), ("b", ""), ("c", "")])
    assert t.pending == [0, 1] and all(t.load(k) == 0 for k in kids) and 1 not in t.items
    with pytest.raises(TreeError, match="item 0 is pending re-matching"):
        t.leaf_of(0)
    with pytest.raises(TreeError, match="pending"):
        t.prune_empty_leaves()
    t.assign(0, kids[2])
    t.assign(1, kids[2])
    assert t.pending == [] and t.items_of(kids[2]) == [0, 1]
    assert t.prune_empty_leaves() == kids[:2]
    assert t.children(t.parent(kids[2])) == [kids[2]]


@pytest.mark.parametrize(("children", "assignment", "message"), [
    ([("a", "")], None, "at least two children"),
    ([("a", ""), ("A", "")], None, "not unique"),
    ([("a", ""), ("b", "")], {0: 0}, "missing \\[1\\]"),
    ([("a", ""), ("b", "")], {0: 0, 1: 0, 5: 1}, "not in the leaf \\[5\\]"),
    ([("a", ""), ("b", "")], {0: 0, 1: 2}, "outside 0..1"),
    ([("a", ""), ("", "")], None, "non-empty"),
])
def test_refused_split_leaves_the_tree_unchanged(children: list[tuple[str, str]],
                                                 assignment: dict[int, int] | None, message: str) -> None:
    t = sample_tree()
    before = t.copy()
    with pytest.raises(TreeError, match=message):
        t.split(3, children, assignment)
    assert t == before


def test_collapse_turns_a_family_of_leaves_into_one_leaf() -> None:
    t = sample_tree()
    new = t.collapse(7)
    assert t.roots == [1, new] and t.name(new) == "Politics" and t.items_of(new) == [5, 6, 7]
    renamed = t.collapse(2, name="Artificial intelligence", description="all AI")
    assert t.name(renamed) == "Artificial intelligence" and t.items_of(renamed) == [0, 1, 2, 3]
    assert t.children(1) == [6, renamed]
    with pytest.raises(TreeError, match="already a leaf"):
        t.collapse(renamed)


def test_collapse_refuses_a_name_that_a_sibling_has() -> None:
    t = sample_tree()
    with pytest.raises(TreeError, match="duplicates sibling 6"):
        t.collapse(2, name="physics")


def test_collapse_refuses_a_node_with_internal_children() -> None:
    t = sample_tree()
    with pytest.raises(TreeError, match="children \\[2\\] of node 1 are internal"):
        t.collapse(1)


def test_prune_cascades_to_childless_parents_and_empty_categories() -> None:
    t = PreferenceTree.from_specs([
        N("A", "", (N("A1", "", (N("a"), N("b"))), N("A2"))),
        N("B", "", (N("x"), N("y"))),
    ])
    t.assign(0, 5)  # A2
    assert t.prune_empty_leaves() == [2, 3, 4, 6, 7, 8]
    assert list(t.nodes()) == [1, 5] and t.leaves() == [5]
