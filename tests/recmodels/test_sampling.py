"""Negative sampling and pairwise / sequential batches."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recloom.errors import DataError
from recloom.recmodels.sampling import NegativeSampler, PairwiseData, interaction_matrix
from recloom.recmodels.sequences import SequenceData, pad_histories


def test_sampler_never_returns_a_positive() -> None:
    rng = np.random.default_rng(0)
    n_users, n_items = 50, 30
    # dense users (29 of 30 items liked) force many rejection rounds
    user = np.concatenate([np.repeat(np.arange(10), 29), rng.integers(10, n_users, 300)])
    item = np.concatenate([np.tile(np.arange(29), 10), rng.integers(0, n_items, 300)])
    pos = interaction_matrix(user, item, n_users, n_items)
    sampler = NegativeSampler(pos)
    rows = rng.integers(0, n_users, 5000)
    for n_neg in (1, 4):
        neg = sampler.sample(rows, n_neg, rng)
        assert neg.shape == ((5000,) if n_neg == 1 else (5000, n_neg))
        flat_rows = rows if n_neg == 1 else np.repeat(rows, n_neg)
        assert not (np.asarray(pos[flat_rows, neg.ravel()]).ravel() > 0).any()
    assert (sampler.sample(np.arange(10), 1, rng) == 29).all()  # the only negative left


def test_sampler_is_uniform_over_negatives() -> None:
    pos = interaction_matrix(np.array([0, 0]), np.array([0, 1]), 1, 6)
    neg = NegativeSampler(pos).sample(np.zeros(40_000, dtype=np.int64), 1, np.random.default_rng(1))
    counts = np.bincount(neg, minlength=6)
    assert counts[:2].sum() == 0
    np.testing.assert_allclose(counts[2:] / 40_000, 0.25, atol=0.01)


def test_sampler_rejects_a_row_with_every_item() -> None:
    with pytest.raises(DataError, match="row 1 has every one"):
        NegativeSampler(sp.csr_matrix(np.array([[1, 0], [1, 1]])))


def test_pairwise_epoch_covers_each_interaction_once_with_weights() -> None:
    user = np.array([0, 0, 1, 2, 2, 2])
    item = np.array([1, 2, 0, 3, 4, 0])
    weight = np.arange(6, dtype=np.float32)
    data = PairwiseData(user, item, 3, 6, weight=weight)
    batches = list(data.batches(4, np.random.default_rng(0)))
    assert [len(b["item"]) for b in batches] == [4, 2]
    seen = sorted(zip(np.concatenate([b["user"] for b in batches]).tolist(),
                      np.concatenate([b["item"] for b in batches]).tolist(), strict=True))
    assert seen == sorted(zip(user.tolist(), item.tolist(), strict=True))
    for b in batches:  # weight travels with its interaction
        for u, i, w in zip(b["user"].tolist(), b["item"].tolist(), b["weight"].tolist(), strict=True):
            assert w == weight[(user == u) & (item == i)][0]
        assert not data.matrix[b["user"].numpy().copy(), b["neg_item"].numpy().copy()].any()
    with pytest.raises(DataError, match="user index out of range"):
        PairwiseData(np.array([3]), np.array([0]), 3, 6)


def test_pad_histories_right_pads_and_shifts() -> None:
    seq, lens = pad_histories([np.array([5, 6, 7]), np.array([2])], 2)
    assert seq.tolist() == [[7, 8], [3, 0]] and lens.tolist() == [2, 1]


@pytest.mark.parametrize("stride", [1, 2, None])
def test_windows_cover_every_target_once_with_true_history(stride: int | None) -> None:
    seqs = [np.arange(10) + 20, np.array([3, 4]), np.array([9]), np.arange(7)]
    maxlen = 4
    data = SequenceData.from_sequences(seqs, 30, maxlen, stride=stride)
    assert len(data) == 9 + 1 + 0 + 6
    got = []
    for w, p, t, o in zip(data.window, data.pos, data.item, data.owner, strict=True):
        window = data.item_seq[w]
        assert p < data.seq_len[w] and (window[data.seq_len[w]:] == 0).all()
        seq = seqs[o]
        t_index = int(np.flatnonzero(seq == t)[0])
        # the window's inputs up to p are exactly the items right before the target
        np.testing.assert_array_equal(window[: p + 1] - 1, seq[t_index - p - 1: t_index])
        if stride == 1:  # exact all-prefix training: maximal history
            assert p + 1 == min(t_index, maxlen)
        got.append((int(o), t_index))
    assert sorted(got) == sorted(set(got))


def test_last_target_mode_and_examples() -> None:
    data = SequenceData.from_sequences([np.arange(6), np.array([4, 1])], 8, 3, targets="last")
    assert data.item.tolist() == [5, 1]
    assert data.item_seq.tolist() == [[3, 4, 5], [5, 0, 0]] and data.pos.tolist() == [2, 0]
    ex = SequenceData.from_examples([np.array([1, 2]), np.array([3])], np.array([4, 5]), 8, 3,
                                    weight=np.array([2.0, 3.0]))
    (batch,) = list(ex.batches(8, np.random.default_rng(0)))
    order = batch["item"].tolist()
    assert sorted(order) == [4, 5]
    assert batch["weight"].tolist() == [2.0 if t == 4 else 3.0 for t in order]
    with pytest.raises(DataError, match="empty history"):
        SequenceData.from_examples([np.array([], dtype=int)], np.array([1]), 8, 3)


def test_sequence_batches_keep_targets_with_their_windows_and_avoid_own_items() -> None:
    seqs = [np.arange(12), np.arange(5) + 12, np.array([20, 21, 22])]
    data = SequenceData.from_sequences(seqs, 30, 4, n_neg=3)
    total = 0
    for b in data.batches(5, np.random.default_rng(2)):
        total += len(b["item"])
        rows = b["item_seq"][b["window"], b["pos"]] - 1
        assert len(b["item_seq"]) <= len(b["item"])
        for prev, target, negs in zip(rows.tolist(), b["item"].tolist(), b["neg_item"].tolist(), strict=True):
            owner = next(s for s in seqs if target in s)
            assert int(np.flatnonzero(owner == target)[0]) == int(np.flatnonzero(owner == prev)[0]) + 1
            assert not set(negs) & set(owner.tolist())
    assert total == len(data)
