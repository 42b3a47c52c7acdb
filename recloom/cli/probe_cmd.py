"""``recloom probe run | ground | groups``: the prior long-tail probe of EISAM (methods.md §5.2, §5.6).

recloom probe run --out runs/probe --n 1000                       # local non-LLM baseline
recloom probe run --out runs/probe-gpt -b openai -m gpt-4o-mini   # any backend, cached
recloom probe ground runs/probe [--encoder hidden --model path/to/llama]
recloom probe groups runs/probe                                   # c_prior, P×D cells
"""

# ruff: noqa: B008  (typer declares options as default values)
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from recloom.cli.prompts_cmd import BACKEND, BASE_URL, CACHE_DIR, CACHE_MODE, MODEL

app = typer.Typer(
    help="Prior long-tail probe: generate k items per history, ground, P×D groups.", no_args_is_help=True
)
EMBED_CACHE = typer.Option(None, "--embedding-cache", help="directory keeping MiniLM title vectors on disk")


@app.command()
def run(
    out: Path = typer.Option(..., "--out", "-o", help="probe directory to create"),
    data: str = typer.Option("ml-1m", help="dataset name (EISAM protocol: history 10, 8:1:1 by time)"),
    data_dir: Path | None = typer.Option(None, help="data directory (else $RECLOOM_DATA)"),
    part: str = typer.Option("train", help="which sequences to probe: train | valid | test"),
    n: int = typer.Option(1000, "--n", help="sequences to probe (a seeded sample; 0 = all)"),
    k: int = typer.Option(10, help="distinct recommendations per sequence"),
    seed: int = typer.Option(0, help="seed of the sequence sample and the training cap"),
    max_train: int | None = typer.Option(None, help="training cap of the recommender the groups serve"),
    domain: str = typer.Option("movies", help="plural noun for the items in the prompt"),
    backend: str = BACKEND,
    model: str = MODEL,
    base_url: str | None = BASE_URL,
    cache_dir: Path | None = CACHE_DIR,
    cache_mode: str = CACHE_MODE,
    concurrency: int = typer.Option(16, help="requests in flight"),
    max_reasks: int = typer.Option(2, help="re-asks after a shortfall or an invalid answer"),
    temperature: float = typer.Option(0.0, help="sampling temperature"),
    embedding_cache: Path | None = EMBED_CACHE,
    progress: bool = typer.Option(True, help="show the progress bar"),
) -> None:
    """Ask the backend for k distinct new items per probed history; writes recommendations.jsonl."""
    from recloom.agents.probe import LOCAL_GENERATOR_NOTE
    from recloom.agents.top.embedding import shared_embedder
    from recloom.cli.prompts_cmd import _config
    from recloom.pipelines.probe import ProbeSpec, run_probe

    spec = ProbeSpec(
        data=data,
        data_dir=str(data_dir) if data_dir else None,
        part=part,
        n_sequences=n or None,
        k=k,
        domain=domain,
        seed=seed,
        max_train=max_train,
    )
    config = _config(
        backend,
        model,
        base_url,
        cache_dir,
        cache_mode,
        concurrency=concurrency,
        max_reasks=max_reasks,
        temperature=temperature,
        progress=progress,
    )
    if config.backend == "local":
        typer.secho(f"note: {LOCAL_GENERATOR_NOTE}", err=True, fg=typer.colors.YELLOW)
    embed = shared_embedder(str(embedding_cache)) if embedding_cache else None
    result = run_probe(config, spec, out, embed=embed)
    typer.echo(
        json.dumps(
            {
                "out": str(out),
                "spec": asdict(spec),
                "backend": result.manifest["backend"]["label"],
                "generator": result.manifest["config"]["generator"],
                **result.manifest["counts"],
            }
        )
    )


@app.command()
def ground(
    probe_dir: Path = typer.Argument(..., help="directory written by `recloom probe run`"),
    encoder: str = typer.Option("minilm", help="minilm (sentence-transformers) | hidden (causal LM, BIGRec)"),
    model: str | None = typer.Option(
        None, "--model", "-m", help="local HF model directory for --encoder hidden"
    ),
    batch_size: int = typer.Option(32, help="texts embedded at once (hidden encoder)"),
    embedding_cache: Path | None = EMBED_CACHE,
) -> None:
    """Ground every generated title to k distinct catalogue items; writes grounded.jsonl."""
    from recloom.pipelines.probe import ground_probe, make_encoder

    enc = make_encoder(encoder, model, batch_size, str(embedding_cache) if embedding_cache else None)
    result = ground_probe(probe_dir, enc)
    typer.echo(json.dumps({"dir": str(probe_dir), "encoder": enc.name, **result.stats}))


@app.command()
def groups(
    probe_dir: Path = typer.Argument(..., help="directory with grounded.jsonl"),
    head_share: float = typer.Option(0.2, help="share of items in P-Head and D-Head"),
) -> None:
    """c_prior, P-Head/P-Tail, D-Head/D-Tail and the 2×2 cells; writes groups.npz and prior.json."""
    from recloom.pipelines.probe import PRIOR_FILE, probe_groups

    probe_groups(probe_dir, head_share)
    typer.echo((probe_dir / PRIOR_FILE).read_text(encoding="utf-8").strip())
