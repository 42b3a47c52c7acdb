"""Tiny recommenders of the tests' own (not the project's models) that implement the contract."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from recloom.recmodels.base import Batch, Recommender


class PairwiseToy(Recommender):
    """Dot-product scores with an item bias; BPR per-sample loss on (user, item, neg_item)."""

    def __init__(self, n_users: int = 6, n_items: int = 8, dim: int = 3) -> None:
        super().__init__(n_users, n_items)
        self.users = nn.Parameter(torch.randn(n_users, dim) * 0.5)
        self.items = nn.Parameter(torch.randn(n_items, dim) * 0.5)
        self.bias = nn.Parameter(torch.zeros(n_items))

    def _score(self, users: Tensor, items: Tensor) -> Tensor:
        return (self.users[users] * self.items[items]).sum(-1) + self.bias[items]

    def per_sample_loss(self, batch: Batch) -> Tensor:
        diff = self._score(batch["user"], batch["item"]) - self._score(batch["user"], batch["neg_item"])
        return F.softplus(-diff)

    def full_scores(self, batch: Batch) -> Tensor:
        return self.users[batch["user"]] @ self.items.T + self.bias


class SequenceToy(Recommender):
    """Mean of the history's item vectors through a linear map; softmax cross-entropy on the target."""

    def __init__(self, n_items: int = 8, dim: int = 4) -> None:
        super().__init__(1, n_items)
        self.embed = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.proj = nn.Linear(dim, n_items)

    def full_scores(self, batch: Batch) -> Tensor:
        seq = batch["item_seq"]
        pooled = self.embed(seq).sum(1) / batch["seq_len"].clamp(min=1).unsqueeze(1).to(torch.float32)
        return self.proj(torch.tanh(pooled))

    def per_sample_loss(self, batch: Batch) -> Tensor:
        return F.cross_entropy(self.full_scores(batch), batch["item"], reduction="none")


class ItemOffsets(Recommender):
    """One scalar per item, theta = (a, b); a sample about item i has loss 1/2 (theta_i - 1)^2."""

    def __init__(self, theta: list[float]) -> None:
        super().__init__(1, len(theta))
        self.theta = nn.Parameter(torch.tensor(theta, dtype=torch.float64))

    def per_sample_loss(self, batch: Batch) -> Tensor:
        return 0.5 * (self.theta[batch["item"]] - 1.0) ** 2

    def full_scores(self, batch: Batch) -> Tensor:
        return self.theta.expand(len(batch["item"]), self.n_items)


def pairwise_batch(seed: int = 0, size: int = 10) -> Batch:
    g = torch.Generator().manual_seed(seed)
    return {
        "user": torch.randint(0, 6, (size,), generator=g),
        "item": torch.tensor([0, 0, 0, 1, 1, 2, 3, 0, 5, 7])[:size],
        "neg_item": torch.randint(0, 8, (size,), generator=g),
    }


def sequence_batch(seed: int = 0, size: int = 10) -> Batch:
    g = torch.Generator().manual_seed(seed)
    seq = torch.randint(1, 9, (size, 5), generator=g)
    seq[:3, :2] = 0  # left padding
    return {
        "item_seq": seq,
        "seq_len": (seq > 0).sum(1),
        "item": torch.tensor([0, 0, 0, 1, 1, 2, 3, 0, 5, 7])[:size],
    }


@pytest.fixture(params=["pairwise", "sequence"])
def toy(request: pytest.FixtureRequest) -> tuple[Recommender, list[Batch]]:
    """A freshly seeded toy model and six batches of its kind."""
    torch.manual_seed(0)
    if request.param == "pairwise":
        return PairwiseToy(), [pairwise_batch(seed) for seed in range(6)]
    return SequenceToy(), [sequence_batch(seed) for seed in range(6)]


# Training targets behind the item weights: item 0 is the head, items 4..7 are seen once.
TRAIN_TARGETS = torch.tensor([0] * 20 + [1] * 6 + [2] * 3 + [3, 3, 4, 5, 6, 7])


def clone(model: Recommender) -> Recommender:
    """An independent copy with identical parameters."""
    import copy

    return copy.deepcopy(model)


def train(model: Recommender, rule: object, batches: list[Batch], opt: str = "adam") -> list[float]:
    """Run ``rule.step`` over ``batches`` with a fresh Adam (or SGD) optimiser; return the losses."""
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=0.05) if opt == "adam" else torch.optim.SGD(params, lr=0.1)
    return [rule.step(model, b, optimizer) for b in batches]  # type: ignore[attr-defined]


def assert_same_params(a: nn.Module, b: nn.Module, exact: bool = True) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        if exact:
            assert torch.equal(p, q), f"parameter {name} differs"
        else:
            torch.testing.assert_close(p, q, msg=f"parameter {name} differs")
