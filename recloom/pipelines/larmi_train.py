"""LARMI stage C (seed 001; methods.md §2.2 C1-C8, §2.4 Table 5): train LARMI with the stage-A/B
artifacts, its baselines (MIND, ComiRec-SA) and its ablations, and evaluate on the test examples.

Variants (:data:`VARIANTS`): ``larmi`` (clusters of real users + contrastive term over the synthetic
users chosen by the neural MCP solver), ``mind``, ``comirec``, ``wo_sem`` (h_f = 0; the contrastive
term stays), ``wo_col`` (o_k = h_k), ``wo_rep`` (random synthetic users instead of MCP), ``l_gre``
(greedy instead of the neural solver) and ``wo_com`` (no synthetic users: no contrastive term).
The contrastive term is added every floor(1/lambda) batches (Eq. 13, ``PeriodicAuxiliaryStep``).
Model selection: early stopping on validation Recall@20, best weights restored, then test.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from recloom.errors import ConfigError
from recloom.pipelines.larmi_data import MONITOR, LarmiData
from recloom.recmodels.auxiliary import PeriodicAuxiliaryStep
from recloom.recmodels.base import Recommender
from recloom.recmodels.comirec import ComiRecSA, ComiRecSAConfig
from recloom.recmodels.evaluation import evaluate
from recloom.recmodels.larmi import LARMI, LARMIConfig
from recloom.recmodels.larmi_clusters import ClusterTable
from recloom.recmodels.mind import MIND, MINDConfig
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything


@dataclass(frozen=True)
class Variant:
    model: str  # "larmi", "mind" or "comirec"
    selection: str | None = None  # synthetic users of the contrastive term: a stage-B selector or None
    hparams: Mapping[str, Any] = field(default_factory=dict)

    @property
    def uses_clusters(self) -> bool:
        return self.model == "larmi"


VARIANTS: dict[str, Variant] = {
    "larmi": Variant("larmi", "neural"),
    "mind": Variant("mind"),
    "comirec": Variant("comirec"),
    "wo_sem": Variant("larmi", "neural", {"use_semantic": False}),
    "wo_col": Variant("larmi", "neural", {"use_capsules": False}),
    "wo_rep": Variant("larmi", "random"),
    "l_gre": Variant("larmi", "greedy"),
    "wo_com": Variant("larmi", None),
}


def variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ConfigError(f"unknown LARMI variant {name!r}; known: {', '.join(VARIANTS)}")
    return VARIANTS[name]


@dataclass
class TrainSettings:
    """Appendix C.1 (Adam, batch 128, d = 64, K = 4, tau = 0.1, lambda = 0.01) + a CPU epoch budget."""

    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-6
    dim: int = 64
    n_interests: int = 4
    lam: float = 0.01
    cst_tau: float = 0.1
    cst_users_per_update: int | None = None
    patience: int = 3
    eval_every: int = 1
    quiet: bool = True

    def train_config(self, seed: int) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            seed=seed,
            eval_every=self.eval_every,
            monitor=MONITOR,
            patience=self.patience,
            quiet=self.quiet,
        )


def build_model(v: Variant, n_users: int, n_items: int, s: TrainSettings, max_len: int) -> Recommender:
    common = {"dim": s.dim, "n_interests": s.n_interests, "max_len": max_len}
    if v.model == "mind":
        return MIND(n_users, n_items, MINDConfig(**common, **v.hparams))
    if v.model == "comirec":
        return ComiRecSA(n_users, n_items, ComiRecSAConfig(**common, **v.hparams))
    if v.model == "larmi":
        config = LARMIConfig(
            **common, cst_tau=s.cst_tau, cst_users_per_update=s.cst_users_per_update, **v.hparams
        )
        return LARMI(n_users, n_items, config)
    raise ConfigError(f"unknown model {v.model!r} in a LARMI variant")


def train_variant(
    data: LarmiData,
    name: str,
    settings: TrainSettings,
    seed: int,
    *,
    clusters: ClusterTable | None = None,
    synthetic: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Train one variant from one seed; returns its validation/test metrics and run facts.
    ``clusters``: stage-A table (LARMI variants); ``synthetic``: ``pad_synthetic`` arrays of the
    variant's selected synthetic users (variants with a ``selection``)."""
    v = variant(name)
    if v.uses_clusters and clusters is None:
        raise ConfigError(f"variant {name!r} needs the stage-A clusters (run `recloom larmi cluster`)")
    if v.selection is not None and synthetic is None:
        raise ConfigError(f"variant {name!r} needs the synthetic users selected by {v.selection!r}")
    table = clusters if v.uses_clusters else None
    seed_everything(seed)
    model = build_model(v, data.n_users, data.n_items, settings, data.config.max_len)
    rule = None
    if v.selection is not None and isinstance(model, LARMI):
        model.set_synthetic_clusters(*synthetic)  # type: ignore[misc]
        rule = PeriodicAuxiliaryStep(lam=settings.lam)
    trainer = Trainer(
        model,
        data.train_data(table),
        settings.train_config(seed),
        valid=data.eval_data("valid", table),
        eval_spec=data.spec(),
        step_rule=rule,
    )
    start = time.perf_counter()
    result = trainer.fit()
    train_s = time.perf_counter() - start
    test = evaluate(model, data.eval_data("test", table), data.spec())
    return {
        "variant": name,
        "seed": seed,
        "valid": result.best_metrics,
        "test": test,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "train_seconds": round(train_s, 2),
        "seconds_per_epoch": round(float(np.mean(result.epoch_seconds)), 3) if result.history else 0.0,
        "aux_updates": getattr(rule, "n_aux_updates", 0),
        "settings": asdict(settings),
    }
