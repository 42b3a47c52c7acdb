"""Per-sample losses and regularisers shared by the models (each returns Tensor[B], unreduced)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

RegNorm = Literal["squared", "unsquared"]


def bpr(pos_score: Tensor, neg_score: Tensor) -> Tensor:
    """BPR loss ``-ln sigmoid(pos - neg) = softplus(neg - pos)``; several negatives are averaged.

    Shape: pos_score [B], neg_score [B] or [B, n_neg] -> [B].
    """
    diff = neg_score - (pos_score if neg_score.dim() == 1 else pos_score[:, None])
    loss = F.softplus(diff)
    return loss if loss.dim() == 1 else loss.mean(dim=1)


def binary_ce(pos_logit: Tensor, neg_logit: Tensor) -> Tensor:
    """SASRec's BCE: ``-ln s(pos) - mean ln(1 - s(neg))``. Shape: [B], [B] or [B, n_neg] -> [B]."""
    neg = F.softplus(neg_logit)
    return F.softplus(-pos_logit) + (neg if neg.dim() == 1 else neg.mean(dim=1))


def embedding_l2(embeddings: list[Tensor], norm: RegNorm) -> Tensor:
    """L2 penalty on the batch's ego embeddings, spread over samples so that its mean is the total.

    ``squared``: per sample ``0.5 * sum ||e||^2`` (LightGCN paper; mean = RecBole ``require_pow``).
    ``unsquared``: RecBole's default ``sum_E ||E_batch||_F / B``, which does not split per sample,
    so every sample carries the same share. Each tensor is [B, d] or [B, n_neg, d].
    """
    batch = embeddings[0].shape[0]
    if norm == "squared":
        return sum(0.5 * e.pow(2).reshape(batch, -1).sum(dim=1) for e in embeddings)  # type: ignore[return-value]
    if norm == "unsquared":
        total = sum(torch.linalg.vector_norm(e) for e in embeddings)
        return total.expand(batch) / batch  # type: ignore[union-attr]
    raise ValueError(f"reg_norm must be 'squared' or 'unsquared', got {norm!r}")
