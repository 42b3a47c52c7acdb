"""Prompt iteration: run two variants of a task (two template versions, or two backends/models) on
the same inputs through the cache and compare them side by side: per-field agreement (exact, and
mean Jaccard for list fields), parse/validation failure rates by kind, tokens, cost, plus the
unified diff of the templates when they differ."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from recloom.agents.runtime.outcome import Outcome
from recloom.agents.runtime.runner import RunResult
from recloom.prompts.task import Task


@dataclass
class FieldAgreement:
    field: str
    compared: int
    equal: int
    mean_jaccard: float | None

    @property
    def rate(self) -> float:
        return self.equal / self.compared if self.compared else 0.0


def field_agreement(
    a: Sequence[Outcome], b: Sequence[Outcome], fields: Sequence[str]
) -> list[FieldAgreement]:
    """Agreement per output field over the inputs where both sides produced a valid result."""
    pairs = [
        (x.result.model_dump(mode="json"), y.result.model_dump(mode="json"))
        for x, y in zip(a, b, strict=True)
        if x.result is not None and y.result is not None
    ]
    out = []
    for name in fields:
        equal = sum(p[name] == q[name] for p, q in pairs)
        lists = [
            (p[name], q[name]) for p, q in pairs if isinstance(p[name], list) and isinstance(q[name], list)
        ]
        jaccard = sum(_jaccard(p, q) for p, q in lists) / len(lists) if lists else None
        out.append(FieldAgreement(name, len(pairs), equal, jaccard))
    return out


def _jaccard(p: list[Any], q: list[Any]) -> float:
    sp, sq = {repr(v) for v in p}, {repr(v) for v in q}
    return 1.0 if not sp and not sq else len(sp & sq) / len(sp | sq)


def side_summary(result: RunResult) -> dict[str, Any]:
    outcomes = result.outcomes
    n = len(outcomes) or 1
    kinds = Counter(a.error_kind for o in outcomes for a in o.attempts if a.error_kind)
    return {
        "label": result.manifest["backend"]["label"],
        "task_version": result.manifest["task"]["version"],
        "valid": sum(o.ok for o in outcomes) / n,
        "first_attempt_valid": sum(bool(o.attempts) and o.attempts[0].error_kind is None for o in outcomes)
        / n,
        "attempt_errors": dict(kinds),
        "failed": dict(Counter(o.error_kind for o in outcomes if not o.ok)),
        "tokens": result.manifest["tokens"]["all_attempts"],
        "cost_usd_this_run": result.manifest["cost_usd_this_run"],
        "backend_calls": result.manifest["counts"]["backend_calls"],
    }


def template_diff(a: Task[Any, Any], b: Task[Any, Any]) -> str:
    lines: list[str] = []
    for name in sorted(set(a.template.sources) | set(b.template.sources)):
        left, right = a.template.sources.get(name, ""), b.template.sources.get(name, "")
        if left != right:
            lines.extend(
                difflib.unified_diff(
                    left.splitlines(), right.splitlines(), f"A/{name}", f"B/{name}", lineterm=""
                )
            )
    return "\n".join(lines)


def compare(
    task_a: Task[Any, Any], result_a: RunResult, task_b: Task[Any, Any], result_b: RunResult
) -> dict[str, Any]:
    """The side-by-side report of two runs over the same inputs (matched by input id)."""
    ids_a = [o.input_id for o in result_a.outcomes]
    if ids_a != [o.input_id for o in result_b.outcomes]:
        raise ValueError("the two runs must cover the same inputs in the same order")
    fields = [f for f in task_a.output_model.model_fields if f in task_b.output_model.model_fields]
    agreement = field_agreement(result_a.outcomes, result_b.outcomes, fields)
    return {
        "inputs": len(ids_a),
        "A": side_summary(result_a),
        "B": side_summary(result_b),
        "agreement": [
            {
                "field": f.field,
                "compared": f.compared,
                "agreement": round(f.rate, 4),
                "mean_jaccard": None if f.mean_jaccard is None else round(f.mean_jaccard, 4),
            }
            for f in agreement
        ],
        "template_diff": template_diff(task_a, task_b),
    }
