"""The LARMI workflow on a small slice of Amazon Industrial & Scientific (first 60 users): stage A,
cliques, every selector, the solver comparison, training of every variant, resumption, strict replay.

The local backend runs with a bag-of-words embedder in its context (no model load); the same code
path runs MiniLM in ``tests/agents/larmi`` and a real LLM in ``tests/llm_engine``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from recloom.agents.artifacts import read_json
from recloom.agents.larmi import read_clusters
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.errors import ArtifactError, ConfigError
from recloom.graph.max_cover import coverage_objective
from recloom.pipelines.larmi import open_run, read_cliques, stage_cluster, stage_train, synthetic_arrays
from recloom.pipelines.larmi_data import DataConfig
from recloom.pipelines.larmi_run import aggregate, needed_solvers, results_table, run_workflow
from recloom.pipelines.larmi_select import SelectConfig
from recloom.pipelines.larmi_train import TrainSettings

torch.set_num_threads(1)
USERS = 60
VARIANTS = ["larmi", "mind", "comirec", "wo_sem", "wo_col", "wo_rep", "l_gre", "wo_com"]
NEURAL = {"train_epochs": 3, "train_instances": 2, "opt_steps": 40, "opt_samples": 8}


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    out = np.zeros((len(texts), 128), dtype=np.float32)
    for k, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            out[k, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 128] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


CONTEXT = {"embedder": bag_of_words}


def runner(cache: Path, mode: str = "rw") -> Runner:
    return Runner(
        RuntimeConfig(
            backend="local",
            cache_dir=str(cache),
            cache_mode=mode,
            progress=False,
            local_context_id="bag-of-words",
            backend_options={"context": CONTEXT},
        )
    )


@dataclass
class Workflow:
    root: Path
    run: Path
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> Workflow:
    root = tmp_path_factory.mktemp("larmi")
    select = SelectConfig(clique_size=4, budget=6, neural_options=NEURAL, exact_time_limit=30)
    settings = TrainSettings(epochs=2, patience=0, lam=0.25, batch_size=64)  # contrastive every 4 batches
    summary = run_workflow(
        root / "run",
        DataConfig(users=USERS),
        runner(root / "cache"),
        CONTEXT,
        select,
        VARIANTS,
        [0],
        settings,
    )
    return Workflow(root, root / "run", summary)


def test_stage_a_partitions_every_training_history(workflow: Workflow) -> None:
    data = open_run(workflow.run)
    users = {int(u.id): u for u in read_clusters(workflow.run / "cluster")}
    with_history = [u for u in range(data.n_users) if len(data.train_sequences[u])]
    assert sorted(users) == with_history
    for u, record in users.items():
        flat = [i for c in record.item_clusters() for i in c]
        assert sorted(flat) == sorted(set(data.train_sequences[u].tolist()))  # each item exactly once
        assert record.source == "local"
    stage = workflow.summary["stages"]["cluster"]
    assert stage["prompts"] == len(with_history) and stage["backend"] == "local (non-LLM baseline)"


def test_stage_b_selections_and_synthetic_clusters(workflow: Workflow) -> None:
    cliques = read_cliques(workflow.run)
    assert cliques.incidence.shape[0] == USERS and cliques.neighbourhoods.size == 4
    for solver in needed_solvers(VARIANTS):
        sel = read_json(workflow.run / "select" / solver / "selection.json")
        assert sel["budget"] == 6 and len(sel["indices"]) == 6 and sel["title_cap"] == 80
        a, w = cliques.incidence, cliques.item_values
        assert sel["objective"] == pytest.approx(coverage_objective(a, w, sel["indices"]))
        synthetic = read_clusters(workflow.run / "select" / solver / "cluster")
        assert [int(s.id) for s in synthetic] == sel["indices"]
        for s in synthetic:  # every shown item covered; all of them from the clique
            assert set(s.items) == {i for c in s.item_clusters() for i in c}
            assert set(s.items) <= set(cliques.items_of(int(s.id)).tolist())
    items, membership = synthetic_arrays(workflow.run, "neural", open_run(workflow.run).n_items)
    assert items.shape[0] == 6 and membership.any(-1).sum() == sum(
        len(s.items) for s in read_clusters(workflow.run / "select" / "neural" / "cluster")
    )


def test_solver_comparison_on_the_slice(workflow: Workflow) -> None:
    rows = {r["solver"]: r for r in read_json(workflow.run / "select" / "compare.json")}
    exact = rows["exact"]
    assert exact["proven_optimal"]  # a 60-set instance is solved to optimality
    assert (1 - 1 / math.e) * exact["objective"] <= rows["greedy"]["objective"] <= exact["objective"] + 1e-9
    assert rows["neural"]["objective"] <= exact["objective"] + 1e-9
    assert rows["random"]["objective"] <= rows["greedy"]["objective"]
    assert rows["greedy"]["vs_greedy"] == 1.0


def test_every_variant_trained_and_the_contrastive_term_reached_training(workflow: Workflow) -> None:
    records = {r["variant"]: r for r in read_json(workflow.run / "train" / "results.json")}
    assert sorted(records) == sorted(VARIANTS)
    for r in records.values():
        assert all(0.0 <= v <= 1.0 for k, v in r["test"].items() if "@" in k)
        assert r["test"]["recall@20"] <= r["test"]["recall@50"] and r["test"]["hr@20"] <= r["test"]["hr@50"]
    assert records["larmi"]["aux_updates"] > 0 and records["wo_com"]["aux_updates"] == 0
    assert records["mind"]["aux_updates"] == 0
    # same seed, same init: only the contrastive term (and the synthetic users it uses) differs
    assert records["larmi"]["test"] != records["wo_com"]["test"]
    assert records["wo_rep"]["test"] != records["larmi"]["test"]
    table = (workflow.run / "train" / "table.md").read_text()
    assert table.startswith("| variant | seeds | R@20 | N@20 | H@20 | R@50 | N@50 | H@50 |")
    assert len(table.strip().splitlines()) == 2 + len(VARIANTS)


def test_resuming_reruns_nothing_and_replay_calls_no_backend(workflow: Workflow, tmp_path: Path) -> None:
    before = read_json(workflow.run / "cluster" / "manifest.json")["run_id"]
    strict = runner(workflow.root / "cache", mode="replay")
    again = run_workflow(workflow.run, DataConfig(users=USERS), strict, CONTEXT, SelectConfig(), [], [])
    assert read_json(workflow.run / "cluster" / "manifest.json")["run_id"] == before
    assert again["stages"]["cluster"]["prompts"] > 0
    # a fresh run directory replays stage A entirely from the cache: no backend is ever built
    fresh = tmp_path / "replayed"
    open_run(fresh, DataConfig(users=USERS))
    run = stage_cluster(fresh, open_run(fresh), strict)
    assert strict.engine.backends_built == 0 and run.manifest["calls"]["backend_calls"] == 0
    original = {u.id: u.clusters for u in read_clusters(workflow.run / "cluster")}
    assert {u.id: u.clusters for u in run.users} == original


def test_run_directory_guards(workflow: Workflow, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="data options"):
        open_run(workflow.run, DataConfig(users=USERS + 1))
    empty = tmp_path / "empty"
    data = open_run(empty, DataConfig(users=USERS))
    with pytest.raises(ArtifactError, match="clusters"):
        stage_train(empty, data, ["larmi"], [0])
    with pytest.raises(ConfigError, match="unknown LARMI variant"):
        stage_train(empty, data, ["nope"], [0])
    with pytest.raises(ConfigError, match="solver must be one of"):
        SelectConfig(solver="best")


def test_results_table_mean_and_sample_std() -> None:
    records = [
        {"variant": "a", "test": {"recall@20": 0.1}},
        {"variant": "a", "test": {"recall@20": 0.3}},
        {"variant": "b", "test": {"recall@20": 0.2}},
    ]
    agg = aggregate(records, ["recall@20"])
    assert agg["a"]["recall@20"] == pytest.approx((0.2, math.sqrt(0.02), 2))
    assert agg["b"]["recall@20"] == (0.2, 0.0, 1)
    assert results_table(records, ["recall@20"]).splitlines()[2] == "| a | 2 | 0.2000 ± 0.1414 |"
