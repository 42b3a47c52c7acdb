"""GroupSAM step rule: one sharpness-aware ascent per item group present in the batch.

Baseline of the EISAM paper (seed 004, Sec. 6.1.3: group-wise SAM after Wang et al., "Intersectional
Two-sided Fairness in Recommendation", WWW 2024; spec docs methods.md §5.4). SAM is Foret et al.,
ICLR 2021.

Groups come from any item -> group map (data head/tail: ``recloom.recmodels.groups.head_tail_groups``).
With per-sample losses l_k, batch weights b_k (1 if absent) and the samples S_g of group g in B:

    L_g = sum_{k in S_g} b_k l_k / |B|           (so sum_g L_g = L_B), or with ``balance=True``
    L_g = sum_{k in S_g} b_k l_k / (|S_g| * G)   (every present group counts equally)
    eps_g = rho * grad L_g(theta) / (||grad L_g(theta)|| + 1e-12)
    update = sum_g grad L_g(theta + eps_g)

One forward pass at theta and G backward passes there (all ascents are taken before the weights
move), then per group a forward/backward at its perturbed point: about G times SAM's cost, and G
gradient copies of memory. With a single group it is SAM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recloom.errors import ConfigError, DataError
from recloom.recmodels.base import Recommender, weighted_mean
from recloom.recmodels.optim.eisam import require_items
from recloom.recmodels.optim.perturb import (
    Grads,
    apply_update,
    combine,
    grads_of,
    perturbed,
    trainable_params,
)
from recloom.recmodels.optim.sam import check_clip, check_rho


@dataclass(frozen=True)
class GroupSAMParams:
    """rho: radius of every group's perturbation; balance: equal weight per present group."""

    rho: float = 0.05
    balance: bool = False
    max_grad_norm: float | None = None

    def __post_init__(self) -> None:
        check_rho(self.rho)
        check_clip(self.max_grad_norm)


def as_group_map(item_groups: Tensor | np.ndarray | list[int]) -> Tensor:
    """Validate an item -> group id map (1-D, non-negative integers) as a LongTensor."""
    groups = item_groups if isinstance(item_groups, Tensor) else torch.as_tensor(np.asarray(item_groups))
    integer = not (groups.dtype.is_floating_point or groups.dtype.is_complex or groups.dtype == torch.bool)
    if groups.dim() != 1 or groups.numel() == 0 or not integer:
        raise ConfigError(f"item_groups must be a non-empty 1-D integer map item -> group, got "
                          f"{groups.dtype} of shape {tuple(groups.shape)}")
    if int(groups.min()) < 0:
        raise ConfigError(f"item_groups holds a negative group id {int(groups.min())}")
    return groups.to(torch.long)


class GroupSAM:
    """Per-group SAM over ``item_groups`` (item id -> group id, one entry per item)."""

    def __init__(
        self,
        item_groups: Tensor | np.ndarray | list[int],
        rho: float = 0.05,
        balance: bool = False,
        max_grad_norm: float | None = None,
    ) -> None:
        self.item_groups = as_group_map(item_groups)
        self.params = GroupSAMParams(rho=rho, balance=balance, max_grad_norm=max_grad_norm)

    def _sample_groups(self, items: Tensor) -> Tensor:
        table = self.item_groups.to(items.device)
        if items.numel() and (int(items.min()) < 0 or int(items.max()) >= table.numel()):
            raise DataError(f"batch['item'] holds ids outside [0, {table.numel()}) of GroupSAM's item_groups")
        return table[items]

    def _coefficients(self, groups: Tensor, base: Tensor | None, dtype: torch.dtype) -> list[Tensor]:
        """Per present group, the per-sample coefficients c_k with L_g = sum_k c_k l_k."""
        b = torch.ones(groups.shape, dtype=dtype, device=groups.device) if base is None else base.to(dtype)
        present = torch.unique(groups)
        coefs = []
        for g in present:
            mask = (groups == g).to(dtype)
            denom = mask.sum() * len(present) if self.params.balance else float(groups.numel())
            coefs.append(b * mask / denom)
        return coefs

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        require_items(batch, "GroupSAM")
        params = trainable_params(optimizer)
        groups = self._sample_groups(batch["item"])
        per_sample = model.per_sample_loss(batch)
        coefs = self._coefficients(groups, batch.get("weight"), per_sample.dtype)
        last = len(coefs) - 1  # every ascent is taken before any perturbation touches the weights
        ascents = [grads_of((c * per_sample).sum(), params, retain_graph=j < last)
                   for j, c in enumerate(coefs)]
        total: Grads | None = None
        for c, ascent in zip(coefs, ascents, strict=True):
            with perturbed(params, ascent, self.params.rho):
                sharp = grads_of((c * model.per_sample_loss(batch)).sum(), params)
            total = sharp if total is None else combine([(1.0, total), (1.0, sharp)])
        if total is not None:
            apply_update(params, total, optimizer, self.params.max_grad_norm)
        return float(weighted_mean(per_sample, batch.get("weight")).detach())
