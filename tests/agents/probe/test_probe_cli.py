"""``recloom probe run | ground | groups`` in process on real ML-1M (local backend). MiniLM is
swapped for the hashed-trigram embedder (monkeypatched at the two places that build the shared
embedder) to keep the test fast; everything else is the CLI's own path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from probe_support import TrigramEmbedder
from typer.testing import CliRunner

import recloom.agents.probe.local as probe_local
import recloom.agents.top.embedding as top_embedding
from recloom.cli.main import app
from recloom.errors import ConfigError


@pytest.fixture
def fast_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    embed = TrigramEmbedder()
    monkeypatch.setattr(probe_local, "shared_embedder", lambda *a, **k: embed)
    monkeypatch.setattr(top_embedding, "shared_embedder", lambda *a, **k: embed)


def invoke(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["probe", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_probe_cli_run_ground_groups(tmp_path: Path, fast_embedder: None) -> None:
    out = tmp_path / "probe"
    ran = invoke(
        [
            "run",
            "--out",
            str(out),
            "--n",
            "12",
            "--k",
            "5",
            "--max-train",
            "3000",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-progress",
        ]
    )
    assert ran["sequences"] == 12 and ran["complete"] == 12 and "NOT an LLM" in ran["generator"]
    assert ran["backend"].startswith("local")
    grounded = invoke(["ground", str(out)])
    assert grounded["strings"] == 60 and grounded["exact_match_rate"] == 1.0
    result = CliRunner().invoke(app, ["probe", "groups", str(out), "--head-share", "0.2"])
    assert result.exit_code == 0, result.output
    prior = json.loads(result.stdout)
    assert prior["sum_check"] is True and prior["c_prior_sum"] == 60 and prior["head_share"] == 0.2


def test_probe_cli_errors_name_the_problem(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["probe", "groups", str(tmp_path)])
    assert missing.exit_code != 0 and "probe.json" in str(missing.exception)
    bad = CliRunner().invoke(app, ["probe", "ground", str(tmp_path), "--encoder", "hidden"])
    assert isinstance(bad.exception, ConfigError) and "--model" in str(bad.exception)
