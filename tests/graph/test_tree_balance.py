"""Load-balance detection for Tree of Preferences refinement."""

from __future__ import annotations

import pytest

from recloom.errors import ConfigError
from recloom.graph.tree import NodeSpec, PreferenceTree
from recloom.graph.tree_balance import (
    BalanceThresholds,
    MergeGroup,
    RefineStep,
    next_step,
    overloaded_leaves,
    underloaded_groups,
)

N = NodeSpec


def loaded(loads: dict[int, int]) -> PreferenceTree:
    """1 A -> {2 a1, 3 a2, 4 a3, 5 a4}; 6 B -> {7 b1, 8 b2}; 9 C -> {10 c1 -> {11 x, 12 y}, 13 c2}."""
    t = PreferenceTree.from_specs([
        N("A", "", (N("a1"), N("a2"), N("a3"), N("a4"))),
        N("B", "", (N("b1"), N("b2"))),
        N("C", "", (N("c1", "", (N("x"), N("y"))), N("c2"))),
    ])
    item = 0
    for leaf, count in loads.items():
        for _ in range(count):
            t.assign(item, leaf)
            item += 1
    return t


def test_overloaded_leaves_are_above_upper_times_mean_heaviest_first() -> None:
    # 9 leaves, 90 items: mean 10, split limit 15
    t = loaded({2: 16, 3: 15, 4: 30, 5: 1, 7: 2, 8: 2, 11: 7, 12: 7, 13: 10})
    assert t.mean_load() == 10
    assert overloaded_leaves(t) == [4, 2]  # 15 is not > 15
    assert overloaded_leaves(t, upper=1.0) == [4, 2, 3]


def test_underloaded_groups_pack_siblings_without_creating_a_new_overload() -> None:
    # mean 10, merge limit 5: a4 (1), b1 (2), b2 (2), x (4), y (4) are light
    t = loaded({2: 16, 3: 15, 4: 30, 5: 1, 7: 2, 8: 2, 11: 4, 12: 4, 13: 6})
    t.assign(999, 13)
    assert t.mean_load() == pytest.approx(81 / 9)
    groups = underloaded_groups(t)
    assert groups == [
        MergeGroup(parent=6, leaf_ids=(7, 8), load=4, whole_family=True),
        MergeGroup(parent=10, leaf_ids=(11, 12), load=8, whole_family=True),
    ]  # a4 has no light sibling, so it cannot be merged


def test_packing_closes_a_group_at_the_mean_and_folds_a_leftover_into_the_last_group() -> None:
    t = PreferenceTree.from_specs([N("A", "", tuple(N(f"l{i}") for i in range(7)))])
    loads = {2: 4, 3: 4, 4: 4, 5: 4, 6: 4, 7: 20, 8: 30}  # mean 10; light: five leaves of 4
    item = 0
    for leaf, count in loads.items():
        for _ in range(count):
            t.assign(item, leaf)
            item += 1
    # lightest first: {2, 3} (8 <= 10), {4, 5}, then 6 alone joins {4, 5} (12 <= 15)
    assert [g.leaf_ids for g in underloaded_groups(t)] == [(2, 3), (4, 5, 6)]
    assert all(g.load <= 1.5 * t.mean_load() and not g.whole_family for g in underloaded_groups(t))


def test_next_step_prefers_splits_then_merges_and_respects_the_budget() -> None:
    t = loaded({2: 16, 3: 15, 4: 30, 5: 1, 7: 2, 8: 2, 11: 4, 12: 4, 13: 6})
    th = BalanceThresholds()
    assert next_step(t, th, 0) == RefineStep("split", (4,), 1)
    assert next_step(t, th, 10) is None
    t2 = loaded({2: 10, 3: 10, 4: 10, 5: 10, 7: 2, 8: 2, 11: 10, 12: 10, 13: 10})
    assert next_step(t2, th, 0) == RefineStep("collapse", (7, 8), 6)


def test_a_simulated_refinement_loop_balances_and_terminates() -> None:
    # split a1 twice over (40 -> 4 x 10), then collapse B and c1 (their leaves are all light)
    t = loaded({2: 40, 3: 10, 4: 10, 5: 10, 7: 3, 8: 3, 11: 3, 12: 3, 13: 10})
    th = BalanceThresholds(max_ops=10)
    done = 0
    while (step := next_step(t, th, done)) is not None:
        if step.kind == "split":
            halves = {it: k % 2 for k, it in enumerate(t.items_of(step.leaf_ids[0]))}
            t.split(step.leaf_ids[0], [("part 1", ""), ("part 2", "")], halves)
        elif step.kind == "merge":
            t.merge(step.leaf_ids, f"merged {done}")
        else:
            t.collapse(step.parent)
        done += 1
    assert done == 5
    mean = t.mean_load()
    assert all(0.5 * mean <= load <= 1.5 * mean for load in t.loads().values())
    assert sorted(t.items) == list(range(92)) and len(t.leaves()) == 10


@pytest.mark.parametrize("kwargs", [{"lower": 1.0}, {"upper": 0.9}, {"lower": -0.1}, {"max_ops": -1}])
def test_bad_thresholds_are_config_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="balance"):
        BalanceThresholds(**kwargs)  # type: ignore[arg-type]
