"""The report of a ToP run (``report.json``) and its printed form.

Besides the comparison rows it records what the numbers rest on: the backend (and whether it is an
LLM at all), LLM calls and tokens per step, tokens per matched item, the synthetic edges (count,
users, share that happen to be held-out items — allowed by §1.6, reported), the influence cost,
wall time per step, and whether a backend was built (never in replay mode).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from recloom.agents.runtime.manifest import backend_label, versions
from recloom.pipelines.top_compare import markdown_table

if TYPE_CHECKING:
    from recloom.pipelines.top import Comparison, TopSession
    from recloom.pipelines.top_train import TrainedBackbone

_CALL_KEYS = ("backend_calls", "cached", "inputs", "failed", "reasks", "prompt_tokens", "completion_tokens")


def _calls(raw: dict[str, Any]) -> dict[str, int]:
    return {k: int(raw.get(k, 0)) for k in _CALL_KEYS}


def llm_summary(
    steps: dict[str, dict[str, Any]], rounds_calls: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Calls and tokens per step (tree steps, then the rounds' reasoning when given) and totals."""
    by_step = {name: _calls(info.get("calls", {})) for name, info in steps.items()}
    if rounds_calls is not None:
        by_step["reason (rounds)"] = _calls(rounds_calls)
    total = {k: sum(s[k] for s in by_step.values()) for k in _CALL_KEYS}
    match = steps.get("match", {})
    return {
        "by_step": by_step,
        "total": total,
        "tokens_per_matched_item": match.get("tokens_per_item", 0.0),
        "match_fallback_rate": match.get("fallback_rate", 0.0),
    }


def synthetic_summary(session: TopSession, top: TrainedBackbone) -> dict[str, Any]:
    edges = top.rounds.all_edges() if top.rounds is not None else None
    if edges is None or len(edges) == 0:
        return {"edges": 0, "users": 0, "heldout_share": 0.0, "user_share": 0.0}
    heldout = session.heldout()
    hits = sum(
        1 for u, i in zip(edges.user.tolist(), edges.item.tolist(), strict=True) if i in heldout.get(u, ())
    )
    users = len(edges.users())
    return {
        "edges": len(edges),
        "users": users,
        "user_share": users / session.data.n_users,
        "heldout_share": hits / len(edges),
        "train_interactions": len(session.data.train),
    }


def comparison_summary(session: TopSession, result: Comparison) -> dict[str, Any]:
    """Table, training summaries, synthetic edges and the rounds' agent calls of one comparison."""
    top = result.top
    training = {"top": top.summary()}
    if result.plain is not None:
        training["backbone"] = result.plain.summary()
    return {
        "table": result.rows,
        "training": training,
        "synthetic": synthetic_summary(session, top),
        "rounds_calls": _calls(result.augmenter.stats.as_dict()),
        "influence_seconds": round(top.rounds.tracker.seconds, 4) if top.rounds is not None else 0.0,
    }


def build_report(
    session: TopSession, steps: dict[str, dict[str, Any]], result: Comparison, wall_seconds: float
) -> dict[str, Any]:
    engine = session.runner.engine
    cfg = session.config
    summary = comparison_summary(session, result)
    return {
        "dataset": session.data.dataset.stats(),
        "protocol": {
            **asdict(cfg.data),
            "split": "per-user random 0.6/0.2/0.2",
            "ks": list(session.data.spec.ks),
            "mask": "original training items (test: + validation items)",
        },
        "backend": {
            "kind": engine.kind,
            "model": engine.model,
            "label": backend_label(engine.kind, engine.model),
            "is_llm": engine.is_llm,
            "cache_mode": engine.mode.value,
            "backends_built": engine.backends_built,
        },
        "config": {
            "backbone": asdict(cfg.backbone),
            "rounds": asdict(cfg.rounds),
            "agents": asdict(cfg.agents),
            "mmr": asdict(cfg.mmr),
            "dpp": asdict(cfg.dpp),
            "rerank_similarity": cfg.rerank_similarity,
        },
        "table": summary["table"],
        "training": summary["training"],
        "tree": {
            "leaves": steps["refine"].get("leaves"),
            "refine_operations": steps["refine"].get("operations"),
            "built_leaves": steps["build"].get("leaves"),
        },
        "llm": llm_summary(steps, result.augmenter.stats.as_dict()),
        "synthetic": summary["synthetic"],
        "seconds": {**session.timings, "influence": summary["influence_seconds"]},
        "wall_seconds": round(wall_seconds, 3),
        "versions": versions(),
    }


def report_text(report: dict[str, Any]) -> str:
    """The comparison table with the facts needed to read it."""
    backend = report["backend"]
    data = report["dataset"]
    bb = report["config"]["backbone"]
    rounds = report["training"]["top"].get("rounds", {})
    llm = report["llm"]["total"]
    kind = "an LLM" if backend["is_llm"] else "NOT an LLM: deterministic local solvers (non-LLM baseline)"
    lines = [
        f"ToP-Rec comparison on {data['name']} ({data['users']} users, {data['items']} items, "
        f"{data['interactions']} interactions after filtering)",
        f"backbone {bb['model']}, {bb['epochs']} epochs (best epoch by mean validation recall restored), "
        f"seed {bb['seed']}; ToP rounds after epochs {rounds.get('rounds_at')}",
        f"agent backend: {backend['label']} — {kind}; cache mode {backend['cache_mode']}, "
        f"backends built {backend['backends_built']}",
        f"LLM-step calls to the backend {llm['backend_calls']} (cached {llm['cached']}), tokens "
        f"{llm['prompt_tokens'] + llm['completion_tokens']}; synthetic edges {report['synthetic']['edges']} "
        f"for {report['synthetic']['users']} users",
        "",
        markdown_table(report["table"]),
        "",
        "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report["seconds"].items()),
    ]
    return "\n".join(lines)
