"""Group influence (ToP-Rec Definition 1) against a brute force: explicit loop over steps and groups,
full gradients of each group-mean loss at θ_{s-1}, explicit masks / dense projection matrices."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from recmodels_micro import make_micro

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.callbacks import LambdaCallback
from recloom.recmodels.influence import (
    InfluenceConfig,
    InfluenceTracker,
    min_max,
    per_sample_directional,
    random_groups,
)
from recloom.recmodels.influence_reduce import CountSketch, topk_mask_direction
from recloom.recmodels.mf import MF, MFConfig
from recloom.recmodels.optim.base import PlainStep
from recloom.recmodels.registry import get_model
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything


class Recorder:
    """Step rule that records (batch, θ before, θ after) of every step, grouped by epoch."""

    def __init__(self) -> None:
        self.inner = PlainStep()
        self.epochs: list[list[tuple[dict, dict, dict]]] = []

    def step(self, model: Recommender, batch: dict, optimizer: torch.optim.Optimizer) -> float:
        before = copy.deepcopy(model.state_dict())
        loss = self.inner.step(model, batch, optimizer)
        self.epochs[-1].append((batch, before, copy.deepcopy(model.state_dict())))
        return loss


def train_tiny(config: InfluenceConfig, epochs: int = 3, optimizer: str = "adam",
               dtype: torch.dtype = torch.float64) -> tuple[InfluenceTracker, Recorder, MF]:
    m = make_micro(seed=3, n_users=12, n_items=40)
    seed_everything(0)
    model = MF(m.n_users, m.n_items, MFConfig(embedding_dim=4, reg_weight=1e-3)).to(dtype)
    data = PairwiseData(m.user, m.item, m.n_users, m.n_items, n_neg=2)
    recorder = Recorder()
    tracker = InfluenceTracker(m.n_users, config)
    trainer = Trainer(model, data, TrainConfig(epochs=epochs, batch_size=16, lr=0.05, optimizer=optimizer,
                                               quiet=True, seed=0), step_rule=recorder,
                      callbacks=[LambdaCallback(on_epoch_begin=lambda t, e: recorder.epochs.append([])),
                                 tracker])
    trainer.fit()
    return tracker, recorder, model


def brute_group_grads(model: MF, state: dict, batch: dict, groups: np.ndarray, n_groups: int) -> list[dict]:
    """Full gradient of every group-mean loss at ``state``; None for groups absent from the batch."""
    probe = copy.deepcopy(model)
    probe.load_state_dict(state)
    out = []
    batch_groups = groups[batch["user"].numpy()]
    for g in range(n_groups):
        rows = np.flatnonzero(batch_groups == g)
        if len(rows) == 0:
            out.append(None)
            continue
        sub = {k: v[torch.from_numpy(rows)] for k, v in batch.items()}
        probe.zero_grad()
        probe.per_sample_loss(sub).mean().backward()
        out.append({n: p.grad.detach().clone() for n, p in probe.named_parameters()})
    return out


def brute_topk(grad: dict, delta: dict, d: int) -> float:
    total = 0.0
    for name, dt in delta.items():
        flat = dt.reshape(-1)
        order = np.argsort(-flat.abs().numpy(), kind="stable")
        keep = order[:d] if flat.numel() > d else order
        total += float((grad[name].reshape(-1)[keep] * flat[keep]).sum())
    return total


def brute_influence(model: MF, recorder: Recorder, config: InfluenceConfig, groups: np.ndarray,
                    project: CountSketch | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    dense = project.dense() if project is not None else None
    epoch_vectors = []
    for steps in recorder.epochs:
        vec = np.zeros(config.n_groups)
        for batch, before, after in steps:
            delta = {n: after[n] - before[n] for n in before}
            for g, grad in enumerate(brute_group_grads(model, before, batch, groups, config.n_groups)):
                if grad is None:
                    continue
                if dense is None:
                    value = brute_topk(grad, delta, config.topk_per_tensor)
                else:
                    pg = sum(dense[n] @ grad[n].reshape(-1).double() for n in grad)
                    pd = sum(dense[n] @ delta[n].reshape(-1).double() for n in delta)
                    value = float(pg @ pd)
                vec[g] += -value if config.sign == "descent" else value
        epoch_vectors.append(vec)
    normed = [min_max(v) if config.normalise else v for v in epoch_vectors]
    k = config.k_epochs
    return epoch_vectors, np.sum(normed, axis=0) + np.sum(normed[-k:], axis=0)


@pytest.mark.parametrize("sign", ["literal", "descent"])
def test_topk_influence_matches_brute_force(sign: str) -> None:
    config = InfluenceConfig(n_groups=3, topk_per_tensor=5, k_epochs=1, sign=sign)
    tracker, recorder, model = train_tiny(config)
    raw, scores = brute_influence(model, recorder, config, tracker.groups)
    assert len(tracker.raw_epoch_vectors) == 3
    np.testing.assert_allclose(np.array(tracker.raw_epoch_vectors), np.array(raw), rtol=0, atol=1e-6)
    np.testing.assert_allclose(tracker.scores(), scores, rtol=0, atol=1e-6)
    assert np.abs(np.array(raw)).max() > 1e-4  # the comparison is not between zeros


def test_sketch_influence_matches_dense_projection() -> None:
    config = InfluenceConfig(n_groups=4, reduction="sketch", sketch_dim=7, k_epochs=2)
    tracker, recorder, model = train_tiny(config, epochs=2, optimizer="sgd")
    raw, scores = brute_influence(model, recorder, config, tracker.groups, project=tracker._sketch)
    np.testing.assert_allclose(np.array(tracker.raw_epoch_vectors), np.array(raw), rtol=0, atol=1e-6)
    np.testing.assert_allclose(tracker.scores(), scores, rtol=0, atol=1e-6)


def test_full_mask_equals_unreduced_inner_product_and_sign_flips() -> None:
    literal, _, _ = train_tiny(InfluenceConfig(n_groups=3, topk_per_tensor=10_000, normalise=False), epochs=1)
    descent, _, _ = train_tiny(InfluenceConfig(n_groups=3, topk_per_tensor=10_000, normalise=False,
                                               sign="descent"), epochs=1)
    np.testing.assert_allclose(descent.raw_epoch_vectors[0], -literal.raw_epoch_vectors[0], atol=1e-12)
    # unnormalised with k = 3 and one epoch: scores = 2 x the epoch vector
    np.testing.assert_allclose(literal.scores(), 2 * literal.raw_epoch_vectors[0], atol=1e-12)


def test_tracking_leaves_training_bit_identical() -> None:
    _, _, tracked = train_tiny(InfluenceConfig(n_groups=3), epochs=2, dtype=torch.float32)
    m = make_micro(seed=3, n_users=12, n_items=40)
    seed_everything(0)
    plain = MF(m.n_users, m.n_items, MFConfig(embedding_dim=4, reg_weight=1e-3))
    data = PairwiseData(m.user, m.item, m.n_users, m.n_items, n_neg=2)
    Trainer(plain, data, TrainConfig(epochs=2, batch_size=16, lr=0.05, quiet=True, seed=0)).fit()
    for a, b in zip(tracked.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["lightgcn", "ngcf"])
def test_directional_derivative_on_graph_models(name: str) -> None:
    m = make_micro(seed=1, n_users=10, n_items=40)
    seed_everything(0)
    data = PairwiseData(m.user, m.item, m.n_users, m.n_items)
    model = get_model(name, m.n_users, m.n_items, interactions=data.matrix, embedding_dim=6)
    model.train()
    batch = next(data.batches(12, np.random.default_rng(0)))
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    direction = {n: torch.randn_like(p) for n, p in params.items()}
    torch.manual_seed(5)
    fast = per_sample_directional(model, params, batch, direction)
    torch.manual_seed(5)  # same dropout masks in the explicit loop
    losses = model.per_sample_loss(batch)
    ref = []
    for b in range(len(losses)):
        grads = torch.autograd.grad(losses[b], list(model.parameters()), retain_graph=True, allow_unused=True)
        ref.append(sum(float((g * direction[n]).sum()) for g, (n, _) in zip(grads, model.named_parameters(),
                                                                          strict=True) if g is not None))
    np.testing.assert_allclose(fast.numpy(), np.array(ref), rtol=1e-4, atol=1e-5)


def test_topk_mask_keeps_largest_and_small_tensors_whole() -> None:
    delta = {"a": torch.tensor([[0.1, -3.0], [2.0, 0.5]]), "b": torch.tensor([1.0, -1.0])}
    out = topk_mask_direction(delta, 2)
    assert torch.equal(out["a"], torch.tensor([[0.0, -3.0], [2.0, 0.0]]))
    assert torch.equal(out["b"], delta["b"])
    with pytest.raises(ConfigError):
        topk_mask_direction(delta, 0)


def test_groups_are_balanced_partitions_and_selection_skips_augmented() -> None:
    groups = random_groups(103, 20, np.random.default_rng(0))
    sizes = np.bincount(groups, minlength=20)
    assert sizes.sum() == 103 and sizes.max() - sizes.min() <= 1
    tracker = InfluenceTracker(6, InfluenceConfig(n_groups=3, k_epochs=1, normalise=False))
    tracker.groups = np.array([0, 0, 1, 1, 2, 2])
    tracker.epoch_vectors = [np.array([1.0, 5.0, 3.0]), np.array([0.0, 1.0, 0.0])]
    np.testing.assert_allclose(tracker.scores(), [1.0, 7.0, 3.0])
    assert tracker.select_users()[0] == 1
    group, users = tracker.select_users({2})
    assert group == 1 and users.tolist() == [3]
    group, users = tracker.select_users({2, 3})
    assert group == 2 and users.tolist() == [4, 5]
    assert tracker.select_users(set(range(6)))[0] == -1
    tracker.new_round()
    assert tracker.epoch_vectors == [] and sorted(np.bincount(tracker.groups).tolist()) == [2, 2, 2]
    assert tracker.scores().tolist() == [0.0, 0.0, 0.0]


def test_min_max_and_config_errors() -> None:
    np.testing.assert_allclose(min_max(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    assert min_max(np.array([1.0, 1.0])).tolist() == [0.0, 0.0]
    with pytest.raises(ConfigError, match="influence_sign"):
        InfluenceConfig(sign="up")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="n_groups"):
        InfluenceConfig(n_groups=0)
