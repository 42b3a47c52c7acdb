"""``recloom top``: the ToP-Rec workflow, step by step or end to end, into one run directory.

    recloom top build  --data ml-100k --out runs/top --backend local
    recloom top match  --data ml-100k --out runs/top        # reads build/, writes match/
    recloom top refine --data ml-100k --out runs/top        # reads match/, writes refine/
    recloom top reason --data ml-100k --out runs/top --n-users 20      # per-user leaves + reasons
    recloom top augment --data ml-100k --out runs/top --n-users 20     # + synthetic interactions
    recloom top run    --data ml-100k --out runs/top2 --backend openai --model gpt-4o-mini

Every step writes its artifacts and a manifest under ``--out``; ``run`` also trains the backbone
plainly and with augmentation rounds and writes ``report.json`` and ``comparison.md``. ``--cache
replay`` answers every LLM call from the cache and never builds a backend.
"""

from __future__ import annotations

from typing import Annotated

import typer

from recloom.cli.top_options import (
    Backend,
    BaseUrl,
    Cache,
    CacheDir,
    Core,
    Data,
    DataDir,
    MinRating,
    Model,
    NAug,
    NLeaves,
    NNeg,
    NUsers,
    Omega,
    Out,
    SplitSeed,
    UsersFile,
    agent_configs,
    backbone_config,
    echo,
    pick_users,
    rounds_config,
    session,
)

app = typer.Typer(help="ToP-Rec: tree of preferences, augmentation rounds, comparison.", no_args_is_help=True)


@app.command()
def build(
    out: Out,
    data: Data = "ml-100k",
    data_dir: DataDir = None,
    backend: Backend = "local",
    model: Model = "",
    base_url: BaseUrl = None,
    cache: Cache = "rw",
    cache_dir: CacheDir = None,
    min_rating: MinRating = 4.0,
    core: Core = 10,
    split_seed: SplitSeed = 42,
    n_neg: NNeg = 50,
) -> None:
    """S1-S2: k-means item samples per category and the tree (build/tree.json)."""
    s = session(
        out, data, data_dir, backend, model, base_url, cache, cache_dir, min_rating, core, split_seed, n_neg
    )
    echo(s.build())


@app.command()
def match(
    out: Out,
    data: Data = "ml-100k",
    data_dir: DataDir = None,
    backend: Backend = "local",
    model: Model = "",
    base_url: BaseUrl = None,
    cache: Cache = "rw",
    cache_dir: CacheDir = None,
    min_rating: MinRating = 4.0,
    core: Core = 10,
    split_seed: SplitSeed = 42,
    n_neg: NNeg = 50,
) -> None:
    """S3: every item to one leaf (match/assignments.jsonl, match/tree.json)."""
    s = session(
        out, data, data_dir, backend, model, base_url, cache, cache_dir, min_rating, core, split_seed, n_neg
    )
    echo(s.match())


@app.command()
def refine(
    out: Out,
    data: Data = "ml-100k",
    data_dir: DataDir = None,
    backend: Backend = "local",
    model: Model = "",
    base_url: BaseUrl = None,
    cache: Cache = "rw",
    cache_dir: CacheDir = None,
    min_rating: MinRating = 4.0,
    core: Core = 10,
    split_seed: SplitSeed = 42,
    n_neg: NNeg = 50,
) -> None:
    """S4: merge/split leaves for load balance (refine/tree.json, refine/refine_log.jsonl)."""
    s = session(
        out, data, data_dir, backend, model, base_url, cache, cache_dir, min_rating, core, split_seed, n_neg
    )
    echo(s.refine())


