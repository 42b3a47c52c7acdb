"""Which synthetic users LARMI sends to the LLM (stage B5-B6) — the pipeline-level ablation knob.

``method``:

- ``"neural"`` — CardNN-GS (LARMI's solver, :mod:`recloom.recmodels.max_cover_neural`);
- ``"greedy"`` — lazy greedy max coverage (the paper's L-gre, Fig. 5);
- ``"exact"`` — the MILP optimum (reference; feasible for moderate instances);
- ``"random"`` — Z synthetic users drawn uniformly without replacement (the w/o-rep ablation).

All return a :class:`recloom.graph.max_cover.Selection` whose objective is the coverage of the
chosen cliques, so the four can be compared on the same instance. (w/o-com, no cliques at all, means
no synthetic users and no contrastive term: train LARMI without :meth:`set_synthetic_clusters`.)
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np

from recloom.errors import ConfigError
from recloom.graph.max_cover import Selection, check_instance, coverage_objective, get_max_cover_solver

SelectionMethod = Literal["neural", "greedy", "exact", "random"]
METHODS: tuple[str, ...] = ("neural", "greedy", "exact", "random")


def budget_for(n_users: int, fraction: float = 0.02) -> int:
    """Z = ``fraction`` of the M synthetic users, at least 1 (methods.md §2.6: 2 %, sweep 1-5 %)."""
    if not 0 < fraction <= 1:
        raise ConfigError(f"synthetic-user budget fraction must be in (0, 1], got {fraction}")
    return max(1, round(n_users * fraction))


def random_selection(incidence: object, weights: object, budget: int, seed: int = 0) -> Selection:
    """w/o-rep: ``budget`` cliques uniformly at random (ascending ids), with their coverage."""
    start = time.perf_counter()
    mat, w, k = check_instance(incidence, weights, budget)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(mat.shape[0], size=min(k, mat.shape[0]), replace=False)).astype(np.int64)
    return Selection(chosen, coverage_objective(mat, w, chosen), time.perf_counter() - start, "random")


def select_synthetic_users(incidence: object, weights: object, budget: int,
                           method: SelectionMethod = "neural", *, seed: int = 0,
                           **options: object) -> Selection:
    """The selected synthetic users B (|B| <= budget) by ``method``; ``options`` go to the solver."""
    if method not in METHODS:
        raise ConfigError(f"unknown synthetic-user selection {method!r}; use one of {', '.join(METHODS)}")
    if method == "random":
        return random_selection(incidence, weights, budget, seed)
    if method == "neural":
        options = {"seed": seed, **options}
    return get_max_cover_solver(method, **options).solve(incidence, weights, budget)
