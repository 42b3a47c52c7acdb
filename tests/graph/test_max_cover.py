"""Weighted max coverage: exact MILP vs brute force, lazy greedy vs a plain rescanning greedy, the
(1 − 1/e) guarantee, objectives recomputed with Python sets, and the solver registry."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from recloom.errors import ConfigError, DataError
from recloom.graph.max_cover import (
    MaxCoverSolver,
    Selection,
    coverage_objective,
    get_max_cover_solver,
    max_cover_solvers,
    register_max_cover_solver,
    solve_max_cover,
)


def instance(seed: int, m: int, n: int, density: float, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.random((m, n)) < density).astype(np.int8)
    w = rng.integers(1, 4, size=n).astype(float) if integer else 1.0 + rng.random(n)
    return a, w


def set_objective(a: np.ndarray, w: np.ndarray, indices: np.ndarray) -> float:
    covered: set[int] = set()
    for i in indices:
        covered |= {j for j in range(a.shape[1]) if a[i, j]}
    return sum(float(w[j]) for j in covered)


def brute_optimum(a: np.ndarray, w: np.ndarray, k: int) -> float:
    combos = itertools.combinations(range(a.shape[0]), min(k, a.shape[0]))
    return max(set_objective(a, w, np.array(c, dtype=int)) for c in combos)


def plain_greedy(a: np.ndarray, w: np.ndarray, k: int) -> list[int]:
    """Rescan every set each round; ties to the lowest index; stop when nothing adds weight."""
    covered = np.zeros(a.shape[1], dtype=bool)
    picked: list[int] = []
    for _ in range(k):
        gains = [math.fsum(w[(a[i] != 0) & ~covered]) for i in range(a.shape[0])]
        best = max(range(a.shape[0]), key=lambda i: (gains[i], -i)) if gains else None
        if best is None or gains[best] <= 0:
            break
        picked.append(best)
        covered |= a[best] != 0
    return picked


@pytest.mark.parametrize("seed", range(8))
def test_exact_equals_brute_force_on_tiny_instances(seed: int) -> None:
    a, w = instance(seed, m=9, n=14, density=0.25, integer=seed % 2 == 0)
    k = 1 + seed % 4
    sel = get_max_cover_solver("exact").solve(a, w, k)
    assert sel.solver == "exact" and sel.proven_optimal and len(sel.indices) <= k
    assert sel.objective == pytest.approx(brute_optimum(a, w, k), rel=1e-9)
    assert sel.objective == pytest.approx(set_objective(a, w, sel.indices), rel=1e-12)
    assert sel.bound is not None and sel.bound >= sel.objective - 1e-6


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10**6), m=st.integers(0, 25), n=st.integers(0, 30), k=st.integers(0, 8),
       density=st.sampled_from([0.05, 0.15, 0.4]), integer=st.booleans())
def test_lazy_greedy_equals_plain_greedy(seed: int, m: int, n: int, k: int, density: float,
                                         integer: bool) -> None:
    a, w = instance(seed, m, n, density, integer)
    sel = get_max_cover_solver("greedy").solve(sp.csr_array(a), w, k)
    assert sel.indices.tolist() == plain_greedy(a, w, k)
    assert sel.objective == pytest.approx(set_objective(a, w, sel.indices), rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_is_within_1_minus_1_over_e_of_the_optimum_and_bounds_it(seed: int) -> None:
    a, w = instance(seed, m=40, n=60, density=0.08, integer=False)
    k = 3 + seed
    exact = solve_max_cover(a, w, k, solver="exact")
    greedy = solve_max_cover(a, w, k, solver="greedy")
    assert exact.proven_optimal
    assert greedy.objective <= exact.objective + 1e-9
    assert greedy.objective >= (1 - 1 / math.e) * exact.objective
    assert greedy.bound is not None and greedy.bound >= exact.objective - 1e-9


def test_greedy_can_be_strictly_worse_than_exact() -> None:
    # classic: one big set straddling two halves lures greedy; the two halves are optimal for k=2
    a = np.array([[0, 1, 1, 1, 1, 1, 1, 0],   # 6 items: greedy takes it first
                  [1, 1, 1, 1, 0, 0, 0, 0],   # 4 items
                  [0, 0, 0, 0, 1, 1, 1, 1]])  # 4 items
    w = np.ones(8)
    greedy = solve_max_cover(a, w, 2)
    exact = solve_max_cover(a, w, 2, solver="exact")
    assert greedy.indices.tolist() == [0, 1] and greedy.objective == 7.0 and not greedy.proven_optimal
    assert sorted(exact.indices.tolist()) == [1, 2] and exact.objective == 8.0


@pytest.mark.parametrize("solver", ["greedy", "exact"])
def test_edge_cases(solver: str) -> None:
    a = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0]])
    w = np.array([2.0, 0.5, 7.0])
    s = get_max_cover_solver(solver)
    assert s.solve(a, w, 0).indices.tolist() == [] and s.solve(a, w, 0).objective == 0.0
    full = s.solve(a, w, 10)  # k larger than the number of sets
    assert full.objective == 2.5 and set(full.indices.tolist()) >= {2}
    assert s.solve(np.zeros((0, 3)), w, 2).objective == 0.0
    assert s.solve(a, np.zeros(3), 2).objective == 0.0
    assert s.solve(sp.csr_array(a.astype(bool)), w, 1).indices.tolist() == [2]


def test_greedy_stops_when_nothing_adds_weight() -> None:
    a = np.array([[1, 1], [1, 0], [0, 1]])
    sel = solve_max_cover(a, np.array([1.0, 1.0]), 3)
    assert sel.indices.tolist() == [0] and sel.proven_optimal and sel.bound == 2.0


def test_exact_time_limit_result_is_reported_as_unproven(monkeypatch: pytest.MonkeyPatch) -> None:
    import recloom.graph.max_cover_exact as mod

    class Timeout:
        x = None
        status = 1
        mip_dual_bound = -9.0

    monkeypatch.setattr(mod, "milp", lambda **kw: Timeout())
    a, w = np.eye(3), np.array([1.0, 3.0, 2.0])
    sel = mod.ExactMaxCoverSolver(time_limit=0.5, fallback=None).solve(a, w, 2)
    assert sel.indices.tolist() == [] and not sel.proven_optimal and sel.bound == 9.0
    sel = mod.ExactMaxCoverSolver(time_limit=0.5).solve(a, w, 2)  # the greedy fallback is better
    assert sel.solver == "exact+greedy" and sel.indices.tolist() == [1, 2] and sel.objective == 5.0
    assert sel.bound == 6.0  # greedy online bound 5 + top-2 gains (1, 0) beats the MILP bound 9


def test_coverage_objective_and_input_validation() -> None:
    a = np.array([[1, 1, 0], [0, 1, 1]])
    w = np.array([0.1, 0.2, 0.3])
    assert coverage_objective(a, w, [0, 1]) == math.fsum([0.1, 0.2, 0.3]) == pytest.approx(0.6)
    assert coverage_objective(a, w, [1, 1]) == math.fsum([0.2, 0.3])
    assert coverage_objective(a, w, []) == 0.0
    with pytest.raises(DataError, match="set index 5"):
        coverage_objective(a, w, [5])
    with pytest.raises(DataError, match="one value per item \\(3\\)"):
        solve_max_cover(a, np.ones(2), 1)
    with pytest.raises(DataError, match="non-negative"):
        solve_max_cover(a, -w, 1)
    for bad_k in (-1, 1.5, True):
        with pytest.raises(ConfigError, match="budget k"):
            solve_max_cover(a, w, bad_k)  # type: ignore[arg-type]


def test_registry_lookup_errors_and_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    import recloom.graph.max_cover as mod

    monkeypatch.setattr(mod, "_REGISTRY", dict(mod._REGISTRY))
    assert {"greedy", "exact", "neural"} <= set(max_cover_solvers())
    assert isinstance(get_max_cover_solver("greedy"), MaxCoverSolver)
    with pytest.raises(ConfigError, match="unknown max-cover solver 'simplex'; known: .*greedy"):
        get_max_cover_solver("simplex")
    with pytest.raises(ConfigError, match="bad options \\['iterations'\\]"):
        get_max_cover_solver("greedy", iterations=3)
    with pytest.raises(ConfigError, match="time_limit must be > 0"):
        get_max_cover_solver("exact", time_limit=0)
    with pytest.raises(ConfigError, match="already registered"):
        register_max_cover_solver("greedy", lambda: None)  # type: ignore[arg-type,return-value]

    class FirstK:
        name = "first-k"

        def solve(self, a: object, w: object, k: int) -> Selection:
            idx = np.arange(k)
            return Selection(idx, coverage_objective(a, w, idx), 0.0, self.name)

    register_max_cover_solver("first-k", FirstK, replace=True)
    assert solve_max_cover(np.eye(3), np.ones(3), 2, solver="first-k").objective == 2.0
    register_max_cover_solver("broken", "recloom.graph.no_such_module:Solver", replace=True)
    with pytest.raises(ConfigError, match="cannot be imported"):
        get_max_cover_solver("broken")
