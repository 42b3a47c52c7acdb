"""NGCF: neural graph collaborative filtering with bi-interaction message passing.

Paper: X. Wang, X. He, M. Wang, F. Feng, T.-S. Chua, "Neural Graph Collaborative Filtering",
SIGIR 2019. Layer: ``E' = LeakyReLU((L + I) E W1 + b1 + (L E) * E W2 + b2)`` with
``L = D^-1/2 A D^-1/2``, message dropout on E', then row-wise L2 normalisation; the final
embedding concatenates E^0 and every layer's output. BPR loss, L2 on the batch's ego embeddings.
"Node dropout" drops entries of L per forward pass (as the authors' and RecBole's code do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recloom.recmodels import losses
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.graph import Init, SymmetricAdjacency, init_embedding


@dataclass
class NGCFConfig:
    """Hyperparameters of NGCF (defaults: RecBole's)."""

    embedding_dim: int = 64  # size of E^0
    hidden_sizes: list[int] = field(default_factory=lambda: [64, 64, 64])  # output size per layer
    node_dropout: float = 0.0  # probability of dropping each adjacency entry per forward pass
    message_dropout: float = 0.1  # dropout on each layer's output
    reg_weight: float = 1e-5  # weight of the L2 on the batch's ego embeddings
    reg_norm: losses.RegNorm = "squared"
    init: Init = "xavier"


class NGCF(Recommender):
    """NGCF over a training interaction matrix set with :meth:`set_interactions`."""

    config_class = NGCFConfig

    def __init__(self, n_users: int, n_items: int, config: NGCFConfig | None = None,
                 interactions: sp.spmatrix | None = None) -> None:
        super().__init__(n_users, n_items)
        self.config = config or NGCFConfig()
        self.user_emb = nn.Embedding(n_users, self.config.embedding_dim)
        self.item_emb = nn.Embedding(n_items, self.config.embedding_dim)
        for emb in (self.user_emb, self.item_emb):
            init_embedding(emb.weight, self.config.init, 0.1)
        sizes = [self.config.embedding_dim, *self.config.hidden_sizes]
        self.w1 = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.w2 = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.dropout = nn.Dropout(self.config.message_dropout)
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
        """Final (user, item) embeddings: concatenation of E^0 and every normalised layer output."""
        if self.adj is None:
            raise RuntimeError("NGCF has no graph: call set_interactions(train_matrix) first")
        adj = self.adj.dropout(self.config.node_dropout) if self.training else self.adj.csr
        ego = torch.cat([self.user_emb.weight, self.item_emb.weight])
        outputs, layer = [ego], ego
        for w1, w2 in zip(self.w1, self.w2, strict=True):
            side = self.adj.matmul(layer, adj)
            layer = F.leaky_relu(w1(side + layer) + w2(side * layer), negative_slope=0.2)
            layer = self.dropout(layer)
            outputs.append(F.normalize(layer, p=2, dim=1))
        final = torch.cat(outputs, dim=1)
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
