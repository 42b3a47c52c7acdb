"""The training loop: seeded epochs over a swappable batch source, a pluggable optimiser step,
validation with early stopping, best-checkpoint restore, callbacks and a per-epoch time log.
"""

from __future__ import annotations

import copy
import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.callbacks import Callback, EpochLog
from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate
from recloom.recmodels.optim.base import PlainStep, StepRule
from recloom.recmodels.sampling import TrainData

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch; call it before building the model for reproducible init."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class TrainConfig:
    """Hyperparameters of the loop (defaults: RecBole's general-model settings)."""

    epochs: int = 300
    batch_size: int = 2048
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    seed: int = 2020
    eval_every: int = 1  # validate every n epochs (and after the last one)
    monitor: str = "ndcg@10"  # validation metric key, higher is better
    patience: int = 10  # validations without improvement before stopping; 0 = never stop early
    restore_best: bool = True  # load the best validated weights at the end
    quiet: bool = False  # no progress bar


@dataclass
class TrainResult:
    """The run's history, best epoch and its validation metrics."""

    history: list[EpochLog] = field(default_factory=list)
    best_epoch: int | None = None
    best_metrics: dict[str, float] = field(default_factory=dict)
    stopped_early: bool = False

    @property
    def epoch_seconds(self) -> list[float]:
        return [e.train_seconds for e in self.history]


def make_optimizer(model: Recommender, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam / AdamW / SGD over the model's parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay)
    raise ConfigError(f"unknown optimizer {config.optimizer!r}; use adam, adamw or sgd")


class Trainer:
    """Train ``model`` on ``train_data``; validate on ``valid`` with ``eval_spec`` if given."""

    def __init__(self, model: Recommender, train_data: TrainData, config: TrainConfig | None = None, *,
                 valid: EvalData | None = None, eval_spec: EvalSpec | None = None,
                 step_rule: StepRule | None = None, callbacks: Sequence[Callback] = (),
                 optimizer: torch.optim.Optimizer | None = None) -> None:
        self.model = model
        self.train_data = train_data
        self.config = config or TrainConfig()
        self.valid = valid
        self.eval_spec = eval_spec or EvalSpec()
        self.step_rule: StepRule = step_rule or PlainStep()
        self.callbacks = list(callbacks)
        self.optimizer = optimizer or make_optimizer(model, self.config)
        self.rng = np.random.default_rng(self.config.seed)
        self.epoch = 0
        self._stop = False
        cutoff = re.search(r"@(\d+)", self.config.monitor)
        if valid is not None and cutoff is not None:
            k = int(cutoff.group(1))
            if k not in self.eval_spec.ks:
                raise ConfigError(f"monitor {self.config.monitor!r} needs cutoff {k} in the eval ks "
                                  f"{list(self.eval_spec.ks)}")

    def replace_train_data(self, train_data: TrainData) -> None:
        """Swap the batch source (from a callback); graph models rebuild their graph from it."""
        self.train_data = train_data
        matrix = getattr(train_data, "matrix", None)
        set_interactions = getattr(self.model, "set_interactions", None)
        if matrix is not None and callable(set_interactions):
            set_interactions(matrix)

    def request_stop(self) -> None:
        """Stop after the current epoch (callable from a callback)."""
        self._stop = True

    def train_epoch(self) -> tuple[float, int]:
        """One pass over the current train data: (mean batch loss, samples seen)."""
        self.model.train()
        total, n_batches, n_samples = 0.0, 0, 0
        for batch in self.train_data.batches(self.config.batch_size, self.rng):
            batch = {k: v.to(self.model.device) for k, v in batch.items()}
            total += self.step_rule.step(self.model, batch, self.optimizer)
            n_batches += 1
            n_samples += len(batch["item"])
        return total / max(n_batches, 1), n_samples

    def validate(self) -> dict[str, float]:
        """Validation metrics (empty without validation data)."""
        if self.valid is None:
            return {}
        metrics = evaluate(self.model, self.valid, self.eval_spec)
        if self.config.monitor not in metrics:
            raise ConfigError(f"monitor {self.config.monitor!r} is not among the validation metrics "
                              f"{sorted(metrics)}")
        return metrics

    def fit(self) -> TrainResult:
        """Run the epochs; returns the history with per-epoch times and the best validation."""
        cfg, result = self.config, TrainResult()
        torch.manual_seed(cfg.seed)
        best_score, best_state, bad_evals = -np.inf, None, 0
        for cb in self.callbacks:
            cb.on_train_begin(self)
        bar = tqdm(range(cfg.epochs), disable=cfg.quiet, desc=type(self.model).__name__, unit="epoch")
        for epoch in bar:
            self.epoch = epoch
            for cb in self.callbacks:
                cb.on_epoch_begin(self, epoch)
            start = time.perf_counter()
            loss, n_samples = self.train_epoch()
            entry = EpochLog(epoch, loss, time.perf_counter() - start, n_samples=n_samples)
            if self.valid is not None and ((epoch + 1) % cfg.eval_every == 0 or epoch + 1 == cfg.epochs):
                start = time.perf_counter()
                entry.metrics = self.validate()
                entry.eval_seconds = time.perf_counter() - start
                score = entry.metrics[cfg.monitor]
                if score > best_score:
                    best_score, bad_evals = score, 0
                    result.best_epoch, result.best_metrics = epoch, dict(entry.metrics)
                    best_state = copy.deepcopy(self.model.state_dict()) if cfg.restore_best else None
                else:
                    bad_evals += 1
            result.history.append(entry)
            bar.set_postfix(loss=f"{loss:.4f}", **({cfg.monitor: f"{entry.metrics[cfg.monitor]:.4f}"}
                                                   if entry.metrics else {}))
            log.info("epoch %d loss %.5f train %.2fs eval %.2fs %s", epoch, loss, entry.train_seconds,
                     entry.eval_seconds, entry.metrics)
            for cb in self.callbacks:
                cb.on_epoch_end(self, entry)
            if self._stop or (cfg.patience > 0 and bad_evals >= cfg.patience):
                result.stopped_early = epoch + 1 < cfg.epochs
                break
        bar.close()
        if best_state is not None:
            self.model.load_state_dict(best_state)
            self.model.invalidate_cache()
        for cb in self.callbacks:
            cb.on_train_end(self)
        return result
