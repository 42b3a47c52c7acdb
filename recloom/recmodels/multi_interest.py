"""Shared skeleton of the multi-interest sequential recommenders (MIND, ComiRec-SA, LARMI).

Batches are sequential: ``item_seq`` LongTensor[B, L] (item ids shifted by +1, 0 = padding, left
or right padded: every layer is padding-invariant) and, for training, ``item`` LongTensor[B]
(0-based target). Windowed batches of :mod:`recloom.recmodels.sequences` (``window``, ``pos``:
sample b predicts from ``item_seq[window[b], :pos[b] + 1]``) are expanded to one prefix per sample.
Only the ``max_len`` most recent items of a history are used. A subclass only builds the interests,
:meth:`interests` -> ([B, K, d], mask [B, K] or None).

Training loss (LARMI Eq. 12): full-softmax InfoNCE over *all* items,
``-log softmax_v(f(u, v))[target]`` per sample, with f either the hard max readout of Eq. 11
(``train_readout="max"``, LARMI) or the score of the interest closest to the target
(``"target"``, the MIND/ComiRec training readout). ``full_scores`` always uses Eq. 11.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recloom.errors import ConfigError, DataError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.layers.capsule import rank_from_end
from recloom.recmodels.layers.readout import max_interest_scores, target_interest_scores

Readout = Literal["max", "target"]


@dataclass
class MultiInterestConfig:
    """Hyperparameters every multi-interest model shares (LARMI appendix C.1 defaults)."""

    dim: int = 64  # embedding size d
    n_interests: int = 4  # K
    max_len: int = 50  # longest history accepted (LARMI truncates to 20)
    train_readout: Readout = "max"  # "max" (Eq. 11) or "target" (MIND/ComiRec hard selection)
    init_std: float = 0.1  # N(0, init_std) item embeddings

    def validate(self) -> None:
        if self.dim <= 0 or self.n_interests <= 0 or self.max_len <= 0:
            raise ConfigError(f"{type(self).__name__}: dim, n_interests, max_len must be positive: {self}")
        if self.train_readout not in ("max", "target"):
            raise ConfigError(
                f"{type(self).__name__}.train_readout must be 'max' or 'target', got {self.train_readout!r}"
            )


def require(batch: Batch, key: str, who: str) -> Tensor:
    """``batch[key]`` or a DataError naming the key and the model that needs it."""
    if key not in batch:
        raise DataError(f"{who}: batch has no {key!r} (keys: {sorted(batch)})")
    return batch[key]


def info_nce(logits: Tensor, target: Tensor) -> Tensor:
    """Eq. 12 per sample: -log(exp(f(u, v+)) / sum_v exp(f(u, v))) over the full item axis -> [B]."""
    return F.cross_entropy(logits, target, reduction="none")


class MultiInterestRecommender(Recommender):
    """Item embeddings, history lookup, Eq. 11 scoring and the Eq. 12 loss; subclasses add interests."""

    def __init__(self, n_users: int, n_items: int, config: MultiInterestConfig) -> None:
        super().__init__(n_users, n_items)
        config.validate()
        self.config = config
        self.item_emb = nn.Embedding(n_items + 1, config.dim, padding_idx=0)
        nn.init.normal_(self.item_emb.weight, std=config.init_std)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()

    @property
    def item_vectors(self) -> Tensor:
        """Embeddings of the n_items real items, row i = item i: [N, d]."""
        return self.item_emb.weight[1:]

    def history(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """(embeddings [B, L, d], mask BoolTensor[B, L]) of the batch's histories."""
        seq = require(batch, "item_seq", type(self).__name__)
        if seq.dim() != 2:
            raise DataError(f"{type(self).__name__}: item_seq must be [B, L], got shape {tuple(seq.shape)}")
        if seq.numel() and (int(seq.max()) > self.n_items or int(seq.min()) < 0):
            raise DataError(f"{type(self).__name__}: item_seq ids outside 0..{self.n_items} (0 = padding)")
        if "window" in batch:
            positions = torch.arange(seq.shape[1], device=seq.device)
            pos = require(batch, "pos", "windowed batch")
            seq = seq[batch["window"]] * (positions[None, :] <= pos[:, None])
        mask = seq > 0
        mask = mask & (rank_from_end(mask) < self.config.max_len)
        return self.item_emb(seq), mask

    @abstractmethod
    def interests(self, batch: Batch) -> tuple[Tensor, Tensor | None]:
        """Interest vectors [B, K, d] and, when some can be absent, their mask BoolTensor[B, K]."""

    def user_interests(self, batch: Batch) -> Tensor:
        return self.interests(batch)[0]

    def train_logits(self, batch: Batch) -> Tensor:
        """Scores [B, N] entering the training softmax (per ``config.train_readout``)."""
        interests, mask = self.interests(batch)
        if self.config.train_readout == "target":
            target = require(batch, "item", type(self).__name__)
            return target_interest_scores(interests, self.item_vectors, target, mask)
        return max_interest_scores(interests, self.item_vectors, mask)

    def per_sample_loss(self, batch: Batch) -> Tensor:
        target = require(batch, "item", type(self).__name__)
        return info_nce(self.train_logits(batch), target)

    def full_scores(self, batch: Batch) -> Tensor:
        interests, mask = self.interests(batch)
        return max_interest_scores(interests, self.item_vectors, mask)
