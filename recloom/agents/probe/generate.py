"""The generation step of the prior probe: one ``probe.recommend`` call per sequence through the
runtime (any backend, cached, replayable), then per sequence a record with its k titles or, when
the re-asks ran out, the titles salvaged from the last answers and the recorded deficit.

Artifacts (``out_dir``): ``recommendations.jsonl`` (one record per input: id, titles, deficit,
source "llm" | "local" | "salvaged", error), ``manifest.json`` (backend label, counts, the
generator note when the local baseline produced the titles) and ``calls/recommend/`` (the
runtime's own outputs, failures with every raw answer, manifest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from recloom.agents.artifacts import read_jsonl, write_jsonl
from recloom.agents.probe.local import LOCAL_GENERATOR_NOTE
from recloom.agents.probe.task import ProbeInput, ProbeOutput, salvage
from recloom.agents.probe.tasks import RECOMMEND
from recloom.agents.runtime import Runner
from recloom.agents.runtime.outcome import Outcome
from recloom.agents.top.stepio import StepContext, run_sync
from recloom.errors import ArtifactError

RECOMMENDATIONS_FILE = "recommendations.jsonl"


@dataclass
class ProbeRecord:
    id: str
    titles: list[str]
    deficit: int
    source: str
    error: str | None = None


@dataclass
class ProbeRun:
    records: list[ProbeRecord]
    manifest: dict[str, Any] = field(default_factory=dict)


def record_for(inp: ProbeInput, outcome: Outcome, source: str) -> ProbeRecord:
    """The probe record of one outcome: accepted titles, or the salvage of the failed answers."""
    if outcome.ok and isinstance(outcome.result, ProbeOutput):
        titles = list(outcome.result.titles)
        return ProbeRecord(inp.id, titles, inp.k - len(titles), source)
    titles = salvage([a.text for a in outcome.attempts if a.text], inp)
    error = outcome.errors[-1] if outcome.errors else outcome.error_kind
    return ProbeRecord(inp.id, titles, inp.k - len(titles), "salvaged", error)


def counts_of(records: Sequence[ProbeRecord], k: int) -> dict[str, Any]:
    return {
        "sequences": len(records),
        "k": k,
        "complete": sum(r.deficit == 0 for r in records),
        "with_deficit": sum(r.deficit > 0 for r in records),
        "total_deficit": sum(r.deficit for r in records),
        "salvaged": sum(r.source == "salvaged" for r in records),
        "titles": sum(len(r.titles) for r in records),
    }


async def agenerate(
    runner: Runner,
    inputs: Sequence[ProbeInput],
    *,
    out_dir: str | Path | None = None,
    config: dict[str, Any] | None = None,
) -> ProbeRun:
    """Ask for k distinct recommendations per input (see the module docstring)."""
    ctx = StepContext(runner, out_dir, "probe-generate")
    result = await ctx.run(RECOMMEND, list(inputs), "recommend")
    records = [record_for(inp, o, ctx.source) for inp, o in zip(inputs, result.outcomes, strict=True)]
    k = max((inp.k for inp in inputs), default=0)
    files = {"recommendations": RECOMMENDATIONS_FILE}
    if ctx.out_dir is not None:
        write_jsonl(ctx.out_dir / RECOMMENDATIONS_FILE, (asdict(r) for r in records))
    meta = dict(config or {})
    meta["generator"] = (
        LOCAL_GENERATOR_NOTE if not ctx.is_llm else f"LLM: {runner.engine.kind}:{runner.engine.model}"
    )
    manifest = ctx.finish(meta, counts_of(records, k), files)
    return ProbeRun(records, manifest)


def generate(runner: Runner, inputs: Sequence[ProbeInput], **kwargs: Any) -> ProbeRun:
    """Sync twin of :func:`agenerate` (closes the backend the runner built)."""
    return run_sync(runner, lambda: agenerate(runner, inputs, **kwargs))


def load_records(out_dir: str | Path) -> list[ProbeRecord]:
    path = Path(out_dir) / RECOMMENDATIONS_FILE
    if not path.is_file():
        raise ArtifactError(f"{path}: missing; run `recloom probe run` first")
    try:
        return [ProbeRecord(**row) for row in read_jsonl(path)]
    except TypeError as exc:
        raise ArtifactError(f"{path}: not written by the probe ({exc})") from exc
