"""Running ``larmi.cluster`` over many users through the runtime (stage A: real users, Eq. 1;
stage B7: selected synthetic users, Eq. 9).

Every request goes through the given :class:`~recloom.agents.runtime.Runner` (any backend, same code
path; the runner's cache makes a second run or a strict replay call no backend). Accepted answers
are already repaired by the task's validator; their title numbers are mapped back to item ids. A
request whose answer still fails after the re-asks gets the local agglomerative solver's clusters,
labelled ``fallback`` with the error, so every user has a valid clustering.

Artifacts (``out_dir``): ``clusters.jsonl`` (one :class:`UserClusters` per line), ``clusters.json``
(``{id: [[item, ...], ...]}``, read by ``recloom.recmodels.larmi_clusters.load_clusters_json``),
``manifest.json`` (backend, counts, calls, repairs, cap) and ``calls/`` (the runtime's outputs,
failures with raw answers, manifest).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from recloom.agents.artifacts import new_run_id, read_jsonl, write_json, write_jsonl, write_manifest
from recloom.agents.larmi.inputs import ClusterRequest
from recloom.agents.larmi.local import agglomerative_clusters, warm_embeddings
from recloom.agents.larmi.task import ClusterOutput, check_clusters
from recloom.agents.larmi.tasks import CLUSTER
from recloom.agents.runtime import Outcome, Runner
from recloom.agents.runtime.manifest import backend_label, versions
from recloom.cache.modes import CacheMode
from recloom.errors import ArtifactError, RecloomError

CLUSTERS_JSONL, CLUSTERS_JSON = "clusters.jsonl", "clusters.json"


@dataclass
class UserClusters:
    """One (synthetic) user's final clusters, as item ids."""

    id: str
    kind: str
    items: list[int]  # item ids in prompt order (title k + 1 = items[k])
    clusters: list[dict[str, Any]]  # {"name", "description", "items": [item ids]}
    repairs: list[str] = field(default_factory=list)
    source: str = "local"  # "llm", "local" (non-LLM baseline) or "fallback"
    error: str | None = None
    n_source_items: int = 0

    def item_clusters(self) -> list[list[int]]:
        return [list(c["items"]) for c in self.clusters]


@dataclass
class ClusterRun:
    users: list[UserClusters]
    manifest: dict[str, Any]

    def by_id(self) -> dict[str, UserClusters]:
        return {u.id: u for u in self.users}


def to_user_clusters(
    request: ClusterRequest, answer: ClusterOutput, source: str, error: str | None = None
) -> UserClusters:
    clusters = [
        {"name": c.name, "description": c.description, "items": [request.items[int(i) - 1] for i in c.items]}
        for c in answer.clusters
    ]
    return UserClusters(
        request.input.id,
        request.input.kind,
        list(request.items),
        clusters,
        list(answer.repairs),
        source,
        error,
        request.n_source_items,
    )


def fallback(request: ClusterRequest, context: Mapping[str, Any], error: str | None) -> UserClusters:
    """The local solver's clusters for a request the backend could not answer acceptably."""
    answer = check_clusters(agglomerative_clusters.solve(request.input, context), request.input)  # type: ignore[arg-type]
    return to_user_clusters(request, answer, "fallback", error)


def _error(outcome: Outcome) -> str:
    return outcome.errors[-1] if outcome.errors else (outcome.error_kind or "failed")


