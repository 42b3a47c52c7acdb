"""``recloom larmi cluster | cliques | select | train | run``: the LARMI workflow (seed 001) in one run
directory (layout in ``recloom.pipelines.larmi``). The first stage records the data options in
``RUN_DIR/config.json``; later stages reuse them. ``--backend local`` (default) is the non-LLM
baseline (agglomerative clustering of MiniLM title embeddings); any LLM backend uses the same path.
"""

# ruff: noqa: B008  (typer declares options as default values)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    help="LARMI: interest clustering, cliques, max-coverage selection, training.", no_args_is_help=True
)

RUN_DIR = typer.Option(..., "--run-dir", "-o", help="the run directory (created by the first stage)")
DATA = typer.Option(None, "--data", help="data root (default $RECLOOM_DATA or ../shared/data)")
DATASET = typer.Option("amazon-scientific", "--dataset", help="dataset name (needs item titles)")
USERS = typer.Option(None, "--users", help="only the first N users (small runs)")
BACKEND = typer.Option("local", "--backend", "-b", help="local | openai | vllm-server | vllm | langchain")
MODEL = typer.Option("", "--model", "-m", help="model name (or model path for vllm)")
BASE_URL = typer.Option(None, "--base-url", help="OpenAI-compatible server URL (keys from the environment)")
CACHE_DIR = typer.Option(None, "--cache-dir", help="LLM cache (default $RECLOOM_CACHE_DIR or .cache/recloom)")
CACHE_MODE = typer.Option("rw", "--cache-mode", help="rw | replay | refresh | off")
CONCURRENCY = typer.Option(16, "--concurrency", help="requests in flight")
THRESHOLD = typer.Option(0.7, "--threshold", help="local solver: cosine distance cut of the linkage")
EMB_CACHE = typer.Option(None, "--embedding-cache", help="on-disk cache of MiniLM title vectors")
SOLVER = typer.Option("neural", "--solver", help="neural | greedy | exact | random")
BUDGET_SHARE = typer.Option(0.02, "--budget-share", help="Z as a share of the users")
BUDGET = typer.Option(None, "--budget", help="Z directly (overrides --budget-share)")
EXACT_LIMIT = typer.Option(60.0, "--exact-time-limit", help="seconds for the exact MILP solver")
NEURAL_STEPS = typer.Option(None, "--neural-steps", help="test-time steps of the neural solver")
CLIQUE_SIZE = typer.Option(None, "--clique-size", help="|N(u)| incl. u (default: median |c(u')| in 30..60)")
SEED = typer.Option(0, "--seed", help="seed of random choices (solvers, random selection)")


def _data_config(data: Path | None, dataset: str, users: int | None) -> Any:
    from recloom.pipelines.larmi_data import DataConfig

    return DataConfig(dataset=dataset, data_dir=str(data) if data else None, users=users)


def _open(run_dir: Path, data: Path | None, dataset: str, users: int | None) -> Any:
    """The run's data: the recorded options unless data options are given (then they must match)."""
    from recloom.pipelines.larmi import CONFIG_FILE, open_run

    given = data is not None or users is not None or dataset != "amazon-scientific"
    if (run_dir / CONFIG_FILE).exists() and not given:
        return open_run(run_dir)
    return open_run(run_dir, _data_config(data, dataset, users))


def _runner(
    backend: str,
    model: str,
    base_url: str | None,
    cache_dir: Path | None,
    cache_mode: str,
    concurrency: int,
    threshold: float,
    emb_cache: Path | None,
) -> tuple[Any, dict[str, Any]]:
    """A Runner for ``larmi.cluster`` and the local solver's context (also the fallback context)."""
    from recloom.agents.larmi import context_id
    from recloom.agents.runtime import Runner, RuntimeConfig

    context = {"cluster_threshold": threshold, "embedding_cache_dir": str(emb_cache) if emb_cache else None}
    options = {"context": context} if backend == "local" else {}
    config = RuntimeConfig(
        backend=backend,
        model=model,
        base_url=base_url,
        cache_mode=cache_mode,
        cache_dir=str(cache_dir) if cache_dir else None,
        concurrency=concurrency,
        local_context_id=context_id(threshold),
        backend_options=options,
    )
    return Runner(config), context


