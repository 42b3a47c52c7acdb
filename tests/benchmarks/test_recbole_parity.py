"""The RecBole parity benchmark's own pieces (no RecBole needed): data conversion, the protocol
both sides are configured with, ratios/verdicts, the README table, child measurement."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "recbole_parity"
sys.path.insert(0, str(BENCH))

import export_split  # noqa: E402
import parity_data  # noqa: E402
import parity_measure  # noqa: E402
import parity_report  # noqa: E402
import recbole_child  # noqa: E402
import recloom_child  # noqa: E402
import run  # noqa: E402


def _job(**over: object) -> dict:
    hp = {"epochs": 3, "stopping_step": 10, "lr": 2e-3, "batch_size": 2048, "eval_batch_size": 4096,
          "embedding_dim": 64, "n_layers": 2, "reg_weight": 1e-5, "n_neg": 1}
    job = {"dataset": "ml-100k", "recbole_dataset": "ml-100k-recloom", "model": "bpr", "seed": 2020,
           "threads": 1, "min_rating": None, "hparams": hp, "data_path": "/x", "checkpoint_dir": "/y"}
    job.update(over)
    return job


def test_ml100k_loads_every_rating_and_thresholds() -> None:
    data = parity_data.load("ml-100k")
    assert (len(data), data.n_users, data.n_items) == (100_000, 943, 1682)
    # u.data README counts: 3: 27,145; 4: 34,174; 5: 21,201.
    assert len(parity_data.load("ml-100k", min_rating=3)) == 27_145 + 34_174 + 21_201


def test_unknown_dataset_is_named_in_the_error() -> None:
    with pytest.raises(parity_data.DatasetError, match="netflix"):
        parity_data.load("netflix")


def test_atomic_file_round_trips_and_avoids_recboles_bundled_name(tmp_path: Path) -> None:
    data = parity_data.load("ml-100k")
    root = parity_data.write_atomic(data, tmp_path)
    rb = parity_data.recbole_name("ml-100k")
    assert rb != "ml-100k"  # RecBole 1.2.1 ignores data_path for exactly that name
    lines = (root / rb / f"{rb}.inter").read_text().splitlines()
    assert lines[0] == parity_data.ATOMIC_HEADER
    assert len(lines) == 1 + len(data)
    first = [int(x) for x in lines[1].split("\t")]
    assert first == [int(data.user[0]), int(data.item[0]), int(data.rating[0]), int(data.timestamp[0])]


def test_recbole_config_is_the_rs_811_full_ranking_protocol() -> None:
    cfg = recbole_child.recbole_config(_job(model="lightgcn"))
    assert cfg["eval_args"] == {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "group_by": "user",
                                "mode": "full"}
    assert cfg["valid_metric"] == "NDCG@10" and cfg["topk"] == [10, 20]
    assert cfg["train_neg_sample_args"]["sample_num"] == 1 and cfg["weight_decay"] == 0.0
    assert (cfg["n_layers"], cfg["reg_weight"], cfg["require_pow"]) == (2, 1e-5, False)
    assert "benchmark_filename" not in cfg
    shared = recbole_child.recbole_config(_job(split_source="shared"))
    assert shared["benchmark_filename"] == ["train", "valid", "test"]
    assert "n_layers" not in shared  # BPR has no layers / reg


def test_recloom_side_mirrors_recboles_models_and_stopping_rule() -> None:
    cfg = recloom_child.train_config(_job())
    # RecBole stops once stopping_step + 1 validations in a row did not improve.
    assert cfg.patience == 11 and cfg.monitor == "ndcg@10" and cfg.lr == 2e-3
    assert recloom_child.model_hparams(_job())["init"] == "xavier_normal"
    lg = recloom_child.model_hparams(_job(model="lightgcn"))
    assert (lg["reg_norm"], lg["init"], lg["n_layers"]) == ("unsquared", "xavier", 2)


def test_exported_split_partitions_the_data_with_recboles_rounding(tmp_path: Path) -> None:
    sizes = export_split.export(_job(), tmp_path)
    # Each user keeps floor(0.1 n) valid and test rows; ml-100k totals (checked against RecBole).
    assert sizes == {"train": 80_808, "valid": 9_596, "test": 9_596}
    rb = parity_data.recbole_name("ml-100k")
    pairs = []
    for part in ("train", "valid", "test"):
        rows = (tmp_path / rb / f"{rb}.{part}.inter").read_text().splitlines()[1:]
        pairs += [tuple(r.split("\t")[:2]) for r in rows]
    data = parity_data.load("ml-100k")
    assert sorted(pairs) == sorted(zip(data.user.astype(str), data.item.astype(str), strict=True))


def _side(scale: float, seconds: list[float], rss: float) -> dict:
    metrics = {m: 0.2 * scale for m in parity_report.METRICS}
    rep = {"valid": metrics, "test": metrics, "best_epoch": 1, "epochs_run": 2, "train_seconds": seconds,
           "valid_seconds": [0.5, 0.5], "peak_rss_mib": rss, "wall_seconds": 9.0}
    return parity_report.summarize_side([rep])


def test_ratios_and_verdict_closed_form() -> None:
    theirs = _side(1.0, [4.0, 2.0, 3.0], 400.0)
    ours = _side(0.98, [1.0, 1.5, 0.5], 300.0)
    r = parity_report.ratios(ours, theirs)
    assert r["test"]["ndcg@10"] == pytest.approx(0.98)
    assert r["speedup_train_epoch"] == pytest.approx(3.0 / 1.0)  # medians
    assert r["speedup_train_epoch_min"] == pytest.approx(2.0 / 0.5)
    assert r["memory_ratio"] == pytest.approx(0.75)
    assert parity_report.verdict(r) == {"metrics_within_3pct": True, "speedup_at_least_2x": True}
    slow_and_off = parity_report.ratios(_side(0.96, [3.0], 1.0), _side(1.0, [5.0], 1.0))
    assert parity_report.verdict(slow_and_off) == {"metrics_within_3pct": False, "speedup_at_least_2x": False}


def test_table_replaces_only_the_marked_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:start -->\nold\n<!-- results:end -->\noutro\n")
    run.write_table(readme, "| new |")
    run.write_table(readme, "| newer |")
    assert readme.read_text() == "intro\n<!-- results:start -->\n| newer |\n<!-- results:end -->\noutro\n"


def test_child_peak_memory_and_failure_are_reported(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code = ("import json, sys, numpy as np; a = np.ones(40 * 2**20 // 8); a += 1; "
            f"json.dump({{'ok': float(a[0])}}, open({str(out)!r}, 'w'))")
    res = parity_measure.run_child([sys.executable, "-c", code], parity_measure.child_env(1),
                                   tmp_path / "log", out)
    assert res["ok"] == 2.0 and res["peak_rss_mib"] >= 40 and res["wall_seconds"] > 0
    with pytest.raises(parity_measure.ChildRunError, match="boom"):
        parity_measure.run_child([sys.executable, "-c", "raise SystemExit('boom')"],
                                 parity_measure.child_env(1), tmp_path / "log2", tmp_path / "none.json")


def test_child_env_pins_threads() -> None:
    env = parity_measure.child_env(2, {"X": "1"})
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2" and env["X"] == "1"
    assert json.dumps(parity_measure.machine_info())  # serialisable
    assert np.isnan(parity_report.epoch_stats([])["median"])


def test_table_has_one_cell_per_column() -> None:
    theirs, ours = _side(1.0, [4.0], 400.0), _side(1.0, [1.0], 300.0)
    run_doc = {"dataset": "ml-100k", "model": "bpr", "split": "own", "recbole": theirs, "recloom": ours,
               "ratios": parity_report.ratios(ours, theirs)}
    lines = parity_report.table([run_doc]).splitlines()
    assert len(lines) == 5
    assert len({line.count("|") for line in lines}) == 1
    assert "4.00× faster" in lines[-1]


def test_merge_keeps_runs_not_redone_and_replaces_the_rest() -> None:
    old = [{"dataset": "ml-100k", "model": "bpr", "split": "own", "v": 1},
           {"dataset": "ml-1m", "model": "bpr", "split": "own", "v": 1}]
    new = [{"dataset": "ml-1m", "model": "bpr", "split": "own", "v": 2}]
    merged = run.merge_runs(old, new)
    assert [(r["dataset"], r["v"]) for r in merged] == [("ml-100k", 1), ("ml-1m", 2)]


def test_reuse_only_for_the_identical_job(tmp_path: Path) -> None:
    job, job_path, out = _job(), tmp_path / "j.json", tmp_path / "o.json"
    job_path.write_text(json.dumps(job))
    out.write_text(json.dumps({"test": {}, "train_seconds": [1.0]}))
    reused = run._reusable(job, job_path, out)
    assert reused is not None and reused["reused"] and reused["peak_rss_mib"] is None
    assert run._reusable(_job(seed=1), job_path, out) is None


def test_unknown_peak_memory_shows_as_na() -> None:
    theirs, ours = _side(1.0, [4.0], 400.0), _side(1.0, [1.0], 300.0)
    ours["peak_rss_mib"] = None
    rat = parity_report.ratios(ours, theirs)
    assert rat["memory_ratio"] != rat["memory_ratio"]  # nan
    run_doc = {"dataset": "d", "model": "m", "split": "own", "recbole": theirs, "recloom": ours,
               "ratios": rat}
    assert "n/a" in parity_report.table([run_doc])
