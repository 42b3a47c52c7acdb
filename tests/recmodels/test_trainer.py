"""Trainer: seeded determinism, early stopping with best restore, callbacks swapping data, step hook."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from recmodels_micro import make_micro

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.callbacks import EpochLog, LambdaCallback
from recloom.recmodels.evaluation import EvalData, EvalSpec
from recloom.recmodels.optim.base import PlainStep
from recloom.recmodels.registry import get_model
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything


def setup(name: str = "mf", **cfg: object) -> Trainer:
    m = make_micro()
    seed_everything(1)
    data = PairwiseData(m.user, m.item, m.n_users, m.n_items)
    model = get_model(name, m.n_users, m.n_items, interactions=data.matrix)
    config = TrainConfig(**{"epochs": 3, "batch_size": 64, "lr": 1e-2, "seed": 1, "quiet": True, **cfg})
    valid = EvalData.for_users(m.valid, m.train)
    return Trainer(model, data, config, valid=valid, eval_spec=EvalSpec(ks=(5, 10)))


def params(model: Recommender) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def test_same_seed_same_run_different_seed_different_run() -> None:
    a, b, c = setup(), setup(), setup(seed=2)
    ra, rb, rc = a.fit(), b.fit(), c.fit()
    assert [e.loss for e in ra.history] == [e.loss for e in rb.history]
    assert all(torch.equal(x, y) for x, y in zip(params(a.model), params(b.model), strict=True))
    assert [e.loss for e in ra.history] != [e.loss for e in rc.history]
    assert all(e.train_seconds > 0 and e.n_samples == len(a.train_data) for e in ra.history)


def test_early_stopping_restores_the_best_epoch() -> None:
    snapshots: dict[int, list[torch.Tensor]] = {}
    trainer = setup(epochs=40, lr=0.3, patience=2, monitor="ndcg@5")  # big lr: validation gets worse

    def snap(t: Trainer, log: EpochLog) -> None:
        snapshots[log.epoch] = params(t.model)

    trainer.callbacks.append(LambdaCallback(on_epoch_end=snap))
    result = trainer.fit()
    scores = [e.metrics["ndcg@5"] for e in result.history]
    assert result.stopped_early and len(result.history) < 40
    assert result.best_epoch == int(np.argmax(scores))
    assert all(s <= scores[result.best_epoch] for s in scores[result.best_epoch + 1:])
    assert len(result.history) == result.best_epoch + 1 + 2  # exactly `patience` worse validations
    best = snapshots[result.best_epoch]
    assert all(torch.equal(x, y) for x, y in zip(params(trainer.model), best, strict=True))


def test_callback_can_swap_training_data_and_graph_follows() -> None:
    trainer = setup("lightgcn", epochs=2)
    m = make_micro()
    bigger = PairwiseData(np.concatenate([m.user, [0, 1]]), np.concatenate([m.item, [39, 38]]),
                          m.n_users, m.n_items)
    seen: list[int] = []

    def swap(t: Trainer, epoch: int) -> None:
        if epoch == 1:
            t.replace_train_data(bigger)

    def count(t: Trainer, log: EpochLog) -> None:
        seen.append(log.n_samples)

    trainer.callbacks.append(LambdaCallback(on_epoch_begin=swap, on_epoch_end=count))
    before_nnz = trainer.model.adj.csr._nnz()
    trainer.fit()
    assert seen == [len(m.user), len(m.user) + 2]
    assert trainer.model.adj.csr._nnz() == before_nnz + 4  # two new undirected edges


def test_step_rule_called_once_per_batch_and_stop_request() -> None:
    class Counting(PlainStep):
        calls = 0

        def step(self, model, batch, optimizer):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return super().step(model, batch, optimizer)

    trainer = setup(epochs=5)
    trainer.step_rule = Counting()
    trainer.callbacks.append(LambdaCallback(on_epoch_end=lambda t, log: t.request_stop()))
    result = trainer.fit()
    n_batches = -(-len(trainer.train_data) // 64)
    assert len(result.history) == 1 and Counting.calls == n_batches


def test_monitor_must_be_computed() -> None:
    with pytest.raises(ConfigError, match="cutoff 20"):
        setup(monitor="ndcg@20")
    with pytest.raises(ConfigError, match="not among the validation metrics"):
        setup(monitor="auc").fit()
