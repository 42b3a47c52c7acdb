"""LARMI's cluster contrastive loss over selected synthetic users (seed 001, equation after Eq. 9
and Eq. 10; methods.md §2.2 C7 with the §2.6 resolutions).

For one synthetic user u' with items c(u') and LLM clusters (an item may sit in several):

    L_u' = - sum_{v_j in c(u')} sum_{v* in P(v_j)} log[exp(s(v_j, v*)) / sum_{v' in N(v_j)} exp(s(v_j, v'))]

with s(a, b) = a^T b / tau, positives P(v_j) = items sharing at least one cluster with v_j (v_j
itself excluded), negatives N(v_j) = items of c(u') sharing no cluster with v_j. The denominator
holds the negatives only, literally as in the paper. Anchors with no positive or no negative are
skipped. L_cst = (1/|B|) sum_{u' in B} L_u' (a positive loss to minimise: the double minus of Eq. 10
is read as a typo). ``reduction="sum"`` is the paper's double sum (its size grows with |c(u')|^2);
``"mean"`` averages over each user's (anchor, positive) pairs instead, which keeps lambda comparable
across clique sizes. With ``normalize=True`` the embeddings are L2-normalised inside this loss only,
which bounds s to [-1/tau, 1/tau] (raw dot products of 64-d ID embeddings can explode).

Inputs are padded over users: ``items`` LongTensor[U, C] (0-based item ids; padding slots, which
belong to no cluster, are ignored), ``membership`` BoolTensor[U, C, F] (item c of user u in cluster f).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from recloom.errors import DataError

Reduction = Literal["sum", "mean"]


def pair_masks(membership: Tensor) -> tuple[Tensor, Tensor]:
    """(positive, negative) BoolTensor[U, C, C] from membership [U, C, F] (padding = no cluster)."""
    m = membership.to(torch.float32)
    shared = torch.bmm(m, m.transpose(1, 2)) > 0  # share at least one cluster
    valid = membership.any(-1)  # an item in no cluster takes no part
    both = valid.unsqueeze(2) & valid.unsqueeze(1)
    eye = torch.eye(membership.shape[1], dtype=torch.bool, device=membership.device).unsqueeze(0)
    return shared & both & ~eye, ~shared & both


def per_user_contrastive(
    item_emb: Tensor, items: Tensor, membership: Tensor, tau: float = 0.1, normalize: bool = True,
    reduction: Reduction = "sum",
) -> Tensor:
    """L_u' for every padded synthetic user: Tensor[U] (0 for a user without a usable anchor)."""
    if items.shape != membership.shape[:2]:
        raise DataError(
            f"contrastive: items {tuple(items.shape)} and membership {tuple(membership.shape)} differ"
        )
    if tau <= 0:
        raise DataError(f"contrastive: tau must be positive, got {tau}")
    pos, neg = pair_masks(membership)
    emb = item_emb[items.clamp(min=0)]  # [U, C, d]
    if normalize:
        emb = F.normalize(emb, dim=-1)
    sim = torch.bmm(emb, emb.transpose(1, 2)) / tau  # [U, C, C]
    log_den = torch.logsumexp(sim.masked_fill(~neg, float("-inf")), dim=-1, keepdim=True)  # [U, C, 1]
    anchor = pos.any(-1, keepdim=True) & neg.any(-1, keepdim=True)
    used = pos & anchor
    total = (log_den - sim).masked_fill(~used, 0.0).sum(dim=(1, 2))
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / used.sum(dim=(1, 2)).clamp(min=1)
    raise DataError(f"contrastive: reduction must be 'sum' or 'mean', got {reduction!r}")


def cluster_contrastive_loss(
    item_emb: Tensor, items: Tensor, membership: Tensor, tau: float = 0.1, normalize: bool = True,
    reduction: Reduction = "sum",
) -> Tensor:
    """L_cst = mean over the U given synthetic users of L_u' (scalar)."""
    if items.shape[0] == 0:
        raise DataError("contrastive: no synthetic user given")
    return per_user_contrastive(item_emb, items, membership, tau, normalize, reduction).mean()
