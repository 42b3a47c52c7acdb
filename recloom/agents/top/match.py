"""Step S3 — pre-assign every item to one leaf (Eq. 3) through the ``top.match`` task.

Each item has a *scope*: the node whose leaves it may be matched to (its category subtree's root
after construction, the new inner node when re-assigning the items of a split leaf; default the
whole forest). Items are packed per scope into calls that fit ``MatchConfig`` (``batching``). A
batch whose answer still fails after the runtime's re-asks is halved and retried, down to single
items; an item that keeps failing is recorded (batch ids, error kinds and the raw answers of its
last batch) and assigned by the documented fallback, the leaf whose path text is nearest to the
item text (MiniLM cosine), counted as a fallback. No item is ever dropped. A scope with a single
leaf needs no call.

Artifacts (``out_dir``): ``assignments.jsonl`` (item, leaf, source ∈ llm/local/fallback/single-leaf),
``match_failures.jsonl``, ``tree.json`` (with the items, when ``assign``), ``manifest.json``,
``calls/round-<r>/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recloom.agents.artifacts import write_jsonl
from recloom.agents.runtime import Runner
from recloom.agents.runtime.outcome import Outcome
from recloom.agents.top.batching import halves, plan_batches
from recloom.agents.top.config import MatchConfig
from recloom.agents.top.embedding import Embedder, shared_embedder
from recloom.agents.top.items import ItemTable
from recloom.agents.top.match_task import (
    MatchInput,
    MatchItem,
    MatchLeaf,
    MatchOutput,
    leaf_text,
    nearest_leaves,
)
from recloom.agents.top.stepio import CallStats, StepContext, run_sync
from recloom.agents.top.tasks import MATCH
from recloom.errors import DataError
from recloom.graph import tree_io
from recloom.graph.tree import SUPER_ROOT, PreferenceTree

ASSIGNMENTS_FILE = "assignments.jsonl"
FAILURES_FILE = "match_failures.jsonl"


@dataclass
class MatchResult:
    assignment: dict[int, int]
    source: dict[int, str]
    failures: list[dict[str, Any]]
    stats: CallStats
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def fallbacks(self) -> int:
        return sum(1 for s in self.source.values() if s == "fallback")

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / len(self.source) if self.source else 0.0


def scope_leaves(tree: PreferenceTree, scope: int) -> list[MatchLeaf]:
    return [
        MatchLeaf(
            id=leaf, name=tree.name(leaf), path=tree.path_names(leaf), description=tree.description(leaf)
        )
        for leaf in tree.leaves(scope)
    ]


def _static_chars(leaves: Sequence[MatchLeaf]) -> int:
    """Characters of a call's prompt without any item: instructions, schema and the leaf list."""
    return sum(len(m.content) for m in MATCH.render(MatchInput(id="-", leaves=list(leaves), items=[])))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Matcher:
    def __init__(self, ctx: StepContext, tree: PreferenceTree, config: MatchConfig) -> None:
        self.ctx, self.tree, self.config = ctx, tree, config
        self.leaves: dict[int, list[MatchLeaf]] = {}
        self.assignment: dict[int, int] = {}
        self.source: dict[int, str] = {}
        self.history: dict[int, list[dict[str, Any]]] = {}
        self.failed: list[tuple[int, MatchItem, Outcome]] = []
        self.rounds: list[int] = []

    def batches(self, scope: int, items: list[MatchItem]) -> list[tuple[int, tuple[MatchItem, ...]]]:
        leaves = self.leaves.setdefault(scope, scope_leaves(self.tree, scope))
        if len(leaves) == 1:
            for it in items:
                self.assignment[it.id], self.source[it.id] = leaves[0].id, "single-leaf"
            return []
        plan = plan_batches(
            items,
            lambda it: len(it.text),
            static_chars=_static_chars(leaves),
            char_budget=self.config.char_budget,
            max_items=self.config.max_items_per_call,
        )
        return [(scope, b.items) for b in plan]

    async def run(self, pending: list[tuple[int, tuple[MatchItem, ...]]]) -> None:
        r = 0
        while pending:
            inputs = [
                MatchInput(id=f"r{r}-s{scope}-{k}", leaves=self.leaves[scope], items=list(batch))
                for k, (scope, batch) in enumerate(pending)
            ]
            self.rounds.append(len(inputs))
            result = await self.ctx.run(MATCH, inputs, f"round-{r}")
            retry: list[tuple[int, tuple[MatchItem, ...]]] = []
            for (scope, batch), inp, outcome in zip(pending, inputs, result.outcomes, strict=True):
                if outcome.ok:
                    assert isinstance(outcome.result, MatchOutput)
                    for m in outcome.result.matches:
                        self.assignment[m.item], self.source[m.item] = m.leaf_id, self.ctx.source
                    continue
                for it in batch:
                    self.history.setdefault(it.id, []).append(
                        {
                            "batch": inp.id,
                            "round": r,
                            "error_kind": outcome.error_kind,
                            "errors": outcome.errors,
                        }
                    )
                if self.config.halve_failed and len(batch) > 1:
                    retry.extend((scope, half) for half in halves(batch))
                else:
                    self.failed.extend((scope, it, outcome) for it in batch)
            pending, r = retry, r + 1

    def fall_back(self, embed: Embedder) -> list[dict[str, Any]]:
        records = []
        for scope in sorted({s for s, _, _ in self.failed}):
            rows = [(it, o) for s, it, o in self.failed if s == scope]
            best, cos = nearest_leaves([it.text for it, _ in rows], self.leaves[scope], embed)
            for (it, outcome), b, c in zip(rows, best, cos, strict=True):
                leaf = self.leaves[scope][int(b)]
                self.assignment[it.id], self.source[it.id] = leaf.id, "fallback"
                records.append(
                    {
                        "item": it.id,
                        "scope": scope,
                        "fallback_leaf": leaf.id,
                        "fallback_cosine": round(float(c), 6),
                        "reason": outcome.errors[-1] if outcome.errors else outcome.error_kind,
                        "batches": self.history.get(it.id, []),
                        "attempts": outcome.failure_record()["attempts"],
                    }
                )
        return records


