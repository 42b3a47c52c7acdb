"""Every step rule drives the project's MF, LightGCN and SASRec through the Trainer on ml-100k."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from recloom.data.loaders import load_dataset
from recloom.recmodels.base import Recommender
from recloom.recmodels.optim import STEP_RULES, get_step_rule
from recloom.recmodels.registry import get_model
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.sequences import SequenceData
from recloom.recmodels.trainer import TrainConfig, Trainer


@pytest.fixture(scope="module")
def small_ml100k() -> Any:
    ds = load_dataset("ml-100k")
    inter = ds.interactions
    return ds.with_interactions(inter.subset(inter.user < 60)).compact()


def _data(ds: Any, model_name: str) -> PairwiseData | SequenceData:
    if model_name == "sasrec":
        seqs = ds.interactions.sequences(n_users=ds.n_users)
        return SequenceData.from_sequences(seqs, ds.n_items, maxlen=10)
    inter = ds.interactions
    return PairwiseData(inter.user, inter.item, ds.n_users, ds.n_items)


def _model(ds: Any, name: str, data: PairwiseData | SequenceData) -> Recommender:
    torch.manual_seed(0)
    hp: dict[str, Any] = {"embedding_dim": 16}
    if name == "sasrec":
        hp = {"hidden_size": 16, "n_layers": 1, "inner_size": 32, "maxlen": 10}
    if name == "lightgcn":
        return get_model(name, ds.n_users, ds.n_items, interactions=data.matrix, n_layers=2, **hp)  # type: ignore[union-attr]
    return get_model(name, ds.n_users, ds.n_items, **hp)


@pytest.mark.parametrize("model_name", ["mf", "lightgcn", "sasrec"])
@pytest.mark.parametrize("rule_name", STEP_RULES)
def test_rule_trains_project_model(small_ml100k: Any, model_name: str, rule_name: str) -> None:
    ds = small_ml100k
    data = _data(ds, model_name)
    model = _model(ds, model_name, data)
    options: dict[str, Any] = {"rho": 0.05} if rule_name in {"sam", "eisam", "groupsam"} else {}
    if rule_name in {"eisam", "groupsam", "rw"}:
        options.update(train_items=data.item, n_items=ds.n_items)
    rule = get_step_rule(rule_name, **options)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    config = TrainConfig(epochs=2, batch_size=512, lr=5e-3, quiet=True, seed=0)
    result = Trainer(model, data, config, step_rule=rule).fit()
    losses = [e.loss for e in result.history]
    assert all(np.isfinite(losses))
    assert losses[1] < losses[0]
    after = model.state_dict()
    assert any(v.is_floating_point() and not torch.equal(v, after[k]) for k, v in before.items())
