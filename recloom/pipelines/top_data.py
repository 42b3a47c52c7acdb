"""ToP-Rec's data protocol (methods.md §1.2 S0, §1.3) and backbone training/evaluation helpers.

Implicit positives (``rating >= min_rating``), k-core, per-user random split 0.6/0.2/0.2; R@k and
CE@k at k ∈ {50, 100}; CE categories are the catalogue's category labels (an item with several
labels spreads its unit mass evenly over them, as ``recloom.recmodels.diversity`` does).
Evaluation masks only the *original* training items (validation) and training + validation items
(test): the masks are built here once from the split and never see synthetic edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from recloom.data import Dataset, Split
from recloom.data.filters import implicit, k_core
from recloom.data.splitters import get_splitter
from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.diversity import category_weights
from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.trainer import Trainer

KS = (50, 100)
MONITOR = "recall@mean"


@dataclass
class TopData:
    """The dataset after filtering, its split, the BPR source and the evaluation sets."""

    dataset: Dataset
    split: Split
    train: PairwiseData
    valid: EvalData
    test: EvalData
    spec: EvalSpec

    @property
    def n_users(self) -> int:
        return self.split.n_users

    @property
    def n_items(self) -> int:
        return self.split.n_items

    def histories(self) -> dict[int, list[int]]:
        """Training items per user (dataset order, oldest first when the data has time)."""
        seqs = self.split.train.sequences(self.n_users)
        return {u: [int(i) for i in s] for u, s in enumerate(seqs) if len(s)}


def prepare(dataset: Dataset, *, min_rating: float | None = 4.0, core: int = 10, seed: int = 42,
            n_neg: int = 50, ks: tuple[int, ...] = KS) -> TopData:
    """Filter, compact and split ``dataset`` as ToP-Rec does; build training and evaluation data."""
    inter = dataset.interactions
    if min_rating is not None:
        if inter.rating is None:
            raise ConfigError(f"min_rating={min_rating}: dataset {dataset.name!r} has no ratings")
        inter = implicit(inter, min_rating)
    if core > 1:
        inter = k_core(inter, core)
    ds = dataset.with_interactions(inter, min_rating=min_rating, core=core).compact()
    split = get_splitter("top_rec", seed=seed).split(ds.interactions, ds.n_users, ds.n_items)
    train_m = split.train.csr(ds.n_users, ds.n_items)
    valid_m = split.valid.csr(ds.n_users, ds.n_items)
    train = PairwiseData(split.train.user, split.train.item, ds.n_users, ds.n_items, n_neg=n_neg)
    valid = EvalData.for_users(valid_m, train_m)
    test = EvalData.for_users(split.test.csr(ds.n_users, ds.n_items), train_m + valid_m)
    return TopData(ds, split, train, valid, test, eval_spec(ds, ks))


def eval_spec(dataset: Dataset, ks: tuple[int, ...] = KS) -> EvalSpec:
    """Recall at ``ks`` plus CE@k over the catalogue's categories (when it has any)."""
    weights = None
    if dataset.items is not None and any(dataset.items.categories):
        labels = dataset.items.category_vocabulary()
        index = {c: k for k, c in enumerate(labels)}
        cats = [[index[c] for c in item_cats] for item_cats in dataset.items.categories]
        weights = category_weights(cats, len(labels))
    return EvalSpec(ks=ks, metrics=("recall", "ndcg"), category_weights=weights)


class MeanRecallTrainer(Trainer):
    """A trainer whose validation also reports ``recall@mean`` (mean recall over the spec's k's),
    the early-stopping criterion of ToP-Rec's code (§1.2 S9)."""

    def validate(self) -> dict[str, float]:
        if self.valid is None:
            return {}
        metrics = evaluate(self.model, self.valid, self.eval_spec)
        metrics[MONITOR] = float(np.mean([metrics[f"recall@{k}"] for k in self.eval_spec.ks]))
        if self.config.monitor not in metrics:
            raise ConfigError(f"monitor {self.config.monitor!r} is not among the validation metrics "
                              f"{sorted(metrics)}")
        return metrics


@torch.no_grad()
def item_vectors(model: Recommender) -> np.ndarray:
    """The item representations the model scores with (propagated ones for graph models)."""
    model.eval()
    propagate = getattr(model, "propagate", None)
    if callable(propagate):
        return propagate()[1].detach().cpu().numpy()
    emb = getattr(model, "item_emb", None)
    if emb is None:
        raise ConfigError(f"{type(model).__name__} exposes no item vectors (no propagate() or item_emb)")
    return emb.weight.detach().cpu().numpy()


def headline(metrics: dict[str, float], ks: tuple[int, ...] = KS) -> dict[str, float]:
    """``{"recall@50": .., "recall@100": .., "ce@50": .., "ce@100": ..}`` from a metric dict."""
    out: dict[str, Any] = {}
    for name in ("recall", "ce"):
        for k in ks:
            key = f"{name}@{k}"
            if key in metrics:
                out[key] = float(metrics[key])
    return out
