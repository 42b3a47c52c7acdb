"""CE@k, category coverage, intra-list distance and head/tail groups."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.recmodels import diversity, groups

# items 0..3 in categories {0}, {1}, {2}, {0, 1}
WEIGHTS = diversity.category_weights([[0], [1], [2], [0, 1]], 3)


def test_category_weights_split_multi_category_items() -> None:
    np.testing.assert_allclose(WEIGHTS[3], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(WEIGHTS.sum(axis=1), 1.0)


def test_entropy_closed_forms() -> None:
    topk = np.array([[0, 1, 2], [0, 0, 0], [0, 3, 1]])
    ce = diversity.category_entropy(topk, WEIGHTS, [1, 3])
    np.testing.assert_allclose(ce[1], 0.0)  # one item: one category
    assert ce[3][0] == pytest.approx(np.log(3))  # three distinct categories: upper bound ln 3
    assert ce[3][1] == pytest.approx(0.0)
    # user 2: masses 1.5 / 1.5 / 0 over k = 3 -> p = (0.5, 0.5) -> ln 2
    assert ce[3][2] == pytest.approx(np.log(2))


def test_category_coverage() -> None:
    cov = diversity.category_coverage(np.array([[0, 3], [2, 2]]), WEIGHTS, [1, 2])
    np.testing.assert_allclose(cov[1], [1 / 3, 1 / 3])
    np.testing.assert_allclose(cov[2], [2 / 3, 1 / 3])


def test_intra_list_distance() -> None:
    ild = diversity.intra_list_distance(np.array([[0, 1, 2], [0, 0, 0]]),
                                        diversity.category_jaccard_distance(WEIGHTS), 3)
    np.testing.assert_allclose(ild, [1.0, 0.0])
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    ild_cos = diversity.intra_list_distance(np.array([[0, 1, 2]]), diversity.cosine_distance(emb), 3)
    assert ild_cos[0] == pytest.approx((1 + 2 + 1) * 2 / 6)  # pairs (0,1)=1, (0,2)=2, (1,2)=1
    assert diversity.category_jaccard_distance(WEIGHTS)(np.array([[0, 3]]))[0, 0, 1] == pytest.approx(0.5)


def test_head_tail_top_share_most_frequent() -> None:
    freq = np.array([5, 1, 9, 1, 0, 3, 3, 2, 8, 1])
    g = groups.head_tail_groups(freq, 0.2)
    assert np.flatnonzero(g == groups.HEAD).tolist() == [2, 8]
    tie = groups.head_tail_groups(np.array([3, 3, 3, 1, 1]), 0.2)  # ceil(1) head, tie -> lower index
    assert np.flatnonzero(tie == groups.HEAD).tolist() == [0]
    with pytest.raises(ValueError):
        groups.head_tail_groups(freq, 1.0)


def test_restrict_hits_drops_users_without_group_items() -> None:
    hits = np.array([[1, 1], [0, 1]], dtype=bool)
    topk = np.array([[0, 1], [2, 3]])
    item_group = np.array([0, 1, 0, 1])
    h, n, keep = groups.restrict_hits(hits, topk, np.array([1.0, 0.0]), item_group, 0)
    assert keep.tolist() == [True, False]
    assert h.tolist() == [[True, False]] and n.tolist() == [1.0]
