"""ToP end to end on a micro dataset: every step's artifacts, the run manifest, a strict replay that
reproduces the comparison without building any backend, the CLI steps and `recloom demo`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipelines_micro import make_dataset
from typer.testing import CliRunner

from recloom.agents.artifacts import read_manifest
from recloom.cli.main import app
from recloom.errors import CacheMissError, ConfigError
from recloom.pipelines.augment import SYNTHETIC_FILE, SyntheticEdges
from recloom.pipelines.top import TopSession
from recloom.pipelines.top_config import DataOptions, RuntimeOptions, TopConfig
from recloom.pipelines.top_rounds import RoundsConfig
from recloom.pipelines.top_train import BackboneConfig
from recloom.recmodels.influence import InfluenceConfig

MICRO = ["--min-rating", "0", "--core", "1"]


@pytest.fixture(scope="module")
def micro_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("micro") / "dataset"
    make_dataset(seed=1, n_users=60, n_items=160).save(path)
    return path


def config(micro_dir: Path, cache: Path, mode: str = "rw") -> TopConfig:
    return TopConfig(
        data=DataOptions(data=str(micro_dir), min_rating=None, core=1, n_neg=4),
        runtime=RuntimeOptions(cache_dir=str(cache), cache_mode=mode),
        backbone=BackboneConfig(epochs=6, batch_size=64, lr=0.02, seed=1, hparams={"embedding_dim": 8}),
        rounds=RoundsConfig(warmup=1, gap=2, max_rounds=2, influence=InfluenceConfig(n_groups=4)),
    )


def test_run_then_strict_replay_reproduces_the_table_without_a_backend(
    micro_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = TopSession(config(micro_dir, cache), tmp_path / "a").run()
    assert first["backend"]["backends_built"] > 0 and not first["backend"]["is_llm"]
    assert first["synthetic"]["edges"] > 0 and first["llm"]["by_step"]["reason (rounds)"]["inputs"] > 0
    replay = TopSession(config(micro_dir, cache, "replay"), tmp_path / "b").run()
    assert replay["backend"]["backends_built"] == 0
    assert replay["llm"]["total"]["backend_calls"] == 0
    assert replay["table"].keys() == {"backbone", "top", "mmr", "dpp"}
    strip = {
        name: {k: v for k, v in row.items() if k != "seconds_per_user"}
        for name, row in first["table"].items()
    }
    assert strip == {
        name: {k: v for k, v in row.items() if k != "seconds_per_user"}
        for name, row in replay["table"].items()
    }
    edges_a = SyntheticEdges.concat(
        [
            SyntheticEdges.read(p)
            for p in sorted((tmp_path / "a" / "rounds").glob(f"round-*/{SYNTHETIC_FILE}"))
        ]
    )
    assert len(edges_a) == first["synthetic"]["edges"]
    manifest = read_manifest(tmp_path / "a")
    assert set(manifest["steps"]) == {"build", "match", "refine", "rounds"}
    assert manifest["report"] == "report.json" and (tmp_path / "a" / "comparison.md").is_file()
    with pytest.raises(CacheMissError):
        TopSession(config(micro_dir, tmp_path / "empty-cache", "replay"), tmp_path / "c").build()


def test_run_directory_refuses_other_data_options(micro_dir: Path, tmp_path: Path) -> None:
    TopSession(config(micro_dir, tmp_path / "cache"), tmp_path / "run")
    other = config(micro_dir, tmp_path / "cache")
    other.data.split_seed = 7
    with pytest.raises(ConfigError, match="data options"):
        TopSession(other, tmp_path / "run")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_steps_write_their_artifacts(micro_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    common = ["--out", str(run), "--data", str(micro_dir), "--cache-dir", str(tmp_path / "cache"), *MICRO]
    for step in ("build", "match", "refine"):
        invoke("top", step, *common)
        assert (run / step / "tree.json").is_file() and (run / step / "manifest.json").is_file()
    users = tmp_path / "users.txt"
    users.write_text("0\n3\n5\n", encoding="utf-8")
    invoke("top", "reason", *common, "--users", str(users), "--n-leaves", "3")
    rows = [json.loads(line) for line in (run / "reason" / "user_leaves.jsonl").read_text().splitlines()]
    assert [r["user"] for r in rows] == [0, 3, 5] and all(len(r["leaves"]) == 3 for r in rows)
    assert all(leaf["reason"] for r in rows for leaf in r["leaves"])
    out = json.loads(invoke("top", "augment", *common, "--n-users", "4", "--n-aug", "2"))
    edges = SyntheticEdges.read(run / "augment" / SYNTHETIC_FILE)
    assert out["synthetic"] == len(edges) == 8 and len(edges.users()) == 4
    assert {"leaf", "score", "reason"} <= set(edges.records[0])
    assert set(read_manifest(run)["steps"]) == {"build", "match", "refine", "reason", "augment"}


def test_cli_errors_are_clear(micro_dir: Path, tmp_path: Path) -> None:
    from recloom.errors import ArtifactError

    common = [
        "--out",
        str(tmp_path / "fresh"),
        "--data",
        str(micro_dir),
        "--cache-dir",
        str(tmp_path),
        *MICRO,
    ]
    with pytest.raises(ArtifactError, match="build"):
        CliRunner().invoke(app, ["top", "match", *common], catch_exceptions=False)
    bad = tmp_path / "users.txt"
    bad.write_text("1\nx\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"users.txt:2"):
        CliRunner().invoke(app, ["top", "reason", *common, "--users", str(bad)], catch_exceptions=False)


def table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("|")]


def test_demo_replay_prints_the_same_table_without_any_backend(micro_dir: Path, tmp_path: Path) -> None:
    args = [
        "demo",
        "--data",
        str(micro_dir),
        "--out",
        str(tmp_path),
        "--epochs",
        "4",
        "--gap",
        "2",
        "--warmup",
        "1",
        *MICRO,
    ]
    first = invoke(*args)
    replay = invoke(*args, "--cache", "replay")
    assert len(table_lines(first)) == 6 and table_lines(first) == table_lines(replay)
    assert "NOT an LLM" in first and "backends built 0" in replay and "cache mode replay" in replay


@pytest.mark.slow
def test_demo_on_movielens_100k_replays_identically(tmp_path: Path) -> None:
    args = ["demo", "--out", str(tmp_path), "--epochs", "6", "--gap", "2", "--warmup", "1"]
    first = invoke(*args)
    replay = invoke(*args, "--cache", "replay")
    assert "on ml-100k" in first and len(table_lines(first)) == 6
    assert table_lines(first) == table_lines(replay) and "backends built 0" in replay
