"""LARMI's user-individual semantic interests (seed 001, Eq. 2 and the alignment after Eq. 3).

Clusters are given as membership masks over the history positions, ``cluster_mask`` BoolTensor
[B, F, L] (True = the item at history position l belongs to cluster f); a cluster with no member
is *absent* (padding in F).

* :class:`ClusterAttentionPooling` (Eq. 2): alpha_j = softmax_{j in C_f}(w^T v_j + b),
  h_f = sum_{j in C_f} alpha_j v_j. Absent clusters give h_f = 0.
* :class:`ClusterAlignment` (C3): alpha_kf = softmax_f(m_k^T tanh(W1 h_f)) over the *present*
  clusters, z_k = sum_f alpha_kf h_f. A user with no present cluster gets z_k = 0.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def masked_softmax(logits: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Softmax over ``dim`` restricted to ``mask``; an all-masked slice gives all zeros (not NaN)."""
    filled = logits.masked_fill(~mask, float("-inf"))
    any_valid = mask.any(dim=dim, keepdim=True)
    filled = torch.where(any_valid, filled, torch.zeros_like(filled))
    return torch.softmax(filled, dim=dim) * mask.to(logits.dtype)


class ClusterAttentionPooling(nn.Module):
    """Eq. 2: one attention-pooled vector per cluster, [B, L, d] x [B, F, L] -> [B, F, d]."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)  # w in R^d, b in R

    def forward(self, seq_emb: Tensor, cluster_mask: Tensor) -> Tensor:
        return torch.bmm(self.attention(seq_emb, cluster_mask), seq_emb)

    def attention(self, seq_emb: Tensor, cluster_mask: Tensor) -> Tensor:
        """The weights alpha [B, F, L] themselves (also for the concentration analysis of Fig. 6)."""
        logits = self.score(seq_emb).squeeze(-1).unsqueeze(1).expand_as(cluster_mask)  # [B, F, L]
        return masked_softmax(logits, cluster_mask, dim=-1)


class ClusterAlignment(nn.Module):
    """C3: aggregate present clusters h [B, F, d] into one vector per capsule m [B, K, d]."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.W1 = nn.Linear(dim, dim, bias=False)

    def weights(self, capsules: Tensor, clusters: Tensor, present: Tensor) -> Tensor:
        """alpha_kf [B, K, F]; ``present`` BoolTensor[B, F]."""
        logits = torch.bmm(capsules, torch.tanh(self.W1(clusters)).transpose(1, 2))  # [B, K, F]
        mask = present.unsqueeze(1).expand_as(logits)
        return masked_softmax(logits, mask, dim=-1)

    def forward(self, capsules: Tensor, clusters: Tensor, present: Tensor) -> Tensor:
        return torch.bmm(self.weights(capsules, clusters, present), clusters)
