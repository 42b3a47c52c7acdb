"""SASRec: self-attentive sequential recommendation (causal Transformer over the item history).

Paper: W.-C. Kang, J. McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018. Item and
learned positional embeddings, LayerNorm and dropout, ``n_layers`` causal self-attention blocks;
the output at a position scores the next item by a dot product with the (shared) item embeddings.
Loss: cross-entropy over all items (RecBole's default, no negatives) or the paper's BCE with sampled
negatives (``neg_item`` in the batch). Batches follow :mod:`recloom.recmodels.sequences`: items
shifted by +1, 0 = padding, right-padded, so one pass over a window serves all of its targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recloom.recmodels import losses
from recloom.recmodels.base import Batch, Recommender


@dataclass
class SASRecConfig:
    """Hyperparameters of SASRec (sizes as RecBole; dropout as the paper's ML-1M setting)."""

    hidden_size: int = 64  # item/position embedding and model width
    n_layers: int = 2  # self-attention blocks
    n_heads: int = 2  # attention heads
    inner_size: int = 256  # feed-forward width
    dropout: float = 0.2  # on embeddings, attention and feed-forward
    maxlen: int = 50  # longest history window (positions)
    loss: Literal["ce", "bce"] = "ce"  # CE over all items, or BCE with batch['neg_item']
    init_std: float = 0.02  # Normal init of embeddings and linear layers


class SASRec(Recommender):
    """Causal self-attention next-item model."""

    config_class = SASRecConfig

    def __init__(self, n_users: int, n_items: int, config: SASRecConfig | None = None) -> None:
        super().__init__(n_users, n_items)
        self.config = c = config or SASRecConfig()
        if c.loss not in ("ce", "bce"):
            raise ValueError(f"SASRec loss must be 'ce' or 'bce', got {c.loss!r}")
        self.item_emb = nn.Embedding(n_items + 1, c.hidden_size, padding_idx=0)
        self.pos_emb = nn.Embedding(c.maxlen, c.hidden_size)
        self.norm = nn.LayerNorm(c.hidden_size, eps=1e-12)
        self.dropout = nn.Dropout(c.dropout)
        layer = nn.TransformerEncoderLayer(c.hidden_size, c.n_heads, c.inner_size, c.dropout,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, c.n_layers, enable_nested_tensor=False)
        self.apply(self._init_weights)
        causal = torch.triu(torch.full((c.maxlen, c.maxlen), float("-inf")), diagonal=1)
        self.register_buffer("causal_mask", causal, persistent=False)

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=self.config.init_std)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()

    def encode(self, item_seq: Tensor) -> Tensor:
        """Hidden states [S, L, d] of right-padded windows [S, L]; row j sees positions <= j only.

        Padded positions never feed a real one (they come after it), so no key mask is needed.
        """
        length = item_seq.shape[1]
        if length > self.config.maxlen:
            raise ValueError(f"item_seq has {length} positions, maxlen is {self.config.maxlen}")
        positions = torch.arange(length, device=item_seq.device)
        x = self.item_emb(item_seq) + self.pos_emb(positions)[None]
        x = self.dropout(self.norm(x))
        return self.encoder(x, mask=self.causal_mask[:length, :length], is_causal=True)

    def _outputs(self, batch: Batch) -> Tensor:
        """Hidden state [B, d] that predicts each sample's next item."""
        hidden = self.encode(batch["item_seq"])
        if "window" in batch:
            return hidden[batch["window"], batch["pos"]]
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        return hidden[rows, batch["seq_len"] - 1]

    def per_sample_loss(self, batch: Batch) -> Tensor:
        h = self._outputs(batch)
        if self.config.loss == "ce":
            logits = h @ self.item_emb.weight[1:].T
            return F.cross_entropy(logits, batch["item"], reduction="none")
        if "neg_item" not in batch:
            raise ValueError("SASRec with loss='bce' needs batch['neg_item'] (build data with n_neg >= 1)")
        pos = (h * self.item_emb(batch["item"] + 1)).sum(-1)
        neg_emb = self.item_emb(batch["neg_item"] + 1)
        neg = (h[:, None, :] * neg_emb).sum(-1) if neg_emb.dim() == 3 else (h * neg_emb).sum(-1)
        return losses.binary_ce(pos, neg)

    def full_scores(self, batch: Batch) -> Tensor:
        return self._outputs(batch) @ self.item_emb.weight[1:].T
