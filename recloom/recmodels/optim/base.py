"""The optimiser step hook: how one training batch turns into a parameter update.

The trainer calls ``rule.step(model, batch, optimizer)`` once per batch. :class:`PlainStep` is one
forward/backward pass; SAM-style rules (SAM, EISAM, GroupSAM) run several passes and perturb the
weights in between. Every rule returns the *unperturbed* batch loss as a float for logging.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from recloom.recmodels.base import Recommender


@runtime_checkable
class StepRule(Protocol):
    """One parameter update from one batch."""

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        """Update ``model`` through ``optimizer`` from ``batch``; return the unperturbed loss."""
        ...


class PlainStep:
    """zero_grad, one backward pass of ``model.loss(batch)``, optional grad-norm clipping, step."""

    def __init__(self, max_grad_norm: float | None = None) -> None:
        self.max_grad_norm = max_grad_norm

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = model.loss(batch)
        loss.backward()
        if self.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.max_grad_norm)
        optimizer.step()
        return float(loss.detach())