def _select_config(
    solver: str,
    budget_share: float,
    budget: int | None,
    exact_limit: float,
    neural_steps: int | None,
    clique_size: int | None,
    seed: int,
) -> Any:
    from recloom.pipelines.larmi_select import SelectConfig

    neural = {"opt_steps": neural_steps} if neural_steps is not None else {}
    return SelectConfig(
        clique_size=clique_size,
        budget_share=budget_share,
        budget=budget,
        solver=solver,
        exact_time_limit=exact_limit,
        neural_options=neural,
        seed=seed,
    )


def _echo(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, default=str))


@app.command("cluster")
def cluster_cmd(
    run_dir: Path = RUN_DIR,
    data: Path | None = DATA,
    dataset: str = DATASET,
    users: int | None = USERS,
    backend: str = BACKEND,
    model: str = MODEL,
    base_url: str | None = BASE_URL,
    cache_dir: Path | None = CACHE_DIR,
    cache_mode: str = CACHE_MODE,
    concurrency: int = CONCURRENCY,
    threshold: float = THRESHOLD,
    embedding_cache: Path | None = EMB_CACHE,
) -> None:
    """Stage A: cluster every real user's training history (one prompt per user)."""
    from recloom.pipelines.larmi import stage_cluster

    larmi_data = _open(run_dir, data, dataset, users)
    runner, context = _runner(
        backend, model, base_url, cache_dir, cache_mode, concurrency, threshold, embedding_cache
    )
    run = stage_cluster(run_dir, larmi_data, runner, fallback_context=context)
    _echo(
        {
            "run_dir": str(run_dir),
            "backend": run.manifest["backend"]["label"],
            **run.manifest["counts"],
            "calls": run.manifest["calls"]["backend_calls"],
        }
    )


@app.command("cliques")
def cliques_cmd(
    run_dir: Path = RUN_DIR,
    data: Path | None = DATA,
    dataset: str = DATASET,
    users: int | None = USERS,
    clique_size: int | None = CLIQUE_SIZE,
    similarity: str = typer.Option("jaccard", "--similarity", help="jaccard | overlap | cosine"),
) -> None:
    """Stage B1-B4: neighbourhoods, synthetic users, item values, incidence matrix."""
    from recloom.pipelines.larmi import stage_cliques
    from recloom.pipelines.larmi_select import SelectConfig, clique_summary

    larmi_data = _open(run_dir, data, dataset, users)
    cliques = stage_cliques(run_dir, larmi_data, SelectConfig(clique_size=clique_size, similarity=similarity))
    _echo(clique_summary(cliques))


@app.command("select")
def select_cmd(
    run_dir: Path = RUN_DIR,
    solver: str = SOLVER,
    budget_share: float = BUDGET_SHARE,
    budget: int | None = BUDGET,
    exact_time_limit: float = EXACT_LIMIT,
    neural_steps: int | None = NEURAL_STEPS,
    seed: int = SEED,
    title_cap: int = typer.Option(80, "--title-cap", help="titles per synthetic-user prompt"),
    compare: bool = typer.Option(False, "--compare", help="also time every solver on the instance"),
    backend: str = BACKEND,
    model: str = MODEL,
    base_url: str | None = BASE_URL,
    cache_dir: Path | None = CACHE_DIR,
    cache_mode: str = CACHE_MODE,
    concurrency: int = CONCURRENCY,
    threshold: float = THRESHOLD,
    embedding_cache: Path | None = EMB_CACHE,
) -> None:
    """Stage B5-B7: choose Z synthetic users with SOLVER, then cluster each of them."""
    from dataclasses import replace

    from recloom.pipelines.larmi import compare_solvers, open_run, read_cliques, stage_select

    larmi_data = open_run(run_dir, create=False)
    cliques = read_cliques(run_dir)
    config = replace(
        _select_config(solver, budget_share, budget, exact_time_limit, neural_steps, None, seed),
        title_cap=title_cap,
    )
    runner, context = _runner(
        backend, model, base_url, cache_dir, cache_mode, concurrency, threshold, embedding_cache
    )
    record, run = stage_select(run_dir, larmi_data, cliques, runner, config, fallback_context=context)
    out: dict[str, Any] = {k: v for k, v in record.items() if k != "indices"}
    out["calls"] = run.manifest["calls"]["backend_calls"]
    if compare:
        out["compare"] = compare_solvers(run_dir, cliques, config)
    _echo(out)