async def amatch_items(
    runner: Runner,
    tree: PreferenceTree,
    items: ItemTable,
    *,
    scopes: Mapping[int, int] | None = None,
    config: MatchConfig | None = None,
    out_dir: str | Path | None = None,
    embedder: Embedder | None = None,
    assign: bool = True,
) -> MatchResult:
    """Match every item of ``items`` to one leaf under its scope; with ``assign`` put it there
    (moving it if it was elsewhere)."""
    config = config or MatchConfig()
    ctx = StepContext(runner, out_dir, "match")
    matcher = _Matcher(ctx, tree, config)
    by_scope: dict[int, list[MatchItem]] = {}
    for item, text in zip(items.ids, items.texts, strict=True):
        scope = SUPER_ROOT if scopes is None else scopes.get(item)
        if scope is None:
            raise DataError(f"match_items: item {item} has no scope (the scopes map misses it)")
        by_scope.setdefault(scope, []).append(MatchItem(id=item, text=_clip(text, config.max_item_chars)))
    pending = [b for scope in sorted(by_scope) for b in matcher.batches(scope, by_scope[scope])]
    ctx.warm_local(
        [it.text for _, batch in pending for it in batch]
        + [leaf_text(x.path, x.description) for leaves in matcher.leaves.values() for x in leaves]
    )
    await matcher.run(pending)
    failures = matcher.fall_back(embedder or shared_embedder())
    if assign:
        for item in items.ids:
            tree.assign(item, matcher.assignment[item], move=True)
    return _finish(ctx, matcher, failures, items, config, assign)


def _finish(
    ctx: StepContext,
    matcher: _Matcher,
    failures: list[dict[str, Any]],
    items: ItemTable,
    config: MatchConfig,
    assign: bool,
) -> MatchResult:
    files = {"assignments": ASSIGNMENTS_FILE, "failures": FAILURES_FILE}
    if ctx.out_dir is not None:
        write_jsonl(
            ctx.out_dir / ASSIGNMENTS_FILE,
            ({"item": i, "leaf": matcher.assignment[i], "source": matcher.source[i]} for i in items.ids),
        )
        write_jsonl(ctx.out_dir / FAILURES_FILE, failures)
        if assign:
            tree_io.save(matcher.tree, ctx.out_dir / "tree.json")
            files["tree"] = "tree.json"
    tokens = ctx.stats.prompt_tokens + ctx.stats.completion_tokens
    n = len(items)
    counts = {
        "items": n,
        "by_source": dict(Counter(matcher.source[i] for i in items.ids)),
        "fallbacks": len(failures),
        "fallback_rate": len(failures) / n if n else 0.0,
        "batches_per_round": matcher.rounds,
        "tokens_per_item": tokens / n if n else 0.0,
    }
    manifest = ctx.finish(config, counts, files)
    result = MatchResult(
        {i: matcher.assignment[i] for i in items.ids},
        {i: matcher.source[i] for i in items.ids},
        failures,
        ctx.stats,
        manifest,
    )
    return result


def match_items(runner: Runner, tree: PreferenceTree, items: ItemTable, **kwargs: Any) -> MatchResult:
    """Sync twin of :func:`amatch_items` (closes the backend the runner built)."""
    return run_sync(runner, lambda: amatch_items(runner, tree, items, **kwargs))
