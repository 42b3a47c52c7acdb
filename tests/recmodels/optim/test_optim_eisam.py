"""EISAM: a hand-derived two-parameter step, the code variant, and its limits (plain, SAM)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TRAIN_TARGETS, ItemOffsets, assert_same_params, clone, train

from recloom.errors import ConfigError, DataError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.optim import PlainStep
from recloom.recmodels.optim.eisam import EISAM
from recloom.recmodels.optim.sam import SAM
from recloom.recmodels.optim.weights import ItemWeights


def _hand_example(code_variant: bool) -> tuple[ItemOffsets, float]:
    weights = ItemWeights.from_targets(np.array([0, 0, 0, 1]), 2, "exp", gamma=1.0)
    model = ItemOffsets([10.0, 5.0])
    rule = EISAM(weights, rho=0.5, lam=0.5, code_variant=code_variant)
    loss = rule.step(model, {"item": torch.tensor([0, 1])}, torch.optim.SGD(model.parameters(), lr=0.1))
    return model, loss


def test_eisam_step_by_hand() -> None:
    """Training targets (0, 0, 0, 1): q = (3/4, 1/4); f_exp with gamma = 1: f = (1/4, 3/4).
    Mean over training samples (3 * 1/4 + 3/4) / 4 = 3/8, so w = (2/3, 2).

    Batch items (0, 1) at theta = (a, b) = (10, 5); l_0 = (a - 1)^2 / 2 = 40.5, l_1 = (b - 1)^2 / 2 = 8.
    L_B = (l_0 + l_1) / 2 = 24.25 (the returned loss); L^w = (2/3 l_0 + 2 l_1) / 2 = (a-1)^2/6 + (b-1)^2/2.
    g_w = ((a - 1)/3, b - 1) = (3, 4), ||g_w|| = 5; rho = 0.5: eps = (0.3, 0.4), theta + eps = (10.3, 5.4).
    g_1 = grad L^w at theta + eps = (9.3 / 3, 4.4) = (3.1, 4.4).
    g_2 = grad (L_B - lambda L^w) at theta = ((a-1)/2, (b-1)/2) - 0.5 (3, 4) = (4.5 - 1.5, 2 - 2) = (3, 0).
    update = lambda g_1 + g_2 = (1.55 + 3, 2.2 + 0) = (4.55, 2.2); SGD lr 0.1: theta' = (9.545, 4.78).
    """
    model, loss = _hand_example(code_variant=False)
    assert loss == pytest.approx(24.25, abs=1e-9)
    torch.testing.assert_close(model.theta.detach(), torch.tensor([9.545, 4.78], dtype=torch.float64),
                               atol=1e-6, rtol=0)
    expected_grad = torch.tensor([4.55, 2.2], dtype=torch.float64)
    torch.testing.assert_close(model.theta.grad, expected_grad, atol=1e-6, rtol=0)


def test_code_variant_step_by_hand() -> None:
    """Same example with L_B := L^w_B (released trainer): update = lambda g_1 + (1 - lambda) g_w
    = 0.5 (3.1, 4.4) + 0.5 (3, 4) = (3.05, 4.2); theta' = (10 - 0.305, 5 - 0.42) = (9.695, 4.58).
    The returned loss is still the unweighted L_B = 24.25.
    """
    model, loss = _hand_example(code_variant=True)
    assert loss == pytest.approx(24.25, abs=1e-9)
    torch.testing.assert_close(model.theta.detach(), torch.tensor([9.695, 4.58], dtype=torch.float64),
                               atol=1e-6, rtol=0)


def _weights(n_items: int = 8) -> ItemWeights:
    return ItemWeights.from_targets(TRAIN_TARGETS, n_items, "exp", gamma=20.0)


@pytest.mark.parametrize("kwargs", [{"rho": 0.0, "lam": 0.5}, {"rho": 0.1, "lam": 0.0}])
def test_no_radius_or_no_lambda_is_plain_training(toy: tuple[Recommender, list[Batch]],
                                                  kwargs: dict[str, float]) -> None:
    model, batches = toy
    plain, eisam = clone(model), clone(model)
    losses = train(eisam, EISAM(_weights(), **kwargs), batches)
    assert train(plain, PlainStep(), batches) == pytest.approx(losses)
    assert_same_params(plain, eisam, exact=False)


def test_uniform_weights_and_lambda_one_is_sam(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    uniform = ItemWeights(table=torch.ones(8), counts=np.ones(8, dtype=np.int64))
    sam, eisam = clone(model), clone(model)
    train(sam, SAM(rho=0.2), batches)
    train(eisam, EISAM(uniform, rho=0.2, lam=1.0), batches)
    assert_same_params(sam, eisam, exact=False)


def test_tail_weights_change_the_update(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    uniform = ItemWeights(table=torch.ones(8), counts=np.ones(8, dtype=np.int64))
    a, b = clone(model), clone(model)
    train(a, EISAM(uniform, rho=0.2, lam=1.0), batches)
    train(b, EISAM(_weights(), rho=0.2, lam=1.0), batches)
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    assert max(float((p - q).detach().abs().max()) for p, q in pairs) > 1e-4


def test_missing_item_key_is_reported_before_any_forward_pass() -> None:
    model = ItemOffsets([1.0, 2.0])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ConfigError, match="EISAM needs batch\\['item'\\]"):
        EISAM(_weights()).step(model, {"user": torch.tensor([0])}, opt)


def test_items_without_training_frequency_are_reported() -> None:
    model = ItemOffsets([1.0, 2.0, 3.0])
    weights = ItemWeights.from_targets(torch.tensor([0, 0, 2]), 3, "exp", gamma=2.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError, match="item 1, which is never a target"):
        EISAM(weights).step(model, {"item": torch.tensor([0, 1])}, opt)
    assert model.theta.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("kwargs", [{"lam": -1.0}, {"rho": -0.1}, {"lam": float("inf")}])
def test_bad_options(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        EISAM(_weights(), **kwargs)
    with pytest.raises(ConfigError, match="ItemWeights"):
        EISAM(torch.ones(8))  # type: ignore[arg-type]
