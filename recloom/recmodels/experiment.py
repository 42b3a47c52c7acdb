"""Train and evaluate one model on one split: the glue between ``recloom.data`` and the trainer.

General models train on (user, item, negative) triples and rank for users; sequential models train
on windows of each user's chronological training sequence and rank the next items after a history
(the split's examples when it has them, else the training sequence for validation and training +
validation for test). General evaluation masks the user's training items (and validation items for
test); sequential evaluation masks nothing, since items may recur.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from recloom.data import Dataset, SequenceExamples, Split
from recloom.recmodels.base import Recommender
from recloom.recmodels.diversity import category_weights
from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate
from recloom.recmodels.groups import head_tail_groups
from recloom.recmodels.optim import StepRule
from recloom.recmodels.registry import SEQUENTIAL, get_model
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.sequences import SequenceData, pad_histories
from recloom.recmodels.trainer import TrainConfig, Trainer, TrainResult, seed_everything


def _truth(rows: list[np.ndarray], n_items: int) -> sp.csr_matrix:
    indptr = np.r_[0, np.cumsum([len(r) for r in rows])]
    data = np.ones(indptr[-1], dtype=np.float32)
    cols = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    out = sp.csr_matrix((data, cols, indptr), shape=(len(rows), n_items))
    out.sum_duplicates()
    return out


def _sequence_eval(examples: SequenceExamples | None, histories: list[np.ndarray],
                   held_out: list[np.ndarray], n_items: int, maxlen: int) -> EvalData:
    if examples is not None:
        histories, held_out = examples.histories(), examples.targets()
    keep = [k for k, h in enumerate(histories) if len(h) > 0 and len(held_out[k]) > 0]
    item_seq, seq_len = pad_histories([histories[k] for k in keep], maxlen)
    return EvalData.for_sequences(item_seq, seq_len, _truth([held_out[k] for k in keep], n_items))


def build_data(name: str, split: Split, maxlen: int, n_neg: int) -> tuple[Any, EvalData, EvalData]:
    """(train data, validation EvalData, test EvalData) for a model of this kind."""
    n_users, n_items = split.n_users, split.n_items
    train = split.train.csr(n_users, n_items)
    if name.lower() in SEQUENTIAL:
        train_seqs = split.train.sequences(n_users)
        valid_seqs = split.valid.sequences(n_users)
        data = SequenceData.from_sequences(train_seqs, n_items, maxlen, n_neg=n_neg)
        valid = _sequence_eval(split.valid_examples, train_seqs, valid_seqs, n_items, maxlen)
        test_hist = [np.concatenate([a, b]) for a, b in zip(train_seqs, valid_seqs, strict=True)]
        test = _sequence_eval(split.test_examples, test_hist, split.test.sequences(n_users), n_items, maxlen)
        return data, valid, test
    data = PairwiseData(split.train.user, split.train.item, n_users, n_items, n_neg=max(n_neg, 1))
    valid = EvalData.for_users(split.valid.csr(n_users, n_items), train)
    test = EvalData.for_users(split.test.csr(n_users, n_items), train + split.valid.csr(n_users, n_items))
    return data, valid, test


def eval_spec_for(dataset: Dataset | None, split: Split, ks: tuple[int, ...],
                  metrics: tuple[str, ...]) -> EvalSpec:
    """Ranking metrics at ``ks``, head/tail groups by training frequency, CE@k when items have
    categories (each category label of the catalogue becomes one category index)."""
    freq = split.train.item_counts(split.n_items)
    weights = None
    if dataset is not None and dataset.items is not None and any(dataset.items.categories):
        labels = sorted({c for cats in dataset.items.categories for c in cats})
        index = {c: k for k, c in enumerate(labels)}
        item_cats = [[index[c] for c in cats] for cats in dataset.items.categories]
        weights = category_weights(item_cats, len(labels))
    return EvalSpec(ks=ks, metrics=metrics, item_group=head_tail_groups(freq), category_weights=weights)


def run_experiment(name: str, split: Split, *, dataset: Dataset | None = None,
                   hparams: dict[str, Any] | None = None, train_config: TrainConfig | None = None,
                   ks: tuple[int, ...] = (10, 20), metrics: tuple[str, ...] = ("recall", "ndcg", "hr", "mrr"),
                   n_neg: int = 1, step_rule: Callable[[Any], StepRule] | None = None,
                   ) -> tuple[Recommender, dict[str, Any]]:
    """Seed, build, train with early stopping on validation, evaluate on test; returns (model, report).
    ``step_rule(train_data)`` builds the optimiser step rule from the training data (default plain)."""
    cfg = train_config or TrainConfig()
    hparams = dict(hparams or {})
    seed_everything(cfg.seed)
    maxlen = int(hparams.get("maxlen", 50))
    is_seq = name.lower() in SEQUENTIAL
    uses_bce = is_seq and hparams.get("loss") == "bce"
    data, valid, test = build_data(name, split, maxlen, n_neg if (uses_bce or not is_seq) else 0)
    interactions = None if is_seq else data.matrix
    model = get_model(name, split.n_users, split.n_items, interactions=interactions, **hparams)
    spec = eval_spec_for(dataset, split, ks, metrics)
    start = time.perf_counter()
    rule = step_rule(data) if step_rule is not None else None
    result = Trainer(model, data, cfg, valid=valid, eval_spec=spec, step_rule=rule).fit()
    wall = time.perf_counter() - start
    test_metrics = evaluate(model, test, spec)
    return model, _report(name, model, cfg, result, test_metrics, wall, dataset, split, len(data))


def _report(name: str, model: Recommender, cfg: TrainConfig, result: TrainResult, test: dict[str, float],
            wall: float, dataset: Dataset | None, split: Split, n_train: int) -> dict[str, Any]:
    import torch

    import recloom

    config = getattr(model, "config", None)
    return {
        "model": name.lower(),
        "hparams": dataclasses.asdict(config) if config is not None else {},
        "train_config": dataclasses.asdict(cfg),
        "data": dataset.stats() if dataset is not None else {"users": split.n_users, "items": split.n_items},
        "split": {"name": split.name, "params": split.params, "sizes": split.sizes(), "info": split.info},
        "train_samples": n_train,
        "epochs": [dataclasses.asdict(e) for e in result.history],
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "seconds_per_epoch_median": float(np.median(result.epoch_seconds)) if result.history else 0.0,
        "train_wall_seconds": wall,
        "valid_metrics": result.best_metrics,
        "test_metrics": test,
        "versions": {"recloom": recloom.__version__, "torch": torch.__version__, "numpy": np.__version__},
    }
