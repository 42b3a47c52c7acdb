"""End to end on ~200 MovieLens-100K items with the local backend and the real MiniLM encoder:
build → match → refine → reason → select, every local answer validated by the same validators as
an LLM's, then a strict replay from the cache that reproduces every artifact with zero backend
calls (and never builds a backend)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from top_agents_support import embedding_cache, local_runner

from recloom.agents.runtime import Runner
from recloom.agents.top import (
    ItemTable,
    ReasonConfig,
    SelectConfig,
    abuild_tree,
    amatch_items,
    areason_users,
    arefine_tree,
    select_items,
    users_from_profiles,
)
from recloom.agents.top.embedding import shared_embedder
from recloom.data import Dataset
from recloom.data.loaders import load_dataset

N_ITEMS, N_USERS = 200, 20


@pytest.fixture(scope="module")
def ml100k() -> Dataset:
    return load_dataset("ml-100k")


@pytest.fixture(scope="module")
def slice_(ml100k: Dataset) -> tuple[ItemTable, dict[int, list[int]]]:
    """200 random items and, per user, the training history restricted to them (time order)."""
    idx = np.sort(np.random.default_rng(0).choice(ml100k.n_items, N_ITEMS, replace=False))
    items = ItemTable.from_catalog(ml100k.items, idx)
    keep = set(items.ids)
    inter = ml100k.interactions
    order = np.argsort(inter.timestamp, kind="stable")
    histories: dict[int, list[int]] = {}
    for u, i in zip(inter.user[order].tolist(), inter.item[order].tolist(), strict=True):
        if i in keep:
            histories.setdefault(u, []).append(i)
    return items, histories


async def pipeline(runner: Runner, run: Path, items: ItemTable, users: list[Any]) -> dict[str, Any]:
    embed = shared_embedder(embedding_cache())
    try:
        build = await abuild_tree(runner, items, out_dir=run / "build", embedder=embed)
        match = await amatch_items(
            runner, build.tree, items, scopes=build.item_roots, out_dir=run / "match", embedder=embed
        )
        refine = await arefine_tree(runner, build.tree, items, out_dir=run / "refine", embedder=embed)
        reason = await areason_users(
            runner,
            build.tree,
            users,
            items,
            config=ReasonConfig(n_leaves=5),
            out_dir=run / "reason",
            embedder=embed,
        )
    finally:
        await runner.aclose()
    synthetic = select_items(
        reason.users,
        users,
        build.tree,
        items,
        config=SelectConfig(n_aug=3),
        out_dir=run / "select",
        embedder=embed,
    )
    return {"build": build, "match": match, "refine": refine, "reason": reason, "synthetic": synthetic}


def files(run: Path) -> dict[str, str]:
    names = [
        "build/tree.json",
        "build/groups.json",
        "match/assignments.jsonl",
        "match/match_failures.jsonl",
        "refine/refine_log.jsonl",
        "refine/tree.json",
        "reason/user_leaves.jsonl",
        "select/synthetic.jsonl",
    ]
    return {n: (run / n).read_text() for n in names}


def test_local_pipeline_on_ml100k_then_strict_replay(tmp_path: Path, ml100k: Dataset, slice_) -> None:  # noqa: ANN001
    items, histories = slice_
    users = users_from_profiles(ml100k.users, histories, sorted(histories)[:N_USERS])
    first = asyncio.run(pipeline(local_runner(tmp_path / "cache"), tmp_path / "run1", items, users))

    build, match, refine, reason, synthetic = (
        first[k] for k in ("build", "match", "refine", "reason", "synthetic")
    )
    tree = build.tree
    assert all(
        g.source in ("local", "single-leaf") for g in build.groups
    )  # every construction answer validated
    assert [tree.name(r) for r in tree.roots] == [g.name for g in build.groups]
    assert set(match.source.values()) == {"local"} and match.fallbacks == 0
    assert sorted(tree.items) == sorted(items.ids) and not tree.pending
    assert 0 < refine.manifest["counts"]["operations"] <= 10
    assert refine.manifest["counts"]["loads_after"]["cv"] < refine.manifest["counts"]["loads_before"]["cv"]
    leaves = set(tree.leaves())
    for u in reason.users:
        assert u.source == "local" and len(set(u.leaf_ids)) == 5 and set(u.leaf_ids) <= leaves
    per_user = synthetic.by_user()
    for user in users:
        got = per_user.get(user.id, [])
        assert len(got) == len(set(got)) == 3 and not set(got) & set(user.history)
        chosen = set(next(r for r in reason.users if r.user == user.id).leaf_ids)
        assert {tree.leaf_of(i) for i in got} <= chosen

    replay = local_runner(tmp_path / "cache", cache_mode="replay")
    second = asyncio.run(pipeline(replay, tmp_path / "run2", items, users))
    assert replay.engine.backends_built == 0
    for step in ("build", "match", "refine", "reason"):
        manifest = json.loads((tmp_path / "run2" / step / "manifest.json").read_text())
        assert (
            manifest["calls"]["backend_calls"] == 0
            and manifest["calls"]["cached"] == manifest["calls"]["inputs"]
        )
        assert manifest["backend"]["cache_mode"] == "replay"
    assert files(tmp_path / "run2") == files(tmp_path / "run1")
    assert second["synthetic"].rows == synthetic.rows
