"""The probe on real MovieLens-1M (users 1-2999) on the local backend: the EISAM protocol data, then
run -> ground -> groups, and a strict replay of the run. A hashed-trigram embedder stands in for
MiniLM to keep the test fast; the code path is the one the CLI takes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from probe_support import TrigramEmbedder

from recloom.agents.artifacts import read_jsonl
from recloom.agents.probe import CELL_NAMES, SentenceEncoder
from recloom.agents.runtime import RuntimeConfig
from recloom.data.loaders import load_dataset
from recloom.errors import ArtifactError, CacheMissError
from recloom.pipelines.eisam_data import eisam_sequences, time_split, windows
from recloom.pipelines.probe import ProbeSpec, ground_probe, load_groups, probe_groups, run_probe

N_SEQ, K = 24, 10


@pytest.fixture(scope="module")
def ml1m_protocol():  # type: ignore[no-untyped-def]
    dataset = load_dataset("ml-1m")
    return dataset, eisam_sequences(dataset, max_train=5000, seed=3)


def test_protocol_counts_and_time_order(ml1m_protocol) -> None:  # type: ignore[no-untyped-def]
    _, data = ml1m_protocol
    info = data.info
    assert info["sequences"] == info["interactions"] - 10 * info["users"]  # one per full-history interaction
    full = info["full_sizes"]
    assert sum(full.values()) == info["sequences"]
    assert full["valid"] == full["test"] == int(0.1 * info["sequences"])
    assert len(data.train) == 5000 and len(data.test) == full["test"]
    assert set(data.train.history_lengths().tolist()) == {10}
    counts = data.dataset.interactions.item_counts(data.n_items)
    assert counts.min() >= 5
    ex, times = windows(data.dataset.interactions, 10)
    parts = time_split(times, (0.8, 0.1, 0.1))
    assert times[parts["train"]].max() <= times[parts["valid"]].min()
    assert times[parts["valid"]].max() <= times[parts["test"]].min()


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ProbeSpec]:
    root = tmp_path_factory.mktemp("probe")
    spec = ProbeSpec(n_sequences=N_SEQ, k=K, max_train=5000, seed=3)
    config = RuntimeConfig(backend="local", cache_dir=str(root / "cache"), progress=False)
    run_probe(config, spec, root / "run", embed=TrigramEmbedder())
    return root, root / "run", spec


def test_run_writes_complete_labelled_records(probe_dir) -> None:  # type: ignore[no-untyped-def]
    _, run, _ = probe_dir
    records = list(read_jsonl(run / "recommendations.jsonl"))
    sequences = list(read_jsonl(run / "sequences.jsonl"))
    assert [r["id"] for r in records] == [s["id"] for s in sequences] and len(records) == N_SEQ
    assert all(len(r["titles"]) == K and r["deficit"] == 0 and r["source"] == "local" for r in records)
    manifest = json.loads((run / "manifest.json").read_text())
    assert "NOT an LLM" in manifest["config"]["generator"] and manifest["backend"]["is_llm"] is False
    assert manifest["counts"]["total_deficit"] == 0


def test_ground_and_groups(probe_dir, ml1m_protocol) -> None:  # type: ignore[no-untyped-def]
    _, run, _ = probe_dir
    _, data = ml1m_protocol
    result = ground_probe(run, SentenceEncoder(embed=TrigramEmbedder()))
    assert result.stats["exact_match_rate"] == 1.0  # the local generator writes catalogue titles
    assert result.stats["collisions"] == 0
    rows = list(read_jsonl(run / "grounded.jsonl"))
    titles = data.titles()
    records = list(read_jsonl(run / "recommendations.jsonl"))
    assert [titles[i] for i in rows[0]["items"]] == records[0]["titles"]
    groups = probe_groups(run)
    prior = json.loads((run / "prior.json").read_text())
    assert prior["sum_check"] is True and prior["c_prior_sum"] == N_SEQ * K
    assert sum(prior["cells"].values()) == data.n_items and set(prior["cells"]) == set(CELL_NAMES.values())
    assert 0.0 < prior["never_recommended_share"] < 1.0
    np.testing.assert_array_equal(groups.data_counts, data.train_counts())
    np.testing.assert_array_equal(load_groups(run).cell, groups.cell)


def test_strict_replay_reproduces_the_run_and_refuses_a_different_one(probe_dir) -> None:  # type: ignore[no-untyped-def]
    root, run, spec = probe_dir
    replay = RuntimeConfig(
        backend="local", cache_dir=str(root / "cache"), cache_mode="replay", progress=False
    )
    again = run_probe(replay, spec, root / "replay", embed=TrigramEmbedder())
    first = [r["titles"] for r in read_jsonl(run / "recommendations.jsonl")]
    assert [r.titles for r in again.records] == first
    assert again.manifest["calls"]["backend_calls"] == 0
    other = ProbeSpec(n_sequences=N_SEQ, k=K - 1, max_train=5000, seed=3)
    with pytest.raises(CacheMissError):
        run_probe(replay, other, root / "replay-other", embed=TrigramEmbedder())
    with pytest.raises(ArtifactError, match="already holds"):
        run_probe(replay, spec, root / "replay", embed=TrigramEmbedder())
