"""Top-K ranking metrics from a boolean hit matrix: every cutoff @1..K in one pass (numpy only).

``hits[u, r]`` is True when the item ranked ``r`` (0-based) for user ``u`` is relevant; ``n_pos[u]``
is ``|R(u)|``, the number of relevant items (users with ``n_pos == 0`` must be dropped before).
Each function returns float64[U, K] whose column ``k - 1`` is the metric @k. Definitions (RecBole,
LightGCN, LARMI, DTR agree):

- Recall@k = hits@k / |R|; Precision@k = hits@k / k; HR@k = 1[hits@k > 0];
- NDCG@k = sum_{r<k} hit_r / log2(r + 2) over IDCG@k = sum_{r < min(|R|, k)} 1 / log2(r + 2);
- MRR@k = 1 / (rank of the first hit), 0 without a hit in the top k;
- F1@k = 2 P R / (P + R), 0 when P + R = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

MetricFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _check(hits: np.ndarray, n_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hits = np.asarray(hits, dtype=bool)
    n_pos = np.asarray(n_pos, dtype=np.float64)
    if hits.ndim != 2 or n_pos.shape != (hits.shape[0],):
        raise ValueError(f"hits must be [U, K] and n_pos [U], got {hits.shape} and {n_pos.shape}")
    if (n_pos <= 0).any():
        raise ValueError("every user needs at least one relevant item (drop users with n_pos == 0)")
    if (hits.sum(1) > n_pos).any():
        raise ValueError("a user has more hits than relevant items")
    return hits, n_pos


def _ranks(k: int) -> np.ndarray:
    return np.arange(1, k + 1, dtype=np.float64)


def recall(hits: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    hits, n_pos = _check(hits, n_pos)
    return np.cumsum(hits, axis=1) / n_pos[:, None]


def precision(hits: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    hits, _ = _check(hits, n_pos)
    return np.cumsum(hits, axis=1) / _ranks(hits.shape[1])[None, :]


def hit_rate(hits: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    hits, _ = _check(hits, n_pos)
    return (np.cumsum(hits, axis=1) > 0).astype(np.float64)


def ndcg(hits: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    hits, n_pos = _check(hits, n_pos)
    k = hits.shape[1]
    discount = 1.0 / np.log2(_ranks(k) + 1.0)
    dcg = np.cumsum(hits * discount[None, :], axis=1)
    ideal_cum = np.concatenate([[0.0], np.cumsum(discount)])
    ideal_len = np.minimum(n_pos[:, None], _ranks(k)[None, :]).astype(np.int64)
    return dcg / ideal_cum[ideal_len]


def mrr(hits: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    hits, _ = _check(hits, n_pos)
    return np.maximum.accumulate(hits / _ranks(hits.shape[1])[None, :], axis=1)


def f1(hits: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    p, r = precision(hits, n_pos), recall(hits, n_pos)
    denom = p + r
    return np.divide(2 * p * r, denom, out=np.zeros_like(denom), where=denom > 0)


RANKING_METRICS: dict[str, MetricFn] = {
    "recall": recall, "ndcg": ndcg, "hr": hit_rate, "precision": precision, "mrr": mrr, "f1": f1,
}


def ranking_metrics(hits: np.ndarray, n_pos: np.ndarray, ks: Iterable[int],
                    names: Iterable[str] = ("recall", "ndcg"), suffix: str = "") -> dict[str, float]:
    """Mean over users of each named metric at each cutoff: ``{"recall@20": ..., ...}``."""
    ks = list(ks)
    out: dict[str, float] = {}
    if len(n_pos) == 0:
        return out
    hits = np.asarray(hits, dtype=bool)
    if max(ks) > hits.shape[1]:
        raise ValueError(f"cutoff {max(ks)} exceeds the {hits.shape[1]} ranked items")
    for name in names:
        if name not in RANKING_METRICS:
            raise KeyError(f"unknown ranking metric {name!r}; known: {sorted(RANKING_METRICS)}")
        values = RANKING_METRICS[name](hits, n_pos)
        for k in ks:
            out[f"{name}@{k}{suffix}"] = float(values[:, k - 1].mean())
    return out


def item_coverage(topk: np.ndarray, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one user's top-k."""
    return float(len(np.unique(np.asarray(topk)[:, :k])) / n_items)
