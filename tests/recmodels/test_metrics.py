"""Ranking metrics: closed forms, perfect/no-hit invariants and a hand-computed fixture."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.recmodels import metrics


def _log2(r: int) -> float:
    return float(np.log2(r))


# user 0: relevant {r1, r3} of |R| = 2; user 1: no hit, |R| = 1; user 2: hit at r2, |R| = 3
HITS = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=bool)
N_POS = np.array([2, 1, 3])


def test_hand_computed_fixture() -> None:
    ndcg = metrics.ndcg(HITS, N_POS)
    assert ndcg[0, 2] == pytest.approx((1 + 1 / _log2(4)) / (1 + 1 / _log2(3)))
    assert ndcg[0, 1] == pytest.approx(1 / (1 + 1 / _log2(3)))
    assert ndcg[2, 1] == pytest.approx((1 / _log2(3)) / (1 + 1 / _log2(3)))
    assert ndcg[2, 2] == pytest.approx((1 / _log2(3)) / (1 + 1 / _log2(3) + 1 / _log2(4)))
    np.testing.assert_allclose(metrics.recall(HITS, N_POS)[:, 2], [1.0, 0.0, 1 / 3])
    np.testing.assert_allclose(metrics.precision(HITS, N_POS)[0], [1.0, 0.5, 2 / 3])
    np.testing.assert_allclose(metrics.mrr(HITS, N_POS)[2], [0.0, 0.5, 0.5])
    np.testing.assert_allclose(metrics.hit_rate(HITS, N_POS)[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(metrics.f1(HITS, N_POS)[0, 2], 2 * (2 / 3) * 1.0 / (2 / 3 + 1.0))
    out = metrics.ranking_metrics(HITS, N_POS, [3], ["recall", "hr"])
    assert out == pytest.approx({"recall@3": (1 + 0 + 1 / 3) / 3, "hr@3": 2 / 3})


@pytest.mark.parametrize("name", sorted(metrics.RANKING_METRICS))
def test_perfect_ranking_scores_one(name: str) -> None:
    n_pos = np.array([1, 3, 5])
    k = 5
    hits = np.arange(k)[None, :] < n_pos[:, None]  # all relevant items first
    values = metrics.RANKING_METRICS[name](hits, n_pos)
    if name in ("ndcg", "hr", "mrr"):
        np.testing.assert_allclose(values, 1.0)
    if name == "recall":
        np.testing.assert_allclose(values[:, -1], 1.0)
    if name == "precision":
        np.testing.assert_allclose(values[2], 1.0)  # |R| = 5 = k: every slot is a hit


@pytest.mark.parametrize("name", sorted(metrics.RANKING_METRICS))
def test_no_hit_scores_zero(name: str) -> None:
    values = metrics.RANKING_METRICS[name](np.zeros((4, 6), dtype=bool), np.array([1, 2, 3, 9]))
    np.testing.assert_array_equal(values, 0.0)


def test_cumulative_metrics_never_decrease_in_k() -> None:
    rng = np.random.default_rng(3)
    hits = rng.random((50, 20)) < 0.2
    n_pos = np.maximum(hits.sum(1), 1) + rng.integers(0, 3, 50)
    for name in ("recall", "hr", "mrr"):
        values = metrics.RANKING_METRICS[name](hits, n_pos)
        assert (np.diff(values, axis=1) >= -1e-12).all(), name
    nd = metrics.ndcg(hits, n_pos)
    assert (nd >= 0).all() and (nd <= 1 + 1e-12).all()


def test_ndcg_idcg_uses_min_of_relevant_and_k() -> None:
    # one hit at rank 1 with |R| = 10: NDCG@1 = 1 (IDCG@1 over min(10, 1) = 1 slot)
    assert metrics.ndcg(np.array([[1, 0]], dtype=bool), np.array([10]))[0, 0] == pytest.approx(1.0)


def test_rejects_users_without_relevant_items_and_unknown_metric() -> None:
    with pytest.raises(ValueError, match="at least one relevant"):
        metrics.recall(np.zeros((1, 2), dtype=bool), np.array([0]))
    with pytest.raises(KeyError, match="unknown ranking metric"):
        metrics.ranking_metrics(HITS, N_POS, [1], ["auc"])


def test_item_coverage() -> None:
    topk = np.array([[0, 1, 2], [0, 3, 4]])
    assert metrics.item_coverage(topk, 10, 1) == pytest.approx(0.1)
    assert metrics.item_coverage(topk, 10, 3) == pytest.approx(0.5)
