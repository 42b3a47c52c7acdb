"""Beyond-accuracy list metrics: category entropy CE@k, category coverage, intra-list distance.

Categories come as an item×category weight matrix ``W`` (dense float[n_items, C]) built by
:func:`category_weights`: an item with several categories spreads weight 1 evenly, ``1/|cats|``
to each, so every recommended item carries the same total mass and a list's category shares sum to
1. An item without any category carries no mass (its slot counts toward ``k`` but toward no
category), which is what ToP-Rec's code does for unknown attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

DistanceFn = Callable[[np.ndarray], np.ndarray]


def category_weights(item_categories: Sequence[Sequence[int]], n_categories: int) -> np.ndarray:
    """Dense float64[n_items, C]: row i puts 1/|cats(i)| on each category of item i."""
    w = np.zeros((len(item_categories), n_categories), dtype=np.float64)
    for item, cats in enumerate(item_categories):
        cats = sorted(set(int(c) for c in cats))
        if cats:
            w[item, cats] = 1.0 / len(cats)
    return w


def _category_mass(topk: np.ndarray, weights: np.ndarray, ks: Sequence[int]) -> dict[int, np.ndarray]:
    """Category mass of each user's top-k for every requested k: {k: float[U, C]}."""
    mass = np.zeros((topk.shape[0], weights.shape[1]), dtype=np.float64)
    out: dict[int, np.ndarray] = {}
    wanted = set(ks)
    for r in range(max(ks)):
        mass += weights[topk[:, r]]
        if r + 1 in wanted:
            out[r + 1] = mass.copy()
    return out


def category_entropy(topk: np.ndarray, weights: np.ndarray, ks: Sequence[int]) -> dict[int, np.ndarray]:
    """CE@k per user: ``-sum_c p_c ln p_c`` with ``p_c = mass_c / k`` (natural log, 0 ln 0 = 0)."""
    result: dict[int, np.ndarray] = {}
    for k, mass in _category_mass(np.asarray(topk), weights, ks).items():
        p = mass / k
        logp = np.log(p, out=np.zeros_like(p), where=p > 0)
        result[k] = -(p * logp).sum(axis=1)
    return result


def category_coverage(topk: np.ndarray, weights: np.ndarray, ks: Sequence[int]) -> dict[int, np.ndarray]:
    """Share of all C categories present in each user's top-k."""
    return {k: (mass > 0).sum(axis=1) / weights.shape[1]
            for k, mass in _category_mass(np.asarray(topk), weights, ks).items()}


def intra_list_distance(topk: np.ndarray, distance: DistanceFn, k: int) -> np.ndarray:
    """ILD@k per user: mean of ``distance`` over the k(k-1) ordered pairs of distinct positions.

    ``distance(items int[U, k]) -> float[U, k, k]`` returns pairwise item distances per list.
    """
    if k < 2:
        raise ValueError(f"intra-list distance needs k >= 2, got {k}")
    d = np.asarray(distance(np.asarray(topk)[:, :k]), dtype=np.float64)
    diag = np.einsum("ukk->u", d)
    return (d.sum(axis=(1, 2)) - diag) / (k * (k - 1))


def cosine_distance(embeddings: np.ndarray) -> DistanceFn:
    """Distance function ``1 - cos(e_i, e_j)`` over item embeddings float[n_items, d]."""
    norm = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.where(norm > 0, norm, 1.0)

    def dist(items: np.ndarray) -> np.ndarray:
        e = unit[items]
        return 1.0 - np.einsum("ukd,ujd->ukj", e, e)

    return dist


def category_jaccard_distance(weights: np.ndarray) -> DistanceFn:
    """Distance ``1 - |C_i ∩ C_j| / |C_i ∪ C_j|`` over item category sets (0 for two empty sets)."""
    member = weights > 0

    def dist(items: np.ndarray) -> np.ndarray:
        m = member[items].astype(np.float64)
        inter = np.einsum("ukc,ujc->ukj", m, m)
        sizes = m.sum(axis=2)
        union = sizes[:, :, None] + sizes[:, None, :] - inter
        return 1.0 - np.divide(inter, union, out=np.ones_like(inter), where=union > 0)

    return dist