@app.command()
def reason(
    out: Out,
    data: Data = "ml-100k",
    data_dir: DataDir = None,
    backend: Backend = "local",
    model: Model = "",
    base_url: BaseUrl = None,
    cache: Cache = "rw",
    cache_dir: CacheDir = None,
    min_rating: MinRating = 4.0,
    core: Core = 10,
    split_seed: SplitSeed = 42,
    n_neg: NNeg = 50,
    users: UsersFile = None,
    n_users: NUsers = None,
    n_leaves: NLeaves = 5,
    n_aug: NAug = 3,
    omega: Omega = 0.4,
) -> None:
    """S7: n leaves with a reason each per user (reason/user_leaves.jsonl)."""
    s = session(
        out,
        data,
        data_dir,
        backend,
        model,
        base_url,
        cache,
        cache_dir,
        min_rating,
        core,
        split_seed,
        n_neg,
        agents=agent_configs(n_leaves, n_aug, omega),
    )
    echo(s.reason(pick_users(s, users, n_users, split_seed)))


@app.command()
def augment(
    out: Out,
    data: Data = "ml-100k",
    data_dir: DataDir = None,
    backend: Backend = "local",
    model: Model = "",
    base_url: BaseUrl = None,
    cache: Cache = "rw",
    cache_dir: CacheDir = None,
    min_rating: MinRating = 4.0,
    core: Core = 10,
    split_seed: SplitSeed = 42,
    n_neg: NNeg = 50,
    users: UsersFile = None,
    n_users: NUsers = None,
    n_leaves: NLeaves = 5,
    n_aug: NAug = 3,
    omega: Omega = 0.4,
) -> None:
    """S7+S8: reasoning and item selection (augment/synthetic_interactions.jsonl with provenance)."""
    s = session(
        out,
        data,
        data_dir,
        backend,
        model,
        base_url,
        cache,
        cache_dir,
        min_rating,
        core,
        split_seed,
        n_neg,
        agents=agent_configs(n_leaves, n_aug, omega),
    )
    echo(s.augment(pick_users(s, users, n_users, split_seed)))


@app.command()
def run(
    out: Out,
    data: Data = "ml-100k",
    data_dir: DataDir = None,
    backend: Backend = "local",
    model: Model = "",
    base_url: BaseUrl = None,
    cache: Cache = "rw",
    cache_dir: CacheDir = None,
    min_rating: MinRating = 4.0,
    core: Core = 10,
    split_seed: SplitSeed = 42,
    n_neg: NNeg = 50,
    backbone: Annotated[str, typer.Option(help="lightgcn | mf | ngcf")] = "lightgcn",
    epochs: Annotated[int, typer.Option(help="Training epochs (best validated epoch restored).")] = 150,
    batch_size: Annotated[int, typer.Option(help="Training pairs per batch.")] = 20480,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 5e-3,
    seed: Annotated[int, typer.Option(help="Seed of init and sampling.")] = 42,
    warmup: Annotated[int, typer.Option(help="No round before this epoch.")] = 10,
    gap: Annotated[int, typer.Option(help="A round after every multiple of this epoch.")] = 40,
    rounds: Annotated[int, typer.Option(help="At most this many rounds.")] = 3,
    groups: Annotated[int, typer.Option(help="User groups G of the influence.")] = 20,
    k_epochs: Annotated[int, typer.Option(help="Last k epochs counted twice.")] = 3,
    influence_sign: Annotated[str, typer.Option(help="literal | descent")] = "literal",
    selection: Annotated[str, typer.Option(help="influence | random (w/o US ablation)")] = "influence",
    n_leaves: NLeaves = 5,
    n_aug: NAug = 3,
    omega: Omega = 0.4,
) -> None:
    """Everything: tree steps, backbone vs ToP training, MMR/DPP; report.json and comparison.md."""
    from recloom.pipelines.top_report import report_text

    s = session(
        out,
        data,
        data_dir,
        backend,
        model,
        base_url,
        cache,
        cache_dir,
        min_rating,
        core,
        split_seed,
        n_neg,
        agents=agent_configs(n_leaves, n_aug, omega),
        backbone=backbone_config(backbone, epochs, batch_size, lr, seed),
        rounds=rounds_config(warmup, gap, rounds, groups, k_epochs, influence_sign, selection),
    )
    typer.echo(report_text(s.run()))
    typer.echo(f"\nartifacts: {out}")
