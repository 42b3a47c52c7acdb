"""Selection (Eq. 4 with the §1.6 resolutions): the score against hand-computed values, exactly N_aug
distinct non-training candidates from the chosen leaves, min_score, and the artifact round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from top_agents_support import BagEmbedder, two_level_tree

from recloom.agents.top.config import SelectConfig
from recloom.agents.top.items import ItemTable, UserRecord
from recloom.agents.top.reason import UserLeaves
from recloom.agents.top.selection import (
    SyntheticInteractions,
    minmax,
    select_for_user,
    select_items,
    selection_scores,
)
from recloom.errors import ArtifactError, ConfigError, DataError


def test_minmax_and_score_closed_forms() -> None:
    np.testing.assert_allclose(minmax(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(minmax(np.array([5.0, 5.0])), [0.0, 0.0])
    s = selection_scores(np.array([0.2, 0.6, 0.4]), np.array([1.0, 0.5, 1 / 3]), omega=0.25)
    # mm(s_rel) = [0, 1, .5]; mm(s_div) = [1, .25, 0]  ->  .75*rel + .25*div
    np.testing.assert_allclose(s, [0.25, 0.8125, 0.375])


def hand_case() -> dict:
    """User 0 trained on items 1, 2 (leaf A) and 3 (leaf B); chose leaves A, B, C."""
    leaf_of = {1: 100, 2: 100, 3: 200, 4: 100, 5: 200, 6: 300, 7: 300, 8: 400}
    leaf_items = {100: [1, 2, 4], 200: [3, 5], 300: [6, 7], 400: [8]}
    vecs = {4: [1.0, 0.0], 5: [0.6, 0.8], 6: [0.0, 1.0], 7: [0.8, 0.6], 8: [1.0, 0.0]}
    return {
        "leaf_of": leaf_of,
        "leaf_items": leaf_items,
        "item_vec": {i: np.array(v) for i, v in vecs.items()},
    }


def test_selection_score_matches_hand_computed_values() -> None:
    case = hand_case()
    rows = select_for_user(
        0,
        np.array([1.0, 0.0]),
        [100, 200, 300],
        {100: "a", 200: "b", 300: "c"},
        [1, 2, 3],
        case["leaf_of"],
        case["leaf_items"],
        case["item_vec"],
        SelectConfig(omega=0.5, n_aug=4),
    )
    # candidates 4 (A, c=2), 5 (B, c=1), 6 (C, c=0), 7 (C, c=0); item 8's leaf was not chosen
    # s_rel = [1, .6, 0, .8] -> mm [1, .6, 0, .8];  s_div = [1/3, 1/2, 1, 1] -> mm [0, .25, 1, 1]
    # s = .5*rel + .5*div = [.5, .425, .5, .9]   -> order 7, 4 (tie with 6, lower id first), 6, 5
    assert [r["item"] for r in rows] == [7, 4, 6, 5]
    by_item = {r["item"]: r for r in rows}
    assert by_item[7]["score"] == pytest.approx(0.9) and by_item[5]["score"] == pytest.approx(0.425)
    assert by_item[4]["s_div"] == pytest.approx(1 / 3) and by_item[5]["s_rel"] == pytest.approx(0.6)
    assert by_item[6]["s_div_norm"] == 1.0 and by_item[6]["leaf"] == 300 and by_item[6]["reason"] == "c"


def test_omega_moves_the_choice_between_relevance_and_diversity() -> None:
    case = hand_case()
    args = (
        np.array([1.0, 0.0]),
        [100, 200, 300],
        {},
        [1, 2, 3],
        case["leaf_of"],
        case["leaf_items"],
        case["item_vec"],
    )
    rel_only = select_for_user(0, *args, SelectConfig(omega=0.0, n_aug=1))
    div_only = select_for_user(0, *args, SelectConfig(omega=1.0, n_aug=1))
    assert rel_only[0]["item"] == 4 and div_only[0]["item"] == 6


def test_category_level_diversity_counts_per_subtree() -> None:
    case = hand_case()
    args = (
        np.array([1.0, 0.0]),
        [100, 200, 300],
        {},
        [1, 2, 3],
        case["leaf_of"],
        case["leaf_items"],
        case["item_vec"],
    )
    # leaves 100 and 200 in category 1, leaf 300 in category 2: c = 3 for items 4 and 5, 0 for 6 and 7
    rows = select_for_user(0, *args, SelectConfig(omega=1.0, n_aug=4), group_of={100: 1, 200: 1, 300: 2})
    by_item = {r["item"]: r for r in rows}
    assert by_item[4]["s_div"] == by_item[5]["s_div"] == pytest.approx(0.25) and by_item[6]["s_div"] == 1.0
    with pytest.raises(ConfigError, match="diversity_level"):
        SelectConfig(diversity_level="genre")


def test_exactly_n_aug_distinct_non_training_items_and_min_score() -> None:
    case = hand_case()
    args = (
        np.array([1.0, 0.0]),
        [100, 100, 300],
        {},
        [1, 2, 3],
        case["leaf_of"],
        case["leaf_items"],
        case["item_vec"],
    )
    rows = select_for_user(0, *args, SelectConfig(n_aug=2))
    items = [r["item"] for r in rows]
    assert len(items) == 2 and len(set(items)) == 2 and not set(items) & {1, 2, 3}
    assert len(select_for_user(0, *args, SelectConfig(n_aug=9))) == 3  # pool {4, 6, 7} is smaller
    kept = select_for_user(0, *args, SelectConfig(n_aug=3, min_score=0.6))
    assert kept and all(r["score"] >= 0.6 for r in kept) and len(kept) < 3
    with pytest.raises(ConfigError):
        SelectConfig(omega=1.5)


def test_select_items_writes_and_reads_the_artifact(tmp_path: Path) -> None:
    tree = two_level_tree()
    texts = {k: f"item text {k}" for k in range(10)}
    for k, leaf in zip(range(10), [3, 3, 4, 4, 6, 6, 7, 7, 8, 8], strict=True):
        tree.assign(k, leaf)
    ids = tuple(texts)
    items = ItemTable(ids, tuple(texts.values()), tuple(texts.values()), ("Films",) * 10)
    users = [UserRecord(0, "text 3 fan", (0, 1, 2)), UserRecord(1, "", (9,))]
    choice = [
        UserLeaves(0, [{"leaf_id": 3, "reason": "r3"}, {"leaf_id": 4, "reason": "r4"}]),
        UserLeaves(1, [{"leaf_id": 8, "reason": "r8"}, {"leaf_id": 7, "reason": "r7"}]),
    ]
    synthetic = select_items(
        choice,
        users,
        tree,
        items,
        config=SelectConfig(n_aug=3),
        embedder=BagEmbedder(),
        out_dir=tmp_path / "s",
        heldout={0: {3}},
    )
    assert sorted(synthetic.by_user()[1]) == [6, 7, 8]
    assert synthetic.by_user()[0] == [3]  # leaf 3 items are all trained, leaf 4 leaves only item 3
    assert synthetic.meta["users_short"] == 1 and synthetic.meta["heldout_share"] == pytest.approx(0.25)
    again = SyntheticInteractions.load(tmp_path / "s")
    assert again.rows == synthetic.rows and again.pairs().shape == (4, 2)
    with pytest.raises(DataError, match="no UserRecord"):
        select_items([UserLeaves(5, [])], users, tree, items, embedder=BagEmbedder())
    (tmp_path / "bad.jsonl").write_text('{"user": 1}\n')
    with pytest.raises(ArtifactError, match="bad.jsonl:1"):
        SyntheticInteractions.load(tmp_path / "bad.jsonl")
