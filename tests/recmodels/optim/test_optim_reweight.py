"""RW: the weighted loss by hand, equivalence with weights in the batch and with EISAM's code variant."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TRAIN_TARGETS, ItemOffsets, assert_same_params, clone, train

from recloom.errors import ConfigError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.optim import PlainStep
from recloom.recmodels.optim.eisam import EISAM
from recloom.recmodels.optim.reweight import ReWeight
from recloom.recmodels.optim.weights import ItemWeights


def _weights() -> ItemWeights:
    return ItemWeights.from_targets(TRAIN_TARGETS, 8, "norm", eps=1e-6)


def test_reweight_step_by_hand() -> None:
    """Targets (0, 0, 0, 1), f_exp gamma = 1: w = (2/3, 2) (see the EISAM example).
    Batch (0, 1) at theta = (10, 5): L^w = ((a-1)^2/3 + (b-1)^2) / 2, gradient ((a-1)/3, b-1) = (3, 4);
    SGD lr 0.1: theta' = (9.7, 4.6). Returned loss: unweighted (40.5 + 8) / 2.
    """
    weights = ItemWeights.from_targets(np.array([0, 0, 0, 1]), 2, "exp", gamma=1.0)
    model = ItemOffsets([10.0, 5.0])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = ReWeight(weights).step(model, {"item": torch.tensor([0, 1])}, opt)
    assert loss == pytest.approx(24.25)
    torch.testing.assert_close(model.theta.detach(), torch.tensor([9.7, 4.6], dtype=torch.float64))


def test_reweight_is_plain_step_with_weights_in_the_batch(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    weights = _weights()
    weighted = [{**b, "weight": weights.for_items(b["item"])} for b in batches]
    rw, plain = clone(model), clone(model)
    train(rw, ReWeight(weights), batches)
    train(plain, PlainStep(), weighted)
    assert_same_params(rw, plain, exact=True)


def test_reweight_is_eisam_code_variant_without_radius(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    rw, eisam = clone(model), clone(model)
    assert train(rw, ReWeight(_weights()), batches) == pytest.approx(
        train(eisam, EISAM(_weights(), rho=0.0, lam=0.7, code_variant=True), batches))
    assert_same_params(rw, eisam, exact=False)


def test_reweight_multiplies_existing_batch_weights(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    weights = _weights()
    halves = [{**b, "weight": torch.full(b["item"].shape, 0.5)} for b in batches]
    doubled = ItemWeights(table=weights.table * 0.5, counts=weights.counts)
    a, b = clone(model), clone(model)
    train(a, ReWeight(weights), halves, opt="sgd")
    train(b, ReWeight(doubled), batches, opt="sgd")
    assert_same_params(a, b, exact=False)


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="ItemWeights"):
        ReWeight(torch.ones(3))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_grad_norm"):
        ReWeight(_weights(), max_grad_norm=-1.0)
