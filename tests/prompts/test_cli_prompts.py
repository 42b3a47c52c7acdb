"""``recloom prompts list|show|run|diff`` and ``recloom cache ...`` end to end (typer CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from runtime.fault_server import FaultServer, Reply
from typer.testing import CliRunner

from recloom.cli.main import app
from recloom.prompts import BUILTIN_TEMPLATES, get_task

ROWS = [
    {"id": str(i), "title": f"Film {i} (199{i})", "genres": ["Drama", "Crime"][: 1 + i % 2]} for i in range(6)
]


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def write_inputs(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_list_prints_each_task_with_its_version_and_baseline_label():
    out = invoke("prompts", "list")
    assert f"item_tags  version {get_task('item_tags').version}" in out and "(non-LLM baseline)" in out


def test_show_prints_templates_schema_and_a_rendered_prompt():
    out = invoke("prompts", "show", "item_tags", "--input", json.dumps(ROWS[1]))
    assert (
        "--- system.j2" in out and '"required": [' in out and "=== user\nItem 1\nTitle: Film 1 (1991)" in out
    )


def test_run_writes_a_run_directory_and_cache_commands_work_on_it(tmp_path: Path):
    cache = tmp_path / "cache"
    out = invoke(
        "prompts",
        "run",
        "item_tags",
        "-i",
        str(write_inputs(tmp_path)),
        "-o",
        str(tmp_path / "run"),
        "--cache-dir",
        str(cache),
        "--no-progress",
    )
    summary = json.loads(out)
    assert summary["ok"] == 6 and summary["backend"] == "local (non-LLM baseline)"
    assert (tmp_path / "run" / "manifest.json").exists()
    stats = json.loads(invoke("cache", "stats", "--cache-dir", str(cache)))
    assert stats["entries"] == 6 and stats["by_backend"] == {"local:baseline": 6}
    key = json.loads((tmp_path / "run" / "outputs.jsonl").read_text().splitlines()[0])["keys"][0]
    explained = json.loads(invoke("cache", "explain", key[:12], "--cache-dir", str(cache)))
    assert (
        explained["material"]["task"] == "item_tags"
        and explained["material"]["extra"]["solver"] == "item_tags.keywords@1"
    )
    assert "exported 6 entries" in invoke(
        "cache", "export", str(tmp_path / "x.jsonl"), "--cache-dir", str(cache)
    )
    assert "imported 6 new entries" in invoke(
        "cache", "import", str(tmp_path / "x.jsonl"), "--cache-dir", str(tmp_path / "c2")
    )
    replay = json.loads(
        invoke(
            "prompts",
            "run",
            "item_tags",
            "-i",
            str(tmp_path / "items.jsonl"),
            "-o",
            str(tmp_path / "run2"),
            "--cache-dir",
            str(tmp_path / "c2"),
            "--cache-mode",
            "replay",
            "--no-progress",
        )
    )
    assert replay["cached"] == 6 and replay["backend_calls"] == 0
    assert "removed 0 entries" in invoke("cache", "prune", "--stale", "--cache-dir", str(cache))
    assert "removed 6 entries" in invoke("cache", "prune", "--all", "--cache-dir", str(cache))


def test_user_errors_exit_2_with_one_line():
    from recloom.cli.main import main  # noqa: F401  (the entry point wraps RecloomError)

    result = CliRunner().invoke(app, ["prompts", "show", "nope"])
    assert result.exit_code != 0 and "unknown task 'nope'" in str(result.exception)


def test_diff_reports_agreement_failures_and_the_template_diff(tmp_path: Path):
    def plan(body: dict, seen: int) -> Reply:
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        genre = user.split("Genres: ")[1].split(",")[0].strip().lower()
        tags = [genre, "short"] if "Be concise." in system else [genre, "long", "extra"]
        return Reply(content=json.dumps({"tags": tags, "summary": "A film."}), usage=(100, 20, 60))

    variant = tmp_path / "b"
    shutil.copytree(BUILTIN_TEMPLATES / "item_tags", variant)
    (variant / "system.j2").write_text((variant / "system.j2").read_text() + "Be concise.\n")
    with FaultServer(plan) as server:
        invoke(
            "prompts",
            "diff",
            "item_tags",
            "-i",
            str(write_inputs(tmp_path)),
            "--template-b",
            str(variant),
            "--backend",
            "openai",
            "--model",
            "fake",
            "--base-url",
            server.url,
            "--cache-dir",
            str(tmp_path / "c"),
            "--out",
            str(tmp_path / "report.json"),
        )
        assert server.requests == 12
        invoke(
            "prompts",
            "diff",
            "item_tags",
            "-i",
            str(tmp_path / "items.jsonl"),
            "--template-b",
            str(variant),
            "--backend",
            "openai",
            "--model",
            "fake",
            "--base-url",
            server.url,
            "--cache-dir",
            str(tmp_path / "c"),
        )
        assert server.requests == 12  # the second comparison came from the cache
    report = json.loads((tmp_path / "report.json").read_text())
    by_field = {row["field"]: row for row in report["agreement"]}
    assert by_field["tags"]["agreement"] == 0.0 and by_field["tags"]["mean_jaccard"] == 0.25
    assert by_field["summary"]["agreement"] == 1.0 and by_field["summary"]["compared"] == 6
    assert report["A"]["valid"] == 1.0 and report["B"]["tokens"]["prompt_tokens"] == 600
    assert report["A"]["task_version"] != report["B"]["task_version"]
    assert "+Be concise." in report["template_diff"]
