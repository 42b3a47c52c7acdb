"""Full-ranking evaluation: masking, top-K, metrics through a model with known scores."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import Tensor

from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate, mask_scores, rank_topk


class FixedScores(Recommender):
    """Scores read from a table: full_scores(user) = table[user]."""

    def __init__(self, table: np.ndarray) -> None:
        super().__init__(*table.shape)
        self.table = torch.tensor(table, dtype=torch.float32)

    def per_sample_loss(self, batch: Batch) -> Tensor:
        return torch.zeros(len(batch["item"]))

    def full_scores(self, batch: Batch) -> Tensor:
        return self.table[batch["user"]].clone()


# 3 users x 5 items; item 4 scores highest for everyone
TABLE = np.array([[5, 4, 3, 2, 9], [1, 2, 3, 4, 9], [0, 0, 0, 0, 9]], dtype=np.float64) + np.arange(5) * 1e-3


def test_mask_scores_sets_exactly_the_history_to_minus_inf() -> None:
    scores = torch.zeros(2, 4)
    mask_scores(scores, sp.csr_matrix(np.array([[1, 0, 0, 1], [0, 1, 0, 0]])))
    assert torch.isinf(scores).tolist() == [[True, False, False, True], [False, True, False, False]]


def test_training_items_never_ranked_and_masked_slots_invalid() -> None:
    exclude = sp.csr_matrix(np.array([[0, 0, 0, 0, 1], [1, 1, 1, 0, 1], [0, 0, 0, 0, 0]]))
    truth = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 1, 0, 0]]))
    data = EvalData({"user": torch.arange(3)}, truth, exclude)
    topk, valid = rank_topk(FixedScores(TABLE), data, 5, batch_size=2)
    assert topk[0, 0] == 0 and 4 not in topk[0, :4]
    assert topk[1, 0] == 3 and valid[1].tolist() == [True, False, False, False, False]
    assert topk[2, 0] == 4


def test_evaluate_matches_hand_computed_metrics() -> None:
    exclude = sp.csr_matrix(np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]))
    truth = sp.csr_matrix(np.array([[0, 1, 0, 1, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0]]))
    data = EvalData.for_users(truth, exclude)
    assert data.inputs["user"].tolist() == [0, 2]  # user 1 has nothing held out
    spec = EvalSpec(ks=(1, 2, 4), metrics=("recall", "ndcg", "mrr"),
                    item_group=np.array([0, 0, 1, 1, 0]))
    out = evaluate(FixedScores(TABLE), data, spec)
    # user 0 ranking after masking: 0, 1, 2, 3 -> hits at ranks 2 and 4; user 2: 4, 3, 2, ... -> rank 3
    assert out["recall@2"] == pytest.approx((0.5 + 0.0) / 2)
    assert out["recall@4"] == pytest.approx((1.0 + 1.0) / 2)
    idcg2 = 1 + 1 / np.log2(3)
    assert out["ndcg@4"] == pytest.approx(((1 / np.log2(3) + 1 / np.log2(5)) / idcg2 + 1 / np.log2(4)) / 2)
    assert out["mrr@4"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    # group 1 = items {2, 3}: user 0 keeps item 3 (rank 4), user 2 keeps item 2 (rank 3)
    assert out["recall@2/tail"] == 0.0 and out["recall@4/tail"] == pytest.approx(1.0)
    assert out["n_rows/tail"] == 2 and out["n_rows/head"] == 1
    assert out["mrr@4/head"] == pytest.approx(1 / 2)
    assert out["n_rows"] == 2


def test_evaluate_adds_category_and_distance_metrics() -> None:
    weights = np.eye(5)[:, :3].copy()  # items 0..2 -> categories 0..2, item 3 -> 1, item 4 -> 2
    weights[3, 1] = 1.0
    weights[4, 2] = 1.0
    truth = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]]))
    spec = EvalSpec(ks=(2,), category_weights=weights,
                    distance=lambda i: (i[:, :, None] != i[:, None, :]) * 1.0)
    out = evaluate(FixedScores(TABLE), EvalData.for_users(truth), spec)
    assert out["ild@2"] == pytest.approx(1.0)
    # tops: u0 {4, 0} -> cats {2, 0}; u1 {4, 3} -> {2, 1}; u2 {4, 3} -> {2, 1}: two categories each
    assert out["ce@2"] == pytest.approx(np.log(2))
    assert out["cat_coverage@2"] == pytest.approx(2 / 3)
