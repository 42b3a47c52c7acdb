"""Backbone training for ToP-Rec: the plain backbone, and the same backbone with augmentation rounds.

Backbone settings (methods.md §1.2 S5 and "Backbone settings"; §1.6): hidden size 32, Adam lr 5e-3,
BPR with 50 random negatives per positive (averaged), N(0, 0.01) init, no weight decay, LightGCN
with 2 layers, batch 20 480, 150 epochs; the best epoch by mean validation recall over k ∈ {50, 100}
is restored ("stop at peak validation performance"; ``patience = 0`` trains every epoch, a positive
patience stops early). Both runs start from the same seed, so they share initial weights and
batches until the first augmentation round. After a ToP run, a graph model gets back the graph its
best epoch trained on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recloom.pipelines.augment import Augmenter
from recloom.pipelines.top_data import MONITOR, MeanRecallTrainer, TopData
from recloom.pipelines.top_rounds import RoundsConfig, ToPRounds
from recloom.recmodels.base import Recommender
from recloom.recmodels.registry import GRAPH, get_model
from recloom.recmodels.trainer import TrainConfig, TrainResult, seed_everything

DEFAULT_HPARAMS: dict[str, dict[str, Any]] = {
    "lightgcn": {"embedding_dim": 32, "n_layers": 2, "reg_weight": 0.0, "init": "normal", "init_std": 0.01},
    "mf": {"embedding_dim": 32, "reg_weight": 0.0, "init": "normal", "init_std": 0.01},
    "ngcf": {"embedding_dim": 32, "hidden_sizes": [32, 32], "reg_weight": 0.0},
}


@dataclass
class BackboneConfig:
    """Which backbone and how it trains."""

    model: str = "lightgcn"
    hparams: dict[str, Any] = field(default_factory=dict)  # over DEFAULT_HPARAMS[model]
    epochs: int = 150
    batch_size: int = 20480
    lr: float = 5e-3
    patience: int = 0  # validations without improvement before stopping; 0 = run every epoch
    eval_every: int = 1
    seed: int = 42

    def model_hparams(self) -> dict[str, Any]:
        return {**DEFAULT_HPARAMS.get(self.model.lower(), {}), **self.hparams}

    def train_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, seed=self.seed,
                           monitor=MONITOR, patience=self.patience, eval_every=self.eval_every, quiet=True)


@dataclass
class TrainedBackbone:
    model: Recommender
    result: TrainResult
    wall_seconds: float
    rounds: ToPRounds | None = None

    def summary(self) -> dict[str, Any]:
        out = {"best_epoch": self.result.best_epoch, "epochs_run": len(self.result.history),
               "best_valid": self.result.best_metrics.get(MONITOR),
               "wall_seconds": round(self.wall_seconds, 3),
               "train_seconds": round(sum(self.result.epoch_seconds), 3)}
        if self.rounds is not None:
            out["rounds"] = self.rounds.summary()
        return out


def build_backbone(data: TopData, config: BackboneConfig) -> Recommender:
    """A freshly initialised backbone (seeded) on the observed training graph."""
    seed_everything(config.seed)
    return get_model(config.model, data.n_users, data.n_items, interactions=data.train.matrix,
                     **config.model_hparams())


def train_backbone(data: TopData, config: BackboneConfig) -> TrainedBackbone:
    """The plain backbone on the observed interactions."""
    model = build_backbone(data, config)
    start = time.perf_counter()
    trainer = MeanRecallTrainer(model, data.train, config.train_config(), valid=data.valid,
                                eval_spec=data.spec)
    result = trainer.fit()
    return TrainedBackbone(model, result, time.perf_counter() - start)


def train_top(data: TopData, config: BackboneConfig, augmenter: Augmenter, rounds: RoundsConfig,
              out_dir: str | Path | None = None) -> TrainedBackbone:
    """The backbone with augmentation rounds (synthetic edges from ``augmenter``)."""
    model = build_backbone(data, config)
    callback = ToPRounds(data.train, augmenter, rounds, total_epochs=config.epochs, out_dir=out_dir,
                         seed=config.seed)
    start = time.perf_counter()
    trainer = MeanRecallTrainer(model, data.train, config.train_config(), valid=data.valid,
                                eval_spec=data.spec, callbacks=[callback])
    result = trainer.fit()
    if config.model.lower() in GRAPH and result.best_epoch is not None:
        model.set_interactions(callback.graph_at(result.best_epoch))  # type: ignore[attr-defined]
    return TrainedBackbone(model, result, time.perf_counter() - start, callback)
