"""Step S4 — refine the tree for load balance (ToP-Rec appendix A.2; methods.md §1.2 S4, §1.5 item 3).

Empty leaves are pruned first (not counted as operations, as in the official code). Then, at most
``max_ops`` times, relative to the current mean leaf load ℓ̄ (``recloom.graph.tree_balance``):

- **split** the heaviest leaf with load > ``upper``·ℓ̄: ``top.split`` proposes ``split_children``
  finer preferences from ≤ ``max_split_items`` sampled items, the leaf becomes an inner node with
  those children, and its items are re-assigned by ``top.match`` restricted to the new children.
  Children left empty are pruned; if every item went to one child the split is undone
  (``collapse``), and that leaf is not tried again.
- **merge** a group of under-loaded sibling leaves (load < ``lower``·ℓ̄): ``top.merge`` names the
  merged preference; the new leaf holds the union of their items. When the group is the parent's
  whole family the parent simply becomes a leaf (``collapse``, no call).

When both kinds are due they alternate, splits first. A failed call leaves the tree unchanged, is
logged, and its leaves are not tried again. After every operation the invariants are asserted:
every item in exactly one existing leaf, none pending, no empty leaf, operation count ≤ ``max_ops``.
Artifacts (``out_dir``): ``refine_log.jsonl`` (one row per operation), ``tree.json``,
``manifest.json``, ``calls/`` and ``ops/op-NN-match/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.artifacts import write_jsonl
from recloom.agents.runtime import Runner
from recloom.agents.top.config import MatchConfig, RefineConfig
from recloom.agents.top.embedding import Embedder
from recloom.agents.top.items import ItemTable
from recloom.agents.top.match import amatch_items
from recloom.agents.top.refine_task import MergeInput, MergeLeaf, MergeOutput, SplitInput, SplitOutput
from recloom.agents.top.stepio import StepContext, run_sync
from recloom.agents.top.tasks import MERGE, SPLIT
from recloom.errors import TreeError
from recloom.graph import tree_io
from recloom.graph.tree import PreferenceTree
from recloom.graph.tree_balance import MergeGroup, overloaded_leaves, underloaded_groups

LOG_FILE = "refine_log.jsonl"
SAMPLE_CHARS = 200  # each sampled item text shown to the merge/split prompts is cut to this length


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class RefineResult:
    tree: PreferenceTree
    operations: list[dict[str, Any]]
    manifest: dict[str, Any] = field(default_factory=dict)


def load_summary(tree: PreferenceTree) -> dict[str, float]:
    loads = np.array(list(tree.loads().values()), dtype=float)
    if not len(loads):
        return {"leaves": 0, "mean": 0.0, "max_over_mean": 0.0, "min_over_mean": 0.0, "cv": 0.0}
    mean = float(loads.mean())
    return {
        "leaves": len(loads),
        "mean": round(mean, 4),
        "max_over_mean": round(float(loads.max()) / mean, 4),
        "min_over_mean": round(float(loads.min()) / mean, 4),
        "cv": round(float(loads.std()) / mean, 4),
    }


class _Refiner:
    def __init__(
        self,
        ctx: StepContext,
        tree: PreferenceTree,
        items: ItemTable,
        config: RefineConfig,
        match_config: MatchConfig,
        embedder: Embedder | None,
    ) -> None:
        self.ctx, self.tree, self.items, self.config = ctx, tree, items, config
        self.match_config, self.embedder = match_config, embedder
        self.text = dict(zip(items.ids, items.texts, strict=True))
        self.skip: set[int] = set()
        self.log: list[dict[str, Any]] = []
        self.expected = set(tree.items)

    def sample(self, leaf: int, limit: int) -> list[str]:
        members = self.tree.items_of(leaf)
        if len(members) > limit:
            rng = np.random.default_rng([self.config.seed, leaf])
            members = sorted(int(i) for i in rng.choice(members, size=limit, replace=False))
        return [_clip(self.text[i], SAMPLE_CHARS) for i in members]

    def next_op(self, last: str | None) -> tuple[str, Any] | None:
        """The heaviest splittable leaf or the first mergeable group; when both exist, the kind
        not done last (so a small budget is not spent on one side of the imbalance only)."""
        heavy = [
            leaf
            for leaf in overloaded_leaves(self.tree, self.config.upper)
            if leaf not in self.skip and self.tree.load(leaf) >= self.config.split_children
        ]
        light = [
            g
            for g in underloaded_groups(self.tree, self.config.lower, self.config.upper)
            if not self.skip & set(g.leaf_ids)
        ]
        split = ("split", heavy[0]) if heavy else None
        merge = (("collapse" if light[0].whole_family else "merge"), light[0]) if light else None
        if split and merge:
            return merge if last == "split" else split
        return split or merge

    async def split(self, n: int, leaf: int, row: dict[str, Any]) -> None:
        tree = self.tree
        inp = SplitInput(
            id=f"op{n:02d}-split-{leaf}",
            path=tree.path_names(leaf),
            name=tree.name(leaf),
            description=tree.description(leaf),
            samples=self.sample(leaf, self.config.max_split_items),
            n_children=self.config.split_children,
        )
        outcome = (await self.ctx.run(SPLIT, [inp], f"op-{n:02d}-split")).outcomes[0]
        row.update(input_id=inp.id, ok=outcome.ok)
        if not outcome.ok:
            row["error"] = outcome.errors[-1] if outcome.errors else outcome.error_kind
            self.skip.add(leaf)
            return
        assert isinstance(outcome.result, SplitOutput)
        moved = tree.items_of(leaf)
        children = tree.split(leaf, [(c.name, c.description) for c in outcome.result.children])
        inner = tree.parent(children[0])
        sub = None if self.ctx.out_dir is None else self.ctx.out_dir / "ops" / f"op-{n:02d}-match"
        match = await amatch_items(
            self.ctx.runner,
            tree,
            self.items.subset(moved),
            scopes=dict.fromkeys(moved, inner),
            config=self.match_config,
            out_dir=sub,
            embedder=self.embedder,
        )
        self.ctx.stats.merge(match.stats)
        row.update(
            names=[c.name for c in outcome.result.children],
            match_fallbacks=match.fallbacks,
            child_loads={c: tree.load(c) for c in children},
        )
        if sum(tree.load(c) > 0 for c in children) < 2:
            new = tree.collapse(inner)
            self.skip.add(new)
            row.update(kind="split_undone", new_leaves=[new])
        else:
            row["new_leaves"] = [c for c in children if tree.load(c) > 0]

    async def merge(self, n: int, group: MergeGroup, row: dict[str, Any]) -> None:
        tree = self.tree
        per_leaf = max(1, self.config.max_merge_items // len(group.leaf_ids))
        rest = [k for k in tree.children(group.parent) if k not in group.leaf_ids]
        inp = MergeInput(
            id=f"op{n:02d}-merge-{'-'.join(map(str, group.leaf_ids))}",
            parent_path=tree.path_names(group.parent),
            leaves=[
                MergeLeaf(id=lid, name=tree.name(lid), samples=self.sample(lid, per_leaf))
                for lid in group.leaf_ids
            ],
            sibling_names=[tree.name(k) for k in rest],
        )
        outcome = (await self.ctx.run(MERGE, [inp], f"op-{n:02d}-merge")).outcomes[0]
        row.update(input_id=inp.id, ok=outcome.ok)
        if not outcome.ok:
            row["error"] = outcome.errors[-1] if outcome.errors else outcome.error_kind
            self.skip.update(group.leaf_ids)
            return
        assert isinstance(outcome.result, MergeOutput)
        union = {i for lid in group.leaf_ids for i in tree.items_of(lid)}
        new = tree.merge(group.leaf_ids, outcome.result.name, outcome.result.description)
        if set(tree.items_of(new)) != union:
            raise TreeError(f"merge of {list(group.leaf_ids)}: leaf {new} does not hold exactly their items")
        row.update(names=[outcome.result.name], new_leaves=[new])

    def verify(self, done: int) -> None:
        tree = self.tree
        tree.check()
        if set(tree.items) != self.expected or tree.pending:
            lost = sorted(self.expected - set(tree.items))[:10]
            raise TreeError(
                f"refinement lost or left pending items: missing {lost}, pending {tree.pending[:10]}"
            )
        empty = [leaf for leaf, load in tree.loads().items() if load == 0]
        if empty or done > self.config.max_ops:
            raise TreeError(f"refinement invariant broken: empty leaves {empty[:10]}, {done} operations")

    async def run(self) -> None:
        pruned = self.tree.prune_empty_leaves()
        if pruned:
            self.log.append({"op": 0, "kind": "prune", "removed": pruned, "counted": False})
        done, last = 0, None
        while done < self.config.max_ops and (step := self.next_op(last)) is not None:
            done += 1
            kind, arg = step
            last = "split" if kind == "split" else "merge"
            ids = [arg] if kind == "split" else list(arg.leaf_ids)
            row: dict[str, Any] = {
                "op": done,
                "kind": kind,
                "leaf_ids": ids,
                "loads": {lid: self.tree.load(lid) for lid in ids},
                "mean_load": round(self.tree.mean_load(), 4),
                "counted": True,
            }
            if kind == "split":
                await self.split(done, arg, row)
            elif kind == "merge":
                await self.merge(done, arg, row)
            else:
                row.update(parent=arg.parent, new_leaves=[self.tree.collapse(arg.parent)], ok=True)
            removed = self.tree.prune_empty_leaves()
            if removed:
                row["pruned"] = removed
            self.verify(done)
            self.log.append(row)


async def arefine_tree(
    runner: Runner,
    tree: PreferenceTree,
    items: ItemTable,
    *,
    config: RefineConfig | None = None,
    match_config: MatchConfig | None = None,
    out_dir: str | Path | None = None,
    embedder: Embedder | None = None,
) -> RefineResult:
    """Refine ``tree`` in place (every item of ``items`` must be assigned); see the module docstring."""
    config, match_config = config or RefineConfig(), match_config or MatchConfig()
    missing = sorted(set(items.ids) - set(tree.items))
    extra = sorted(set(tree.items) - set(items.ids))
    if missing or extra or tree.pending:
        raise TreeError(
            f"refine_tree: the tree's items must be exactly the items given and all assigned; "
            f"unassigned {missing[:10]}, unknown {extra[:10]}, pending {tree.pending[:10]}"
        )
    ctx = StepContext(runner, out_dir, "refine")
    before = load_summary(tree)
    refiner = _Refiner(ctx, tree, items, config, match_config, embedder)
    await refiner.run()
    if ctx.out_dir is not None:
        write_jsonl(ctx.out_dir / LOG_FILE, refiner.log)
        tree_io.save(tree, ctx.out_dir / "tree.json")
    ops = [r for r in refiner.log if r.get("counted")]
    kinds: dict[str, int] = {}
    for r in ops:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    counts = {
        "operations": len(ops),
        "by_kind": kinds,
        "failed": sum(1 for r in ops if not r.get("ok", True)),
        "loads_before": before,
        "loads_after": load_summary(tree),
    }
    manifest = ctx.finish(config, counts, {"log": LOG_FILE, "tree": "tree.json"})
    return RefineResult(tree, refiner.log, manifest)


def refine_tree(runner: Runner, tree: PreferenceTree, items: ItemTable, **kwargs: Any) -> RefineResult:
    """Sync twin of :func:`arefine_tree` (closes the backend the runner built)."""
    return run_sync(runner, lambda: arefine_tree(runner, tree, items, **kwargs))
