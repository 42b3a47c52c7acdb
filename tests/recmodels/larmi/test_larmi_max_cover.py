"""CardNN-GS: soft top-k, objectives, the GraphSAGE head, and solution quality vs greedy / optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recloom.errors import ConfigError, DataError
from recloom.graph.max_cover import coverage_objective, get_max_cover_solver
from recloom.recmodels.layers.bipartite_sage import BipartiteSAGE
from recloom.recmodels.layers.gumbel_sinkhorn import gumbel_sinkhorn_topk
from recloom.recmodels.max_cover_neural import CoverInstance, NeuralMaxCoverSolver


def brute_force(a: np.ndarray, w: np.ndarray, k: int) -> float:
    return max(float((a[list(c)].any(axis=0) * w).sum()) for c in itertools.combinations(range(len(a)), k))


def test_fixed_point_equals_converged_unrolled_sinkhorn_and_its_gradient() -> None:
    torch.manual_seed(0)
    scores = torch.rand(12, requires_grad=True)
    kw = dict(tau=0.5, noise=0.15, n_samples=4)
    fixed = gumbel_sinkhorn_topk(scores, 3, generator=torch.Generator().manual_seed(1), **kw)
    unrolled = gumbel_sinkhorn_topk(scores, 3, generator=torch.Generator().manual_seed(1), method="unrolled",
                                    n_iters=2000, **kw)
    assert torch.allclose(fixed, unrolled, atol=1e-5)
    assert torch.allclose(fixed.sum(1), torch.full((4,), 3.0), atol=1e-5)
    w = torch.rand(12)
    (g_fixed,) = torch.autograd.grad((fixed * w).sum(), scores)
    (g_unrolled,) = torch.autograd.grad((unrolled * w).sum(), scores)
    assert torch.allclose(g_fixed, g_unrolled, atol=1e-4)


def test_soft_topk_without_noise_ranks_like_the_scores() -> None:
    scores = torch.tensor([0.1, 0.9, 0.5, 0.3, 0.8])
    p = gumbel_sinkhorn_topk(scores, 2, noise=0.0, n_samples=1)[0]
    assert torch.topk(p, 2).indices.sort().values.tolist() == [1, 4]
    assert torch.equal(torch.argsort(p), torch.argsort(scores))
    # 100 unrolled iterations at tau = 0.05 are close to (not yet at) the fixed point
    unrolled = gumbel_sinkhorn_topk(scores, 2, noise=0.0, n_samples=1, method="unrolled")[0]
    assert torch.allclose(p, unrolled, atol=3e-2)
    with pytest.raises(ConfigError, match="0 < k < n"):
        gumbel_sinkhorn_topk(scores, 5)


def test_objectives_match_the_graph_module() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((8, 15)) < 0.3
    w = rng.random(15) + 1
    inst = CoverInstance(sp.csr_matrix(a), w)
    chosen = torch.tensor([[0, 3, 5], [1, 2, 7]])
    hard = inst.hard_objective(chosen)
    for row, value in zip(chosen.tolist(), hard.tolist(), strict=True):
        assert value == pytest.approx(coverage_objective(a, w, row), rel=1e-6)
    onehot = torch.zeros(2, 8).scatter_(1, chosen, 1.0)
    assert torch.allclose(inst.soft_objective(onehot), hard)
    half = inst.soft_objective(torch.full((1, 8), 0.5))  # min(1, 0.5 * cover count) per item
    counts = a.sum(axis=0)
    assert float(half[0]) == pytest.approx(float((np.minimum(1.0, 0.5 * counts) * w).sum()), rel=1e-5)
    with pytest.raises(DataError, match="weights"):
        CoverInstance(sp.csr_matrix(a), w[:3])


def test_graphsage_head_is_permutation_equivariant() -> None:
    torch.manual_seed(0)
    head = BipartiteSAGE()
    rng = np.random.default_rng(1)
    a = sp.csr_matrix(rng.random((10, 20)) < 0.3)
    w = rng.random(20) + 1
    perm_sets, perm_items = rng.permutation(10), rng.permutation(20)
    base = CoverInstance(a, w)
    permuted = CoverInstance(a[perm_sets][:, perm_items], w[perm_items])
    s, s_perm = head(base.A, base.w), head(permuted.A, permuted.w)
    assert s.shape == (10,) and ((s > 0) & (s < 1)).all()
    assert torch.allclose(s[perm_sets], s_perm, atol=1e-6)


def test_registry_builds_the_neural_solver_and_edge_budgets() -> None:
    solver = get_max_cover_solver("neural", opt_steps=5, opt_samples=8, train_epochs=1, train_instances=1)
    assert isinstance(solver, NeuralMaxCoverSolver) and solver.name == "neural"
    a = np.eye(4, dtype=bool)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    assert solver.solve(a, w, 0).indices.tolist() == []
    everything = solver.solve(a, w, 4)
    assert everything.indices.tolist() == [0, 1, 2, 3] and everything.objective == 10.0
    best = solver.solve(a, w, 2)
    assert best.indices.tolist() == [2, 3] and best.objective == 7.0 and best.solver == "neural"
    with pytest.raises(ConfigError, match="no_such_option"):
        get_max_cover_solver("neural", no_such_option=1)


def test_neural_beats_greedy_on_average_and_reaches_the_optimum() -> None:
    """Small random instances (30 sets, 50 items, k = 5); the optimum by brute force (142 506 subsets)
    is replaced by the exact MILP solver, checked against brute force on the first instance."""
    rng = np.random.default_rng(2)
    solver = NeuralMaxCoverSolver(opt_steps=50, opt_samples=200, train_epochs=5, train_instances=2)
    greedy, exact = get_max_cover_solver("greedy"), get_max_cover_solver("exact")
    ratios_neural, ratios_greedy = [], []
    for t in range(8):
        a = rng.random((30, 50)) < rng.uniform(0.1, 0.2)
        w = 1 + rng.random(50) * 0.05 if t % 2 else rng.integers(1, 100, 50).astype(float)
        opt = exact.solve(a, w, 5)
        assert opt.proven_optimal
        if t == 0:
            assert opt.objective == pytest.approx(brute_force(a, w, 5))
        neural = solver.solve(a, w, 5)
        assert len(neural.indices) == 5 and neural.objective <= opt.objective + 1e-9
        ratios_neural.append(neural.objective / opt.objective)
        ratios_greedy.append(greedy.solve(a, w, 5).objective / opt.objective)
    assert np.mean(ratios_neural) >= np.mean(ratios_greedy)
    assert np.mean(ratios_neural) >= 0.99
    assert sum(r == pytest.approx(1.0) for r in ratios_neural) >= 4
