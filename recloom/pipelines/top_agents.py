"""The LLM side of a ToP run, called from the pipeline: tree steps on a run directory and the
augmenter the training rounds use (reasoning S7 + selection S8 for the chosen users).

Everything here goes through ``recloom.agents.top`` with one ``Runner`` (any backend, its cache and
replay); this module only wires steps to directories and turns the selection artifact into
:class:`~recloom.pipelines.augment.SyntheticEdges`. Layout of a run directory::

    build/   tree.json (as built), groups.json, manifest.json, calls/
    match/   assignments.jsonl, match_failures.jsonl, tree.json (with items), manifest.json, calls/
    refine/  refine_log.jsonl, tree.json (refined), manifest.json, calls/, ops/
    reason/, augment/                  (standalone `recloom top reason|augment`)
    rounds/round-<k>/reason/, select/  (inside `recloom top run`), synthetic_interactions.jsonl
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.runtime import Runner
from recloom.agents.top import (
    BuildConfig,
    ItemTable,
    MatchConfig,
    ReasonConfig,
    RefineConfig,
    SelectConfig,
    UserRecord,
    build_tree,
    load_build,
    match_items,
    reason_users,
    refine_tree,
    select_items,
)
from recloom.agents.top.embedding import Embedder
from recloom.agents.top.stepio import CallStats
from recloom.errors import ArtifactError
from recloom.graph import tree_io
from recloom.graph.tree import PreferenceTree
from recloom.pipelines.augment import SyntheticEdges

TREE_FILE = "tree.json"
STEPS = ("build", "match", "refine")


@dataclass
class AgentConfigs:
    """The agent steps' configurations (``recloom.agents.top.config``)."""

    build: BuildConfig = field(default_factory=BuildConfig)
    match: MatchConfig = field(default_factory=MatchConfig)
    refine: RefineConfig = field(default_factory=RefineConfig)
    reason: ReasonConfig = field(default_factory=ReasonConfig)
    select: SelectConfig = field(default_factory=SelectConfig)
    user_mode: str = "profile"  # A_u for s_rel: "profile" or "profile+history"


def latest_tree(run_dir: Path, upto: str = "refine") -> tuple[PreferenceTree, str]:
    """The tree of the last finished step up to ``upto`` (refine, then match, then build)."""
    order = STEPS[: STEPS.index(upto) + 1]
    for step in reversed(order):
        path = run_dir / step / TREE_FILE
        if path.is_file():
            return tree_io.load(path), step
    raise ArtifactError(
        f"{run_dir}: no tree yet (run `recloom top build` first; looked in "
        f"{', '.join(s + '/' + TREE_FILE for s in order)})"
    )


def step_build(
    runner: Runner, items: ItemTable, run_dir: Path, configs: AgentConfigs, embedder: Embedder | None = None
) -> dict[str, Any]:
    result = build_tree(runner, items, config=configs.build, out_dir=run_dir / "build", embedder=embedder)
    return {
        "manifest": result.manifest,
        "calls": result.manifest.get("calls", {}),
        "leaves": len(result.tree.leaves()),
    }


def step_match(
    runner: Runner, items: ItemTable, run_dir: Path, configs: AgentConfigs, embedder: Embedder | None = None
) -> dict[str, Any]:
    build = load_build(run_dir / "build")
    tree = build.tree
    result = match_items(
        runner,
        tree,
        items,
        scopes=build.item_roots,
        config=configs.match,
        out_dir=run_dir / "match",
        embedder=embedder,
    )
    tree_io.save(tree, run_dir / "match" / TREE_FILE)
    calls = result.stats.as_dict()
    tokens = calls["prompt_tokens"] + calls["completion_tokens"]
    return {
        "manifest": result.manifest,
        "calls": calls,
        "fallback_rate": result.fallback_rate,
        "items": len(items),
        "tokens_per_item": tokens / max(len(items), 1),
    }


