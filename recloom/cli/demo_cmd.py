"""``recloom demo``: the end-to-end path that exists today, until the ToP workflow demo lands.

It tags every ml-100k movie with the built-in ``item_tags`` task on the embedded ``local`` backend
(a deterministic keyword baseline, no LLM), writing a run directory with outputs and a manifest,
then replays the same batch in strict replay mode (no backend built) and checks the results match.
"""

# ruff: noqa: B008  (typer declares options as default values)
from __future__ import annotations

import json
import time
from pathlib import Path

import typer


def demo(
    data: Path | None = typer.Option(
        None, "--data", help="data root (default $RECLOOM_DATA or ../shared/data)"
    ),
    out: Path = typer.Option(Path("runs"), "--out", help="where run directories are created"),
    limit: int | None = typer.Option(None, help="only the first N movies"),
) -> None:
    """Run the runtime demo: item_tags over ml-100k on the local non-LLM baseline, then strict replay."""
    from recloom.agents.artifacts import new_run_id
    from recloom.agents.runtime import Runner, RuntimeConfig
    from recloom.data.loaders import load_dataset
    from recloom.errors import DataError

    typer.echo(
        "recloom demo: the LLM runtime end to end (the ToP workflow demo replaces this when it lands)."
    )
    typer.echo("backend: local (non-LLM baseline: deterministic keyword tags, no model is called)")
    catalog = load_dataset("ml-100k", data).items
    if catalog is None:
        raise DataError("ml-100k has no item catalogue (titles)")
    rows = [
        {"id": rid, "title": title, "genres": [g for g in cats if g != "unknown"]}
        for rid, title, cats in zip(catalog.raw_ids, catalog.titles, catalog.categories, strict=True)
    ][:limit]
    cache_dir = out / ".cache"
    run_dir = out / new_run_id("demo-item_tags")
    started = time.perf_counter()
    first = Runner(RuntimeConfig(backend="local", cache_dir=str(cache_dir))).run(
        "item_tags", rows, run_dir=run_dir
    )
    wall = time.perf_counter() - started
    replay_runner = Runner(
        RuntimeConfig(backend="local", cache_dir=str(cache_dir), cache_mode="replay", progress=False)
    )
    started = time.perf_counter()
    replay = replay_runner.run("item_tags", rows)
    replay_wall = time.perf_counter() - started
    same = [o.result for o in replay.outcomes] == [o.result for o in first.outcomes]
    example = next(o for o in first.outcomes if o.ok)
    typer.echo(
        json.dumps(
            {
                "run_dir": str(first.run_dir),
                "items": len(rows),
                **first.manifest["counts"],
                "wall_s": round(wall, 2),
                "example": {"id": example.input_id, **example.result.model_dump()},  # type: ignore[union-attr]
                "replay": {
                    "backend_built": replay_runner.engine.backends_built,
                    "served_from_cache": replay.manifest["counts"]["cached"],
                    "identical_results": same,
                    "results_per_s": round(len(rows) / replay_wall),
                },
            },
            indent=2,
        )
    )
    if not same or replay_runner.engine.backends_built:
        raise typer.Exit(1)
