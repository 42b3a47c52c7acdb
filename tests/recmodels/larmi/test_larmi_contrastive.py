"""The cluster contrastive loss against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from recloom.errors import DataError
from recloom.recmodels.contrastive import cluster_contrastive_loss, pair_masks, per_user_contrastive

# four items in 2-d, clusters A = {0, 1}, B = {2, 3}
EMB = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
ITEMS = torch.tensor([[0, 1, 2, 3]])
MEMBER = torch.tensor([[[1, 0], [1, 0], [0, 1], [0, 1]]], dtype=torch.bool)


def test_hand_computed_raw_dot_products() -> None:
    # tau = 0.5, s = dot / 0.5. Per anchor: log(sum over negatives of e^s) - s(positive)
    # anchor 0: pos 1 (s=2), neg 2 (s=0), 3 (s=-2): log(1 + e^-2) - 2      = -1.873072
    # anchor 1: pos 0 (s=2), neg 2 (s=2), 3 (s=-2): log(e^2 + e^-2) - 2    =  0.018150
    # anchor 2: pos 3 (s=0), neg 0 (s=0), 1 (s=2):  log(1 + e^2) - 0       =  2.126928
    # anchor 3: pos 2 (s=0), neg 0 (s=-2), 1 (s=-2): log(2 e^-2) - 0       = -1.306853
    expected = (
        math.log(1 + math.exp(-2)) - 2
        + math.log(math.exp(2) + math.exp(-2)) - 2
        + math.log(1 + math.exp(2))
        + math.log(2) - 2
    )
    assert expected == pytest.approx(-1.034847, abs=1e-6)
    loss = cluster_contrastive_loss(EMB, ITEMS, MEMBER, tau=0.5, normalize=False)
    assert float(loss) == pytest.approx(expected, abs=1e-5)


def test_mean_reduction_divides_by_the_pairs_used() -> None:
    total = per_user_contrastive(EMB, ITEMS, MEMBER, tau=0.5, normalize=False)
    mean = per_user_contrastive(EMB, ITEMS, MEMBER, tau=0.5, normalize=False, reduction="mean")
    assert torch.allclose(mean, total / 4)  # four anchors with one positive each


def test_hand_computed_normalised() -> None:
    # item 1 becomes (1, 1)/sqrt(2); with tau = 1 the cosine values are
    # cos(0,1) = r, cos(0,2) = 0, cos(0,3) = -1, cos(1,2) = r, cos(1,3) = -r, cos(2,3) = 0, r = 1/sqrt 2
    r = 1 / math.sqrt(2)
    expected = (
        math.log(math.exp(0) + math.exp(-1)) - r  # anchor 0
        + math.log(math.exp(r) + math.exp(-r)) - r  # anchor 1
        + math.log(math.exp(0) + math.exp(r)) - 0  # anchor 2
        + math.log(math.exp(-1) + math.exp(-r)) - 0  # anchor 3
    )
    loss = cluster_contrastive_loss(EMB, ITEMS, MEMBER, tau=1.0, normalize=True)
    assert float(loss) == pytest.approx(expected, abs=1e-5)


def test_overlapping_clusters_and_skipped_anchors() -> None:
    # clusters {0, 1} and {1, 2}; item 1 is in both: positives of 1 are {0, 2}, it has no negative
    # -> skipped. Anchor 0: pos 1, neg 2. Anchor 2: pos 1, neg 0.
    member = torch.tensor([[[1, 0], [1, 1], [0, 1]]], dtype=torch.bool)
    items = torch.tensor([[0, 1, 2]])
    pos, neg = pair_masks(member)
    assert pos[0].tolist() == [[False, True, False], [True, False, True], [False, True, False]]
    assert neg[0].tolist() == [[False, False, True], [False, False, False], [True, False, False]]
    loss = per_user_contrastive(EMB, items, member, tau=1.0, normalize=False)
    # anchor 0: s01 = 1, s02 = 0 -> 0 - 1; anchor 2: s21 = 1, s20 = 0 -> 0 - 1
    assert float(loss[0]) == pytest.approx(-2.0, abs=1e-6)


def test_padding_and_mean_over_users() -> None:
    single = float(cluster_contrastive_loss(EMB, ITEMS, MEMBER, tau=0.5, normalize=False))
    # user 2: the same four items, padded to 6 positions with garbage item ids, no membership
    items = torch.tensor([[0, 1, 2, 3, 0, 0], [0, 1, 2, 3, 3, 2]])
    member = torch.zeros(2, 6, 2, dtype=torch.bool)
    member[:, :4] = MEMBER[0]
    per_user = per_user_contrastive(EMB, items, member, tau=0.5, normalize=False)
    assert torch.allclose(per_user, torch.tensor([single, single]), atol=1e-5)
    # a user with one cluster only has no negatives: contributes 0 but counts in |B|
    member[1] = False
    member[1, :4, 0] = True
    both = cluster_contrastive_loss(EMB, items, member, tau=0.5, normalize=False)
    assert float(both) == pytest.approx(single / 2, abs=1e-5)


def test_gradient_pulls_cluster_mates_together() -> None:
    emb = torch.randn(4, 8, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    opt = torch.optim.SGD([emb], lr=0.5)
    for _ in range(50):
        opt.zero_grad()
        cluster_contrastive_loss(emb, ITEMS, MEMBER).backward()
        opt.step()
    e = torch.nn.functional.normalize(emb.detach(), dim=-1)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2]) and float(e[2] @ e[3]) > float(e[1] @ e[3])


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="differ"):
        cluster_contrastive_loss(EMB, ITEMS, MEMBER[:, :3])
    with pytest.raises(DataError, match="tau"):
        cluster_contrastive_loss(EMB, ITEMS, MEMBER, tau=0.0)
