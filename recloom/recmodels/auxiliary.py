"""Periodic auxiliary losses (LARMI Eq. 13: L = L_rec + lambda * L_cst, with L_cst back-propagated
only every floor(1/lambda) iterations).

How the trainer triggers it, without any change to the trainer: the auxiliary term rides on the
*step rule*. :class:`PeriodicAuxiliaryStep` wraps any :class:`~recloom.recmodels.optim.base.StepRule`
(PlainStep by default, SAM-style rules too) and counts the batches. On every ``period``-th batch it
switches the model's auxiliary weight on for the duration of that one inner step, so every forward
pass of that step (SAM runs two) computes ``model.loss(batch) = L_rec + weight * L_aux``; on other
batches the loss is L_rec alone. Models opt in through :class:`AuxiliaryLossMixin`.

Weight on a trigger step: by default ``lambda * period`` (about 1 for lambda = 0.01), so that the
expected per-iteration weight is lambda and the periodic schedule approximates back-propagating
``lambda * L_cst`` every iteration (the paper reports the two strategies perform alike for
lambda >= 1e-2). ``period=1`` with weight lambda is the every-iteration strategy.

The value a step returns (the trainer's logged loss) is L_rec alone; the auxiliary value of that
(first, unperturbed) forward pass is kept in ``last_aux_loss``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from recloom.errors import ConfigError
from recloom.recmodels.base import Batch, Recommender, weighted_mean
from recloom.recmodels.optim.base import PlainStep, StepRule


class AuxiliaryLossMixin:
    """Adds ``weight * auxiliary_loss()`` to :meth:`loss` while an auxiliary weight is switched on.

    Put it before :class:`Recommender` in the bases and override :meth:`auxiliary_loss`.
    """

    _aux_weight: float = 0.0
    last_auxiliary_loss: float | None = None
    auxiliary_values: list[float] | None = None  # every value computed since the rule reset it

    def auxiliary_loss(self) -> Tensor | None:
        """The auxiliary objective (scalar), or None when the model has none to offer."""
        return None

    @contextmanager
    def auxiliary_weight(self, weight: float) -> Iterator[None]:
        """Within the block, :meth:`loss` includes ``weight * auxiliary_loss()``."""
        previous, self._aux_weight = self._aux_weight, float(weight)
        try:
            yield
        finally:
            self._aux_weight = previous

    def loss(self, batch: Batch) -> Tensor:
        base = weighted_mean(self.per_sample_loss(batch), batch.get("weight"))  # type: ignore[attr-defined]
        if self._aux_weight == 0.0:
            return base
        aux = self.auxiliary_loss()
        if aux is None:
            return base
        self.last_auxiliary_loss = float(aux.detach())
        if self.auxiliary_values is not None:
            self.auxiliary_values.append(self.last_auxiliary_loss)
        return base + self._aux_weight * aux


class PeriodicAuxiliaryStep:
    """A StepRule: ``inner`` on every batch, with the model's auxiliary loss on every ``period``-th.

    Args:
        lam: lambda of Eq. 13 (> 0).
        period: batches between auxiliary updates; default floor(1 / lam).
        trigger_weight: weight of the auxiliary loss on a trigger batch; default lam * period.
        inner: the step rule doing the update (PlainStep()).
    """

    def __init__(self, lam: float = 0.01, period: int | None = None, trigger_weight: float | None = None,
                 inner: StepRule | None = None) -> None:
        if not lam > 0:
            raise ConfigError(f"PeriodicAuxiliaryStep: lambda must be > 0, got {lam}")
        self.period = period if period is not None else max(1, math.floor(1.0 / lam))
        if self.period < 1:
            raise ConfigError(f"PeriodicAuxiliaryStep: period must be >= 1, got {self.period}")
        self.weight = trigger_weight if trigger_weight is not None else lam * self.period
        self.inner: StepRule = inner or PlainStep()
        self.n_steps = 0
        self.n_aux_updates = 0
        self.last_aux_loss: float | None = None

    def is_trigger(self) -> bool:
        """Whether the next batch carries the auxiliary loss (batches period, 2*period, ...)."""
        return (self.n_steps + 1) % self.period == 0

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        if not isinstance(model, AuxiliaryLossMixin):
            raise ConfigError(f"PeriodicAuxiliaryStep: {type(model).__name__} has no auxiliary loss")
        trigger = self.is_trigger()
        self.n_steps += 1
        if not trigger:
            return self.inner.step(model, batch, optimizer)
        self.n_aux_updates += 1
        model.auxiliary_values = []
        try:
            with model.auxiliary_weight(self.weight):
                total = self.inner.step(model, batch, optimizer)
            values = model.auxiliary_values
        finally:
            model.auxiliary_values = None
        if not values:
            return total
        # the rule returns its first (unperturbed) pass: report L_rec of that pass
        self.last_aux_loss = values[0]
        return total - self.weight * values[0]
