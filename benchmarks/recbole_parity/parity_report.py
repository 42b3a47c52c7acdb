"""Summaries, ratios and the side-by-side table of the RecBole parity benchmark."""

from __future__ import annotations

import statistics
from typing import Any

METRICS = ("recall@10", "recall@20", "ndcg@10", "ndcg@20")
METRIC_TOLERANCE = 0.03  # target: |ours / RecBole - 1| <= 3 %
MIN_SPEEDUP = 2.0  # target: RecBole s/epoch / our s/epoch >= 2


def epoch_stats(seconds: list[float]) -> dict[str, float]:
    """Median, min and mean of per-epoch seconds; the first (warm-up) epoch is counted too."""
    if not seconds:
        return {"median": float("nan"), "min": float("nan"), "mean": float("nan"), "n": 0}
    return {"median": statistics.median(seconds), "min": min(seconds),
            "mean": statistics.fmean(seconds), "n": len(seconds)}


def summarize_side(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """One side over its repeats: metrics of the first repeat (runs are seeded), the median of
    per-epoch training seconds pooled over all repeats, the median peak RSS."""
    first = repeats[0]
    train = [s for r in repeats for s in r["train_seconds"]]
    train_cpu = [s for r in repeats for s in r.get("train_cpu_seconds", [])]
    valid = [s for r in repeats for s in r["valid_seconds"] if s > 0]
    return {
        "valid": first["valid"], "test": first["test"], "best_epoch": first["best_epoch"],
        "epochs_run": first["epochs_run"], "train_s_per_epoch": epoch_stats(train),
        "train_cpu_s_per_epoch": epoch_stats(train_cpu),
        "valid_s_per_eval": epoch_stats(valid),
        "median_run_train_s_per_epoch": [statistics.median(r["train_seconds"]) for r in repeats],
        "peak_rss_mib": _median_known([r["peak_rss_mib"] for r in repeats]),
        "wall_seconds": [r["wall_seconds"] for r in repeats],
    }


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """our / RecBole for each test and valid metric, and RecBole s/epoch / our s/epoch."""
    out: dict[str, Any] = {}
    for part in ("test", "valid"):
        out[part] = {m: _div(ours[part][m], theirs[part][m]) for m in METRICS}
    t_ours, t_theirs = ours["train_s_per_epoch"], theirs["train_s_per_epoch"]
    out["speedup_train_epoch"] = _div(t_theirs["median"], t_ours["median"])
    out["speedup_train_epoch_min"] = _div(t_theirs["min"], t_ours["min"])
    out["speedup_train_epoch_cpu"] = _div(theirs["train_cpu_s_per_epoch"]["median"],
                                          ours["train_cpu_s_per_epoch"]["median"])
    out["speedup_valid_eval"] = _div(theirs["valid_s_per_eval"]["median"], ours["valid_s_per_eval"]["median"])
    out["memory_ratio"] = _div(ours["peak_rss_mib"], theirs["peak_rss_mib"])
    return out


def verdict(r: dict[str, Any]) -> dict[str, bool]:
    """Whether the run meets the targets (test metrics within ±3 %, training ≥ 2× faster)."""
    return {
        "metrics_within_3pct": all(abs(v - 1.0) <= METRIC_TOLERANCE for v in r["test"].values()),
        "speedup_at_least_2x": r["speedup_train_epoch"] >= MIN_SPEEDUP,
    }


def _div(a: float | None, b: float | None) -> float:
    return float(a) / float(b) if a is not None and b else float("nan")


def _median_known(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _side_row(run: dict[str, Any], side: str, s: dict[str, Any]) -> str:
    vals = " | ".join(f"{s['test'][m]:.4f}" for m in METRICS)
    wall, cpu = s["train_s_per_epoch"]["median"], s["train_cpu_s_per_epoch"]["median"]
    return (f"| {run['dataset']} | {run['model']} | {run['split']} | {side} | {vals} | {wall:.3f} | "
            f"{cpu:.3f} | {s['best_epoch']} / {s['epochs_run']} | {_fmt(s['peak_rss_mib'], '.0f')} |")


def _ratio_row(run: dict[str, Any]) -> str:
    rat = run["ratios"]
    vals = " | ".join(f"{rat['test'][m]:.3f}" for m in METRICS)
    wall, cpu = rat["speedup_train_epoch"], rat["speedup_train_epoch_cpu"]
    return (f"| {run['dataset']} | {run['model']} | {run['split']} | **ours / RecBole** | {vals} | "
            f"**{wall:.2f}× faster** | **{cpu:.2f}× faster** | | {_fmt(rat['memory_ratio'], '.2f')} |")


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None or value != value else format(value, spec)


def table(runs: list[dict[str, Any]]) -> str:
    """A markdown table: test metrics of both sides with ratios, s/epoch, speedup, peak RSS."""
    names = " | ".join(m.replace("recall", "R").replace("ndcg", "N") for m in METRICS)
    head = (f"| dataset | model | split | side | {names} | train s/epoch wall (median) "
            "| train CPU s/epoch (median) | best epoch / epochs run | peak RSS MiB |")
    lines = [head, "|" + "---|" * (4 + len(METRICS) + 4)]
    for run in runs:
        lines.append(_side_row(run, "RecBole 1.2.1", run["recbole"]))
        lines.append(_side_row(run, "recloom", run["recloom"]))
        lines.append(_ratio_row(run))
    return "\n".join(lines)
