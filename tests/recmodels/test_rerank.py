"""MMR and DPP re-ranking: DPP fast greedy MAP equals a brute-force log-det greedy, MMR with λ = 1
is the relevance order, and the full re-ranker only returns unmasked candidates of the top 10·k."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from recmodels_micro import make_micro

from recloom.errors import ConfigError
from recloom.recmodels.evaluation import EvalData
from recloom.recmodels.mf import MF, MFConfig
from recloom.recmodels.rerank import (
    RerankConfig,
    candidates,
    dpp_greedy,
    dpp_greedy_lowrank,
    dpp_kernel,
    mmr,
    normalise_relevance,
    rerank_list,
    rerank_topk,
    unit_rows,
)


def brute_logdet_greedy(kernel: np.ndarray, k: int) -> list[int]:
    chosen: list[int] = []
    for _ in range(k):
        best, best_val = -1, -np.inf
        for i in range(len(kernel)):
            if i in chosen:
                continue
            sign, val = np.linalg.slogdet(kernel[np.ix_(chosen + [i], chosen + [i])])
            if sign > 0 and val > best_val + 1e-12:
                best, best_val = i, val
        chosen.append(best)
    return chosen


@pytest.mark.parametrize("seed", range(5))
def test_dpp_fast_greedy_equals_brute_force_logdet_greedy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(9, 4))
    relevance = rng.uniform(size=9)
    kernel = dpp_kernel(relevance, unit_rows(vectors), theta=0.6, jitter=0.05)
    assert dpp_greedy(kernel, 6).tolist() == brute_logdet_greedy(kernel, 6)
    lowrank = dpp_greedy_lowrank(relevance, unit_rows(vectors), 0.6, 0.05, 6)
    assert lowrank.tolist() == dpp_greedy(kernel, 6).tolist()


def test_dpp_stops_when_gain_vanishes_and_list_is_completed_by_relevance() -> None:
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    kernel = dpp_kernel(np.array([1.0, 0.9, 0.5, 0.4]), unit_rows(vectors), theta=0.5, jitter=0.0)
    assert dpp_greedy(kernel, 4).tolist() == [0, 2]  # the duplicates add no volume
    config = RerankConfig(method="dpp", dpp_theta=0.5, dpp_jitter=0.0)
    assert rerank_list(np.array([1.0, 0.9, 0.5, 0.4]), vectors, 4, config).tolist() == [0, 2, 1, 3]


def test_mmr_lambda_one_is_relevance_order_and_lambda_below_one_diversifies() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=30)
    vectors = unit_rows(rng.normal(size=(30, 5)))
    rel = normalise_relevance(scores)
    assert mmr(rel, vectors, 10, lam=1.0).tolist() == np.argsort(-scores)[:10].tolist()
    dup = unit_rows(np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0]]))
    assert mmr(np.array([1.0, 0.95, 0.5]), dup, 2, lam=0.5).tolist() == [0, 2]


def test_mmr_hand_computed_second_pick() -> None:
    vectors = unit_rows(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]))
    rel = np.array([1.0, 0.8, 0.3])
    # after item 0: gains 0.7*0.8 - 0.3*0.6 = 0.38 and 0.7*0.3 - 0.3*0 = 0.21
    assert mmr(rel, vectors, 2, lam=0.7).tolist() == [0, 1]
    # lam 0.4: 0.4*0.8 - 0.6*0.6 = -0.04 < 0.4*0.3 = 0.12
    assert mmr(rel, vectors, 2, lam=0.4).tolist() == [0, 2]


@pytest.mark.parametrize("method", ["mmr", "dpp"])
def test_rerank_topk_uses_only_unmasked_top_candidates(method: str) -> None:
    m = make_micro(seed=2)
    torch.manual_seed(0)
    model = MF(m.n_users, m.n_items, MFConfig(embedding_dim=8))
    data = EvalData.for_users(m.valid, m.train)
    config = RerankConfig(method=method, candidates_factor=3)
    items, valid = rerank_topk(model, data, 4, model.item_emb.weight.detach().numpy(), config)
    cand, _, cand_valid = candidates(model, data, 12)
    assert items.shape == (len(data), 4) and valid.all()
    for row in range(len(data)):
        assert len(set(items[row])) == 4
        assert set(items[row]) <= set(cand[row][cand_valid[row]])
        assert not data.exclude[row, items[row]].toarray().any()


def test_rerank_with_mmr_lambda_one_equals_backbone_ranking() -> None:
    m = make_micro(seed=4)
    torch.manual_seed(1)
    model = MF(m.n_users, m.n_items, MFConfig(embedding_dim=8))
    data = EvalData.for_users(m.valid, m.train)
    items, _ = rerank_topk(model, data, 5, np.ones((m.n_items, 3)), RerankConfig(mmr_lambda=1.0))
    cand, _, _ = candidates(model, data, 5)
    np.testing.assert_array_equal(items, cand)


def test_short_candidate_lists_are_marked_invalid() -> None:
    truth = sp.csr_matrix(np.array([[0, 0, 0, 1.0]]))
    exclude = sp.csr_matrix(np.array([[1.0, 1.0, 0, 0]]))
    model = MF(1, 4, MFConfig(embedding_dim=2))
    items, valid = rerank_topk(model, EvalData.for_users(truth, exclude), 3, np.eye(4),
                               RerankConfig(method="dpp", candidates_factor=1))
    assert valid[0].tolist() == [True, True, False]
    assert set(items[0, :2]) == {2, 3}


def test_config_errors_name_the_option() -> None:
    for bad, match in [({"method": "x"}, "method"), ({"mmr_lambda": 2.0}, "mmr_lambda"),
                       ({"dpp_theta": 1.0}, "dpp_theta"), ({"candidates_factor": 0}, "candidates_factor")]:
        with pytest.raises(ConfigError, match=match):
            RerankConfig(**bad)  # type: ignore[arg-type]


def test_brute_force_helper_is_exhaustive_on_first_pick() -> None:
    kernel = np.diag([1.0, 3.0, 2.0])
    assert brute_logdet_greedy(kernel, 3) == [1, 2, 0]
    assert list(itertools.islice(dpp_greedy(kernel, 3), 3)) == [1, 2, 0]
