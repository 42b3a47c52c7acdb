"""Behaviour-to-interest capsule routing (MIND, Li et al. CIKM 2019; LARMI appendix Eqs. 14-15).

For the valid (non-padded) history items v_1..v_L of one user and a shared map W in R^{d x d}:

    u_j  = W v_j                                  (prediction vectors)
    b_jk = softmax_k(g_jk)                        (routing weights; padded j get b_jk = 0)
    m_k  = sum_j b_jk u_j,   e_k = squash(m_k)    (squash(x) = |x|^2 / (1 + |x|^2) * x / |x|)
    g_jk <- g_jk + u_j^T e_k

LARMI writes the update as ``v_j^T W e_k``; we use ``(W v_j)^T e_k`` (MIND / ComiRec-DR), the
agreement between an item's own prediction vector and the capsule it feeds. Conventions fixed by
methods.md §2.6: 3 iterations; routing logits initialised N(0, 1) and not learned; prediction vectors
detached in every iteration but the last (gradients flow through the last pass only); the output
capsules are the squashed e_k. The N(0, 1) initial logits are a fixed buffer (as in MIND's original
implementation) indexed by each real item's rank from the most recent one, so that neither left nor
right padding shifts the logits of real items, and evaluation is deterministic.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from recloom.errors import ConfigError

_EPS = 1e-9


def rank_from_end(mask: Tensor) -> Tensor:
    """For BoolTensor[B, L]: 0 for the last real item of a row, 1 for the one before, ...; 0 on padding."""
    ranks = mask.flip(-1).long().cumsum(-1).flip(-1) - 1
    return ranks.clamp(min=0) * mask


def squash(x: Tensor, dim: int = -1) -> Tensor:
    """Capsule non-linearity: keeps the direction, maps the norm n to n^2 / (1 + n^2) < 1."""
    sq = (x * x).sum(dim=dim, keepdim=True)
    return x * (sq / (1.0 + sq)) / torch.sqrt(sq + _EPS)


class CapsuleRouting(nn.Module):
    """Dynamic routing from a padded history [B, L, d] to K interest capsules [B, K, d].

    Args:
        dim: embedding size d.
        n_interests: K.
        n_iters: routing iterations (3).
        max_len: longest history accepted (rows of the fixed initial-logit buffer).

    Example::

        caps = CapsuleRouting(dim=8, n_interests=4)
        out = caps(torch.randn(2, 5, 8), torch.ones(2, 5, dtype=torch.bool))
        assert out.shape == (2, 4, 8)
    """

    def __init__(self, dim: int, n_interests: int, n_iters: int = 3, max_len: int = 200) -> None:
        super().__init__()
        if dim <= 0 or n_interests <= 0 or n_iters <= 0 or max_len <= 0:
            raise ConfigError(
                f"CapsuleRouting: dim, n_interests, n_iters, max_len must be positive, got "
                f"{dim}, {n_interests}, {n_iters}, {max_len}"
            )
        self.dim = dim
        self.n_interests = n_interests
        self.n_iters = n_iters
        self.max_len = max_len
        self.W = nn.Linear(dim, dim, bias=False)
        self.register_buffer("init_logits", torch.randn(max_len, n_interests))

    def forward(self, seq_emb: Tensor, mask: Tensor) -> Tensor:
        """``seq_emb`` [B, L, d], ``mask`` BoolTensor[B, L] (True = real item) -> capsules [B, K, d]."""
        longest = int(mask.sum(-1).max()) if mask.numel() else 0
        if longest > self.max_len:
            raise ConfigError(f"CapsuleRouting: history length {longest} exceeds max_len={self.max_len}")
        u_hat = self.W(seq_emb)  # [B, L, d]
        logits = self.init_logits[rank_from_end(mask)]  # [B, L, K]
        keep = mask.unsqueeze(-1).to(seq_emb.dtype)  # [B, L, 1]
        capsules = seq_emb.new_zeros(seq_emb.shape[0], self.n_interests, self.dim)
        for it in range(self.n_iters):
            last = it == self.n_iters - 1
            u = u_hat if last else u_hat.detach()
            weights = torch.softmax(logits, dim=-1) * keep  # [B, L, K], padded rows are 0
            capsules = squash(torch.einsum("blk,bld->bkd", weights, u))
            if not last:
                logits = logits + torch.einsum("bld,bkd->blk", u, capsules)
        return capsules
