"""Diversity re-ranking of a backbone's top candidates: MMR and DPP (fast greedy MAP).

- MMR: J. Carbonell, J. Goldstein, "The Use of MMR, Diversity-Based Reranking for Reordering
  Documents and Producing Summaries", SIGIR 1998. Greedy ``argmax_i λ·rel_i − (1−λ)·max_{j∈S} sim_ij``.
- DPP: L. Chen, G. Zhang, H. Zhou, "Fast Greedy MAP Inference for Determinantal Point Process to
  Improve Recommendation Diversity", NeurIPS 2018. Kernel ``L = Diag(r) S Diag(r)`` with
  ``r_i = exp(α·rel_i)``, ``α = θ / (2(1−θ))``; greedy ``argmax_i log det L_{S∪{i}}`` by
  incremental Cholesky rows (Algorithm 1), O(k²n) per list.

ToP-Rec's protocol (methods.md §1.3): both re-rank the backbone's top ``10·k`` candidates (training
items masked) to produce the top ``k``. Relevance is the backbone score min–max normalised over
each user's candidates; similarity is the cosine of item vectors (by default the backbone's item
embeddings). ``S`` of ``d``-dimensional vectors has rank ≤ d < k, so a small ``jitter·I`` keeps
``L`` positive definite; if the gains still vanish the list is completed in relevance order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.evaluation import EvalData, mask_scores


@dataclass
class RerankConfig:
    """Re-ranking hyperparameters."""

    method: Literal["mmr", "dpp"] = "mmr"
    candidates_factor: int = 10  # candidates = factor · k (ToP-Rec §1.3)
    mmr_lambda: float = 0.5  # weight of relevance in MMR (1 = plain relevance order)
    dpp_theta: float = 0.7  # relevance/diversity trade-off θ of Chen et al. (α = θ / (2(1−θ)))
    dpp_jitter: float = 1e-3  # added to the similarity diagonal
    dpp_eps: float = 1e-10  # stop the greedy when the best marginal gain d² falls below this

    def __post_init__(self) -> None:
        if self.method not in ("mmr", "dpp"):
            raise ConfigError(f"rerank method must be 'mmr' or 'dpp', got {self.method!r}")
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise ConfigError(f"mmr_lambda must be in [0, 1], got {self.mmr_lambda}")
        if not 0.0 <= self.dpp_theta < 1.0:
            raise ConfigError(f"dpp_theta must be in [0, 1), got {self.dpp_theta}")
        if self.candidates_factor < 1:
            raise ConfigError(f"candidates_factor must be >= 1, got {self.candidates_factor}")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norm > 0, norm, 1.0)


def normalise_relevance(scores: np.ndarray) -> np.ndarray:
    """Min–max to [0, 1] over one candidate list (all ones when the scores are equal)."""
    scores = np.asarray(scores, dtype=np.float64)
    span = scores.max() - scores.min()
    return (scores - scores.min()) / span if span > 0 else np.ones_like(scores)


def mmr(relevance: np.ndarray, unit_vectors: np.ndarray, k: int, lam: float) -> np.ndarray:
    """Positions (into the candidates) of the MMR list of length ``min(k, n)``; ties → lower position."""
    n = len(relevance)
    chosen: list[int] = []
    max_sim = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        gain = np.where(available, lam * relevance - (1.0 - lam) * penalty, -np.inf)
        j = int(np.argmax(gain))
        chosen.append(j)
        available[j] = False
        max_sim = np.maximum(max_sim, unit_vectors @ unit_vectors[j])
    return np.array(chosen, dtype=np.int64)


def dpp_kernel(relevance: np.ndarray, unit_vectors: np.ndarray, theta: float, jitter: float) -> np.ndarray:
    """``L = Diag(r) (V Vᵀ + jitter·I) Diag(r)`` with ``r = exp(θ / (2(1−θ)) · relevance)``."""
    r = np.exp(theta / (2.0 * (1.0 - theta)) * np.asarray(relevance, dtype=np.float64))
    sim = unit_vectors @ unit_vectors.T + jitter * np.eye(len(r))
    return r[:, None] * sim * r[None, :]


def dpp_greedy(kernel: np.ndarray, k: int, eps: float = 1e-10) -> np.ndarray:
    """Chen et al. Algorithm 1 on an explicit kernel: positions of the greedy MAP set in pick order,
    stopping at ``k`` items or when the best marginal gain ``d_j² < eps``."""
    return _greedy_map(np.diag(kernel).astype(np.float64), lambda j: kernel[j], k, eps)


def dpp_greedy_lowrank(relevance: np.ndarray, unit_vectors: np.ndarray, theta: float, jitter: float, k: int,
                       eps: float = 1e-10) -> np.ndarray:
    """:func:`dpp_greedy` on :func:`dpp_kernel` without forming it: each picked row of ``L`` is
    computed from the vectors in O(n·d), so a list costs O(k·n·(d + k)) instead of O(n²·d)."""
    r = np.exp(theta / (2.0 * (1.0 - theta)) * np.asarray(relevance, dtype=np.float64))
    v = np.asarray(unit_vectors, dtype=np.float64)
    diag = r * r * ((v * v).sum(axis=1) + jitter)

    def row(j: int) -> np.ndarray:
        out = r[j] * r * (v @ v[j])
        out[j] += r[j] * r[j] * jitter
        return out

    return _greedy_map(diag, row, k, eps)


def _greedy_map(diag: np.ndarray, row: Callable[[int], np.ndarray], k: int, eps: float) -> np.ndarray:
    n = len(diag)
    k = min(k, n)
    cis = np.zeros((k, n))
    d2 = diag.copy()
    chosen: list[int] = []
    j = int(np.argmax(d2))
    while len(chosen) < k and d2[j] >= eps:
        chosen.append(j)
        t = len(chosen) - 1
        e = (row(j) - cis[:t, j] @ cis[:t]) / np.sqrt(d2[j])
        cis[t] = e
        d2 = d2 - e * e
        d2[chosen] = -np.inf
        j = int(np.argmax(d2))
    return np.array(chosen, dtype=np.int64)


def rerank_list(scores: np.ndarray, vectors: np.ndarray, k: int, config: RerankConfig) -> np.ndarray:
    """Positions of the re-ranked top ``k`` of one candidate list (completed by relevance order)."""
    rel = normalise_relevance(scores)
    unit = unit_rows(vectors)
    if config.method == "mmr":
        picked = mmr(rel, unit, k, config.mmr_lambda)
    else:
        picked = dpp_greedy_lowrank(rel, unit, config.dpp_theta, config.dpp_jitter, k, config.dpp_eps)
    if len(picked) < min(k, len(scores)):
        rest = [p for p in np.argsort(-rel, kind="stable") if p not in set(picked.tolist())]
        picked = np.concatenate([picked, np.array(rest[: min(k, len(scores)) - len(picked)], dtype=np.int64)])
    return picked


@torch.no_grad()
def candidates(model: Recommender, data: EvalData, n: int, batch_size: int = 1024
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(items int64[U, n], scores float64[U, n], valid bool[U, n]) of each row's top ``n`` after masking."""
    model.eval()
    n = min(n, model.n_items)
    items, scores, valid = [], [], []
    for start in range(0, len(data), batch_size):
        batch = {key: v[start:start + batch_size].to(model.device) for key, v in data.inputs.items()}
        s = model.full_scores(batch).float()
        if data.exclude is not None:
            mask_scores(s, data.exclude[start:start + batch_size])
        top_s, top_i = torch.topk(s, n, dim=1)
        items.append(top_i.cpu().numpy())
        scores.append(top_s.double().cpu().numpy())
        valid.append(torch.isfinite(top_s).cpu().numpy())
    return np.concatenate(items), np.concatenate(scores), np.concatenate(valid)


def rerank_topk(model: Recommender, data: EvalData, k: int, item_vectors: np.ndarray,
                config: RerankConfig) -> tuple[np.ndarray, np.ndarray]:
    """Re-ranked (top-k items int64[U, k], validity bool[U, k]) from ``factor·k`` candidates per row."""
    cand, scores, valid = candidates(model, data, config.candidates_factor * k)
    k = min(k, cand.shape[1])
    out = np.zeros((len(cand), k), dtype=np.int64)
    ok = np.zeros((len(cand), k), dtype=bool)
    for row in range(len(cand)):
        keep = np.flatnonzero(valid[row])
        picked = rerank_list(scores[row, keep], item_vectors[cand[row, keep]], k, config)
        out[row, : len(picked)] = cand[row, keep[picked]]
        ok[row, : len(picked)] = True
    return out, ok
