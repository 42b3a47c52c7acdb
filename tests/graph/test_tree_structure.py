"""Tree of Preferences: construction, queries, item assignment, distances on a hand-built forest."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.errors import TreeError
from recloom.graph.tree import SUPER_ROOT, NodeSpec, PreferenceTree
from recloom.graph.tree_distance import item_distance_matrix, leaf_distance_matrix

N = NodeSpec


def hand_built() -> PreferenceTree:
    """Ids in DFS preorder:
    1 Science -> 2 AI -> {3 LLM, 4 Vision -> {5 Detection, 6 Segmentation}}, 7 Physics
    8 Politics -> {9 Elections, 10 Policy}
    11 Sports (a category that is a single leaf)."""
    return PreferenceTree.from_specs([
        N("Science", "research", (
            N("AI", "machine intelligence", (
                N("LLM", "language models"),
                N("Vision", "images", (N("Detection"), N("Segmentation"))),
            )),
            N("Physics"),
        )),
        N("Politics", "government", (N("Elections"), N("Policy"))),
        N("Sports"),
    ])


def test_ids_are_dfs_preorder_and_structure_queries() -> None:
    t = hand_built()
    assert [t.name(n) for n in t.nodes()] == ["Science", "AI", "LLM", "Vision", "Detection",
                                               "Segmentation", "Physics", "Politics", "Elections",
                                               "Policy", "Sports"]
    assert list(t.nodes()) == list(range(1, 12))
    assert t.roots == [1, 8, 11]
    assert t.leaves() == [3, 5, 6, 7, 9, 10, 11]
    assert t.children(4) == [5, 6] and t.parent(5) == 4 and t.parent(1) == SUPER_ROOT
    assert [t.depth(n) for n in (1, 2, 3, 5, 11)] == [1, 2, 3, 4, 1]
    assert t.max_depth() == 4
    assert t.path(6) == [1, 2, 4, 6]
    assert t.path_names(6) == "Science > AI > Vision > Segmentation"
    assert t.category_of(6) == 1 and t.category_of(11) == 11
    assert len(t) == 11 and 0 not in t and 11 in t and 12 not in t


@pytest.mark.parametrize(("a", "b", "expected_lca", "expected"), [
    (3, 3, 3, 0.0),                # same leaf
    (5, 6, 4, 1 - 3 / 4),          # siblings at depth 4: LCA Vision at depth 3
    (3, 5, 2, 1 - 2 / 4),          # LCA AI (depth 2), deeper leaf at depth 4
    (3, 7, 1, 1 - 1 / 3),          # LCA Science (depth 1)
    (5, 7, 1, 1 - 1 / 4),
    (9, 10, 8, 1 - 1 / 2),
    (3, 9, SUPER_ROOT, 1.0),       # different categories
    (11, 5, SUPER_ROOT, 1.0),
    (2, 5, 2, 1 - 2 / 4),          # an internal node and its descendant
])
def test_lca_and_tree_distance(a: int, b: int, expected_lca: int, expected: float) -> None:
    t = hand_built()
    assert t.lca(a, b) == expected_lca == t.lca(b, a)
    assert t.tree_distance(a, b) == pytest.approx(expected)
    assert t.tree_distance(b, a) == pytest.approx(expected)


def test_leaf_distance_matrix_matches_pairwise_distances() -> None:
    t = hand_built()
    ids, dist = leaf_distance_matrix(t)
    assert ids.tolist() == t.leaves()
    expected = np.array([[t.tree_distance(int(a), int(b)) for b in ids] for a in ids])
    np.testing.assert_allclose(dist, expected)
    assert np.all(np.diag(dist) == 0) and np.all((dist >= 0) & (dist <= 1))
    np.testing.assert_array_equal(dist, dist.T)


def test_item_assignment_loads_and_item_distances() -> None:
    t = hand_built()
    t.assign_many({0: 3, 1: 3, 2: 5, 3: 9, np.int64(4): 11})
    assert t.leaf_of(4) == 11 and t.items_of(3) == [0, 1] and t.load(3) == 2
    assert t.loads() == {3: 2, 5: 1, 6: 0, 7: 0, 9: 1, 10: 0, 11: 1}
    assert t.mean_load() == pytest.approx(5 / 7)
    assert t.item_leaf_array(6).tolist() == [3, 3, 5, 9, 11, -1]
    assert t.item_distance(0, 1) == 0.0
    assert t.item_distance(0, 2) == pytest.approx(0.5)
    np.testing.assert_allclose(item_distance_matrix(t, [0, 2, 3]),
                               [[0, 0.5, 1], [0.5, 0, 1], [1, 1, 0]])


def test_assignment_errors_name_the_item_and_leaf() -> None:
    t = hand_built()
    t.assign(0, 3)
    with pytest.raises(TreeError, match="item 0 is already in leaf 3"):
        t.assign(0, 5)
    t.assign(0, 5, move=True)
    assert t.leaf_of(0) == 5 and t.load(3) == 0
    with pytest.raises(TreeError, match="node 2 .* is not a leaf"):
        t.assign(1, 2)
    with pytest.raises(TreeError, match="unknown node id 99"):
        t.assign(1, 99)
    with pytest.raises(TreeError, match="integer"):
        t.assign(1.5, 3)
    with pytest.raises(TreeError, match="item 7 is not assigned"):
        t.leaf_of(7)
    with pytest.raises(TreeError, match="outside"):
        t.item_leaf_array(0)


def test_construction_rejects_duplicate_sibling_names_and_empty_names() -> None:
    with pytest.raises(TreeError, match="share the names"):
        PreferenceTree.from_specs([N("A", "", (N("x"), N(" X ")))])
    with pytest.raises(TreeError, match="share the names"):
        PreferenceTree.from_specs([N("A"), N("a")])
    with pytest.raises(TreeError, match="name must be a non-empty string"):
        PreferenceTree.from_specs([N("A", "", (N("  "), N("b")))])
    t = hand_built()
    before = t.copy()
    with pytest.raises(TreeError, match="super-root"):
        t.add_subtree(N("x"), parent=3)
    with pytest.raises(TreeError, match="share the names"):
        t.add_subtree(N("New", "", (N("ok"), N("Dup"), N("dup"))))
    with pytest.raises(TreeError, match="share the names"):
        t.add_subtree(N("sports"))
    assert t == before and t.next_id == before.next_id
    assert t.add_subtree(N("New", "", (N("a"), N("b")))) == 12


def test_check_detects_corruption_of_internal_state() -> None:
    t = hand_built()
    t.assign(0, 3)
    t._g.nodes[5]["items"].add(0)  # the same item in a second leaf
    with pytest.raises(TreeError, match="item 0 is in two leaves"):
        t.check()
    t = hand_built()
    t._g.add_edge(6, 2)  # a cycle / second parent
    with pytest.raises(TreeError, match="not a tree"):
        t.check()
    t = hand_built()
    t._g.remove_nodes_from([9, 10])  # Politics becomes an internal node without children
    with pytest.raises(TreeError, match="internal node 8 .* has no children"):
        t.check()


def test_copy_is_independent() -> None:
    t = hand_built()
    t.assign(0, 3)
    c = t.copy()
    c.assign(1, 3)
    c.collapse(4)
    assert t.items_of(3) == [0] and t.leaves() == [3, 5, 6, 7, 9, 10, 11]
    assert c != t
