"""Capsule routing, cluster attention pooling / alignment and the readouts."""

from __future__ import annotations

import math

import pytest
import torch

from recloom.errors import ConfigError
from recloom.recmodels.layers.capsule import CapsuleRouting, rank_from_end, squash
from recloom.recmodels.layers.cluster_attention import (
    ClusterAlignment,
    ClusterAttentionPooling,
    masked_softmax,
)
from recloom.recmodels.layers.readout import max_interest_scores, target_interest_scores
from recloom.recmodels.layers.self_attentive import SelfAttentiveInterests


@torch.no_grad()
def reference_routing(caps: CapsuleRouting, x: torch.Tensor) -> torch.Tensor:
    """Eqs. 14-15 written out for one user, item by item (no padding)."""
    length = x.shape[0]
    u = [caps.W.weight @ x[j] for j in range(length)]
    g = caps.init_logits[:length].flip(0).clone()  # row r = r-th item counted back from the last
    e = None
    for it in range(caps.n_iters):
        b = torch.softmax(g, dim=1)
        e = []
        for k in range(caps.n_interests):
            m_k = sum(b[j, k] * u[j] for j in range(length))
            n2 = float(m_k @ m_k)
            e.append(m_k * n2 / (1 + n2) / math.sqrt(n2))
        if it < caps.n_iters - 1:
            for j in range(length):
                for k in range(caps.n_interests):
                    g[j, k] += u[j] @ e[k]
    return torch.stack(e)


def test_squash_keeps_direction_and_maps_norm() -> None:
    x = torch.tensor([[3.0, 4.0]])  # norm 5 -> 25/26
    out = squash(x)
    assert torch.allclose(out.norm(), torch.tensor(25 / 26), atol=1e-6)
    assert torch.allclose(out / out.norm(), x / 5, atol=1e-6)


def test_capsule_shapes_and_golden_value() -> None:
    torch.manual_seed(0)
    caps = CapsuleRouting(4, 2, 3, max_len=6)
    x = torch.randn(1, 3, 4)
    out = caps(x, torch.ones(1, 3, dtype=torch.bool))
    assert out.shape == (1, 2, 4)
    golden = torch.tensor(
        [[0.076243, -0.092364, 0.019115, -0.018716], [0.354697, -0.040661, 0.141311, -0.453562]]
    )
    assert torch.allclose(out[0], golden, atol=1e-5)
    assert torch.allclose(out[0], reference_routing(caps, x[0]), atol=1e-5)
    assert (out.norm(dim=-1) < 1).all()


def test_capsule_matches_reference_on_random_users() -> None:
    torch.manual_seed(1)
    caps = CapsuleRouting(8, 4, 3, max_len=10)
    for length in (1, 2, 7):
        x = torch.randn(1, length, 8)
        out = caps(x, torch.ones(1, length, dtype=torch.bool))
        assert torch.allclose(out[0], reference_routing(caps, x[0]), atol=1e-5)


def test_capsule_padding_does_not_change_output() -> None:
    torch.manual_seed(2)
    caps = CapsuleRouting(8, 3, 3, max_len=12)
    real = torch.randn(1, 4, 8)
    base = caps(real, torch.ones(1, 4, dtype=torch.bool))
    garbage = torch.randn(1, 5, 8) * 10  # padded positions with arbitrary content
    left = torch.cat([garbage, real], dim=1)
    assert torch.allclose(caps(left, torch.tensor([[False] * 5 + [True] * 4])), base, atol=1e-6)
    right = torch.cat([real, garbage], dim=1)
    assert torch.allclose(caps(right, torch.tensor([[True] * 4 + [False] * 5])), base, atol=1e-6)


def test_capsule_gradient_flows_only_through_last_iteration() -> None:
    torch.manual_seed(3)
    caps = CapsuleRouting(4, 2, 3, max_len=5)
    x = torch.randn(1, 3, 4, requires_grad=True)
    caps(x, torch.ones(1, 3, dtype=torch.bool)).sum().backward()
    assert x.grad is not None and caps.W.weight.grad is not None
    assert caps.init_logits.requires_grad is False


