"""``recloom demo``: ToP-Rec end to end on MovieLens-100K with the embedded local backend.

Titles + genres are the item texts, genres the categories (CE@k), age/gender/occupation the user
profile. It runs ``recloom top run`` with small-machine settings (LightGCN, 10 negatives, batch
4096, lr 0.01, 60 epochs, rounds after epochs 15/30/45) and prints backbone vs ToP vs MMR vs DPP
on R@50/100 and CE@50/100. The local backend is a deterministic non-LLM baseline, and the output
says so. ``recloom demo --cache replay`` repeats the run answering every agent call from the cache
written by the first run (no backend is built) and prints the same table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEMO_EPOCHS = 60


def demo(
    cache: Annotated[
        str, typer.Option("--cache", help="rw (first run) or replay (no backend at all).")
    ] = "rw",
    out: Annotated[Path, typer.Option("--out", help="Root of the demo's run directories and cache.")] = Path(
        "runs/demo"
    ),
    data: Annotated[str, typer.Option("--data", help="Dataset (default ml-100k).")] = "ml-100k",
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data root (else ../shared/data).")
    ] = None,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = DEMO_EPOCHS,
    gap: Annotated[int, typer.Option(help="Augmentation round after every multiple of this epoch.")] = 15,
    warmup: Annotated[int, typer.Option(help="No round before this epoch.")] = 5,
    min_rating: Annotated[float, typer.Option(help="Ratings >= this are positives.")] = 4.0,
    core: Annotated[int, typer.Option(help="k-core filter.")] = 10,
    larmi_users: Annotated[int, typer.Option(help="Also LARMI on the first N Amazon Scientific users.")] = 0,
) -> None:
    """ToP-Rec on MovieLens-100K (local backend): backbone vs ToP vs MMR vs DPP."""
    import time

    from recloom.agents.artifacts import new_run_id
    from recloom.pipelines.top import DataOptions, RuntimeOptions, TopConfig, TopSession
    from recloom.pipelines.top_report import report_text
    from recloom.pipelines.top_rounds import RoundsConfig
    from recloom.pipelines.top_train import BackboneConfig

    run_dir = out / new_run_id(f"top-demo-{cache}")
    typer.echo(
        f"recloom demo: ToP-Rec on {data} with the local backend (deterministic non-LLM solvers), "
        f"cache {cache}.\nSmall-machine settings: LightGCN, {epochs} epochs, 10 negatives, batch 4096 — "
        "about 1.5 CPU-minutes (a few minutes on 2 busy cores). The paper's 150 epochs and 50 negatives: "
        "`recloom top run`."
    )
    config = TopConfig(
        data=DataOptions(
            data=data,
            data_dir=str(data_dir) if data_dir else None,
            min_rating=min_rating,
            core=core,
            n_neg=10,
        ),
        runtime=RuntimeOptions(backend="local", cache_mode=cache, cache_dir=str(out / "cache")),
        backbone=BackboneConfig(epochs=epochs, batch_size=4096, lr=1e-2),
        rounds=RoundsConfig(warmup=warmup, gap=gap),
    )
    started = time.perf_counter()
    report = TopSession(config, run_dir).run()
    typer.echo(report_text(report))
    typer.echo(f"\nwall {time.perf_counter() - started:.0f} s; artifacts in {run_dir}")
    if larmi_users:  # optional LARMI step (recloom.cli.larmi_cmd.demo_step)
        from recloom.cli.larmi_cmd import demo_step

        typer.echo("\n" + demo_step(out, cache, larmi_users, data_dir))
