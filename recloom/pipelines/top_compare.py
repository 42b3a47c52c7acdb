"""The comparison of ToP-Rec's Table 1: backbone vs ToP vs MMR vs DPP on R@50/100 and CE@50/100.

The backbone and ToP rows rank all items (original training items masked); MMR and DPP re-rank
the backbone's top ``10·k`` candidates separately for each k (methods.md §1.3), so the @50 and
@100 columns of a re-ranker come from two re-rankings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recloom.pipelines.top_data import KS, TopData, headline, item_vectors
from recloom.recmodels.base import Recommender
from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate, metrics_from_topk
from recloom.recmodels.rerank import RerankConfig, rerank_topk

COLUMNS = ("recall@50", "recall@100", "ce@50", "ce@100")
LABELS = {"recall@50": "R@50", "recall@100": "R@100", "ce@50": "CE@50", "ce@100": "CE@100"}


def evaluate_plain(model: Recommender, data: EvalData, spec: EvalSpec) -> dict[str, Any]:
    """Headline metrics of the model's own ranking, with the wall time per user list."""
    start = time.perf_counter()
    metrics = evaluate(model, data, spec)
    seconds = time.perf_counter() - start
    return {**headline(metrics, tuple(spec.ks)), "seconds_per_user": seconds / max(len(data), 1)}


def evaluate_rerank(
    model: Recommender,
    data: EvalData,
    spec: EvalSpec,
    config: RerankConfig,
    vectors: np.ndarray | None = None,
) -> dict[str, Any]:
    """Headline metrics of MMR/DPP lists: one re-ranking from ``factor·k`` candidates per k."""
    vectors = item_vectors(model) if vectors is None else vectors
    out: dict[str, Any] = {}
    seconds = 0.0
    for k in spec.ks:
        start = time.perf_counter()
        topk, valid = rerank_topk(model, data, k, vectors, config)
        seconds += time.perf_counter() - start
        single = EvalSpec(ks=(k,), metrics=("recall",), category_weights=spec.category_weights)
        out.update(headline(metrics_from_topk(topk, valid, data.truth, single, model.n_items), (k,)))
    out["seconds_per_user"] = seconds / max(len(data), 1)
    return out


def compare_backbone(
    model: Recommender,
    data: TopData,
    rerankers: Mapping[str, RerankConfig],
    vectors: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """Rows ``backbone`` and one per re-ranker, on the test set; item similarity is the cosine of
    ``vectors`` (default: the backbone's own item embeddings)."""
    rows = {"backbone": evaluate_plain(model, data.test, data.spec)}
    vectors = item_vectors(model) if vectors is None else vectors
    for name, config in rerankers.items():
        rows[name] = evaluate_rerank(model, data.test, data.spec, config, vectors)
    return rows


def default_rerankers() -> dict[str, RerankConfig]:
    """MMR λ = 0.7 and DPP θ = 0.8: fixed a priori (not tuned on test), both give up a little recall."""
    return {
        "mmr": RerankConfig(method="mmr", mmr_lambda=0.7),
        "dpp": RerankConfig(method="dpp", dpp_theta=0.8),
    }


def markdown_table(
    rows: Mapping[str, Mapping[str, Any]],
    columns: Sequence[str] = COLUMNS,
    stds: Mapping[str, Mapping[str, float]] | None = None,
    digits: int = 4,
) -> str:
    """A markdown table, one row per method; ``stds`` adds ``± std`` to each cell."""
    head = "| method | " + " | ".join(LABELS.get(c, c) for c in columns) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]
    for name, row in rows.items():
        cells = []
        for c in columns:
            value = row.get(c)
            cell = "-" if value is None else f"{value:.{digits}f}"
            if stds is not None and value is not None and c in stds.get(name, {}):
                cell += f" ± {stds[name][c]:.{digits}f}"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_std(
    runs: Sequence[Mapping[str, Mapping[str, float]]], columns: Sequence[str] = COLUMNS
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per method and column: mean and sample std (ddof=1; 0 for a single run) over runs."""
    means: dict[str, dict[str, float]] = {}
    stds: dict[str, dict[str, float]] = {}
    for name in runs[0]:
        means[name], stds[name] = {}, {}
        for c in columns:
            values = np.array([r[name][c] for r in runs if c in r.get(name, {})], dtype=np.float64)
            if len(values):
                means[name][c] = float(values.mean())
                stds[name][c] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return means, stds


__all__ = [
    "KS",
    "compare_backbone",
    "default_rerankers",
    "evaluate_plain",
    "evaluate_rerank",
    "markdown_table",
    "mean_std",
]
