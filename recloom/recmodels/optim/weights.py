"""Item-wise frequency weights for EISAM and re-weighting (head/tail groups: recmodels/groups.py).

Paper: Zhang et al. 2026, "Taming the Long Tail: Efficient Item-wise Sharpness-Aware Minimization for
LLM-based Recommender Systems" (seed 004, Secs. 5.1 and 6.2; spec: docs methods.md §5.3, §5.7).

n_i = number of times item i is a training target, N = sum_i n_i, q_i = n_i / N. A monotonically
decreasing weighting function f turns q_i into a weight:

* f_norm(q) = 1 / (q + eps)                      (normalised sample frequency)
* f_eff(q)  = (1 - beta) / (1 - beta ** q)       (effective number, Cui et al. 2019), beta in [0, 1)
* f_exp(q)  = (1 - q) ** gamma, gamma > 0        (smooth exponential attenuation; the paper's choice)

Per-sample weights (methods.md §5.7): w_k = f(q_{i_k}) normalised to mean 1 over the *training
samples*, so ``sum_i n_i w_i = N`` and a weighted batch loss keeps the scale of the plain one. With
``item_balanced=True`` the raw weight is f(q)/q instead, the per-sample weight under which the batch
mean is an unbiased estimate of the literal item-averaged Eq. (2) loss sum_i f(q_i) L^(i)_S.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from recloom.errors import ConfigError, DataError

WeightFnName = Literal["norm", "eff", "exp"]


def item_counts(targets: np.ndarray | Tensor | list[int], n_items: int) -> np.ndarray:
    """n_i: how often each of ``n_items`` items is a training target (int64 array of length n_items)."""
    arr = targets.detach().cpu().numpy() if isinstance(targets, Tensor) else np.asarray(targets)
    arr = arr.reshape(-1)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise DataError(f"training targets must be integer item ids, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_items):
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise DataError(f"training target item id {bad} is outside [0, {n_items})")
    return np.bincount(arr.astype(np.int64), minlength=n_items).astype(np.int64)


def frequencies(counts: np.ndarray) -> np.ndarray:
    """q_i = n_i / N (float64); raises when there is no training target at all."""
    total = int(counts.sum())
    if total <= 0:
        raise DataError("cannot compute item frequencies: no training targets")
    return counts.astype(np.float64) / total


def f_norm(q: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """f_norm(q) = 1 / (q + eps)."""
    if eps <= 0:
        raise ConfigError(f"f_norm: eps must be > 0, got {eps}")
    return 1.0 / (np.asarray(q, dtype=np.float64) + eps)


def f_eff(q: np.ndarray, beta: float = 0.999, scale: float = 1.0) -> np.ndarray:
    """f_eff(q) = (1 - beta) / (1 - beta ** (scale * q)); ``scale = N`` gives Cui et al.'s counts form.

    The paper writes the exponent as the frequency q; in Cui et al. it is the sample count n = qN.
    For q << 1 the frequency form is close to 1/q for every beta (so close to f_norm after
    normalisation); the counts form saturates for counts >> 1/(1 - beta).
    """
    if not 0.0 <= beta < 1.0:
        raise ConfigError(f"f_eff: beta must be in [0, 1), got {beta}")
    x = scale * np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return (1.0 - beta) / -np.expm1(x * math.log(beta)) if beta > 0 else np.ones_like(x)


def f_exp(q: np.ndarray, gamma: float = 50.0) -> np.ndarray:
    """f_exp(q) = (1 - q) ** gamma."""
    if gamma <= 0:
        raise ConfigError(f"f_exp: gamma must be > 0, got {gamma}")
    return np.power(1.0 - np.asarray(q, dtype=np.float64), gamma)


def weight_function(name: str, **params: float) -> Callable[[np.ndarray], np.ndarray]:
    """The weighting function ``name`` ("norm" | "eff" | "exp") with its parameters bound."""
    fns: dict[str, Callable[..., np.ndarray]] = {"norm": f_norm, "eff": f_eff, "exp": f_exp}
    if name not in fns:
        raise ConfigError(f"unknown weighting function {name!r}; choose one of {sorted(fns)}")
    allowed = {"norm": {"eps"}, "eff": {"beta", "scale"}, "exp": {"gamma"}}[name]
    unknown = set(params) - allowed
    if unknown:
        raise ConfigError(f"weighting function {name!r} takes {sorted(allowed)}, got {sorted(unknown)}")
    return lambda q: fns[name](q, **params)


@dataclass(frozen=True)
class ItemWeights:
    """Per-sample weight of each item (mean 1 over the training samples); NaN for unseen items."""

    table: Tensor  # float32 [n_items]
    counts: np.ndarray  # int64 [n_items]

    @classmethod
    def from_counts(
        cls,
        counts: np.ndarray,
        fn: WeightFnName = "exp",
        *,
        item_balanced: bool = False,
        groups: np.ndarray | None = None,
        **fn_params: float,
    ) -> ItemWeights:
        """Weights f(q_i) normalised to mean 1 over training samples.

        ``groups`` (item -> group id) applies f to the group's mean item frequency instead, so every
        item of a group gets one weight (group re-weighting as in the RW baseline).
        """
        counts = np.asarray(counts, dtype=np.int64)
        q = frequencies(counts)
        if groups is not None:
            q = _group_mean_frequency(q, np.asarray(groups))
        f = weight_function(fn, **fn_params)
        seen = counts > 0
        raw = np.full(counts.shape, np.nan)
        raw[seen] = f(q[seen])
        if item_balanced:
            raw[seen] = raw[seen] / q[seen]
        if not np.all(np.isfinite(raw[seen])) or np.any(raw[seen] < 0):
            raise ConfigError(f"weighting function {fn!r} {fn_params} gives non-finite or negative weights")
        mean = float(np.dot(counts[seen], raw[seen]) / counts.sum())
        if mean <= 0:
            raise ConfigError(f"weighting function {fn!r} {fn_params} gives all-zero weights")
        return cls(table=torch.as_tensor(raw / mean, dtype=torch.float32), counts=counts)

    @classmethod
    def from_targets(cls, targets: np.ndarray | Tensor, n_items: int, fn: WeightFnName = "exp",
                     **kwargs: object) -> ItemWeights:
        """Count the training targets, then :meth:`from_counts`."""
        return cls.from_counts(item_counts(targets, n_items), fn, **kwargs)  # type: ignore[arg-type]

    def for_items(self, items: Tensor) -> Tensor:
        """Weights of a batch's target items, on their device; raises for items never seen as targets."""
        table = self.table if self.table.device == items.device else self.table.to(items.device)
        if items.numel() and (int(items.min()) < 0 or int(items.max()) >= table.numel()):
            raise DataError(f"batch['item'] holds ids outside [0, {table.numel()}) of the weight table")
        w = table[items]
        if torch.isnan(w).any():
            bad = int(items[torch.isnan(w)][0])
            raise DataError(
                f"batch['item'] holds item {bad}, which is never a target in the training data the weights "
                "were computed from; build ItemWeights from the same training targets"
            )
        return w


def _group_mean_frequency(q: np.ndarray, groups: np.ndarray) -> np.ndarray:
    if groups.shape != q.shape or (groups.size and groups.min() < 0):
        raise ConfigError(f"groups must be non-negative ids of shape {q.shape}, got shape {groups.shape}")
    ids = groups.astype(np.int64)
    mean = np.bincount(ids, weights=q) / np.maximum(np.bincount(ids), 1)
    return mean[ids]

