"""Backbone vs ToP training on a micro dataset: masks are the original training items only, the
synthetic items stay rankable, and ToP without rounds is exactly the backbone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from pipelines_micro import make_dataset
from test_top_rounds import FakeAugmenter

from recloom.errors import ConfigError
from recloom.pipelines.top_compare import (
    compare_backbone,
    default_rerankers,
    evaluate_plain,
    markdown_table,
    mean_std,
)
from recloom.pipelines.top_data import prepare
from recloom.pipelines.top_rounds import RoundsConfig
from recloom.pipelines.top_train import BackboneConfig, train_backbone, train_top
from recloom.recmodels.evaluation import mask_scores
from recloom.recmodels.influence import InfluenceConfig


def small(model: str = "lightgcn", epochs: int = 6) -> BackboneConfig:
    return BackboneConfig(model=model, hparams={"embedding_dim": 8}, epochs=epochs, batch_size=64, lr=0.02,
                          seed=3)


def rounds_config(max_rounds: int = 2) -> RoundsConfig:
    return RoundsConfig(warmup=1, gap=2, max_rounds=max_rounds, influence=InfluenceConfig(n_groups=4))


@pytest.fixture(scope="module")
def data():
    return prepare(make_dataset(seed=1), min_rating=None, core=1, n_neg=4, ks=(5, 10))


def test_evaluation_masks_only_original_training_items(data, tmp_path: Path) -> None:
    train = data.split.train.csr(data.n_users, data.n_items)
    valid = data.split.valid.csr(data.n_users, data.n_items)
    users = data.valid.inputs["user"].numpy()
    assert (data.valid.exclude != train[users]).nnz == 0
    test_users = data.test.inputs["user"].numpy()
    assert (data.test.exclude != sp.csr_matrix(train + valid)[test_users]).nnz == 0
    trained = train_top(data, small(), FakeAugmenter(data.train.matrix), rounds_config(), out_dir=tmp_path)
    edges = trained.rounds.all_edges()
    assert len(edges) > 0
    # the masks did not change, and every synthetic (user, item) that is not a valid/test item is rankable
    assert (data.valid.exclude != train[users]).nnz == 0
    row_of = {int(u): r for r, u in enumerate(test_users)}
    pairs = zip(edges.user.tolist(), edges.item.tolist(), strict=True)
    rows = [(row_of[u], i) for u, i in pairs if u in row_of]
    with torch.no_grad():
        scores = trained.model.full_scores({"user": data.test.inputs["user"]}).float()
    mask_scores(scores, data.test.exclude)
    held_out = sp.csr_matrix(valid)
    finite = [bool(torch.isfinite(scores[r, i])) for r, i in rows]
    expected = [held_out[test_users[r], i] == 0 for r, i in rows]
    assert rows and finite == expected


def test_top_without_rounds_is_the_backbone_and_rounds_change_it(data) -> None:
    plain = train_backbone(data, small())
    same = train_top(data, small(), FakeAugmenter(data.train.matrix), rounds_config(max_rounds=0))
    for a, b in zip(plain.model.parameters(), same.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert evaluate_plain(plain.model, data.test, data.spec) | {"seconds_per_user": 0} == \
        evaluate_plain(same.model, data.test, data.spec) | {"seconds_per_user": 0}
    augmented = train_top(data, small(), FakeAugmenter(data.train.matrix), rounds_config())
    assert augmented.rounds.summary()["synthetic_edges"] > 0
    before, after = plain.result.history, augmented.result.history
    assert [e.loss for e in before[:2]] == [e.loss for e in after[:2]]  # identical until the first round
    assert after[2].n_samples == before[2].n_samples + augmented.rounds.records[0].n_edges
    assert after[2].loss != before[2].loss


@pytest.mark.parametrize("name", ["mf", "ngcf"])
def test_other_backbones_run_through_top(data, name: str) -> None:
    trained = train_top(data, small(name, epochs=4), FakeAugmenter(data.train.matrix), rounds_config(1))
    assert trained.result.best_epoch is not None and len(trained.rounds.records) == 1


def test_comparison_rows_and_table(data) -> None:
    plain = train_backbone(data, small("mf"))
    rows = compare_backbone(plain.model, data, default_rerankers())
    assert set(rows) == {"backbone", "mmr", "dpp"}
    for row in rows.values():
        assert set(row) >= {"recall@5", "recall@10", "ce@5", "ce@10"}
        assert 0 <= row["ce@10"] <= np.log(4) + 1e-9
    table = markdown_table(rows, columns=("recall@5", "ce@10"))
    assert table.splitlines()[0] == "| method | recall@5 | ce@10 |" and len(table.splitlines()) == 5
    means, stds = mean_std([{"a": {"x": 1.0}}, {"a": {"x": 3.0}}], columns=("x",))
    assert means == {"a": {"x": 2.0}} and stds["a"]["x"] == pytest.approx(np.sqrt(2))
    assert "2.0000 ± 1.4142" in markdown_table(means, columns=("x",), stds=stds)


def test_prepare_rejects_rating_filter_without_ratings() -> None:
    ds = make_dataset()
    ds = ds.with_interactions(type(ds.interactions)(ds.interactions.user, ds.interactions.item,
                                                    ds.interactions.timestamp, None))
    with pytest.raises(ConfigError, match="min_rating"):
        prepare(ds, min_rating=4.0)
