"""EISAM step rule: Efficient Item-wise Sharpness-Aware Minimization.

Paper: Zhang, Li, Feng, Zhang, Li, Zhou, Chen, "Taming the Long Tail: Efficient Item-wise
Sharpness-Aware Minimization for LLM-based Recommender Systems", 2026 (seed 004, Sec. 5.2,
Algorithm 1; spec docs methods.md §5.3, §5.7).

Objective J = L_S + lambda * max_{||eps||<=rho} sum_i f(q_i) IS^(i)(theta, eps). Per batch B with
per-sample losses l_k and item weights w_k (see :mod:`weights`):

    L_B = mean_k l_k,   L^w_B = mean_k w_k l_k
    g_w = grad L^w_B(theta);            eps = rho * g_w / (||g_w||_2 + 1e-12)
    g_2 = grad [L_B - lambda L^w_B](theta)
    g_1 = grad L^w_B(theta + eps)
    the optimiser steps with lambda * g_1 + g_2                                    (Eq. 11)

g_w and g_2 come from one forward pass at theta (the graph is kept for the second backward), so a
step costs two forward and three backward passes (SAM: two and two). ``code_variant=True``
reproduces the released trainer, where both terms use the weighted loss (L_B := L^w_B): the update
is lambda * g_1 + (1 - lambda) * g_w and needs only SAM's two backward passes.

Limits (tested): rho = 0 or lambda = 0 give plain training on L_B; uniform weights and lambda = 1
give SAM; the code variant with rho = 0 is re-weighting (:class:`ReWeight`).
A ``batch['weight']`` multiplies both L_B and L^w_B per sample, as in :meth:`Recommender.loss`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender, weighted_mean
from recloom.recmodels.optim.perturb import apply_update, combine, grads_of, perturbed, trainable_params
from recloom.recmodels.optim.sam import check_clip, check_rho
from recloom.recmodels.optim.weights import ItemWeights


@dataclass(frozen=True)
class EISAMParams:
    """rho, lam (lambda) default to the released configs (0.05, 0.5); code_variant: see module doc."""

    rho: float = 0.05
    lam: float = 0.5
    code_variant: bool = False
    max_grad_norm: float | None = None

    def __post_init__(self) -> None:
        check_rho(self.rho)
        check_clip(self.max_grad_norm)
        if not (self.lam >= 0.0 and self.lam < float("inf")):
            raise ConfigError(f"EISAM lam (lambda) must be a finite number >= 0, got {self.lam}")


def require_items(batch: dict[str, Tensor], rule: str) -> None:
    """Item-wise rules key on batch['item']; say so before any forward pass."""
    if "item" not in batch:
        raise ConfigError(
            f"{rule} needs batch['item'] (the target item of each sample); batch has {sorted(batch)}"
        )


def item_weighted_losses(
    per_sample: Tensor, batch: dict[str, Tensor], weights: ItemWeights
) -> tuple[Tensor, Tensor]:
    """(L_B, L^w_B): the batch loss and its item-weighted version, both honouring batch['weight']."""
    base = batch.get("weight")
    w = weights.for_items(batch["item"]).to(per_sample.dtype)
    if base is not None:
        w = w * base.to(per_sample.dtype)
    return weighted_mean(per_sample, base), weighted_mean(per_sample, w)


class EISAM:
    """Item-wise SAM with frequency weights from ``weights`` (build them from the training targets)."""

    def __init__(
        self,
        weights: ItemWeights,
        rho: float = 0.05,
        lam: float = 0.5,
        code_variant: bool = False,
        max_grad_norm: float | None = None,
    ) -> None:
        if not isinstance(weights, ItemWeights):
            raise ConfigError(f"EISAM needs ItemWeights, got {type(weights).__name__}")
        self.weights = weights
        self.params = EISAMParams(rho=rho, lam=lam, code_variant=code_variant, max_grad_norm=max_grad_norm)

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        require_items(batch, "EISAM")
        lam = self.params.lam
        params = trainable_params(optimizer)
        loss, wloss = item_weighted_losses(model.per_sample_loss(batch), batch, self.weights)
        if self.params.code_variant:
            g_w = grads_of(wloss, params)
            unperturbed = [(1.0 - lam, g_w)]
        else:
            g_w = grads_of(wloss, params, retain_graph=True)
            unperturbed = [(1.0, grads_of(loss - lam * wloss, params))]
        with perturbed(params, g_w, self.params.rho):
            _, wloss_sharp = item_weighted_losses(model.per_sample_loss(batch), batch, self.weights)
            g_1 = grads_of(wloss_sharp, params)
        apply_update(params, combine([(lam, g_1), *unperturbed]), optimizer, self.params.max_grad_norm)
        return float(loss.detach())