@app.command("train")
def train_cmd(
    run_dir: Path = RUN_DIR,
    variants: list[str] = typer.Option(
        ["larmi"],
        "--variant",
        "-v",
        help="larmi | mind | comirec | wo_sem | wo_col | wo_rep | l_gre | wo_com",
    ),
    seeds: list[int] = typer.Option([0], "--seed", help="training seeds (repeat the option)"),
    epochs: int = typer.Option(30, "--epochs"),
    batch_size: int = typer.Option(128, "--batch-size"),
    lr: float = typer.Option(1e-3, "--lr"),
    patience: int = typer.Option(3, "--patience"),
) -> None:
    """Stage C: train the variants (their stage-A/B artifacts must exist) and test them."""
    from recloom.pipelines.larmi import open_run, stage_train
    from recloom.pipelines.larmi_train import TrainSettings

    larmi_data = open_run(run_dir, create=False)
    settings = TrainSettings(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience)
    records = stage_train(run_dir, larmi_data, variants, seeds, settings)
    _echo(
        [
            {
                "variant": r["variant"],
                "seed": r["seed"],
                "best_epoch": r["best_epoch"],
                **{k: round(v, 4) for k, v in r["test"].items() if "@" in k},
            }
            for r in records
        ]
    )


@app.command("run")
def run_cmd(
    run_dir: Path = RUN_DIR,
    data: Path | None = DATA,
    dataset: str = DATASET,
    users: int | None = USERS,
    backend: str = BACKEND,
    model: str = MODEL,
    base_url: str | None = BASE_URL,
    cache_dir: Path | None = CACHE_DIR,
    cache_mode: str = CACHE_MODE,
    concurrency: int = CONCURRENCY,
    threshold: float = THRESHOLD,
    embedding_cache: Path | None = EMB_CACHE,
    budget_share: float = BUDGET_SHARE,
    budget: int | None = BUDGET,
    exact_time_limit: float = EXACT_LIMIT,
    neural_steps: int | None = NEURAL_STEPS,
    clique_size: int | None = CLIQUE_SIZE,
    seed: int = SEED,
    variants: list[str] = typer.Option(["larmi", "mind"], "--variant", "-v", help="variants to train"),
    seeds: list[int] = typer.Option([0], "--train-seed", help="training seeds (repeat the option)"),
    epochs: int = typer.Option(30, "--epochs"),
) -> None:
    """Every stage: cluster, cliques, select (each solver the variants need) + solver comparison, train."""
    from recloom.pipelines.larmi_run import run_workflow
    from recloom.pipelines.larmi_train import TrainSettings

    runner, context = _runner(
        backend, model, base_url, cache_dir, cache_mode, concurrency, threshold, embedding_cache
    )
    select = _select_config("neural", budget_share, budget, exact_time_limit, neural_steps, clique_size, seed)
    summary = run_workflow(
        run_dir,
        _data_config(data, dataset, users),
        runner,
        context,
        select,
        variants,
        seeds,
        TrainSettings(epochs=epochs),
    )
    _echo(summary)


def demo_step(out: Path, cache_mode: str = "rw", users: int = 400, data_dir: Path | None = None) -> str:
    """The LARMI step of ``recloom demo``: the whole workflow on the first ``users`` Amazon Scientific
    users with the local backend (cache ``out/cache``; ``replay`` builds no backend), LARMI vs MIND
    for 3 epochs. Returns the printed report."""
    from recloom.agents.artifacts import new_run_id
    from recloom.pipelines.larmi_run import run_workflow
    from recloom.pipelines.larmi_train import TrainSettings

    runner, context = _runner("local", "", None, out / "cache", cache_mode, 16, 0.7, out / "embeddings")
    runner.config.progress = False
    select = _select_config("neural", 0.02, None, 30.0, 100, None, 0)
    run_dir = out / new_run_id(f"larmi-demo-{cache_mode}")
    summary = run_workflow(
        run_dir,
        _data_config(data_dir, "amazon-scientific", users),
        runner,
        context,
        select,
        ["larmi", "mind"],
        [0],
        TrainSettings(epochs=3, lr=1e-2),
    )
    stage_a, built = summary["stages"]["cluster"], runner.engine.backends_built
    return (
        f"LARMI on the first {users} Amazon Industrial & Scientific users (local non-LLM clustering, "
        f"cache {cache_mode}: {stage_a['backend_calls']} of {stage_a['prompts']} stage-A prompts sent to "
        f"the backend, backends built {built}):\n{summary['table']}\nartifacts in {run_dir}"
    )
