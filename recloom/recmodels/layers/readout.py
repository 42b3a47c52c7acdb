"""Scoring items with K interest vectors.

* :func:`max_interest_scores` — LARMI Eq. 11, f(u, v) = max_k o_k^T v, for every candidate item.
* :func:`target_interest_scores` — the MIND/ComiRec training readout: the interest that scores the
  target item highest (argmax, no gradient through the choice) scores every candidate.

Absent interests (``interest_mask`` False) never win the max.
"""

from __future__ import annotations

import torch
from torch import Tensor


def interest_item_scores(interests: Tensor, item_emb: Tensor, interest_mask: Tensor | None = None) -> Tensor:
    """o_k^T v for all k and items: [B, K, d] x [N, d] -> [B, K, N] (-inf rows for absent k)."""
    scores = torch.matmul(interests, item_emb.t())
    if interest_mask is not None:
        scores = scores.masked_fill(~interest_mask.unsqueeze(-1), float("-inf"))
    return scores


def max_interest_scores(interests: Tensor, item_emb: Tensor, interest_mask: Tensor | None = None) -> Tensor:
    """Eq. 11: max over interests of o_k^T v for each of the N items -> [B, N]."""
    return interest_item_scores(interests, item_emb, interest_mask).amax(dim=1)


def target_interest_scores(
    interests: Tensor, item_emb: Tensor, target: Tensor, interest_mask: Tensor | None = None
) -> Tensor:
    """Scores [B, N] of the single interest closest to each target item (index into ``item_emb``)."""
    with torch.no_grad():
        pick = torch.einsum("bkd,bd->bk", interests, item_emb[target])
        if interest_mask is not None:
            pick = pick.masked_fill(~interest_mask, float("-inf"))
        best = pick.argmax(dim=1)
    chosen = interests[torch.arange(interests.shape[0], device=interests.device), best]  # [B, d]
    return chosen @ item_emb.t()
