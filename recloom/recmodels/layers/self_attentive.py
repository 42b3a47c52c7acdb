"""ComiRec-SA's self-attentive multi-interest extractor (Cen et al., KDD 2020, Sec. 3.2).

For a history H in R^{L x d} (plus learned position embeddings, ComiRec's ``add_pos``):

    A = softmax_L( W2 tanh(W1 H^T) )    in R^{K x L}   (padded positions masked out)
    V_u = A H                           in R^{K x d}

with W1 in R^{d_a x d} (d_a = 4d in ComiRec) and W2 in R^{K x d_a}. Position embeddings are indexed
by the distance from the most recent item, so left or right padding does not move them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from recloom.errors import ConfigError
from recloom.recmodels.layers.capsule import rank_from_end
from recloom.recmodels.layers.cluster_attention import masked_softmax


class SelfAttentiveInterests(nn.Module):
    """[B, L, d] history + BoolTensor[B, L] mask -> [B, K, d] interests."""

    def __init__(self, dim: int, n_interests: int, hidden: int | None = None, max_len: int = 0) -> None:
        super().__init__()
        if dim <= 0 or n_interests <= 0:
            raise ConfigError(
                f"SelfAttentiveInterests: dim and n_interests must be positive, got {dim}, {n_interests}"
            )
        self.W1 = nn.Linear(dim, hidden or 4 * dim)
        self.W2 = nn.Linear(hidden or 4 * dim, n_interests, bias=False)
        self.max_len = max_len
        self.pos = nn.Embedding(max_len, dim) if max_len > 0 else None

    def forward(self, seq_emb: Tensor, mask: Tensor) -> Tensor:
        attn = self.attention(seq_emb, mask)  # [B, K, L]
        return torch.bmm(attn, seq_emb)

    def attention(self, seq_emb: Tensor, mask: Tensor) -> Tensor:
        """Attention weights A [B, K, L]; padded positions get weight 0."""
        keys = seq_emb
        if self.pos is not None:
            longest = int(mask.sum(-1).max()) if mask.numel() else 0
            if longest > self.max_len:
                raise ConfigError(
                    f"SelfAttentiveInterests: history length {longest} exceeds max_len={self.max_len}"
                )
            # positions counted back from the most recent item, so padding never moves real items
            keys = seq_emb + self.pos(rank_from_end(mask))
        logits = self.W2(torch.tanh(self.W1(keys))).transpose(1, 2)  # [B, K, L]
        return masked_softmax(logits, mask.unsqueeze(1).expand_as(logits), dim=-1)
