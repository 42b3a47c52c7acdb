"""MF-BPR: matrix factorisation trained with Bayesian Personalised Ranking.

Paper: S. Rendle, C. Freudenthaler, Z. Gantner, L. Schmidt-Thieme, "BPR: Bayesian Personalized
Ranking from Implicit Feedback", UAI 2009. Score ``<p_u, q_i>``; loss ``softplus(s_uj - s_ui)`` on
pairwise batches (``user``, ``item``, ``neg_item``), plus an optional L2 on the batch embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from recloom.recmodels import losses
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.graph import Init, init_embedding


@dataclass
class MFConfig:
    """Hyperparameters of MF-BPR."""

    embedding_dim: int = 64  # size of user and item vectors
    reg_weight: float = 0.0  # weight of the L2 penalty on the batch's embeddings (RecBole BPR: none)
    reg_norm: losses.RegNorm = "squared"  # see losses.embedding_l2
    init: Init = "xavier_normal"  # RecBole BPR's initialisation
    init_std: float = 0.1  # std of the "normal" init


class MF(Recommender):
    """Matrix factorisation with BPR loss."""

    config_class = MFConfig

    def __init__(self, n_users: int, n_items: int, config: MFConfig | None = None) -> None:
        super().__init__(n_users, n_items)
        self.config = config or MFConfig()
        self.user_emb = nn.Embedding(n_users, self.config.embedding_dim)
        self.item_emb = nn.Embedding(n_items, self.config.embedding_dim)
        for emb in (self.user_emb, self.item_emb):
            init_embedding(emb.weight, self.config.init, self.config.init_std)

    def per_sample_loss(self, batch: Batch) -> Tensor:
        u = self.user_emb(batch["user"])
        i = self.item_emb(batch["item"])
        j = self.item_emb(batch["neg_item"])
        pos = (u * i).sum(-1)
        neg = (u[:, None, :] * j).sum(-1) if j.dim() == 3 else (u * j).sum(-1)
        loss = losses.bpr(pos, neg)
        if self.config.reg_weight > 0:
            loss = loss + self.config.reg_weight * losses.embedding_l2([u, i, j], self.config.reg_norm)
        return loss

    def full_scores(self, batch: Batch) -> Tensor:
        return self.user_emb(batch["user"]) @ self.item_emb.weight.T
