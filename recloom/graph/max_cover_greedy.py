"""Lazy greedy weighted max coverage (Nemhauser-Wolsey-Fisher greedy, (1 − 1/e)-approximate; the
"L-gre" baseline of LARMI, seed 001 Fig. 5), with Minoux's lazy evaluation: a priority queue of
marginal gains that are only recomputed when a stale entry reaches the top. Coverage is
submodular, so a stale gain is an upper bound and the first fresh entry on top is the true best.

Ties go to the lowest set index, exactly as a plain greedy that rescans every set each round
(gains are exactly rounded sums, ``math.fsum``, so "equal" means equal). The solver stops early
when no set adds weight (fewer than k indices).

``bound``: the data-dependent upper bound OPT ≤ f(S) + Σ of the k largest marginal gains with respect
to the final S (valid for any monotone submodular f), usually much tighter than f(S)/(1 − 1/e).
"""

from __future__ import annotations

import heapq
import math
import time

import numpy as np
import scipy.sparse as sp

from recloom.graph.max_cover import Selection, check_instance, coverage_objective, row_items


class GreedyMaxCoverSolver:
    name = "greedy"

    def solve(self, a: object, w: object, k: int) -> Selection:
        start = time.perf_counter()
        mat, weights, budget = check_instance(a, w, k)
        covered = np.zeros(mat.shape[1], dtype=bool)
        picked: list[int] = []
        heap = [(-_gain(mat, weights, covered, i), i, 0) for i in range(mat.shape[0])]
        heapq.heapify(heap)
        while heap and len(picked) < budget:
            neg_gain, i, stamp = heapq.heappop(heap)
            if stamp != len(picked):
                heapq.heappush(heap, (-_gain(mat, weights, covered, i), i, len(picked)))
                continue
            if neg_gain >= 0:
                break
            picked.append(i)
            covered[row_items(mat, i)] = True
        indices = np.asarray(picked, dtype=np.int64)
        objective = coverage_objective(mat, weights, indices)
        bound = objective + _top_gains(mat, weights, covered, budget)
        return Selection(indices, objective, time.perf_counter() - start, self.name,
                         proven_optimal=bound <= objective, bound=bound)


def _gain(mat: sp.csr_array, weights: np.ndarray, covered: np.ndarray, i: int) -> float:
    items = row_items(mat, i)
    return math.fsum(weights[items[~covered[items]]])


def _top_gains(mat: sp.csr_array, weights: np.ndarray, covered: np.ndarray, k: int) -> float:
    if k == 0 or mat.shape[0] == 0:
        return 0.0
    gains = mat @ np.where(covered, 0.0, weights)
    top = np.sort(gains)[::-1][:k]
    return math.fsum(top)
