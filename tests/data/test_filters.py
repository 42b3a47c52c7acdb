"""Filters: thresholds, k-core fixed point (against a brute-force reference), recency caps."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.data import Dataset, Interactions
from recloom.data.filters import (
    drop_duplicates,
    implicit,
    k_core,
    max_sequence_length,
    min_item_interactions,
    recency_rank,
)
from recloom.data.sequences import next_item_examples
from recloom.errors import ConfigError, DataError


def _brute_k_core(pairs: set[tuple[int, int]], uk: int, ik: int) -> set[tuple[int, int]]:
    while True:
        u_cnt: dict[int, int] = {}
        i_cnt: dict[int, int] = {}
        for u, i in pairs:
            u_cnt[u] = u_cnt.get(u, 0) + 1
            i_cnt[i] = i_cnt.get(i, 0) + 1
        kept = {(u, i) for u, i in pairs if u_cnt[u] >= uk and i_cnt[i] >= ik}
        if kept == pairs:
            return kept
        pairs = kept


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k_core_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dense = rng.random((40, 30)) < 0.15
    u, i = np.nonzero(dense)
    inter = Interactions.from_arrays(u, i)
    core = k_core(inter, user_k=3, item_k=4)
    pairs = set(zip(core.user.tolist(), core.item.tolist(), strict=True))
    assert pairs == _brute_k_core(set(zip(u.tolist(), i.tolist(), strict=True)), 3, 4)
    assert len(core) > 0
    assert np.bincount(core.user)[np.unique(core.user)].min() >= 3
    assert np.bincount(core.item)[np.unique(core.item)].min() >= 4


def test_k_core_chain_reaction_and_errors() -> None:
    # item 2 has 1 row -> removing it leaves user 1 with 1 row -> removing user 1 leaves item 1 with 1
    inter = Interactions.from_arrays([0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 0, 3])
    assert len(k_core(inter, 2)) == 0
    with pytest.raises(ConfigError, match="k-core thresholds"):
        k_core(inter, 0)


def test_implicit_threshold(ml100k: Dataset) -> None:
    pos = implicit(ml100k.interactions, threshold=4)
    assert len(pos) == 34174 + 21201 and pos.rating is None
    assert implicit(ml100k.interactions, 4, keep_rating=True).rating.min() == 4
    with pytest.raises(DataError, match="without ratings"):
        implicit(Interactions.from_arrays([0], [0]), 3)


def test_min_item_interactions_single_pass() -> None:
    inter = Interactions.from_arrays([0, 1, 2, 0, 1], [7, 7, 7, 8, 9])
    assert min_item_interactions(inter, 2).item.tolist() == [7, 7, 7]


def test_recency_and_max_length() -> None:
    inter = Interactions.from_arrays([0, 0, 0, 1, 0], [1, 2, 3, 4, 5], [30, 10, 20, 5, 30])
    assert recency_rank(inter).tolist() == [1, 3, 2, 0, 0]  # ties: later row is newer
    assert sorted(max_sequence_length(inter, 2).item.tolist()) == [1, 4, 5]
    with pytest.raises(ConfigError):
        max_sequence_length(inter, 0)


def test_drop_duplicates() -> None:
    inter = Interactions.from_arrays([0, 0, 0, 1], [3, 3, 4, 3], [5, 9, 1, 2], rating=[1, 2, 3, 4])
    assert drop_duplicates(inter).rating.tolist() == [2, 3, 4]
    assert drop_duplicates(inter, keep="first").rating.tolist() == [1, 3, 4]


def test_next_item_examples_windows() -> None:
    inter = Interactions.from_arrays([1, 1, 1, 1, 0, 0], [10, 11, 12, 13, 20, 21], [0, 1, 2, 3, 5, 4])
    ex = next_item_examples(inter, max_history=2)
    assert ex.user.tolist() == [0, 1, 1, 1]
    assert [h.tolist() for h in ex.histories()] == [[21], [10], [10, 11], [11, 12]]
    assert ex.single_targets().tolist() == [20, 11, 12, 13]
    full = next_item_examples(inter, max_history=2, min_history=2)
    assert full.single_targets().tolist() == [12, 13]


def test_next_item_examples_count_on_ml100k(ml100k: Dataset) -> None:
    # EISAM-style: one example per interaction with a full 10-item history
    ex = next_item_examples(ml100k.interactions, max_history=10, min_history=10)
    assert len(ex) == 100_000 - 10 * 943
    assert np.all(ex.history_lengths() == 10)
