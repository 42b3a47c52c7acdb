"""``recloom larmi cluster | cliques | select | train`` on 20 users with the real MiniLM local solver,
then a strict replay of stage A into a new run directory, and the errors a user can cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recloom.agents.artifacts import read_json
from recloom.cli.main import app
from recloom.errors import ArtifactError, ConfigError

CLI = CliRunner()


def invoke(*args: str) -> dict | list:
    result = CLI.invoke(app, ["larmi", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.stdout.splitlines()  # the runtime's progress line may come first
    start = next(k for k, line in enumerate(lines) if line.startswith(("{", "[")))
    return json.loads("\n".join(lines[start:]))


def test_stages_from_the_command_line(tmp_path: Path) -> None:
    run, cache, emb = tmp_path / "run", tmp_path / "cache", tmp_path / "emb"
    llm = ["--cache-dir", str(cache), "--embedding-cache", str(emb)]
    stage_a = invoke("cluster", "--run-dir", str(run), "--users", "20", *llm)
    assert stage_a["backend"] == "local (non-LLM baseline)" and stage_a["by_source"] == {"local": 20}
    assert stage_a["calls"] == 20 and 1.0 <= stage_a["clusters_mean"] <= stage_a["items_mean"]
    cliques = invoke("cliques", "--run-dir", str(run), "--clique-size", "3")
    assert cliques["synthetic_users"] == 20 and cliques["clique_size"] == 3
    sel = invoke("select", "--run-dir", str(run), "--solver", "greedy", "--budget", "3", *llm)
    assert sel["solver"] == "greedy" and sel["selected"] == 3 and sel["calls"] == 3
    records = invoke("train", "--run-dir", str(run), "-v", "l_gre", "-v", "mind", "--epochs", "1")
    assert [r["variant"] for r in records] == ["l_gre", "mind"]
    assert all(0.0 <= r["recall@50"] <= 1.0 for r in records)
    stages = read_json(run / "manifest.json")["stages"]
    assert set(stages) == {"cluster", "cliques", "select/greedy", "train"}
    assert read_json(run / "config.json")["data"]["users"] == 20
    # strict replay into a new run directory: same clusters, no backend call
    again = invoke(
        "cluster", "--run-dir", str(tmp_path / "again"), "--users", "20", "--cache-mode", "replay", *llm
    )
    assert again["calls"] == 0
    assert read_json(tmp_path / "again" / "cluster" / "clusters.json") == read_json(
        run / "cluster" / "clusters.json"
    )


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (["train", "-v", "larmi"], ArtifactError, "clusters"),
        (["select", "--solver", "greedy"], ArtifactError, "not a LARMI run directory"),
        (["train", "-v", "best"], ConfigError, "unknown LARMI variant"),
    ],
)
def test_user_errors_name_what_is_missing(tmp_path: Path, args: list[str], error: type, match: str) -> None:
    run = tmp_path / "run"
    invoke("cliques", "--run-dir", str(run), "--users", "10", "--clique-size", "2") if args[
        0
    ] == "train" else None
    result = CLI.invoke(app, ["larmi", *args, "--run-dir", str(run)])
    assert result.exit_code != 0 and isinstance(result.exception, error)
    assert match in str(result.exception)


@pytest.mark.slow
def test_demo_step_replays_the_same_table_without_a_backend(tmp_path: Path) -> None:
    from recloom.cli.larmi_cmd import demo_step

    first = demo_step(tmp_path, "rw", users=120)
    again = demo_step(tmp_path, "replay", users=120)
    assert "cache replay: 0 of " in again and "backends built 0" in again
    table = [line for line in first.splitlines() if line.startswith("| larmi") or line.startswith("| mind")]
    assert len(table) == 2 and all(line in again.splitlines() for line in table)
