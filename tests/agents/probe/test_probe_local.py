"""The local nearest-neighbour generator: what it picks, that it ignores popularity, and that it runs
through the runtime on the local backend with caching and strict replay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from probe_support import TableEmbedder, TrigramEmbedder

from recloom.agents.probe import (
    INDEX_KEY,
    LOCAL_GENERATOR_NOTE,
    RECOMMEND,
    ProbeInput,
    TitleIndex,
    check_probe,
    generate,
    nearest_titles,
)
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.errors import ConfigError

CATALOGUE = [
    "Alien (1979)",
    "Aliens (1986)",
    "Alien 3 (1992)",
    "Heat (1995)",
    "Casino (1995)",
    "Fargo (1996)",
    "Toy Story (1995)",
    "Toy Story 2 (1999)",
    "Babe (1995)",
    "Clerks (1994)",
    "Twister (1996)",
]


def test_picks_the_k_titles_nearest_to_the_mean_history_vector_excluding_the_history() -> None:
    # 2-d vectors: history at angles 0 and 20 degrees -> mean at 10 degrees.
    angle = {"a": 0, "b": 20, "c": 12, "d": 5, "e": 90, "f": 40, "g": -30}
    table = {t: [np.cos(np.radians(x)), np.sin(np.radians(x))] for t, x in angle.items()}
    index = TitleIndex.build(list(angle), TableEmbedder(table))
    assert nearest_titles(["a", "b"], 3, index) == ["c", "d", "f"]  # 2, 5, 30 degrees away; a, b skipped
    assert nearest_titles(["a", "b"], 10, index) == ["c", "d", "f", "g", "e"]  # the catalogue runs out


def test_output_passes_the_validator_and_is_popularity_blind() -> None:
    embed = TrigramEmbedder()
    index = TitleIndex.build(CATALOGUE, embed)
    inp = ProbeInput(id="u", history=["Alien (1979)", "Heat (1995)"], k=4)
    out = RECOMMEND.local_solver.solve(inp, {INDEX_KEY: index})  # type: ignore[union-attr]
    assert check_probe(out, inp).titles == out.titles and len(out.titles) == 4
    assert "Aliens (1986)" in out.titles  # the trigram neighbour of "Alien (1979)"
    # Only title text enters: the same catalogue in another order gives the same set.
    shuffled = TitleIndex.build(CATALOGUE[::-1], embed)
    again = RECOMMEND.local_solver.solve(inp, {INDEX_KEY: shuffled})  # type: ignore[union-attr]
    assert set(again.titles) == set(out.titles)


def test_without_an_index_the_solver_says_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="probe_index"):
        RECOMMEND.local_solver.solve(ProbeInput(id="u", history=["x"]), {})  # type: ignore[union-attr]


def local_config(tmp_path: Path, index: TitleIndex, **kw: object) -> RuntimeConfig:
    return RuntimeConfig(
        backend="local",
        cache_dir=str(tmp_path / "cache"),
        progress=False,
        backend_options={"context": {INDEX_KEY: index}},
        local_context_id=index.identity,
        **kw,
    )


def test_local_run_is_labelled_cached_and_replayable(tmp_path: Path) -> None:
    index = TitleIndex.build(CATALOGUE, TrigramEmbedder())
    inputs = [ProbeInput(id=f"s{i}", history=[CATALOGUE[i], CATALOGUE[i + 1]], k=3) for i in range(5)]
    first = generate(Runner(local_config(tmp_path, index)), inputs, out_dir=tmp_path / "run1")
    assert first.manifest["backend"]["is_llm"] is False
    assert first.manifest["config"]["generator"] == LOCAL_GENERATOR_NOTE
    assert all(r.source == "local" and r.deficit == 0 for r in first.records)
    assert (tmp_path / "run1" / "recommendations.jsonl").read_text().count("\n") == 5
    replay_runner = Runner(local_config(tmp_path, index, cache_mode="replay"))
    replay = generate(replay_runner, inputs, out_dir=tmp_path / "run2")
    assert replay_runner.engine.backends_built == 0
    assert [r.titles for r in replay.records] == [r.titles for r in first.records]
    assert replay.manifest["calls"]["cached"] == 5
