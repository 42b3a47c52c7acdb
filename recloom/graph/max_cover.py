"""Weighted maximum coverage, the selection step of LARMI (seed 001, Eqs. 6, 8 and 16; methods.md
§2.2 B5): choose at most k sets (rows of A, the synthetic users) maximising the total weight of the
covered items,

    max_x Σ_j w_j · 1(Σ_i x_i A_ij ≥ 1)   s.t.  x ∈ {0,1}^M,  ‖x‖₀ ≤ k.

One interface, several solvers: a solver is anything with a ``name`` and
``solve(A, w, k) -> Selection`` (:class:`MaxCoverSolver`). Built in, looked up by name through
:func:`get_max_cover_solver`:

- ``"greedy"``: lazy greedy, the (1 − 1/e) baseline (LARMI's "L-gre"), ``max_cover_greedy``;
- ``"exact"``: a MILP solved by HiGHS with a time limit, ``max_cover_exact``;
- ``"neural"``: the one-shot Gumbel-Sinkhorn solver (CardNN-GS). It needs torch, so it lives in
  ``recloom.recmodels.max_cover_neural`` as a class ``NeuralMaxCoverSolver`` taking keyword options;
  it is imported only when asked for. Any other module can add a solver with
  :func:`register_max_cover_solver`.

Every solver reports ``objective`` recomputed by :func:`coverage_objective` from the chosen indices
(never the solver's own internal value), as an exactly rounded sum.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from recloom.errors import ConfigError, DataError


@dataclass(frozen=True)
class Selection:
    """The chosen sets. ``indices``: int64 row ids of A (greedy: in pick order; others ascending).
    ``bound``: an upper bound on the optimum when the solver knows one."""

    indices: np.ndarray
    objective: float
    seconds: float
    solver: str
    proven_optimal: bool = False
    bound: float | None = None


@runtime_checkable
class MaxCoverSolver(Protocol):
    name: str

    def solve(self, a: object, w: object, k: int) -> Selection: ...


SolverFactory = Callable[..., MaxCoverSolver]

_REGISTRY: dict[str, SolverFactory | str] = {
    "greedy": "recloom.graph.max_cover_greedy:GreedyMaxCoverSolver",
    "exact": "recloom.graph.max_cover_exact:ExactMaxCoverSolver",
    "neural": "recloom.recmodels.max_cover_neural:NeuralMaxCoverSolver",
}


def register_max_cover_solver(name: str, factory: SolverFactory | str, *, replace: bool = False) -> None:
    """Add a solver factory (a callable taking keyword options, or a lazy ``"module:attr"``)."""
    if name in _REGISTRY and not replace:
        raise ConfigError(f"max-cover solver {name!r} is already registered (pass replace=True)")
    _REGISTRY[name] = factory


def max_cover_solvers() -> list[str]:
    return sorted(_REGISTRY)


def get_max_cover_solver(name: str, **options: object) -> MaxCoverSolver:
    """A solver instance by name, built with ``options``."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown max-cover solver {name!r}; known: {', '.join(max_cover_solvers())}")
    factory = _resolve(name, _REGISTRY[name])
    try:
        solver = factory(**options)
    except TypeError as exc:
        raise ConfigError(f"max-cover solver {name!r}: bad options {sorted(options)} ({exc})") from exc
    if not isinstance(solver, MaxCoverSolver):
        raise ConfigError(f"max-cover solver {name!r}: {factory!r} did not build a MaxCoverSolver")
    return solver


def _resolve(name: str, factory: SolverFactory | str) -> SolverFactory:
    if not isinstance(factory, str):
        return factory
    module_name, _, attr = factory.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"max-cover solver {name!r} lives in {module_name}, which cannot be imported "
                          f"({type(exc).__name__}: {exc}); the 'neural' solver needs torch and "
                          "recloom.recmodels") from exc
    try:
        return getattr(module, attr)  # type: ignore[no-any-return]
    except AttributeError as exc:
        raise ConfigError(f"max-cover solver {name!r}: {module_name} has no {attr!r}") from exc


def solve_max_cover(a: object, w: object, k: int, solver: str = "greedy", **options: object) -> Selection:
    """Shorthand for ``get_max_cover_solver(solver, **options).solve(a, w, k)``."""
    return get_max_cover_solver(solver, **options).solve(a, w, k)


# ------------------------------------------------------------------------------------- instances
def check_instance(a: object, w: object, k: object) -> tuple[sp.csr_array, np.ndarray, int]:
    """Canonical ``(A as binary float64 csr_array with sorted indices, w float64[N], k)``."""
    mat = sp.csr_array(a) if sp.issparse(a) else sp.csr_array(np.asarray(a))
    if mat.ndim != 2:
        raise DataError(f"max-cover: A must be 2-D (sets × items), got shape {mat.shape}")
    mat = sp.csr_array(mat != 0, dtype=np.float64)
    mat.sum_duplicates()
    mat.sort_indices()
    weights = np.asarray(w, dtype=np.float64)
    if weights.shape != (mat.shape[1],):
        raise DataError(f"max-cover: w must have one value per item ({mat.shape[1]}), "
                        f"got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise DataError("max-cover: item values w must be finite and non-negative")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ConfigError(f"max-cover: the budget k must be a non-negative integer, got {k!r}")
    return mat, weights, int(k)


def row_items(a: sp.csr_array, i: int) -> np.ndarray:
    return a.indices[a.indptr[i] : a.indptr[i + 1]]


def coverage_objective(a: object, w: object, indices: Sequence[int] | np.ndarray) -> float:
    """Σ_j w_j over the items covered by the rows ``indices`` of A (exactly rounded sum)."""
    mat, weights, _ = check_instance(a, w, 0)
    covered = np.zeros(mat.shape[1], dtype=bool)
    for i in np.asarray(indices, dtype=np.int64):
        if not 0 <= i < mat.shape[0]:
            raise DataError(f"max-cover: set index {i} is outside 0..{mat.shape[0] - 1}")
        covered[row_items(mat, int(i))] = True
    return math.fsum(weights[covered])
