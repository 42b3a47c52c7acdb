"""Step S1+S2 — build the Tree of Preferences: k-means sample per category group, one construction
call per group (``top.construct``), the validated subtrees assembled into a ``recloom.graph``
``PreferenceTree`` (a forest under the super-root, one subtree per group, in group order).

A group whose construction still fails after the runtime's re-asks is built by the local
clustering solver instead and recorded as a fallback (``groups.json`` ``source``, the raw answers
stay in ``calls/construct/failures.jsonl``). A group with fewer than ``MIN_GROUP_SAMPLE`` items
becomes a single leaf under its root (no call: no valid tree exists for it).

Artifacts (``out_dir``): ``tree.json`` (no items yet), ``groups.json`` (per group: name, pooled
categories, root id, items, sampled items, source), ``manifest.json``, ``calls/construct/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recloom.agents.artifacts import read_json, write_json
from recloom.agents.runtime import Runner
from recloom.agents.top.config import BuildConfig
from recloom.agents.top.construct_local import cluster_tree
from recloom.agents.top.construct_task import (
    ConstructInput,
    ConstructOutput,
    SampleItem,
    check_construction,
    constraints_for,
    to_node_spec,
)
from recloom.agents.top.embedding import Embedder, shared_embedder
from recloom.agents.top.items import ItemTable
from recloom.agents.top.sampling import CategoryGroup, sample_groups
from recloom.agents.top.stepio import StepContext, run_sync
from recloom.agents.top.tasks import CONSTRUCT
from recloom.errors import ArtifactError
from recloom.graph import tree_io
from recloom.graph.tree import NodeSpec, PreferenceTree

MIN_GROUP_SAMPLE = 4
TREE_FILE = "tree.json"
GROUPS_FILE = "groups.json"


@dataclass
class GroupRecord:
    name: str
    categories: list[str]
    root: int
    items: list[int]
    sample: list[int]
    source: str
    error: str | None = None


@dataclass
class BuildResult:
    tree: PreferenceTree
    groups: list[GroupRecord]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def item_roots(self) -> dict[int, int]:
        """item -> root id of its group's subtree (the matching scope of the item)."""
        return {item: g.root for g in self.groups for item in g.items}


def _input(
    group: CategoryGroup, sample: Sequence[int], items: ItemTable, config: BuildConfig
) -> ConstructInput:
    pos = items.position()
    numbered = [
        SampleItem(n=k, text=_truncate(items.texts[pos[i]], config.max_item_chars))
        for k, i in enumerate(sample, 1)
    ]
    return ConstructInput(
        id=group.name,
        category=group.name if group.categories else None,
        category_note=group.note,
        items=numbered,
        **constraints_for(len(sample), config),
    )


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def abuild_tree(
    runner: Runner,
    items: ItemTable,
    *,
    config: BuildConfig | None = None,
    out_dir: str | Path | None = None,
    embedder: Embedder | None = None,
) -> BuildResult:
    """Sample, construct and assemble the tree (see the module docstring)."""
    config = config or BuildConfig()
    ctx = StepContext(runner, out_dir, "build")
    embed = embedder or shared_embedder()
    sampled = sample_groups(items, embed(list(items.texts)), config.sample)
    asked = [(g, s) for g, s in sampled if len(s) >= MIN_GROUP_SAMPLE]
    inputs = [_input(g, s, items, config) for g, s in asked]
    answers: dict[str, tuple[ConstructOutput, str, str | None]] = {}
    if inputs:
        ctx.warm_local([it.text for x in inputs for it in x.items])
        result = await ctx.run(CONSTRUCT, inputs, "construct")
        for inp, outcome in zip(inputs, result.outcomes, strict=True):
            if outcome.ok:
                assert isinstance(outcome.result, ConstructOutput)
                answers[inp.id] = (outcome.result, ctx.source, None)
            else:
                fallback = check_construction(cluster_tree.solve(inp, {"embedder": embed}), inp)  # type: ignore[arg-type]
                answers[inp.id] = (
                    fallback,
                    "fallback",
                    outcome.errors[-1] if outcome.errors else outcome.error_kind,
                )
    specs, sources = [], []
    for group, _ in sampled:
        if group.name in answers:
            answer, source, error = answers[group.name]
            specs.append(to_node_spec(answer, group.name if group.categories else None))
        else:
            source, error = "single-leaf", None
            specs.append(NodeSpec(group.name, f"{len(group.items)} items; too few for a subtree"))
        sources.append((source, error))
    tree = PreferenceTree.from_specs(specs)
    groups = [
        GroupRecord(g.name, list(g.categories), root, list(g.items), list(s), src, err)
        for (g, s), root, (src, err) in zip(sampled, tree.roots, sources, strict=True)
    ]
    return _finish(ctx, tree, groups, config)


def _finish(
    ctx: StepContext, tree: PreferenceTree, groups: list[GroupRecord], config: BuildConfig
) -> BuildResult:
    if ctx.out_dir is not None:
        tree_io.save(tree, ctx.out_dir / TREE_FILE)
        write_json(ctx.out_dir / GROUPS_FILE, [g.__dict__ for g in groups])
    by_source: dict[str, int] = {}
    for g in groups:
        by_source[g.source] = by_source.get(g.source, 0) + 1
    counts = {
        "groups": len(groups),
        "groups_by_source": by_source,
        "nodes": len(tree),
        "leaves": len(tree.leaves()),
        "max_depth": tree.max_depth(),
        "sampled_items": sum(len(g.sample) for g in groups),
    }
    manifest = ctx.finish(config, counts, {"tree": TREE_FILE, "groups": GROUPS_FILE})
    return BuildResult(tree, groups, manifest)


def build_tree(runner: Runner, items: ItemTable, **kwargs: Any) -> BuildResult:
    """Sync twin of :func:`abuild_tree` (closes the backend the runner built)."""
    return run_sync(runner, lambda: abuild_tree(runner, items, **kwargs))


def load_build(out_dir: str | Path) -> BuildResult:
    """Read ``tree.json`` and ``groups.json`` written by a build step."""
    d = Path(out_dir)
    rows = read_json(d / GROUPS_FILE)
    if not isinstance(rows, list):
        raise ArtifactError(f"{d / GROUPS_FILE}: expected a list of groups")
    try:
        groups = [GroupRecord(**row) for row in rows]
    except TypeError as exc:
        raise ArtifactError(
            f"{d / GROUPS_FILE}: not a groups file written by the build step ({exc})"
        ) from exc
    manifest = read_json(d / "manifest.json") if (d / "manifest.json").exists() else {}
    return BuildResult(tree_io.load(d / TREE_FILE), groups, manifest)
