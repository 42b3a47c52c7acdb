"""SAM: rho = 0 is plain training, a hand-derived quadratic step, restoration of the weights."""

from __future__ import annotations

import pytest
import torch
from conftest import assert_same_params, clone, train
from torch import Tensor, nn

from recloom.errors import ConfigError
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.optim import PlainStep
from recloom.recmodels.optim.sam import SAM


def test_rho_zero_is_exactly_plain_training(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    plain, sam = clone(model), clone(model)
    losses_plain = train(plain, PlainStep(), batches)
    losses_sam = train(sam, SAM(rho=0.0), batches)
    assert losses_plain == losses_sam
    assert_same_params(plain, sam, exact=True)
    assert not all(torch.equal(p, q) for p, q in zip(model.parameters(), sam.parameters(), strict=True))


def test_rho_zero_with_clipping_matches_plain_with_clipping(toy: tuple[Recommender, list[Batch]]) -> None:
    model, batches = toy
    plain, sam = clone(model), clone(model)
    train(plain, PlainStep(max_grad_norm=0.01), batches, opt="sgd")
    train(sam, SAM(rho=0.0, max_grad_norm=0.01), batches, opt="sgd")
    assert_same_params(plain, sam, exact=True)


class Quadratic(Recommender):
    """l_k = 1/2 ||theta - c_k||^2 with theta in R^2: hand-derivable SAM steps."""

    def __init__(self, theta: list[float]) -> None:
        super().__init__(1, 2)
        self.theta = nn.Parameter(torch.tensor(theta, dtype=torch.float64))

    def per_sample_loss(self, batch: Batch) -> Tensor:
        return 0.5 * ((self.theta - batch["c"]) ** 2).sum(-1)

    def full_scores(self, batch: Batch) -> Tensor:
        return self.theta.expand(len(batch["item"]), 2)


def test_one_sam_step_on_a_quadratic_by_hand() -> None:
    """theta = (4, 1), samples c = (1, 1) and (1, -3): L = mean 1/2||theta - c||^2.

    grad L = theta - mean(c) = (4, 1) - (1, -1) = (3, 2).
    ||g|| = sqrt(13); eps = rho g / sqrt(13) with rho = sqrt(13)/10 gives eps = (0.3, 0.2).
    g_SAM = (theta + eps) - mean(c) = (3.3, 2.2); SGD lr 0.5: theta' = (4 - 1.65, 1 - 1.1) = (2.35, -0.1).
    The returned loss is the unperturbed one: mean(1/2*9, 1/2*(9 + 16)) = (4.5 + 12.5) / 2 = 8.5.
    """
    model = Quadratic([4.0, 1.0])
    batch = {"item": torch.tensor([0, 1]), "c": torch.tensor([[1.0, 1.0], [1.0, -3.0]], dtype=torch.float64)}
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = SAM(rho=13**0.5 / 10).step(model, batch, opt)
    assert loss == pytest.approx(8.5, abs=1e-12)
    torch.testing.assert_close(model.theta.detach(), torch.tensor([2.35, -0.1], dtype=torch.float64),
                               atol=1e-9, rtol=0)
    expected_grad = torch.tensor([3.3, 2.2], dtype=torch.float64)
    torch.testing.assert_close(model.theta.grad, expected_grad, atol=1e-9, rtol=0)


def test_a_failing_perturbed_pass_leaves_the_weights_untouched() -> None:
    class FailsSecondTime(Quadratic):
        calls = 0

        def per_sample_loss(self, batch: Batch) -> Tensor:
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("boom in the perturbed pass")
            return super().per_sample_loss(batch)

    model = FailsSecondTime([4.0, 1.0])
    batch = {"item": torch.tensor([0]), "c": torch.tensor([[0.0, 0.0]], dtype=torch.float64)}
    with pytest.raises(RuntimeError, match="boom"):
        SAM(rho=1.0).step(model, batch, torch.optim.SGD(model.parameters(), lr=0.1))
    assert model.theta.tolist() == [4.0, 1.0]
    assert model.theta.grad is None


def test_sam_respects_batch_weights() -> None:
    model = Quadratic([4.0, 1.0])
    c = torch.tensor([[1.0, 1.0], [1.0, -3.0]], dtype=torch.float64)
    weighted = {"item": torch.tensor([0, 1]), "c": c, "weight": torch.tensor([2.0, 0.0])}
    only_first = {"item": torch.tensor([0]), "c": torch.tensor([[1.0, 1.0]], dtype=torch.float64)}
    other = Quadratic([4.0, 1.0])
    SAM(rho=0.3).step(model, weighted, torch.optim.SGD(model.parameters(), lr=0.5))
    SAM(rho=0.3).step(other, only_first, torch.optim.SGD(other.parameters(), lr=0.5))
    assert_same_params(model, other, exact=False)


@pytest.mark.parametrize("kwargs", [{"rho": -0.1}, {"rho": float("nan")}, {"max_grad_norm": 0.0}])
def test_bad_options(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        SAM(**kwargs)