def step_refine(
    runner: Runner, items: ItemTable, run_dir: Path, configs: AgentConfigs, embedder: Embedder | None = None
) -> dict[str, Any]:
    tree, source = latest_tree(run_dir, "match")
    if source != "match":
        raise ArtifactError(f"{run_dir}: refine needs matched items (run `recloom top match` first)")
    result = refine_tree(
        runner,
        tree,
        items,
        config=configs.refine,
        match_config=configs.match,
        out_dir=run_dir / "refine",
        embedder=embedder,
    )
    return {
        "manifest": result.manifest,
        "calls": result.manifest.get("calls", {}),
        "operations": result.manifest.get("counts", {}).get("operations", 0),
        "leaves": len(tree.leaves()),
    }


def step_reason(
    runner: Runner,
    tree: PreferenceTree,
    items: ItemTable,
    users: Sequence[UserRecord],
    configs: AgentConfigs,
    out_dir: Path,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """S7 only: the chosen leaves and reasons of ``users`` (``out_dir/user_leaves.jsonl``)."""
    result = reason_users(
        runner, tree, users, items, config=configs.reason, out_dir=out_dir, embedder=embedder
    )
    return {
        "users": len(result.users),
        "calls": result.stats.as_dict(),
        "counts": result.manifest.get("counts", {}),
        "file": str(out_dir / "user_leaves.jsonl"),
    }


def reason_and_select(
    runner: Runner,
    tree: PreferenceTree,
    items: ItemTable,
    users: Sequence[UserRecord],
    configs: AgentConfigs,
    out_dir: Path | None,
    heldout: Mapping[int, set[int]] | None = None,
    embedder: Embedder | None = None,
) -> tuple[SyntheticEdges, dict[str, Any]]:
    """S7 + S8 for ``users``: chosen leaves with reasons, then ``n_aug`` items each."""
    reasoned = reason_users(
        runner,
        tree,
        users,
        items,
        config=configs.reason,
        out_dir=None if out_dir is None else out_dir / "reason",
        embedder=embedder,
    )
    synthetic = select_items(
        reasoned.users,
        users,
        tree,
        items,
        config=configs.select,
        embedder=embedder,
        out_dir=None if out_dir is None else out_dir / "select",
        user_mode=configs.user_mode,
        heldout=heldout,
    )
    edges = SyntheticEdges.from_records([dict(r) for r in synthetic.rows], where="select step")
    info = {
        "calls": reasoned.stats.as_dict(),
        "select": dict(synthetic.meta),
        "reason": reasoned.manifest.get("counts", {}),
    }
    return edges, info


class AgentAugmenter:
    """The :class:`~recloom.pipelines.augment.Augmenter` of a ToP run: reasoning + selection."""

    def __init__(
        self,
        runner: Runner,
        tree: PreferenceTree,
        items: ItemTable,
        users: Mapping[int, UserRecord],
        configs: AgentConfigs,
        heldout: Mapping[int, set[int]] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.runner, self.tree, self.items, self.users = runner, tree, items, users
        self.configs = configs
        self.heldout = heldout
        self.embedder = embedder
        self.stats = CallStats()
        self.log: list[dict[str, Any]] = []

    def augment(self, users: Sequence[int], round_index: int, out_dir: Path | None) -> SyntheticEdges:
        records = [self.users[u] for u in users if u in self.users]  # users without history are skipped
        if not records:
            return SyntheticEdges.empty()
        edges, info = reason_and_select(
            self.runner, self.tree, self.items, records, self.configs, out_dir, self.heldout, self.embedder
        )
        for row in edges.records:
            row["round"] = round_index
        calls = info["calls"]
        self.stats.merge(CallStats(**calls))
        self.log.append({"round": round_index, "users": len(records), "edges": len(edges), **info})
        return edges


def user_records(profiles: Any, histories: Mapping[int, Sequence[int]]) -> dict[int, UserRecord]:
    """``UserRecord`` per user with a training history (profile text from the dataset's attributes)."""
    from recloom.agents.top import users_from_profiles

    return {r.id: r for r in users_from_profiles(profiles, histories)}


def sample_users(records: Mapping[int, UserRecord], n: int | None, seed: int) -> list[int]:
    """``n`` users (all when None), drawn without replacement, sorted."""
    ids = np.array(sorted(records), dtype=np.int64)
    if n is None or n >= len(ids):
        return ids.tolist()
    return np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False)).tolist()
