"""Full-ranking evaluation: score all items, mask history, top-K once, every metric from the hits.

Rows of an :class:`EvalData` are evaluation units (users for general models, histories for
sequential ones). ``truth`` holds each row's held-out items and ``exclude`` the items never to
recommend (training items; for test, also validation items). Rows without held-out items are
dropped when the data is built, as RecBole and the methods' protocols do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from recloom.recmodels import diversity, groups, metrics
from recloom.recmodels.base import Batch, Recommender


def _clean(matrix: sp.spmatrix) -> sp.csr_matrix:
    """A csr copy without explicit zeros (so that row nnz counts relevant items)."""
    out = sp.csr_matrix(matrix, copy=True)
    out.eliminate_zeros()
    return out


@dataclass
class EvalData:
    """Model inputs row-aligned with ``truth`` and ``exclude`` (csr [rows, n_items])."""

    inputs: dict[str, Tensor]
    truth: sp.csr_matrix
    exclude: sp.csr_matrix | None = None

    def __post_init__(self) -> None:
        n = self.truth.shape[0]
        for key, value in self.inputs.items():
            if value.shape[0] != n:
                raise ValueError(f"input {key!r} has {value.shape[0]} rows, truth has {n}")
        if self.exclude is not None and self.exclude.shape != self.truth.shape:
            raise ValueError(f"exclude has shape {self.exclude.shape}, truth {self.truth.shape}")

    def __len__(self) -> int:
        return self.truth.shape[0]

    @classmethod
    def for_users(cls, truth: sp.spmatrix, exclude: sp.spmatrix | None = None) -> EvalData:
        """Rows = users with at least one held-out item in ``truth`` (csr [n_users, n_items])."""
        truth = _clean(truth)
        users = np.flatnonzero(np.diff(truth.indptr) > 0)
        ex = None if exclude is None else sp.csr_matrix(exclude)[users]
        return cls({"user": torch.from_numpy(users.astype(np.int64))}, truth[users], ex)

    @classmethod
    def for_sequences(cls, item_seq: np.ndarray, seq_len: np.ndarray, truth: sp.spmatrix,
                      exclude: sp.spmatrix | None = None) -> EvalData:
        """Rows = padded histories (see :mod:`recloom.recmodels.sequences`) with their targets."""
        truth = _clean(truth)
        keep = np.flatnonzero(np.diff(truth.indptr) > 0)
        ex = None if exclude is None else sp.csr_matrix(exclude)[keep]
        inputs = {"item_seq": torch.from_numpy(np.asarray(item_seq, dtype=np.int64)[keep]),
                  "seq_len": torch.from_numpy(np.asarray(seq_len, dtype=np.int64)[keep])}
        return cls(inputs, truth[keep], ex)


@dataclass
class EvalSpec:
    """What to compute. ``item_group`` (int[n_items]) adds every ranking metric per group."""

    ks: Sequence[int] = (10, 20)
    metrics: Sequence[str] = ("recall", "ndcg")
    item_group: np.ndarray | None = None
    group_names: dict[int, str] = field(default_factory=lambda: dict(groups.GROUP_NAMES))
    category_weights: np.ndarray | None = None
    distance: Callable[[np.ndarray], np.ndarray] | None = None
    batch_size: int = 1024

    @property
    def max_k(self) -> int:
        return max(self.ks)


def mask_scores(scores: Tensor, exclude: sp.csr_matrix) -> Tensor:
    """Set ``scores[r, i] = -inf`` for every nonzero (r, i) of ``exclude`` (rows aligned); in place."""
    coo = exclude.tocoo()
    rows = torch.from_numpy(coo.row.astype(np.int64))
    cols = torch.from_numpy(coo.col.astype(np.int64))
    scores[rows, cols] = float("-inf")
    return scores


@torch.no_grad()
def rank_topk(model: Recommender, data: EvalData, k: int,
              batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(top-k item indices int64[U, k], validity bool[U, k]) after masking; invalid = masked slots."""
    model.eval()
    k = min(k, model.n_items)
    items, valid = [], []
    for start in range(0, len(data), batch_size):
        batch: Batch = {key: v[start:start + batch_size].to(model.device) for key, v in data.inputs.items()}
        scores = model.full_scores(batch).float()
        if data.exclude is not None:
            mask_scores(scores, data.exclude[start:start + batch_size])
        top_scores, top_items = torch.topk(scores, k, dim=1)
        items.append(top_items.cpu().numpy())
        valid.append(torch.isfinite(top_scores).cpu().numpy())
    return np.concatenate(items), np.concatenate(valid)


def hit_matrix(topk: np.ndarray, valid: np.ndarray, truth: sp.csr_matrix) -> np.ndarray:
    """bool[U, K]: whether the item at each rank is held out for that row."""
    rows = np.repeat(np.arange(topk.shape[0]), topk.shape[1])
    hits = np.asarray(truth[rows, topk.ravel()]).reshape(topk.shape) > 0
    return hits & valid


def evaluate(model: Recommender, data: EvalData, spec: EvalSpec | None = None) -> dict[str, float]:
    """Every metric of ``spec`` over ``data``: ``{"recall@20": ..., "ndcg@20/tail": ..., "n_rows": U}``."""
    spec = spec or EvalSpec()
    topk, valid = rank_topk(model, data, spec.max_k, spec.batch_size)
    return metrics_from_topk(topk, valid, data.truth, spec, n_items=model.n_items)


def metrics_from_topk(topk: np.ndarray, valid: np.ndarray, truth: sp.csr_matrix, spec: EvalSpec,
                      n_items: int) -> dict[str, float]:
    """The metric dictionary of :func:`evaluate` from precomputed top-K lists (e.g. re-ranked ones)."""
    hits = hit_matrix(topk, valid, truth)
    n_pos = np.diff(truth.indptr).astype(np.float64)
    ks = [k for k in spec.ks if k <= topk.shape[1]]
    out = metrics.ranking_metrics(hits, n_pos, ks, spec.metrics)
    if spec.item_group is not None:
        for g, name in spec.group_names.items():
            in_group = _clean(truth.multiply(spec.item_group[None, :] == g))
            n_pos_g = np.diff(in_group.indptr).astype(np.float64)
            hits_g, n_g, _ = groups.restrict_hits(hits, topk, n_pos_g, spec.item_group, g)
            out.update(metrics.ranking_metrics(hits_g, n_g, ks, spec.metrics, suffix=f"/{name}"))
            out[f"n_rows/{name}"] = float(len(n_g))
    if spec.category_weights is not None:
        for k, ce in diversity.category_entropy(topk, spec.category_weights, ks).items():
            out[f"ce@{k}"] = float(ce.mean())
        for k, cov in diversity.category_coverage(topk, spec.category_weights, ks).items():
            out[f"cat_coverage@{k}"] = float(cov.mean())
    if spec.distance is not None:
        for k in ks:
            if k >= 2:
                out[f"ild@{k}"] = float(diversity.intra_list_distance(topk, spec.distance, k).mean())
    for k in ks:
        out[f"item_coverage@{k}"] = metrics.item_coverage(topk, n_items, k)
    out["n_rows"] = float(topk.shape[0])
    return out
