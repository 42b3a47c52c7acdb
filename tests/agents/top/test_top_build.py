"""Sampling (category groups, k-means quotas) and the build step: one subtree per group, small groups
as single leaves, an LLM construction that keeps failing falls back to the local solver (recorded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from top_agents_support import BagEmbedder, ScriptedLLM, llm_runner, local_runner

from recloom.agents.backends.base import LLMRequest
from recloom.agents.top.build import build_tree, load_build
from recloom.agents.top.config import BuildConfig, SampleConfig
from recloom.agents.top.construct_local import cluster_tree
from recloom.agents.top.items import ItemTable
from recloom.agents.top.sampling import ALL_ITEMS, category_groups, cluster_quotas, kmeans_sample


def table(categories: list[str | None], texts: list[str] | None = None) -> ItemTable:
    n = len(categories)
    texts = texts or [f"item {k} about {categories[k]}" for k in range(n)]
    return ItemTable(tuple(range(n)), tuple(texts), tuple(texts), tuple(categories))


def test_small_categories_and_uncategorised_items_are_pooled() -> None:
    cats = ["Drama"] * 5 + ["Comedy"] * 3 + ["War"] + [None]
    groups = category_groups(table(cats), SampleConfig(min_category_items=3))
    assert [(g.name, g.categories, len(g.items)) for g in groups] == [
        ("Drama", ("Drama",), 5),
        ("Comedy", ("Comedy",), 3),
        ("Other categories", ("War",), 2),
    ]
    assert groups[2].note == "pools the categories War" and groups[0].note is None
    (whole,) = category_groups(table([None] * 4))
    assert whole.name == ALL_ITEMS and whole.categories == () and len(whole.items) == 4


def test_cluster_quotas_spread_the_remainder_and_the_shortfall() -> None:
    assert cluster_quotas([100] * 10, 140) == [14] * 10
    assert cluster_quotas([100] * 3, 10) == [4, 3, 3]
    assert cluster_quotas([2, 50, 50], 30) == [2, 14, 14]
    assert cluster_quotas([2, 3], 30) == [2, 3]


def test_kmeans_sample_draws_from_every_cluster_reproducibly() -> None:
    rng = np.random.default_rng(0)
    centers = np.array([[10.0, 0.0], [0.0, 10.0], [-10.0, -10.0]])
    vectors = np.concatenate(
        [c + rng.normal(size=(n, 2)) for c, n in zip(centers, [200, 60, 20], strict=True)]
    )
    ids = tuple(range(1000, 1280))
    config = SampleConfig(n_clusters=3, per_category=30, seed=1)
    sample = kmeans_sample(ids, vectors, config)
    assert len(sample) == 30 and len(set(sample)) == 30 and sample == sorted(sample)
    blobs = np.searchsorted([1200, 1260], sample, side="right")
    assert np.bincount(blobs).tolist() == [10, 10, 10]
    assert kmeans_sample(ids, vectors, config) == sample
    assert kmeans_sample(ids[:20], vectors[:20], config) == list(ids[:20])  # small groups are used whole


def words_table() -> ItemTable:
    topics = [
        "space robots galaxy",
        "ocean ships sea",
        "court jury trial",
        "war soldiers battle",
        "family mother",
    ]
    cats = ["Sci"] * 30 + ["Drama"] * 20 + ["Tiny"] * 2
    texts = [f"{topics[k % 2]} {k}" for k in range(30)] + [f"{topics[2 + k % 3]} {k}" for k in range(20)]
    return table(cats, texts + ["tiny one", "tiny two"])


def test_build_assembles_one_subtree_per_group(tmp_path: Path) -> None:
    items = words_table()
    config = BuildConfig(sample=SampleConfig(min_category_items=2, per_category=25, n_clusters=5))
    result = build_tree(
        local_runner(embedder=BagEmbedder()),
        items,
        config=config,
        out_dir=tmp_path / "b",
        embedder=BagEmbedder(),
    )
    tree = result.tree
    assert [tree.name(r) for r in tree.roots] == ["Sci", "Drama", "Tiny"]
    assert [g.source for g in result.groups] == ["local", "local", "single-leaf"]
    assert tree.is_leaf(tree.roots[2]) and len(tree.leaves(tree.roots[0])) >= 8
    assert len(result.groups[0].sample) == 25 and len(result.groups[1].sample) == 20
    assert result.item_roots[0] == tree.roots[0] and result.item_roots[51] == tree.roots[2]
    again = load_build(tmp_path / "b")
    assert again.tree == tree and again.groups == result.groups
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["counts"]["groups_by_source"] == {"local": 2, "single-leaf": 1}
    assert manifest["backend"]["label"] == "local (non-LLM baseline)"


def test_failed_llm_construction_falls_back_and_is_recorded(tmp_path: Path) -> None:
    items = words_table()

    def answer(request: LLMRequest) -> dict | str:
        if request.payload.id == "Drama":
            return {
                "root": "Drama",
                "description": "",
                "criteria": "x",
                "sub_branches": [
                    {"name": "Only child", "description": "", "criteria": "", "sub_branches": []}
                ],
            }
        return cluster_tree.solve(request.payload, {"embedder": BagEmbedder()}).model_dump()

    backend = ScriptedLLM(answer)
    config = BuildConfig(sample=SampleConfig(min_category_items=2))
    result = build_tree(
        llm_runner(backend), items, config=config, out_dir=tmp_path / "b", embedder=BagEmbedder()
    )
    by_name = {g.name: g for g in result.groups}
    assert by_name["Sci"].source == "llm" and by_name["Drama"].source == "fallback"
    assert "the tree breaks" in (by_name["Drama"].error or "")
    assert len(result.tree.leaves(by_name["Drama"].root)) >= 2
    failures = (tmp_path / "b" / "calls" / "construct" / "failures.jsonl").read_text()
    assert "Only child" in failures  # the raw answers are kept
    assert len(backend.requests) == 3  # Sci once, Drama twice (one re-ask)
