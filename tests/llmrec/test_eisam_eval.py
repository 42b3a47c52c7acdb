"""EISAM evaluation: group metrics against hand-computed ranks, step-rule construction and timing,
the cell chart, SASRec on protocol sequences, and ``recloom train --optimizer``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from recloom.cli.main import app
from recloom.errors import ConfigError, DataError
from recloom.pipelines.eisam_chart import cell_chart, markdown_table
from recloom.pipelines.eisam_eval import StepTimer, data_groups, group_metrics, make_step_rule
from recloom.recmodels.base import Batch, Recommender
from recloom.recmodels.evaluation import EvalData
from recloom.recmodels.optim import EISAM, GroupSAM, PlainStep, ReWeight
from recloom.recmodels.trainer import TrainConfig, Trainer


class FixedScores(Recommender):
    """Row r scores item i with ``table[r, i]`` (rows given by batch['row'])."""

    def __init__(self, table: np.ndarray) -> None:
        super().__init__(1, table.shape[1])
        self.table = torch.as_tensor(table, dtype=torch.float32)
        self.w = torch.nn.Parameter(torch.zeros(()))

    def per_sample_loss(self, batch: Batch) -> torch.Tensor:
        return (self.w - batch["item"].float()) ** 2

    def full_scores(self, batch: Batch) -> torch.Tensor:
        return self.table[batch["row"]]


def test_group_metrics_match_hand_computed_ranks() -> None:
    n_items = 20
    table = np.tile(np.arange(n_items, 0, -1, dtype=np.float32), (4, 1))  # item i at rank i for every row
    targets = np.array([0, 3, 12, 5])  # ranks 0, 3, 12 (miss at 10), 5
    truth = np.zeros((4, n_items), dtype=np.float32)
    truth[np.arange(4), targets] = 1
    import scipy.sparse as sp

    data = EvalData({"row": torch.arange(4)}, sp.csr_matrix(truth))
    groups = np.ones(n_items, dtype=np.int8)
    groups[[0, 3]] = 0  # targets 0 and 3 are "head"
    cells = np.arange(n_items) % 4
    out = group_metrics(
        FixedScores(table),
        data,
        {"d": (groups, {0: "head", 1: "tail"}), "c": (cells, {0: "c0", 1: "c1", 3: "c3"})},
    )
    gain = {0: 1.0, 3: 1 / math.log2(5), 5: 1 / math.log2(7)}
    assert out["ndcg@10"] == pytest.approx((gain[0] + gain[3] + gain[5]) / 4)
    assert out["hr@10"] == pytest.approx(3 / 4)
    assert out["ndcg@10/head"] == pytest.approx((gain[0] + gain[3]) / 2) and out["n_rows/head"] == 2
    assert out["hr@10/tail"] == pytest.approx(1 / 2)  # target 12 missed, target 5 hit
    assert out["ndcg@10/c0"] == pytest.approx((gain[0] + 0.0) / 2)  # targets 0 and 12 are in cell 0
    assert out["ndcg@10/c3"] == pytest.approx(gain[3]) and out["ndcg@10/c1"] == pytest.approx(gain[5])


def test_make_step_rule_builds_each_rule_from_training_targets() -> None:
    items = np.array([0, 0, 0, 1, 1, 2, 3, 4, 5, 6])
    assert isinstance(make_step_rule("plain", items, 8), PlainStep)
    rw = make_step_rule("rw", items, 8)
    assert isinstance(rw, ReWeight)
    w = rw.weights.for_items(torch.tensor([0, 6]))
    assert w[0] < w[1]  # head items get a smaller (group) weight than tail items
    assert torch.equal(rw.weights.for_items(torch.tensor([2])), rw.weights.for_items(torch.tensor([6])))
    assert isinstance(make_step_rule("eisam", items, 8, lam=0.3), EISAM)
    assert isinstance(make_step_rule("groupsam", items, 8), GroupSAM)
    assert data_groups(items, 8).tolist() == [0, 0, 1, 1, 1, 1, 1, 1]  # ceil(0.2 * 8) = 2 head items
    with pytest.raises(ConfigError, match="does not take option"):
        make_step_rule("sam", items, 8, gamma=3)


def test_step_timer_wraps_the_rule_and_records_cpu_per_epoch() -> None:
    model = FixedScores(np.zeros((1, 3), dtype=np.float32))

    class Data:
        def __len__(self) -> int:
            return 6

        def batches(self, batch_size: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
            for start in range(0, 6, batch_size):
                yield {"item": torch.arange(start, start + batch_size) % 3}

    timer = StepTimer(PlainStep())
    Trainer(
        model,
        Data(),
        TrainConfig(epochs=3, batch_size=2, lr=0.1, quiet=True),
        step_rule=timer,
        callbacks=[timer],
    ).fit()
    assert len(timer.cpu) == 3 and all(t >= 0.0 for t in timer.cpu)
    assert float(model.w.detach()) != 0.0  # the wrapped rule stepped


def test_cell_chart_writes_a_png_and_refuses_results_without_cells(tmp_path: Path) -> None:
    results = {
        m: {
            f"ndcg@10/{c}": v
            for c, v in zip(("ph_dh", "ph_dt", "pt_dh", "pt_dt"), (0.3, 0.1, 0.2, 0.05), strict=True)
        }
        for m in ("plain", "eisam")
    }
    png = cell_chart(results, tmp_path / "cells.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(DataError, match="cell metrics"):
        cell_chart({"plain": {"ndcg@10": 0.1}}, tmp_path / "x.png")
    assert (
        markdown_table([{"a": 0.123456, "b": "x"}], [("A", "a"), ("B", "b")]).splitlines()[2]
        == "| 0.1235 | x |"
    )


def train(args: list[str], out: Path) -> dict:  # type: ignore[type-arg]
    base = [
        "train",
        "mf",
        "--data",
        "ml-100k",
        "--split",
        "recbole",
        "--epochs",
        "1",
        "--batch-size",
        "4096",
        "--ks",
        "10",
        "--quiet",
        "--patience",
        "0",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, base + args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text())


def test_train_cli_optimizer_option(tmp_path: Path) -> None:
    plain = train([], tmp_path / "plain")
    lam0 = train(["--optimizer", "eisam", "--opt", "lam=0"], tmp_path / "lam0")  # EISAM with lambda 0 = plain
    eisam = train(["--optimizer", "eisam", "--opt", "rho=0.5"], tmp_path / "eisam")
    assert plain["optimizer"]["rule"] == "plain" and eisam["optimizer"] == {
        "rule": "eisam",
        "options": {"rho": 0.5},
    }
    assert lam0["test_metrics"]["ndcg@10"] == pytest.approx(plain["test_metrics"]["ndcg@10"], rel=1e-6)
    assert eisam["epochs"][0]["loss"] != pytest.approx(plain["epochs"][0]["loss"], rel=1e-9)
    bad = CliRunner().invoke(
        app, ["train", "mf", "--data", "ml-100k", "--split", "recbole", "--optimizer", "adam"]
    )
    assert isinstance(bad.exception, ConfigError) and "--optimizer 'adam'" in str(bad.exception)
    bad_opt = CliRunner().invoke(
        app,
        ["train", "mf", "--data", "ml-100k", "--split", "recbole", "--optimizer", "sam", "--opt", "lam=1"],
    )
    assert isinstance(bad_opt.exception, ConfigError) and "does not take option" in str(bad_opt.exception)


def test_sasrec_experiment_on_protocol_sequences() -> None:
    from recloom.data.loaders import load_dataset
    from recloom.pipelines.eisam_data import eisam_sequences
    from recloom.pipelines.eisam_eval import sasrec_experiment

    data = eisam_sequences(load_dataset("ml-1m"), max_train=1500, max_valid=200, max_test=300, seed=0)
    cells = np.arange(data.n_items) % 4
    report = sasrec_experiment(
        data,
        "eisam",
        seed=1,
        cells=cells,
        hparams={"hidden_size": 16, "n_layers": 1},
        train_config=TrainConfig(epochs=2, batch_size=256, patience=0, quiet=True),
    )
    test = report["test"]
    assert test["n_rows"] == 300 and test["n_rows/head"] + test["n_rows/tail"] == 300
    assert sum(test.get(f"n_rows/{c}", 0) for c in ("ph_dh", "ph_dt", "pt_dh", "pt_dt")) == 300
    assert len(report["seconds_per_epoch"]) == len(report["cpu_seconds_per_epoch"]) == 2
    assert report["rule_params"]["lam"] == 0.5 and report["valid"]["ndcg@10"] >= 0.0
