"""Step S7 — preference reasoning per user, Eq. (2), through the ``top.reason`` task.

Per user: the tree outline (ids and names, the same text for every user), n, the profile A_u and
the ``history_cap`` most recent training items (title, category, pre-assigned leaf). Accepted
answers are repaired to exactly n distinct leaves as §1.5 item 4 prescribes (``repair_count``;
top-ups by cosine between leaf path and profile embedding), every repair recorded. A user whose
answer still fails after the re-asks gets the local heuristic's leaves, labelled ``fallback`` with
the error. ``in_history`` marks the chosen leaves that hold at least one of the user's training
items (the whole history, not only the prompt's excerpt).

Artifacts (``out_dir``): ``user_leaves.jsonl`` (user, leaves with reasons, repairs, source, error),
``manifest.json``, ``calls/reason/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.artifacts import read_jsonl, write_jsonl
from recloom.agents.runtime import Runner
from recloom.agents.top.config import ReasonConfig
from recloom.agents.top.embedding import Embedder, shared_embedder
from recloom.agents.top.items import ItemTable, UserRecord
from recloom.agents.top.reason_local import history_and_exploration
from recloom.agents.top.reason_task import (
    ChosenLeaf,
    HistoryItem,
    ReasonInput,
    ReasonLeaf,
    ReasonOutput,
    repair_count,
)
from recloom.agents.top.stepio import CallStats, StepContext, run_sync
from recloom.agents.top.tasks import REASON
from recloom.errors import ArtifactError
from recloom.graph.tree import PreferenceTree

USER_LEAVES_FILE = "user_leaves.jsonl"


@dataclass
class UserLeaves:
    user: int
    leaves: list[dict[str, Any]]
    repairs: list[str] = field(default_factory=list)
    source: str = "local"
    error: str | None = None

    @property
    def leaf_ids(self) -> list[int]:
        return [int(c["leaf_id"]) for c in self.leaves]

    @property
    def reasons(self) -> dict[int, str]:
        return {int(c["leaf_id"]): str(c["reason"]) for c in self.leaves}


@dataclass
class ReasonResult:
    users: list[UserLeaves]
    stats: CallStats
    manifest: dict[str, Any] = field(default_factory=dict)


def tree_outline(tree: PreferenceTree) -> str:
    """``[id] name`` per node in DFS order, two spaces per level, leaves marked ``(leaf)``."""
    lines = []
    for nid in tree.nodes():
        mark = "(leaf) " if tree.is_leaf(nid) else ""
        lines.append(f"{'  ' * (tree.depth(nid) - 1)}[{nid}] {mark}{' '.join(tree.name(nid).split())}")
    return "\n".join(lines)


def _history(
    user: UserRecord, leaf_of: dict[int, int], items: ItemTable, pos: dict[int, int], config: ReasonConfig
) -> list[HistoryItem]:
    known = [i for i in user.history if i in pos]
    recent = known[len(known) - config.history_cap :] if config.history_cap else []
    return [
        HistoryItem(
            title=" ".join(items.titles[pos[i]].split())[: config.max_title_chars],
            category=items.categories[pos[i]],
            leaf_id=leaf_of.get(i),
        )
        for i in recent
    ]


def _ranked_by_profile(inp: ReasonInput, embed: Embedder) -> list[ReasonLeaf]:
    text = inp.profile.strip() or " ".join(h.title for h in inp.history)
    if not text or not inp.leaves:
        return list(inp.leaves)
    sims = embed([leaf.path for leaf in inp.leaves]) @ embed([text])[0]
    order = sorted(range(len(inp.leaves)), key=lambda k: (-float(sims[k]), inp.leaves[k].id))
    return [inp.leaves[k] for k in order]


def _record(
    user: UserRecord,
    chosen: Sequence[ChosenLeaf],
    leaf_of: dict[int, int],
    n: int,
    inp: ReasonInput,
    embed: Embedder,
    source: str,
    error: str | None,
) -> UserLeaves:
    ranked = _ranked_by_profile(inp, embed) if len({c.leaf_id for c in chosen}) < n else []
    fixed, repairs = repair_count(chosen, n, ranked)
    observed = {leaf_of[i] for i in user.history if i in leaf_of}
    leaves = [{**c.model_dump(), "in_history": c.leaf_id in observed} for c in fixed]
    return UserLeaves(user.id, leaves, repairs, source, error)


async def areason_users(
    runner: Runner,
    tree: PreferenceTree,
    users: Sequence[UserRecord],
    items: ItemTable,
    *,
    config: ReasonConfig | None = None,
    out_dir: str | Path | None = None,
    embedder: Embedder | None = None,
) -> ReasonResult:
    """Choose ``config.n_leaves`` leaves with a reason for every user (see the module docstring)."""
    config = config or ReasonConfig()
    ctx = StepContext(runner, out_dir, "reason")
    embed = embedder or shared_embedder()
    outline = tree_outline(tree)
    leaves = [ReasonLeaf(id=leaf, name=tree.name(leaf), path=tree.path_names(leaf)) for leaf in tree.leaves()]
    leaf_of = {i: tree.leaf_of(i) for i in tree.items}
    pos = items.position()
    inputs = [
        ReasonInput(
            id=str(u.id),
            tree=outline,
            leaves=leaves,
            n=config.n_leaves,
            n_unobserved=config.n_unobserved,
            profile=u.profile,
            history=_history(u, leaf_of, items, pos, config),
        )
        for u in users
    ]
    ctx.warm_local(
        [leaf.path for leaf in leaves]
        + [u.profile for u in users if u.profile.strip()]
        + [h.title for x in inputs for h in x.history]
    )
    result = await ctx.run(REASON, inputs, "reason") if inputs else None
    records = []
    for k, (user, inp) in enumerate(zip(users, inputs, strict=True)):
        outcome = result.outcomes[k] if result is not None else None
        if outcome is not None and outcome.ok:
            assert isinstance(outcome.result, ReasonOutput)
            records.append(
                _record(user, outcome.result.leaves, leaf_of, config.n_leaves, inp, embed, ctx.source, None)
            )
        else:
            answer = history_and_exploration.solve(inp, {"embedder": embed})
            assert isinstance(answer, ReasonOutput)
            error = (
                None if outcome is None else (outcome.errors[-1] if outcome.errors else outcome.error_kind)
            )
            records.append(
                _record(user, answer.leaves, leaf_of, config.n_leaves, inp, embed, "fallback", error)
            )
    return _finish(ctx, records, config)


def _finish(ctx: StepContext, records: list[UserLeaves], config: ReasonConfig) -> ReasonResult:
    if ctx.out_dir is not None:
        write_jsonl(ctx.out_dir / USER_LEAVES_FILE, (asdict(r) for r in records))
    chosen = [c for r in records for c in r.leaves]
    counts = {
        "users": len(records),
        "by_source": dict(Counter(r.source for r in records)),
        "users_repaired": sum(1 for r in records if r.repairs),
        "in_history_share": float(np.mean([c["in_history"] for c in chosen])) if chosen else 0.0,
        "distinct_leaves": len({c["leaf_id"] for c in chosen}),
    }
    manifest = ctx.finish(config, counts, {"user_leaves": USER_LEAVES_FILE})
    return ReasonResult(records, ctx.stats, manifest)


def reason_users(
    runner: Runner, tree: PreferenceTree, users: Sequence[UserRecord], items: ItemTable, **kwargs: Any
) -> ReasonResult:
    """Sync twin of :func:`areason_users` (closes the backend the runner built)."""
    return run_sync(runner, lambda: areason_users(runner, tree, users, items, **kwargs))


def read_user_leaves(path: str | Path) -> list[UserLeaves]:
    """``user_leaves.jsonl`` (a file or the step directory holding it)."""
    p = Path(path)
    p = p / USER_LEAVES_FILE if p.is_dir() else p
    try:
        return [UserLeaves(**row) for row in read_jsonl(p)]
    except (TypeError, FileNotFoundError) as exc:
        raise ArtifactError(f"{p}: not a user_leaves file written by the reason step ({exc})") from exc
