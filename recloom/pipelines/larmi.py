"""The LARMI workflow end to end (seed 001; methods.md §2): stage A (cluster every real user's
training history with ``larmi.cluster``), stage B (cliques -> incidence -> max-coverage selection ->
cluster the selected synthetic users), stage C (train LARMI, its baselines and ablations).

Every stage reads and writes one run directory, so stages can run separately (``recloom larmi
cluster | cliques | select | train``) or together (``run``)::

    run_dir/config.json           data protocol + options (written by the first stage, reused later)
    run_dir/cluster/              stage A: clusters.jsonl, clusters.json, manifest.json, calls/
    run_dir/cliques/              cliques.npz (A, w, neighbourhoods), manifest.json
    run_dir/select/<solver>/      selection.json + the synthetic users' clusters (cluster/)
    run_dir/select/compare.json   objective and time of every solver on the same instance
    run_dir/train/results.json    one record per (variant, seed); table.md
    run_dir/manifest.json         stages done, LLM calls of stage A and B, wall times

LLM stages take a :class:`~recloom.agents.runtime.Runner`: the local backend (non-LLM baseline) and
any LLM backend go through the same code path, cache and replay.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.artifacts import read_json, write_json, write_manifest
from recloom.agents.larmi import ClusterRun, cluster, individual_request, read_clusters
from recloom.agents.larmi.cluster import summary
from recloom.agents.runtime import Runner
from recloom.errors import ArtifactError
from recloom.graph.cliques import CliqueSet
from recloom.pipelines.larmi_data import DataConfig, LarmiData, cluster_table, load_larmi_data
from recloom.pipelines.larmi_select import (
    CLIQUES_FILE,
    SelectConfig,
    clique_set,
    clique_summary,
    load_cliques,
    save_cliques,
    select_users,
    selection_record,
    synthetic_requests,
)
from recloom.pipelines.larmi_train import TrainSettings, train_variant, variant
from recloom.recmodels.larmi_clusters import pad_synthetic

CONFIG_FILE, SELECTION_FILE, RESULTS_FILE = "config.json", "selection.json", "results.json"


# --- run directory ---------------------------------------------------------------------------------------
def open_run(run_dir: str | Path, data: DataConfig | None = None, *, create: bool = True) -> LarmiData:
    """The run's data: ``data`` for a new run directory (recorded in config.json), else the recorded
    one. ``create=False``: a directory without config.json is an error (a later stage needs the first)."""
    path = Path(run_dir)
    if (path / CONFIG_FILE).exists():
        recorded = DataConfig.from_dict(read_json(path / CONFIG_FILE)["data"])
        if data is not None and data != recorded:
            raise ArtifactError(
                f"{path} was made with data options {recorded.as_dict()}, not {data.as_dict()}; "
                "use a new run directory"
            )
        return load_larmi_data(recorded)
    if not create:
        raise ArtifactError(
            f"{path} is not a LARMI run directory (no {CONFIG_FILE}); run `recloom larmi "
            "cluster` or `cliques` there first"
        )
    path.mkdir(parents=True, exist_ok=True)
    data = data or DataConfig()
    write_json(path / CONFIG_FILE, {"data": data.as_dict()})
    return load_larmi_data(data)


def record_stage(run_dir: str | Path, stage: str, facts: Mapping[str, Any]) -> None:
    """Add or replace ``stage`` in the run manifest."""
    path = Path(run_dir) / "manifest.json"
    doc = read_json(path) if path.exists() else {"run_id": Path(run_dir).name, "stages": {}}
    doc["stages"][stage] = dict(facts)
    write_manifest(run_dir, doc)


def llm_facts(run: ClusterRun) -> dict[str, Any]:
    calls = run.manifest["calls"]
    return {
        "backend": run.manifest["backend"]["label"],
        "prompts": calls["inputs"],
        "backend_calls": calls["backend_calls"],
        "cached": calls["cached"],
        "reasks": calls["reasks"],
        "tokens": calls["tokens"],
        "clusters": run.manifest["counts"],
        "wall_s": run.manifest["wall_s"],
    }


# --- stage A -----------------------------------------------------------------------------------------------
def stage_cluster(
    run_dir: str | Path,
    data: LarmiData,
    runner: Runner,
    *,
    fallback_context: Mapping[str, Any] | None = None,
    users: Sequence[int] | None = None,
) -> ClusterRun:
    """A1: one ``larmi.cluster`` request per real user with a training history."""
    chosen = range(data.n_users) if users is None else users
    requests = [
        individual_request(str(u), data.train_sequences[u], data.titles)
        for u in chosen
        if len(data.train_sequences[u])
    ]
    run = cluster(runner, requests, out_dir=Path(run_dir) / "cluster", fallback_context=fallback_context)
    record_stage(run_dir, "cluster", llm_facts(run))
    return run


def stage_a_clusters(run_dir: str | Path) -> dict[int, list[list[int]]]:
    """{user index: item-id clusters} of stage A."""
    return {int(u.id): u.item_clusters() for u in read_clusters(Path(run_dir) / "cluster")}


# --- stage B -----------------------------------------------------------------------------------------------
def stage_cliques(run_dir: str | Path, data: LarmiData, config: SelectConfig) -> CliqueSet:
    """B1-B4: cliques, item values and incidence from the training parts; saved to cliques/."""
    start = time.perf_counter()
    cliques = clique_set(data.train_counts(), config)
    out = Path(run_dir) / "cliques"
    out.mkdir(parents=True, exist_ok=True)
    save_cliques(out / CLIQUES_FILE, cliques)
    facts = {
        **clique_summary(cliques),
        "similarity": config.similarity,
        "seconds": round(time.perf_counter() - start, 3),
    }
    write_manifest(out, {"run_id": f"{Path(run_dir).name}-cliques", **facts})
    record_stage(run_dir, "cliques", facts)
    return cliques


def read_cliques(run_dir: str | Path) -> CliqueSet:
    return load_cliques(Path(run_dir) / "cliques" / CLIQUES_FILE)


def stage_select(
    run_dir: str | Path,
    data: LarmiData,
    cliques: CliqueSet,
    runner: Runner,
    config: SelectConfig,
    *,
    fallback_context: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], ClusterRun]:
    """B5-B7 with ``config.solver``: choose Z synthetic users, then cluster each (titles capped)."""
    k = config.budget_for(cliques.incidence.shape[0])
    sel = select_users(
        cliques,
        k,
        config.solver,
        seed=config.seed,
        exact_time_limit=config.exact_time_limit,
        neural_options=config.neural_options,
    )
    out = Path(run_dir) / "select" / config.solver
    out.mkdir(parents=True, exist_ok=True)
    record = {**selection_record(sel, cliques, k), "title_cap": config.title_cap}
    write_json(out / SELECTION_FILE, record)
    requests = synthetic_requests(cliques, sel.indices, data.train_counts(), data.titles, config.title_cap)
    run = cluster(
        runner, requests, out_dir=out / "cluster", fallback_context=fallback_context, step="synthetic"
    )
    facts = {k_: v for k_, v in record.items() if k_ != "indices"}
    record_stage(
        run_dir,
        f"select/{config.solver}",
        {**facts, "capped": summary(run.users)["capped"], **llm_facts(run)},
    )
    return record, run


def synthetic_arrays(run_dir: str | Path, solver: str, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """``pad_synthetic`` arrays of the synthetic users selected by ``solver`` (stage B7 output)."""
    users = read_clusters(Path(run_dir) / "select" / solver / "cluster")
    if not users:
        raise ArtifactError(f"{run_dir}: solver {solver!r} selected no synthetic user")
    return pad_synthetic([u.item_clusters() for u in users], n_items)


def compare_solvers(
    run_dir: str | Path,
    cliques: CliqueSet,
    config: SelectConfig,
    solvers: Sequence[str] = ("greedy", "neural", "exact", "random"),
) -> list[dict[str, Any]]:
    """Objective and time of each solver on the same instance (exact without the greedy fallback, so
    its row says whether it finished); a selection stage B already made with the same budget is
    reused, not recomputed. Written to select/compare.json."""
    k = config.budget_for(cliques.incidence.shape[0])
    rows = []
    for name in solvers:
        done = Path(run_dir) / "select" / name / SELECTION_FILE
        if name != "exact" and done.exists() and read_json(done)["budget"] == k:
            rows.append({k_: v for k_, v in read_json(done).items() if k_ not in ("indices", "title_cap")})
            continue
        sel = select_users(
            cliques,
            k,
            name,
            seed=config.seed,
            exact_time_limit=config.exact_time_limit,
            neural_options=config.neural_options,
            exact_fallback=None,
        )
        rows.append({k_: v for k_, v in selection_record(sel, cliques, k).items() if k_ != "indices"})
    greedy = next((r["objective"] for r in rows if r["solver"] == "greedy"), None)
    for row in rows:
        row["vs_greedy"] = round(row["objective"] / greedy, 6) if greedy else None
    out = Path(run_dir) / "select"
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "compare.json", rows)
    record_stage(run_dir, "compare", {"solvers": rows})
    return rows


# --- stage C -----------------------------------------------------------------------------------------------
def stage_train(
    run_dir: str | Path,
    data: LarmiData,
    variants: Sequence[str],
    seeds: Sequence[int],
    settings: TrainSettings | None = None,
) -> list[dict[str, Any]]:
    """C: train every variant from every seed; appends to train/results.json (one record each)."""
    settings = settings or TrainSettings()
    table = (
        cluster_table(stage_a_clusters(run_dir), data.n_items)
        if any(variant(v).uses_clusters for v in variants)
        else None
    )
    out = Path(run_dir) / "train"
    out.mkdir(parents=True, exist_ok=True)
    path = out / RESULTS_FILE
    records: list[dict[str, Any]] = read_json(path) if path.exists() else []
    for name in variants:
        solver = variant(name).selection
        synthetic = synthetic_arrays(run_dir, solver, data.n_items) if solver is not None else None
        for seed in seeds:
            record = train_variant(data, name, settings, seed, clusters=table, synthetic=synthetic)
            records = [r for r in records if (r["variant"], r["seed"]) != (name, seed)] + [record]
            write_json(path, records)
    record_stage(run_dir, "train", {"results": RESULTS_FILE, "records": len(records)})
    return records
