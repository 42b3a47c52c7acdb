"""SAM step rule: sharpness-aware minimisation with one ascent step.

Paper: Foret, Kleiner, Mobahi, Neyshabur, "Sharpness-Aware Minimization for Efficiently Improving
Generalization", ICLR 2021 (used for collaborative filtering by Chen et al., SIGIR 2023, and as a
baseline in the EISAM paper, seed 004).

Per batch: g = grad L_B(w); eps = rho * g / (||g||_2 + 1e-12) (norm over all trainable parameters
jointly); g_SAM = grad L_B(w + eps); restore w; the optimiser steps with g_SAM. Two forward and two
backward passes. With rho = 0 it is plain training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.optim.perturb import apply_update, grads_of, perturbed, trainable_params


@dataclass(frozen=True)
class SAMParams:
    """rho: perturbation radius (EISAM release: 0.05); max_grad_norm: optional clipping of g_SAM."""

    rho: float = 0.05
    max_grad_norm: float | None = None

    def __post_init__(self) -> None:
        check_rho(self.rho)
        check_clip(self.max_grad_norm)


def check_rho(rho: float) -> None:
    """rho must be a finite, non-negative radius."""
    if not (rho >= 0.0 and rho < float("inf")):
        raise ConfigError(f"rho must be a finite number >= 0, got {rho}")


def check_clip(max_grad_norm: float | None) -> None:
    """max_grad_norm is None or positive."""
    if max_grad_norm is not None and not max_grad_norm > 0:
        raise ConfigError(f"max_grad_norm must be > 0 or None, got {max_grad_norm}")


class SAM:
    """Sharpness-aware step rule on ``model.loss(batch)`` (respects ``batch['weight']``)."""

    def __init__(self, rho: float = 0.05, max_grad_norm: float | None = None) -> None:
        self.params = SAMParams(rho=rho, max_grad_norm=max_grad_norm)

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        params = trainable_params(optimizer)
        loss = model.loss(batch)
        ascent = grads_of(loss, params)
        with perturbed(params, ascent, self.params.rho):
            sharp = grads_of(model.loss(batch), params)
        apply_update(params, sharp, optimizer, self.params.max_grad_norm)
        return float(loss.detach())
