"""The recommender model contract shared by every torch model, the trainer and the step rules.

A batch is a ``dict[str, Tensor]``. Every *training* batch has ``item`` (LongTensor[B]): the positive
or target item each sample is about; item-wise optimisers (EISAM, GroupSAM) and re-weighting key on
it. Pairwise batches also carry ``user`` and ``neg_item`` (LongTensor[B] or [B, n_neg]); sequential
batches carry ``item_seq`` (LongTensor[B, L], left-padded with 0, items shifted by +1) and
``seq_len`` (LongTensor[B]). An optional ``weight`` (FloatTensor[B]) re-weights samples in
:meth:`Recommender.loss`.

Evaluation batches have ``user`` (pairwise / graph models) or ``item_seq`` + ``seq_len``
(sequential models); :meth:`Recommender.full_scores` returns one row of scores over all items each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

Batch = dict[str, Tensor]


def weighted_mean(per_sample: Tensor, weight: Tensor | None) -> Tensor:
    """Mean of ``per_sample`` losses, weighted by ``weight`` when given.

    The weighted mean is ``sum(w * l) / B`` (not ``/ sum(w)``): re-weighting schemes (IPS, RW,
    DRO-style group weights) hand in weights whose scale is meaningful, and uniform weights of 1
    reproduce the plain mean exactly.
    """
    if weight is None:
        return per_sample.mean()
    if weight.shape != per_sample.shape:
        raise ValueError(f"batch['weight'] has shape {tuple(weight.shape)}, losses {tuple(per_sample.shape)}")
    return (weight.to(per_sample.dtype) * per_sample).sum() / per_sample.numel()


class Recommender(nn.Module, ABC):
    """Base class: ``per_sample_loss``, ``loss`` and ``full_scores`` over ``n_items`` items."""

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__()
        if n_users <= 0 or n_items <= 0:
            raise ValueError(f"n_users and n_items must be positive, got {n_users}, {n_items}")
        self.n_users = int(n_users)
        self.n_items = int(n_items)

    @abstractmethod
    def per_sample_loss(self, batch: Batch) -> Tensor:
        """Unreduced training loss, one value per sample: Tensor[B]."""

    def loss(self, batch: Batch) -> Tensor:
        """Scalar training loss: the mean of :meth:`per_sample_loss`, weighted by ``batch['weight']``."""
        return weighted_mean(self.per_sample_loss(batch), batch.get("weight"))

    @abstractmethod
    def full_scores(self, batch: Batch) -> Tensor:
        """Scores of every item for each user / sequence of the batch: Tensor[B, n_items]."""

    def user_interests(self, batch: Batch) -> Tensor:
        """Per-user interest vectors Tensor[B, K, d]; only multi-interest models implement it."""
        raise NotImplementedError(f"{type(self).__name__} is not a multi-interest model")

    def invalidate_cache(self) -> None:
        """Drop cached inference-time state (propagated embeddings). No-op unless a model caches."""

    def train(self, mode: bool = True) -> Recommender:
        """Switch mode and drop caches, so that scores never come from stale propagated embeddings."""
        self.invalidate_cache()
        return super().train(mode)

    @property
    def device(self) -> torch.device:
        """Device of the model's first parameter (CPU for a parameterless model)."""
        for p in self.parameters():
            return p.device
        return torch.device("cpu")
