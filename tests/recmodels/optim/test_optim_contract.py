"""Every step rule through the factory: the StepRule contract and a clean model after each step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from conftest import TRAIN_TARGETS

from recloom.errors import ConfigError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.groups import head_tail_groups
from recloom.recmodels.optim import STEP_RULES, ItemWeights, StepRule, get_step_rule
from recloom.recmodels.optim.weights import item_counts

OPTIONS: dict[str, dict[str, Any]] = {
    "plain": {},
    "sam": {"rho": 0.2},
    "eisam": {"rho": 0.2, "lam": 0.5, "train_items": TRAIN_TARGETS, "n_items": 8},
    "groupsam": {"rho": 0.2, "train_items": TRAIN_TARGETS, "n_items": 8},
    "rw": {"train_items": TRAIN_TARGETS, "n_items": 8, "weight_fn": "norm"},
}


@pytest.mark.parametrize("name", STEP_RULES)
def test_step_leaves_no_perturbation_and_reports_the_unperturbed_loss(
    name: str, toy: tuple[Recommender, list[Batch]]
) -> None:
    model, batches = toy
    rule = get_step_rule(name, **OPTIONS[name])
    assert isinstance(rule, StepRule)
    frozen = next(iter(model.parameters()))
    frozen.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.1)
    for batch in batches[:3]:
        before = [p.detach().clone() for p in model.parameters()]
        frozen_before = frozen.detach().clone()
        with torch.no_grad():
            expected_loss = float(model.loss(batch))
        assert rule.step(model, batch, opt) == pytest.approx(expected_loss, rel=1e-6)
        assert torch.equal(frozen, frozen_before) and frozen.grad is None
        for p, old in zip(model.parameters(), before, strict=True):
            if p.requires_grad:  # SGD: w' = w - lr * grad, so any leftover perturbation would show
                torch.testing.assert_close(p.detach(), old - 0.1 * p.grad, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", STEP_RULES)
def test_repeated_steps_on_one_batch_reduce_the_loss(name: str, toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    rule = get_step_rule(name, **OPTIONS[name])
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = [rule.step(model, batches[0], opt) for _ in range(30)]
    assert losses[-1] < 0.7 * losses[0]


def test_factory_builds_weights_with_default_gamma_and_head_tail_groups() -> None:
    rule = get_step_rule("EISAM", train_items=TRAIN_TARGETS, n_items=8)
    expected = ItemWeights.from_targets(TRAIN_TARGETS, 8, "exp", gamma=50.0)
    torch.testing.assert_close(rule.weights.table, expected.table)  # type: ignore[attr-defined]
    assert (rule.params.rho, rule.params.lam, rule.params.code_variant) == (0.05, 0.5, False)  # type: ignore[attr-defined]
    group = get_step_rule("groupsam", train_items=TRAIN_TARGETS, n_items=8, head_share=0.25)
    expected_groups = head_tail_groups(item_counts(TRAIN_TARGETS, 8), 0.25)
    assert group.item_groups.tolist() == expected_groups.tolist()  # type: ignore[attr-defined]
    weights = ItemWeights.from_targets(TRAIN_TARGETS, 8, "eff", beta=0.9)
    assert get_step_rule("rw", weights=weights).weights is weights  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("adamw", {}, "unknown step rule 'adamw'"),
        ("sam", {"lam": 0.5}, "does not take option\\(s\\) \\['lam'\\]"),
        ("eisam", {}, "needs weights=ItemWeights, or train_items="),
        ("groupsam", {"n_items": 8}, "needs item_groups="),
        ("rw", {"weights": None, "train_items": TRAIN_TARGETS, "n_items": 8, "weight_fn": "cubic"},
         "unknown weighting function 'cubic'"),
        ("groupsam", {"train_items": TRAIN_TARGETS, "n_items": 8, "head_share": 1.5}, "head_share"),
        ("rw", {"weights": ItemWeights.from_targets(np.array([0, 1]), 2), "gamma": 3.0}, "not both"),
    ],
)
def test_factory_errors_name_the_option(name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_step_rule(name, **params)


class SparseToy(Recommender):
    """Sparse-gradient item embeddings (nn.Embedding(sparse=True)) and a dense user table."""

    def __init__(self) -> None:
        super().__init__(6, 8)
        self.users = torch.nn.Parameter(torch.randn(6, 3))
        self.items = torch.nn.Embedding(8, 3, sparse=True)

    def per_sample_loss(self, batch: Batch) -> torch.Tensor:
        u = self.users[batch["user"]]
        diff = (u * self.items(batch["item"])).sum(-1) - (u * self.items(batch["neg_item"])).sum(-1)
        return torch.nn.functional.softplus(-diff)

    def full_scores(self, batch: Batch) -> torch.Tensor:
        return self.users[batch["user"]] @ self.items.weight.T


@pytest.mark.parametrize("name", STEP_RULES)
def test_sparse_gradients_are_supported(name: str) -> None:
    from conftest import pairwise_batch

    torch.manual_seed(0)
    model, batch = SparseToy(), pairwise_batch(3)
    before = [p.detach().clone() for p in model.parameters()]
    rule = get_step_rule(name, **OPTIONS[name])
    rule.step(model, batch, torch.optim.SGD(model.parameters(), lr=0.1))
    assert model.items.weight.grad is not None and model.items.weight.grad.is_sparse
    for p, old in zip(model.parameters(), before, strict=True):
        torch.testing.assert_close(p.detach(), old - 0.1 * p.grad.to_dense(), rtol=0, atol=1e-6)
    assert not torch.equal(model.items.weight, before[1])