async def acluster(
    runner: Runner,
    requests: Sequence[ClusterRequest],
    *,
    out_dir: str | Path | None = None,
    fallback_context: Mapping[str, Any] | None = None,
    step: str = "cluster",
) -> ClusterRun:
    """Cluster every request (see the module docstring); ids must be unique."""
    started, started_at = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%S%z")
    out = None if out_dir is None else Path(out_dir)
    if out is not None and (out / "manifest.json").exists():
        raise ArtifactError(f"{out} already holds a {step!r} step (manifest.json); give a new directory")
    calls_dir = None if out is None else out / "calls"
    if not runner.engine.is_llm and runner.engine.mode is not CacheMode.REPLAY:
        context = runner.config.backend_options.get("context") or {}
        warm_embeddings(context, [t for r in requests for t in r.input.titles])
    result = await runner.arun(
        CLUSTER, [r.input for r in requests], run_dir=calls_dir, run_id=new_run_id(f"larmi-{step}")
    )
    source = "llm" if runner.engine.is_llm else "local"
    users: list[UserClusters] = []
    for request, outcome in zip(requests, result.outcomes, strict=True):
        if outcome.ok and isinstance(outcome.result, ClusterOutput):
            users.append(to_user_clusters(request, outcome.result, source))
        else:
            users.append(fallback(request, fallback_context or {}, _error(outcome)))
    manifest = _manifest(runner, step, users, result.manifest, started, started_at)
    if out is not None:
        write_outputs(out, users, manifest)
    return ClusterRun(users, manifest)


def cluster(runner: Runner, requests: Sequence[ClusterRequest], **kwargs: Any) -> ClusterRun:
    """Sync twin of :func:`acluster`; closes the backend the runner built."""
    box: list[ClusterRun] = []

    async def main() -> None:
        try:
            box.append(await acluster(runner, requests, **kwargs))
        finally:
            await runner.aclose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
        return box[0]
    raise RecloomError("larmi cluster() was called inside a running event loop; await acluster(...)")


def summary(users: Sequence[UserClusters]) -> dict[str, Any]:
    """Counts for manifests and reports: sources, repairs, clusters per user, caps, overlaps."""
    n_clusters = [len(u.clusters) for u in users]
    return {
        "users": len(users),
        "by_source": dict(Counter(u.source for u in users)),
        "users_repaired": sum(1 for u in users if u.repairs),
        "repairs": sum(len(u.repairs) for u in users),
        "clusters_mean": round(sum(n_clusters) / max(len(users), 1), 4),
        "clusters_max": max(n_clusters, default=0),
        "items_mean": round(sum(len(u.items) for u in users) / max(len(users), 1), 4),
        "capped": sum(1 for u in users if u.n_source_items > len(u.items)),
        "items_in_several_clusters": sum(
            sum(1 for _, n in Counter(i for c in u.item_clusters() for i in c).items() if n > 1)
            for u in users
        ),
    }


def _manifest(
    runner: Runner,
    step: str,
    users: Sequence[UserClusters],
    calls: Mapping[str, Any],
    started: float,
    started_at: str,
) -> dict[str, Any]:
    engine = runner.engine
    return {
        "run_id": new_run_id(f"larmi-{step}"),
        "step": step,
        "started_at": started_at,
        "wall_s": round(time.perf_counter() - started, 4),
        "backend": {
            "kind": engine.kind,
            "model": engine.model,
            "is_llm": engine.is_llm,
            "label": backend_label(engine.kind, engine.model),
            "cache_mode": engine.mode.value,
        },
        "task": calls["task"],
        "counts": summary(users),
        "calls": {**calls["counts"], "tokens": calls["tokens"]["all_attempts"]},
        "files": {"clusters": CLUSTERS_JSONL, "clusters_json": CLUSTERS_JSON, "calls": "calls"},
        "versions": versions(),
    }


def write_outputs(out: Path, users: Sequence[UserClusters], manifest: Mapping[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / CLUSTERS_JSONL, (asdict(u) for u in users))
    write_json(out / CLUSTERS_JSON, {u.id: u.item_clusters() for u in users})
    write_manifest(out, manifest)


def read_clusters(path: str | Path) -> list[UserClusters]:
    """``clusters.jsonl`` (the file or the step directory holding it)."""
    p = Path(path)
    p = p / CLUSTERS_JSONL if p.is_dir() else p
    try:
        return [UserClusters(**row) for row in read_jsonl(p)]
    except (TypeError, FileNotFoundError) as exc:
        raise ArtifactError(f"{p}: not a clusters file written by the larmi cluster step ({exc})") from exc
