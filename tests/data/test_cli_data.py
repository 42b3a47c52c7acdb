"""``recloom data`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recloom.cli.data_cmd import parse_param
from recloom.cli.main import app
from recloom.data import Split
from recloom.data.paths import data_dir
from recloom.errors import ConfigError

runner = CliRunner()


def test_info_prints_stats() -> None:
    result = runner.invoke(app, ["data", "info", "ml-100k", "--data", str(data_dir())])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.strip().splitlines())
    assert lines["users"] == "943" and lines["items"] == "1682" and lines["interactions"] == "100000"
    assert lines["density"] == "6.305%" and lines["categories"] == "19"
    assert lines["top_categories"].startswith("Drama (725)")


def test_info_json_for_amazon() -> None:
    result = runner.invoke(app, ["data", "info", "amazon-scientific", "--json"])
    out = json.loads(result.output)
    assert (out["users"], out["items"], out["interactions"], out["has_time"]) == (8442, 4385, 59427, False)
    assert out["items_without_category"] == 134


def test_split_command_saves_a_loadable_split(tmp_path: Path) -> None:
    args = ["data", "split", "ml-100k", "--split", "random_ratio", "--param", "ratios=6:2:2",
            "--param", "seed=3", "--out", str(tmp_path / "s")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    split = Split.load(tmp_path / "s")
    assert split.params["seed"] == 3 and split.params["ratios"] == pytest.approx([0.6, 0.2, 0.2])
    assert sum(split.sizes().values()) == 100_000


def test_parse_param() -> None:
    assert parse_param("max_length=20") == ("max_length", 20)
    assert parse_param("prefix=0.5") == ("prefix", 0.5)
    assert parse_param("prefix_in_train=false") == ("prefix_in_train", False)
    assert parse_param("ratios=8:1:1") == ("ratios", "8:1:1")
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_param("oops")


def test_user_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "recloom", "data", "info", "ml-100k", "--data",
                           str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: data directory from --data does not exist: {tmp_path / 'nowhere'}"
