"""LightGCN: linear propagation over the normalised user-item graph, layer mean, BPR loss.

Paper: X. He, K. Deng, X. Wang, Y. Li, Y. Zhang, M. Wang, "LightGCN: Simplifying and Powering Graph
Convolution Network for Recommendation", SIGIR 2020. ``E^{k+1} = D^-1/2 A D^-1/2 E^k``, final
embedding ``mean_k E^k`` (alpha_k = 1/(K+1)); L2 only on the ego embeddings ``E^0`` of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import scipy.sparse as sp
import torch
from torch import Tensor, nn

from recloom.recmodels import losses
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.graph import Init, SymmetricAdjacency, init_embedding


@dataclass
class LightGCNConfig:
    """Hyperparameters of LightGCN."""

    embedding_dim: int = 64  # size of E^0
    n_layers: int = 3  # propagation layers K (paper's headline setting; RecBole's default is 2)
    reg_weight: float = 1e-4  # lambda of the L2 on the batch's ego embeddings
    reg_norm: losses.RegNorm = "squared"  # the paper's ||E^0||^2; RecBole uses "unsquared"
    init: Init = "normal"  # Normal(0, init_std) as the authors' code; "xavier" as RecBole
    init_std: float = 0.1


class LightGCN(Recommender):
    """LightGCN over a training interaction matrix set with :meth:`set_interactions`."""

    config_class = LightGCNConfig

    def __init__(self, n_users: int, n_items: int, config: LightGCNConfig | None = None,
                 interactions: sp.spmatrix | None = None) -> None:
        super().__init__(n_users, n_items)
        self.config = config or LightGCNConfig()
        self.user_emb = nn.Embedding(n_users, self.config.embedding_dim)
        self.item_emb = nn.Embedding(n_items, self.config.embedding_dim)
        for emb in (self.user_emb, self.item_emb):
            init_embedding(emb.weight, self.config.init, self.config.init_std)
        self.adj: SymmetricAdjacency | None = None
        self._cache: tuple[Tensor, Tensor] | None = None
        if interactions is not None:
            self.set_interactions(interactions)

    def set_interactions(self, interactions: sp.spmatrix) -> None:
        """(Re)build the graph from a user×item matrix, e.g. after edges were added between epochs."""
        if interactions.shape != (self.n_users, self.n_items):
            raise ValueError(f"interactions have shape {interactions.shape}, model "
                             f"({self.n_users}, {self.n_items})")
        self.adj = SymmetricAdjacency(interactions)
        self.invalidate_cache()

    def invalidate_cache(self) -> None:
        self._cache = None

    def propagate(self) -> tuple[Tensor, Tensor]:
        """Final (user, item) embeddings: the mean of E^0..E^K."""
        if self.adj is None:
            raise RuntimeError("LightGCN has no graph: call set_interactions(train_matrix) first")
        ego = torch.cat([self.user_emb.weight, self.item_emb.weight])
        total, layer = ego, ego
        for _ in range(self.config.n_layers):
            layer = self.adj.matmul(layer)
            total = total + layer
        final = total / (self.config.n_layers + 1)
        return final[: self.n_users], final[self.n_users:]

    def per_sample_loss(self, batch: Batch) -> Tensor:
        users, items = self.propagate()
        u, i, j = users[batch["user"]], items[batch["item"]], items[batch["neg_item"]]
        pos = (u * i).sum(-1)
        neg = (u[:, None, :] * j).sum(-1) if j.dim() == 3 else (u * j).sum(-1)
        loss = losses.bpr(pos, neg)
        if self.config.reg_weight > 0:
            ego = [self.user_emb(batch["user"]), self.item_emb(batch["item"]),
                   self.item_emb(batch["neg_item"])]
            loss = loss + self.config.reg_weight * losses.embedding_l2(ego, self.config.reg_norm)
        return loss

    def full_scores(self, batch: Batch) -> Tensor:
        if self.training:
            users, items = self.propagate()
        else:
            if self._cache is None:
                self._cache = tuple(t.detach() for t in self.propagate())  # type: ignore[assignment]
            users, items = self._cache  # type: ignore[misc]
        return users[batch["user"]] @ items.T