def test_capsule_rejects_too_long_history() -> None:
    caps = CapsuleRouting(4, 2, max_len=3)
    with pytest.raises(ConfigError, match="max_len=3"):
        caps(torch.randn(1, 4, 4), torch.ones(1, 4, dtype=torch.bool))
    # padding beyond max_len is fine
    assert caps(torch.randn(1, 6, 4), torch.tensor([[False] * 3 + [True] * 3])).shape == (1, 2, 4)


def test_rank_from_end() -> None:
    mask = torch.tensor([[False, True, True, True], [True, True, False, False]])
    assert torch.equal(rank_from_end(mask), torch.tensor([[0, 2, 1, 0], [1, 0, 0, 0]]))


def test_masked_softmax_all_masked_row_is_zero() -> None:
    logits = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    mask = torch.tensor([[True, False], [False, False]])
    out = masked_softmax(logits, mask, dim=-1)
    assert torch.equal(out, torch.tensor([[1.0, 0.0], [0.0, 0.0]]))


def test_cluster_pooling_eq2_by_hand() -> None:
    pool = ClusterAttentionPooling(2)
    with torch.no_grad():
        pool.score.weight.copy_(torch.tensor([[1.0, 0.0]]))
        pool.score.bias.fill_(0.5)
    seq = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]])
    mask = torch.tensor([[[True, True, False], [False, False, True], [False, False, False]]])
    h = pool(seq, mask)[0]
    a = math.exp(1.5) / (math.exp(1.5) + math.exp(0.5))  # w^T v + b = 1.5 and 0.5
    assert torch.allclose(h[0], torch.tensor([a, 1 - a]), atol=1e-6)
    assert torch.allclose(h[1], torch.tensor([2.0, 2.0]))
    assert torch.equal(h[2], torch.zeros(2))  # absent cluster


def test_alignment_ignores_absent_clusters() -> None:
    torch.manual_seed(4)
    align = ClusterAlignment(4)
    m = torch.randn(2, 3, 4)
    h = torch.randn(2, 2, 4)
    present = torch.tensor([[True, True], [True, True]])
    base = align(m, h, present)
    h_pad = torch.cat([h, torch.randn(2, 3, 4) * 5], dim=1)
    present_pad = torch.cat([present, torch.zeros(2, 3, dtype=torch.bool)], dim=1)
    assert torch.allclose(align(m, h_pad, present_pad), base, atol=1e-6)
    none = align(m, h, torch.zeros(2, 2, dtype=torch.bool))
    assert torch.equal(none, torch.zeros_like(none))


def test_self_attentive_padding_invariance() -> None:
    torch.manual_seed(5)
    sa = SelfAttentiveInterests(8, 3, max_len=10)
    real = torch.randn(1, 4, 8)
    base = sa(real, torch.ones(1, 4, dtype=torch.bool))
    padded = torch.cat([torch.randn(1, 3, 8), real], dim=1)
    assert torch.allclose(sa(padded, torch.tensor([[False] * 3 + [True] * 4])), base, atol=1e-6)
    padded = torch.cat([real, torch.randn(1, 3, 8)], dim=1)
    assert torch.allclose(sa(padded, torch.tensor([[True] * 4 + [False] * 3])), base, atol=1e-6)


def test_max_and_target_readouts() -> None:
    interests = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    items = torch.tensor([[2.0, 1.0], [1.0, 3.0], [-1.0, -1.0]])
    assert torch.equal(max_interest_scores(interests, items)[0], torch.tensor([2.0, 3.0, -1.0]))
    masked = max_interest_scores(interests, items, torch.tensor([[True, False]]))
    assert torch.equal(masked[0], torch.tensor([2.0, 1.0, -1.0]))
    # target item 1 is closest to interest 2 -> that interest scores all items
    by_target = target_interest_scores(interests, items, torch.tensor([1]))
    assert torch.equal(by_target[0], torch.tensor([1.0, 3.0, -1.0]))
