"""GroupSAM: hand-derived per-group steps, one group = SAM, rho = 0 = plain, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import ItemOffsets, assert_same_params, clone, train

from recloom.errors import ConfigError, DataError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.groups import head_tail_groups
from recloom.recmodels.optim import PlainStep
from recloom.recmodels.optim.groupsam import GroupSAM
from recloom.recmodels.optim.sam import SAM


def _step(balance: bool) -> ItemOffsets:
    model = ItemOffsets([10.0, 5.0])
    rule = GroupSAM([0, 1], rho=0.5, balance=balance)
    loss = rule.step(model, {"item": torch.tensor([0, 0, 1])}, torch.optim.SGD(model.parameters(), lr=0.1))
    assert loss == pytest.approx((40.5 + 40.5 + 8.0) / 3)
    return model


def test_groupsam_step_by_hand() -> None:
    """Items 0 and 1 are their own groups; batch items (0, 0, 1) at theta = (a, b) = (10, 5).

    L_0 = 2 * (a - 1)^2 / 2 / 3 depends on a only, so eps_0 = (rho, 0) and its perturbed gradient is
    (2 (a + rho - 1) / 3, 0) = (2 * 9.5 / 3, 0); likewise L_1 = (b - 1)^2 / 2 / 3 gives (0, 4.5 / 3).
    update = (19/3, 1.5); SGD lr 0.1: theta' = (10 - 19/30, 5 - 0.15).
    (SAM would perturb along (6, 4/3) jointly and give a different step.)
    """
    model = _step(balance=False)
    torch.testing.assert_close(model.theta.grad, torch.tensor([19 / 3, 1.5], dtype=torch.float64))
    torch.testing.assert_close(model.theta.detach(), torch.tensor([10 - 19 / 30, 4.85], dtype=torch.float64))


def test_balanced_groupsam_step_by_hand() -> None:
    """Balanced: L_g = group mean / G, so update = ((a + rho - 1), (b + rho - 1)) / 2 = (4.75, 2.25)."""
    model = _step(balance=True)
    torch.testing.assert_close(model.theta.grad, torch.tensor([4.75, 2.25], dtype=torch.float64))


def test_one_group_is_sam(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    sam, group = clone(model), clone(model)
    train(sam, SAM(rho=0.3), batches)
    train(group, GroupSAM(np.zeros(8, dtype=np.int64), rho=0.3), batches)
    assert_same_params(sam, group, exact=False)


def test_head_tail_rho_zero_is_plain_rho_positive_is_not_sam(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    head_tail = head_tail_groups(np.array([20, 6, 3, 2, 1, 1, 1, 1]), 0.2)
    plain, flat, sam, group = clone(model), clone(model), clone(model), clone(model)
    losses = train(flat, GroupSAM(head_tail, rho=0.0), batches)
    assert train(plain, PlainStep(), batches) == pytest.approx(losses)
    assert_same_params(plain, flat, exact=False)
    train(sam, SAM(rho=0.3), batches)
    train(group, GroupSAM(head_tail, rho=0.3), batches)
    pairs = zip(sam.parameters(), group.parameters(), strict=True)
    assert max(float((p - q).detach().abs().max()) for p, q in pairs) > 1e-4


def test_bad_group_maps_and_foreign_items() -> None:
    for bad in ([], [[0, 1]], [0.5, 1.0], [0, -1]):
        with pytest.raises(ConfigError):
            GroupSAM(bad)  # type: ignore[arg-type]
    model = ItemOffsets([1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="outside \\[0, 2\\)"):
        GroupSAM([0, 1]).step(model, {"item": torch.tensor([2])}, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ConfigError, match="GroupSAM needs batch"):
        GroupSAM([0, 1]).step(model, {"user": torch.tensor([0])}, torch.optim.SGD(model.parameters(), lr=0.1))
