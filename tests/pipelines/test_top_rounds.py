"""Augmentation rounds: the recorded synthetic edges, and only they, reach the graph and the sampler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from pipelines_micro import make_pairs

from recloom.errors import ConfigError, DataError
from recloom.pipelines.augment import SYNTHETIC_FILE, SyntheticEdges, expected_matrix, new_edges
from recloom.pipelines.top_rounds import RoundsConfig, ToPRounds
from recloom.recmodels.graph import SymmetricAdjacency
from recloom.recmodels.influence import InfluenceConfig
from recloom.recmodels.registry import get_model
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything


class FakeAugmenter:
    """Two unseen items per user plus one item the user already has (must be dropped)."""

    def __init__(self, train: sp.csr_matrix) -> None:
        self.train = train
        self.calls: list[tuple[list[int], int]] = []

    def augment(self, users: list[int], round_index: int, out_dir: Path | None) -> SyntheticEdges:
        self.calls.append((list(users), round_index))
        rows = []
        for u in users:
            seen = set(self.train[u].indices.tolist())
            unseen = [i for i in range(self.train.shape[1]) if i not in seen]
            picks = [unseen[(u * 7 + round_index) % len(unseen)], unseen[(u * 11 + 3) % len(unseen)]]
            for i in dict.fromkeys(picks):
                rows.append({"user": u, "item": i, "leaf": 1, "score": 0.5, "reason": "fake",
                             "round": round_index})
            rows.append({"user": u, "item": int(self.train[u].indices[0]), "leaf": 2, "score": 0.1,
                         "reason": "already seen", "round": round_index})
        return SyntheticEdges.from_records(rows)


def run_rounds(tmp_path: Path, model_name: str = "lightgcn", selection: str = "influence"):
    m = make_pairs(seed=5)
    seed_everything(0)
    base = PairwiseData(m.user, m.item, m.n_users, m.n_items, n_neg=3)
    model = get_model(model_name, m.n_users, m.n_items, interactions=base.matrix, embedding_dim=8)
    augmenter = FakeAugmenter(base.matrix)
    config = RoundsConfig(warmup=1, gap=2, max_rounds=2, selection=selection,  # type: ignore[arg-type]
                          influence=InfluenceConfig(n_groups=5, topk_per_tensor=16))
    rounds = ToPRounds(base, augmenter, config, total_epochs=6, out_dir=tmp_path, seed=0)
    config = TrainConfig(epochs=6, batch_size=32, lr=0.01, quiet=True)
    trainer = Trainer(model, base, config, callbacks=[rounds])
    trainer.fit()
    return m, base, model, trainer, rounds, augmenter


def test_rounds_add_exactly_the_recorded_edges_to_graph_and_sampler(tmp_path: Path) -> None:
    m, base, model, trainer, rounds, augmenter = run_rounds(tmp_path)
    assert rounds.rounds_at == [2, 4] and len(rounds.records) == 2
    recorded = SyntheticEdges.concat([SyntheticEdges.read(tmp_path / f"round-{k}" / SYNTHETIC_FILE)
                                      for k in range(2)])
    assert len(recorded) == sum(r.n_edges for r in rounds.records) > 0
    assert all(r.n_dropped == len(r.users) for r in rounds.records)  # one already-seen item per user
    expected = expected_matrix(base.matrix, recorded)
    got = trainer.train_data.matrix
    assert (got != expected).nnz == 0
    assert got.nnz == base.matrix.nnz + len(recorded)
    np.testing.assert_allclose(model.adj.to_dense().numpy(), SymmetricAdjacency(expected).to_dense().numpy())
    sampler = trainer.train_data.sampler
    assert sampler.is_positive(recorded.user, recorded.item).all()
    rng = np.random.default_rng(0)
    neg = sampler.sample(np.repeat(recorded.user, 200), 1, rng).reshape(len(recorded), 200)
    assert not (neg == recorded.item[:, None]).any()
    assert len(trainer.train_data) == len(base) + len(recorded)
    assert all(r["reason"] == "fake" for r in recorded.records)


def test_rounds_pick_the_top_group_and_never_reaugment_a_user(tmp_path: Path) -> None:
    _, _, _, _, rounds, augmenter = run_rounds(tmp_path)
    first, second = rounds.records
    assert set(first.users).isdisjoint(second.users)
    assert [c[0] for c in augmenter.calls] == [first.users, second.users]
    assert first.group == int(np.argmax(first.group_scores))
    assert rounds.tracker.total_steps > 0 and rounds.tracker.seconds > 0


def test_graph_at_returns_the_matrix_each_epoch_trained_on(tmp_path: Path) -> None:
    _, base, _, trainer, rounds, _ = run_rounds(tmp_path, model_name="mf")
    # rounds after (1-based) epochs 2 and 4: 0-based epochs 0-1 base, 2-3 first round, 4-5 second
    assert rounds.graph_at(0) is base.matrix and rounds.graph_at(1) is base.matrix
    assert rounds.graph_at(2).nnz == rounds.graph_at(3).nnz == base.matrix.nnz + rounds.records[0].n_edges
    assert rounds.graph_at(4) is trainer.train_data.matrix and rounds.graph_at(5) is trainer.train_data.matrix


def test_random_selection_tracks_no_influence(tmp_path: Path) -> None:
    _, _, _, _, rounds, _ = run_rounds(tmp_path, model_name="mf", selection="random")
    assert rounds.tracker.total_steps == 0
    assert [r.group for r in rounds.records] == [-1, -1]
    assert len(rounds.records[0].users) == 6  # ceil(30 users / 5 groups)


def test_schedule_and_window() -> None:
    assert RoundsConfig().round_epochs(150) == [40, 80, 120]
    assert RoundsConfig(warmup=10, gap=5, max_rounds=2).round_epochs(30) == [15, 20]
    assert RoundsConfig(gap=50).round_epochs(40) == []
    with pytest.raises(ConfigError, match="gap"):
        RoundsConfig(gap=0)
    base = PairwiseData(np.array([0, 1]), np.array([0, 1]), 2, 3)
    config = RoundsConfig(warmup=0, gap=5, max_rounds=1, window="last_k",
                          influence=InfluenceConfig(n_groups=2, k_epochs=2))
    rounds = ToPRounds(base, None, config, total_epochs=10)  # type: ignore[arg-type]
    assert [rounds._tracking(e) for e in range(1, 8)] == [False, False, False, True, True, False, False]


def test_new_edges_drops_present_and_repeated_pairs_and_checks_range() -> None:
    current = sp.csr_matrix(np.array([[1.0, 0, 0], [0, 0, 1.0]]))
    edges = SyntheticEdges(np.array([0, 0, 0, 1]), np.array([0, 2, 2, 0]))
    kept, dropped = new_edges(current, edges)
    assert list(zip(kept.user.tolist(), kept.item.tolist(), strict=True)) == [(0, 2), (1, 0)] and dropped == 2
    with pytest.raises(DataError, match="outside"):
        new_edges(current, SyntheticEdges(np.array([2]), np.array([0])))
    with pytest.raises(DataError, match="integer 'user'"):
        SyntheticEdges.from_records([{"user": "a", "item": 1}])
