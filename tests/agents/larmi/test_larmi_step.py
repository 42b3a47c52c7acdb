"""The clustering step through the runtime: local baseline, a scripted LLM (repairs, re-asks,
fallback), artifacts, and strict replay from the cache with zero backend calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from larmi_support import ScriptedBackend, bag_of_words, groups

from recloom.agents.artifacts import read_json, read_jsonl, read_manifest
from recloom.agents.larmi import cluster, individual_request, read_clusters, synthetic_request, violations
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.recmodels.larmi_clusters import load_clusters_json

TITLES = [
    "lead solder wire",
    "solder wire spool",
    "nitrile gloves",
    "nitrile gloves large",
    "ph meter",
    "ph buffer solution",
    "digital caliper",
    "caliper battery",
]
SEQUENCES = [[0, 2, 1, 3], [4, 5, 6, 4], [7, 6, 0]]


def requests() -> list[Any]:
    reqs = [individual_request(str(u), seq, TITLES) for u, seq in enumerate(SEQUENCES)]
    clique = np.array([0, 1, 2, 3, 6, 7])
    reqs.append(synthetic_request("100", clique, np.array([2, 1, 1, 1, 3, 1]), np.ones(8), TITLES, cap=5))
    return reqs


def local_runner(cache: Path, mode: str = "rw") -> Runner:
    return Runner(
        RuntimeConfig(
            backend="local",
            cache_dir=str(cache),
            cache_mode=mode,
            progress=False,
            local_context_id="bag-of-words",
            backend_options={"context": {"embedder": bag_of_words}},
        )
    )


def llm_runner(cache: Path, backend: ScriptedBackend, mode: str = "rw") -> Runner:
    return Runner(
        RuntimeConfig(
            backend="openai",
            model="scripted",
            cache_dir=str(cache),
            cache_mode=mode,
            progress=False,
            max_reasks=1,
        ),
        backend=backend,
    )


def test_local_step_maps_numbers_to_item_ids_and_writes_artifacts(tmp_path: Path) -> None:
    run = cluster(local_runner(tmp_path / "cache"), requests(), out_dir=tmp_path / "a")
    users = run.by_id()
    assert [c for c in users["0"].item_clusters()] == [[0, 1], [2, 3]]  # solder x2, gloves x2
    assert users["1"].items == [4, 5, 6] and users["1"].item_clusters() == [[4, 5], [6]]
    assert users["100"].kind == "synthetic" and users["100"].n_source_items == 6
    assert users["100"].items == [0, 1, 2, 3, 6]  # capped: frequencies 3, 2, then the lowest ids of the 1s
    for u in run.users:
        numbers = [[u.items.index(i) + 1 for i in c] for c in u.item_clusters()]
        assert violations(numbers, len(u.items), u.kind) == []  # type: ignore[arg-type]
        assert u.source == "local" and u.error is None
    manifest = read_manifest(tmp_path / "a")
    assert manifest["backend"]["is_llm"] is False and manifest["counts"]["capped"] == 1
    assert manifest["calls"]["backend_calls"] == 4
    assert [u.id for u in read_clusters(tmp_path / "a")] == ["0", "1", "2", "100"]
    loaded = load_clusters_json(tmp_path / "a" / "clusters.json")  # the model side's reader
    assert loaded[0] == [[0, 1], [2, 3]]
    assert len(list(read_jsonl(tmp_path / "a" / "calls" / "outputs.jsonl"))) == 4


def test_strict_replay_calls_no_backend_and_gives_the_same_clusters(tmp_path: Path) -> None:
    first = cluster(local_runner(tmp_path / "cache"), requests())
    replay_runner = local_runner(tmp_path / "cache", mode="replay")
    again = cluster(replay_runner, requests(), out_dir=tmp_path / "replay")
    assert [u.clusters for u in again.users] == [u.clusters for u in first.users]
    assert replay_runner.engine.backends_built == 0
    assert again.manifest["calls"]["backend_calls"] == 0 and again.manifest["calls"]["cached"] == 4


def _llm(titles: list[str], attempt: int) -> dict[str, Any]:
    if titles[0] == "lead solder wire":  # user 0: a title instead of a number; a repeated cluster
        return groups([1, "solder wire spool"], [2, 4], [4, 3])
    if titles[0] == "ph meter":  # user 1: out of range first; the re-ask misses item 3 (a singleton)
        return groups([1, 2], [9]) if attempt == 0 else groups([1, 2])
    if titles[0] == "caliper battery":  # user 2: always out of range -> local fallback
        return groups([1, 2, 3], [7])
    return groups(list(range(1, len(titles) + 1)))


def test_llm_answers_are_repaired_reasked_or_replaced_and_all_recorded(tmp_path: Path) -> None:
    backend = ScriptedBackend(_llm)
    run = cluster(
        llm_runner(tmp_path / "cache", backend),
        requests(),
        out_dir=tmp_path / "llm",
        fallback_context={"embedder": bag_of_words},
    )
    users = run.by_id()
    assert users["0"].source == "llm" and users["0"].item_clusters() == [[0, 1], [2, 3]]
    assert any("mapped to item 3" in r for r in users["0"].repairs)
    assert any("cluster 3: dropped" in r for r in users["0"].repairs)
    assert users["1"].source == "llm" and users["1"].item_clusters() == [[4, 5], [6]]  # 6 added as singleton
    assert users["2"].source == "fallback" and "outside 1..3" in (users["2"].error or "")
    assert sorted(i for c in users["2"].item_clusters() for i in c) == [0, 6, 7]
    # the synthetic user got user 0's script: overlaps are kept, its missing item 5 became a singleton
    assert users["100"].source == "llm" and users["100"].item_clusters() == [[0, 1], [1, 3], [3, 2], [6]]
    assert backend.calls == 6  # 4 first answers + 1 re-ask (user 1) + 1 re-ask (user 2)
    counts = read_manifest(tmp_path / "llm")["counts"]
    assert counts["by_source"] == {"llm": 3, "fallback": 1} and counts["users_repaired"] == 3
    failures = list(read_jsonl(tmp_path / "llm" / "calls" / "failures.jsonl"))
    assert [f["input_id"] for f in failures] == ["2"] and len(failures[0]["attempts"]) == 2
    # the same batch again: every accepted answer and every failed attempt comes from the cache
    again_backend = ScriptedBackend(_llm)
    again = cluster(
        llm_runner(tmp_path / "cache", again_backend), requests(), fallback_context={"embedder": bag_of_words}
    )
    assert again_backend.calls == 0
    assert [u.clusters for u in again.users] == [u.clusters for u in run.users]
    assert read_json(tmp_path / "llm" / "clusters.json")["0"] == [[0, 1], [2, 3]]
