"""Trainer callbacks: hooks at train/epoch boundaries that may inspect or change the run.

A callback may call ``trainer.replace_train_data(...)`` (e.g. ToP adds synthetic edges between
epochs; graph models rebuild their adjacency from the new matrix) or ``trainer.request_stop()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recloom.recmodels.trainer import Trainer


@dataclass
class EpochLog:
    """What one epoch did: mean batch loss, wall seconds, validation metrics (if evaluated)."""

    epoch: int
    loss: float
    train_seconds: float
    eval_seconds: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    n_samples: int = 0


class Callback:
    """Base class with no-op hooks; override the ones you need."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        """Before the batches of ``epoch`` (0-based) are drawn: the place to swap training data."""

    def on_epoch_end(self, trainer: Trainer, log: EpochLog) -> None:
        """After training and (if due) validation of an epoch."""

    def on_train_end(self, trainer: Trainer) -> None:
        """After the last epoch and the best-checkpoint restore."""


class LambdaCallback(Callback):
    """A callback from plain functions, handy in scripts and tests."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None) -> None:  # type: ignore[no-untyped-def]
        self._begin, self._end = on_epoch_begin, on_epoch_end

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        if self._begin is not None:
            self._begin(trainer, epoch)

    def on_epoch_end(self, trainer: Trainer, log: EpochLog) -> None:
        if self._end is not None:
            self._end(trainer, log)
