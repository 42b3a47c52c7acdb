"""``recloom train`` end to end on the real ml-100k (1 epoch), checkpoint round trip, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from recloom.cli.main import app
from recloom.errors import ConfigError
from recloom.recmodels.checkpoint import load_model


def test_train_writes_report_and_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "lightgcn", "--data", "ml-100k", "--split", "recbole",
                                      "--epochs", "1", "--batch-size", "4096", "--hp", "n_layers=1",
                                      "--ks", "10,20", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == "lightgcn" and report["hparams"]["n_layers"] == 1
    assert report["split"]["name"] == "random_ratio" and report["split"]["sizes"]["train"] > 70_000
    assert report["data"]["users"] == 943 and report["data"]["items"] == 1682
    assert len(report["epochs"]) == 1 and report["epochs"][0]["train_seconds"] > 0
    test = report["test_metrics"]
    assert test["n_rows"] == 943
    assert 0.0 < test["recall@10"] <= test["recall@20"] < 1.0
    assert {"ndcg@20/head", "recall@20/tail", "ce@10", "item_coverage@20"} <= set(test)
    # the checkpoint rebuilds the same scorer
    from recloom.data.loaders import load_dataset
    from recloom.data.splitters import get_splitter

    ds = load_dataset("ml-100k")
    split = get_splitter("recbole", seed=2020).split(ds.interactions, ds.n_users, ds.n_items)
    model, payload = load_model(out, interactions=split.train.csr(ds.n_users, ds.n_items))
    assert payload["item_ids"][:3] == ds.item_ids.to_list()[:3]
    model.eval()
    scores = model.full_scores({"user": torch.arange(4)})
    assert scores.shape == (4, 1682) and torch.isfinite(scores).all()


def test_unknown_model_and_bad_hyperparameter_are_config_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_model = runner.invoke(app, ["train", "gru4rec", "--data", "ml-100k", "--split", "recbole"])
    assert isinstance(bad_model.exception, ConfigError)
    assert "unknown model 'gru4rec'" in str(bad_model.exception)
    bad_hp = runner.invoke(app, ["train", "mf", "--data", "ml-100k", "--split", "recbole", "--epochs", "1",
                                 "--hp", "layers=3", "--out", str(tmp_path)])
    assert isinstance(bad_hp.exception, ConfigError) and "no hyperparameter layers" in str(bad_hp.exception)
    bad_ks = runner.invoke(app, ["train", "mf", "--data", "ml-100k", "--split", "recbole", "--ks", "ten"])
    assert isinstance(bad_ks.exception, ConfigError) and "--ks" in str(bad_ks.exception)


@pytest.mark.slow
def test_lightgcn_beats_popularity_on_ml100k() -> None:
    """Sanity of the whole stack: 30 epochs of LightGCN beat most-popular ranking on Recall@20."""
    import numpy as np

    from recloom.data.loaders import load_dataset
    from recloom.data.splitters import get_splitter
    from recloom.recmodels.evaluation import EvalData, hit_matrix
    from recloom.recmodels.experiment import run_experiment
    from recloom.recmodels.metrics import ranking_metrics
    from recloom.recmodels.trainer import TrainConfig

    ds = load_dataset("ml-100k")
    split = get_splitter("recbole", seed=2020).split(ds.interactions, ds.n_users, ds.n_items)
    _, report = run_experiment("lightgcn", split, dataset=ds, hparams={"n_layers": 2},
                               train_config=TrainConfig(epochs=30, batch_size=2048, quiet=True, patience=0))
    train = split.train.csr(ds.n_users, ds.n_items)
    seen = train + split.valid.csr(ds.n_users, ds.n_items)
    test = EvalData.for_users(split.test.csr(ds.n_users, ds.n_items), seen)
    pop = np.asarray(train.sum(0)).ravel().astype(float)
    rows = test.inputs["user"].numpy()
    scores = np.tile(pop, (len(rows), 1))
    scores[test.exclude.nonzero()] = -np.inf
    topk = np.argsort(-scores, axis=1, kind="stable")[:, :20]
    hits = hit_matrix(topk, np.isfinite(np.take_along_axis(scores, topk, 1)), test.truth)
    pop_recall = ranking_metrics(hits, np.diff(test.truth.indptr), [20], ["recall"])["recall@20"]
    assert report["test_metrics"]["recall@20"] > 1.2 * pop_recall
