"""LARMI stage B end to end on real data: cliques of Amazon Scientific users -> max coverage."""

from __future__ import annotations

import math

import numpy as np

from recloom.data.loaders import load_dataset
from recloom.graph.cliques import CliqueConfig, build_cliques
from recloom.graph.max_cover import coverage_objective, solve_max_cover


def test_greedy_and_exact_on_amazon_scientific_cliques() -> None:
    ds = load_dataset("amazon-scientific")
    x = ds.interactions.csr(ds.n_users, ds.n_items, values="count")[:300]
    cliques = build_cliques(x, CliqueConfig(size=5))
    a, w, k = cliques.incidence, cliques.item_values, 6
    greedy = solve_max_cover(a, w, k)
    exact = solve_max_cover(a, w, k, solver="exact", time_limit=60)
    assert exact.proven_optimal and len(exact.indices) <= k and len(greedy.indices) == k
    assert (1 - 1 / math.e) * exact.objective <= greedy.objective <= exact.objective + 1e-9
    assert greedy.bound is not None and greedy.bound >= exact.objective
    # objective = value of the union of the chosen synthetic users' items
    union = np.unique(np.concatenate([cliques.items_of(int(i)) for i in greedy.indices]))
    assert greedy.objective == math.fsum(w[union]) == coverage_objective(a, w, greedy.indices)
