"""RW step rule: re-weighting the per-sample loss by item popularity, one backward pass.

Baseline of the EISAM paper (seed 004, Sec. 6.1.3, after Jiang et al., "Item-side Fairness of Large
Language Model-based Recommendation System", WWW 2024): the training loss is
L^w_B = mean_k w_k l_k with w_k from the target item's training frequency through a weighting
function f (see :mod:`weights`; ``ItemWeights.from_counts(..., groups=...)`` gives group weights).
A ``batch['weight']`` multiplies in. Equals EISAM's code variant with rho = 0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.optim.eisam import item_weighted_losses, require_items
from recloom.recmodels.optim.sam import check_clip
from recloom.recmodels.optim.weights import ItemWeights


class ReWeight:
    """Plain step on the item-weighted loss; returns the unweighted batch loss for logging."""

    def __init__(self, weights: ItemWeights, max_grad_norm: float | None = None) -> None:
        if not isinstance(weights, ItemWeights):
            raise ConfigError(f"ReWeight needs ItemWeights, got {type(weights).__name__}")
        check_clip(max_grad_norm)
        self.weights = weights
        self.max_grad_norm = max_grad_norm

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        require_items(batch, "ReWeight")
        optimizer.zero_grad(set_to_none=True)
        loss, wloss = item_weighted_losses(model.per_sample_loss(batch), batch, self.weights)
        wloss.backward()
        if self.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.max_grad_norm)
        optimizer.step()
        return float(loss.detach())
