"""``run_workflow``: every LARMI stage in one run directory, resumable (a stage whose manifest exists
is not run again), and the results table (mean ± std over seeds per variant)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.artifacts import read_json
from recloom.agents.runtime import Runner
from recloom.pipelines.larmi import (
    compare_solvers,
    open_run,
    read_cliques,
    stage_cliques,
    stage_cluster,
    stage_select,
    stage_train,
)
from recloom.pipelines.larmi_data import DataConfig
from recloom.pipelines.larmi_select import SelectConfig
from recloom.pipelines.larmi_train import TrainSettings, variant

COLUMNS = ("recall@20", "ndcg@20", "hr@20", "recall@50", "ndcg@50", "hr@50")
LABELS = {"recall": "R", "ndcg": "N", "hr": "H"}


def needed_solvers(variants: Sequence[str]) -> list[str]:
    """The stage-B selections the variants train with, in first-use order."""
    return list(dict.fromkeys(s for s in (variant(v).selection for v in variants) if s is not None))


def _done(path: Path) -> bool:
    return (path / "manifest.json").exists()


def run_workflow(
    run_dir: str | Path,
    data: DataConfig,
    runner: Runner,
    context: Mapping[str, Any],
    select: SelectConfig,
    variants: Sequence[str],
    seeds: Sequence[int],
    settings: TrainSettings | None = None,
    *,
    compare: bool = True,
) -> dict[str, Any]:
    """Stage A, B (cliques, each needed selection, the solver comparison) and C; returns a summary."""
    run = Path(run_dir)
    larmi_data = open_run(run, data)
    if not _done(run / "cluster"):
        stage_cluster(run, larmi_data, runner, fallback_context=context)
    cliques = read_cliques(run) if _done(run / "cliques") else stage_cliques(run, larmi_data, select)
    for solver in needed_solvers(variants):
        if not _done(run / "select" / solver / "cluster"):
            stage_select(
                run, larmi_data, cliques, runner, replace(select, solver=solver), fallback_context=context
            )
    if compare and not (run / "select" / "compare.json").exists():
        compare_solvers(run, cliques, select)
    records = stage_train(run, larmi_data, variants, seeds, settings)
    table = results_table(records)
    (run / "train" / "table.md").write_text(table + "\n", encoding="utf-8")
    return {
        "run_dir": str(run),
        "data": larmi_data.summary(),
        "stages": read_json(run / "manifest.json")["stages"],
        "table": table,
    }


def aggregate(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str] = COLUMNS
) -> dict[str, dict[str, tuple[float, float, int]]]:
    """Per variant (first-seen order) and column: (mean, sample std (0 for one seed), seeds)."""
    by_variant: dict[str, list[Mapping[str, float]]] = {}
    for r in records:
        by_variant.setdefault(str(r["variant"]), []).append(r["test"])
    out: dict[str, dict[str, tuple[float, float, int]]] = {}
    for name, tests in by_variant.items():
        out[name] = {}
        for c in columns:
            values = np.array([t[c] for t in tests if c in t], dtype=np.float64)
            if len(values):
                std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
                out[name][c] = (float(values.mean()), std, len(values))
    return out


def label(column: str) -> str:
    name, _, k = column.partition("@")
    return f"{LABELS.get(name, name)}@{k}"


def results_table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str] = COLUMNS, digits: int = 4
) -> str:
    """Markdown: one row per variant, ``mean ± std`` per metric, the number of seeds."""
    agg = aggregate(records, columns)
    lines = [
        "| variant | seeds | " + " | ".join(label(c) for c in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for name, cells in agg.items():
        n = max((v[2] for v in cells.values()), default=0)
        shown = [
            f"{cells[c][0]:.{digits}f} ± {cells[c][1]:.{digits}f}" if c in cells else "-" for c in columns
        ]
        lines.append(f"| {name} | {n} | " + " | ".join(shown) + " |")
    return "\n".join(lines)
