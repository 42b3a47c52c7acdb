"""Group influence of users on the training trajectory (ToP-Rec Definition 1, k-step influence).

Paper: "Tree of Preferences for Diversified Recommendation" (ToP-Rec, NeurIPS 2025, seed 000),
Definition 1: ``Inf_u = sum_{s=t-k}^{t} <grad l(u; θ_{s-1}), θ_s - θ_{s-1}>``. Realisation
(methods.md §1.2 S6 [CODE] and §1.6):

1. users are split at random into ``G`` equal groups (re-drawn after every augmentation round by
   :meth:`InfluenceTracker.new_round`); a group's loss on a batch is the mean per-sample loss of
   the batch samples whose user is in the group (0 when none is);
2. every optimiser step ``s`` adds ``<grad l_g(θ_{s-1}), dθ_s>`` restricted to a reduced dimension
   (:mod:`recloom.recmodels.influence_reduce`: top-|dθ| mask per tensor, or a count sketch);
3. the step increments are summed per epoch and min–max normalised across groups; the epoch
   vectors since the last round are summed with the last ``k`` epochs counted twice;
4. the top group (excluding users already augmented) is selected.

``sign="literal"`` uses the formula as written (what the released code ranks by); ``"descent"``
uses ``-grad l_g`` (groups whose descent direction agrees with the update score high).

All ``G`` inner products of a step come from one double-backward pass: with per-sample losses
``l_b``, ``d/dw <grad sum_b w_b l_b, v> = (<grad l_b, v>)_b`` and a group's value is the mean over
its samples. The gradient is taken at ``θ_{s-1}`` (a snapshot, via ``functional_call``) with the
torch RNG state the step itself saw (same dropout masks); the training run is left bit-identical.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call

from recloom.errors import ConfigError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.callbacks import Callback, EpochLog
from recloom.recmodels.influence_reduce import CountSketch, topk_mask_direction

if TYPE_CHECKING:
    from recloom.recmodels.trainer import Trainer


@dataclass
class InfluenceConfig:
    """Hyperparameters of group influence (defaults: methods.md §1.6)."""

    n_groups: int = 20  # G
    reduction: Literal["topk", "sketch"] = "topk"
    topk_per_tensor: int = 512  # D of the top-|dθ| mask, per parameter tensor
    sketch_dim: int = 8192  # D of the count sketch, over all parameters
    k_epochs: int = 3  # the last k epochs before a round count twice
    sign: Literal["literal", "descent"] = "literal"
    normalise: bool = True  # min-max normalise each epoch's vector across groups
    seed: int = 0  # group partitions and the sketch

    def __post_init__(self) -> None:
        if self.n_groups < 1:
            raise ConfigError(f"influence n_groups must be >= 1, got {self.n_groups}")
        if self.k_epochs < 0:
            raise ConfigError(f"influence k_epochs must be >= 0, got {self.k_epochs}")
        if self.reduction not in ("topk", "sketch"):
            raise ConfigError(f"influence reduction must be 'topk' or 'sketch', got {self.reduction!r}")
        if self.sign not in ("literal", "descent"):
            raise ConfigError(f"influence_sign must be 'literal' or 'descent', got {self.sign!r}")


def random_groups(n_users: int, n_groups: int, rng: np.random.Generator) -> np.ndarray:
    """int64[n_users]: a uniformly random partition into ``n_groups`` groups of equal size (±1)."""
    groups = np.empty(n_users, dtype=np.int64)
    groups[rng.permutation(n_users)] = np.arange(n_users) % n_groups
    return groups


def min_max(values: np.ndarray) -> np.ndarray:
    """``(x - min) / (max - min)``; all zeros when every value is equal."""
    span = float(values.max() - values.min()) if len(values) else 0.0
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


class _PerSampleLoss(nn.Module):
    """``forward(batch) = model.per_sample_loss(batch)``, so that ``functional_call`` applies."""

    def __init__(self, model: Recommender) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Batch) -> Tensor:
        return self.model.per_sample_loss(batch)


def per_sample_directional(model: Recommender, params: dict[str, Tensor], batch: Batch,
                           direction: dict[str, Tensor]) -> Tensor:
    """``(<grad_θ l_b(params), direction>)_b`` for every sample ``b`` of ``batch``: Tensor[B]."""
    leaves = {name: p.detach().requires_grad_(True) for name, p in params.items()}
    losses = functional_call(_PerSampleLoss(model), {f"model.{n}": p for n, p in leaves.items()}, (batch,))
    weights = torch.zeros_like(losses, requires_grad=True)
    names = list(leaves)
    grads = torch.autograd.grad((weights * losses).sum(), [leaves[n] for n in names], create_graph=True,
                                allow_unused=True)
    terms = [(g * direction[n]).sum() for g, n in zip(grads, names, strict=True) if g is not None]
    if not terms:
        return torch.zeros_like(losses.detach())
    (out,) = torch.autograd.grad(torch.stack(terms).sum(), weights, allow_unused=True)
    return torch.zeros_like(losses.detach()) if out is None else out.detach()


class InfluenceTracker(Callback):
    """Accumulates group influence during training; add it to the trainer's callbacks.

    On ``on_train_begin`` it wraps the trainer's step rule so that it sees θ before and after every
    step. Set ``enabled = False`` to skip tracking in epochs that do not count (saves the cost).
    """

    def __init__(self, n_users: int, config: InfluenceConfig | None = None) -> None:
        self.config = config or InfluenceConfig()
        self.n_users = n_users
        self.rng = np.random.default_rng(self.config.seed)
        self.groups = random_groups(n_users, self.config.n_groups, self.rng)
        self.enabled = True
        self.epoch_vectors: list[np.ndarray] = []  # since the last round, normalised
        self.raw_epoch_vectors: list[np.ndarray] = []
        self._current = np.zeros(self.config.n_groups)
        self._steps = 0
        self._sketch: CountSketch | None = None
        self.seconds = 0.0  # wall time spent in influence computations
        self.total_steps = 0

    # ---------------------------------------------------------------- trainer hooks
    def on_train_begin(self, trainer: Trainer) -> None:
        if not isinstance(trainer.step_rule, TrackingStep):
            trainer.step_rule = TrackingStep(trainer.step_rule, self)

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self._current = np.zeros(self.config.n_groups)
        self._steps = 0

    def on_epoch_end(self, trainer: Trainer, log: EpochLog) -> None:
        if self._steps == 0:
            return
        raw = self._current.copy()
        self.raw_epoch_vectors.append(raw)
        self.epoch_vectors.append(min_max(raw) if self.config.normalise else raw)

    # ---------------------------------------------------------------- per step
    def record_step(self, model: Recommender, batch: Batch, before: dict[str, Tensor]) -> np.ndarray:
        """Add one step's group increments (θ_{s-1} = ``before``, θ_s = the model now); returns them."""
        after = {n: p.detach() for n, p in model.named_parameters() if n in before}
        delta = {n: after[n] - before[n] for n in before}
        direction = self._direction(delta)
        per_sample = per_sample_directional(model, before, batch, direction).to(torch.float64).cpu().numpy()
        group = self.groups[batch["user"].cpu().numpy()]
        g = self.config.n_groups
        sums = np.bincount(group, weights=per_sample, minlength=g)
        counts = np.bincount(group, minlength=g)
        inc = np.divide(sums, counts, out=np.zeros(g), where=counts > 0)
        if self.config.sign == "descent":
            inc = -inc
        self._current += inc
        self._steps += 1
        self.total_steps += 1
        return inc

    def _direction(self, delta: dict[str, Tensor]) -> dict[str, Tensor]:
        if self.config.reduction == "topk":
            return topk_mask_direction(delta, self.config.topk_per_tensor)
        if self._sketch is None:
            self._sketch = CountSketch({n: d.shape for n, d in delta.items()}, self.config.sketch_dim,
                                       self.config.seed)
        return self._sketch.direction(delta)

    # ---------------------------------------------------------------- rounds
    def scores(self) -> np.ndarray:
        """Accumulated influence per group: every epoch since the round, the last ``k`` twice."""
        if not self.epoch_vectors:
            return np.zeros(self.config.n_groups)
        total = np.sum(self.epoch_vectors, axis=0)
        k = self.config.k_epochs
        return total + (np.sum(self.epoch_vectors[-k:], axis=0) if k > 0 else 0.0)

    def select_users(self, exclude: set[int] | frozenset[int] = frozenset()) -> tuple[int, np.ndarray]:
        """(group, its users not in ``exclude``) of the highest-scoring group that has any left;
        ``(-1, empty)`` when every user is excluded. Ties go to the lower group id."""
        scores = self.scores()
        excluded = np.zeros(self.n_users, dtype=bool)
        excluded[[u for u in exclude if 0 <= u < self.n_users]] = True
        for group in np.argsort(-scores, kind="stable"):
            users = np.flatnonzero((self.groups == group) & ~excluded)
            if len(users):
                return int(group), users
        return -1, np.zeros(0, dtype=np.int64)

    def new_round(self) -> None:
        """Re-draw the groups and forget the accumulated epochs (after an augmentation round)."""
        self.groups = random_groups(self.n_users, self.config.n_groups, self.rng)
        self.epoch_vectors, self.raw_epoch_vectors = [], []


class TrackingStep:
    """A step rule wrapper: snapshot θ, run the inner rule, hand θ_{s-1} and the batch to the tracker."""

    def __init__(self, inner: object, tracker: InfluenceTracker) -> None:
        self.inner = inner
        self.tracker = tracker

    def step(self, model: Recommender, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer) -> float:
        if not self.tracker.enabled:
            return self.inner.step(model, batch, optimizer)  # type: ignore[attr-defined]
        before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        rng_before = torch.get_rng_state()
        loss = self.inner.step(model, batch, optimizer)  # type: ignore[attr-defined]
        rng_after = torch.get_rng_state()
        torch.set_rng_state(rng_before)  # the gradient at θ_{s-1} sees the step's dropout masks
        start = time.perf_counter()
        try:
            self.tracker.record_step(model, batch, before)
        finally:
            torch.set_rng_state(rng_after)
            self.tracker.seconds += time.perf_counter() - start
        return loss
