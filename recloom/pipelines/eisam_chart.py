"""PNG bar chart of NDCG@10 on the 2×2 P×D cells per method (EISAM paper Fig. 1 layout), and the
markdown table of overall / head / tail results. Matplotlib with the Agg backend (no display)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from recloom.agents.probe.prior import CELL_KEYS, CELL_NAMES
from recloom.errors import DataError


def cell_chart(
    results: Mapping[str, Mapping[str, float]],
    path: str | Path,
    metric: str = "ndcg@10",
    title: str = "NDCG@10 per prior × data group",
) -> Path:
    """One group of bars per cell, one bar per method. ``results[method]`` holds keys like
    ``"ndcg@10/ph_dt"`` (see ``recloom.pipelines.eisam_eval.group_metrics``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(results)
    if not methods:
        raise DataError("no results to plot")
    keys = [f"{metric}/{CELL_KEYS[c]}" for c in sorted(CELL_KEYS)]
    missing = [k for m in methods for k in keys if k not in results[m]]
    if missing:
        raise DataError(f"results lack cell metrics {sorted(set(missing))[:4]}; evaluate with probe cells")
    width = 0.8 / len(methods)
    x = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for j, method in enumerate(methods):
        ax.bar(
            x + (j - (len(methods) - 1) / 2) * width, [results[method][k] for k in keys], width, label=method
        )
    ax.set_xticks(x, [CELL_NAMES[c] for c in sorted(CELL_NAMES)])
    ax.set_ylabel(metric.upper())
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def markdown_table(rows: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]) -> str:
    """A markdown table; ``columns`` are (header, key) pairs, floats shown with 4 decimals."""

    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(h for h, _ in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(k, "")) for _, k in columns) + " |" for row in rows]
    return "\n".join(lines)
