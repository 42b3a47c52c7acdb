"""Contracts other helpers rely on: import hygiene (no torch/openai/langchain/vllm at import),
local solver context, OpenAI prompt-cache routing, the progress bar, the artifact helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from recloom.agents.artifacts import create_run_dir, read_jsonl, read_manifest, write_jsonl, write_manifest
from recloom.agents.backends import make_backend
from recloom.agents.backends.base import LLMRequest, Message, SamplingParams
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.agents.runtime.config import redact_url
from recloom.errors import ArtifactError
from recloom.prompts import local_solver

from .support import Label, inputs

HEAVY = ("torch", "openai", "langchain_core", "langchain_openai", "vllm", "sentence_transformers", "httpx2")


def test_importing_the_runtime_pulls_in_no_heavy_or_optional_package():
    code = (
        "import sys, recloom.agents, recloom.agents.runtime, recloom.agents.backends, recloom.prompts, "
        "recloom.cache, recloom.agents.artifacts\n"
        "from recloom.agents.backends import factory, local, openai_backend, vllm_server\n"
        "from recloom.agents.backends import langchain_backend, openai_errors\n"
        "from recloom.prompts import get_task; get_task('item_tags')\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_local_solver_receives_the_shared_context(task, tmp_path: Path):
    @local_solver("label.catalogue", "2")
    def from_catalogue(inp, context):
        return Label(label=context["catalogue"][inp.id], score=1)

    rows = inputs(3)
    catalogue = {r["id"]: r["text"].split()[1] for r in rows}
    config = RuntimeConfig(
        cache_dir=str(tmp_path / "c"),
        progress=False,
        local_context_id="cat-v1",
        backend_options={"context": {"catalogue": catalogue}},
    )
    result = Runner(config).run(task.with_local_solver(from_catalogue), rows)
    assert [o.result.label for o in result.outcomes] == ["alpha"] * 3
    key_extra = json.loads(json.dumps(result.manifest["config"]["backend_options"]))
    assert key_extra == {"context": "<dict>"}  # the catalogue itself is not copied into the manifest
    other = RuntimeConfig(
        cache_dir=str(tmp_path / "c"),
        progress=False,
        local_context_id="cat-v2",
        backend_options={"context": {"catalogue": catalogue}},
    )
    assert Runner(other).run(task.with_local_solver(from_catalogue), rows).manifest["counts"]["cached"] == 0


def test_openai_prompt_cache_key_is_set_from_the_shared_prefix(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    backend = make_backend("openai", model="gpt-4o-mini")
    request = LLMRequest(
        "t",
        "v",
        (Message("system", "S"), Message("user", "U")),
        {"type": "object"},
        "Out",
        SamplingParams(max_tokens=9),
        prefix_key="recloom-t-abc",
    )
    body = backend.request_body(request)
    assert body["prompt_cache_key"] == "recloom-t-abc" and body["max_completion_tokens"] == 9
    assert "max_tokens" not in body


def test_progress_bar_runs_and_labels_the_baseline(task, tmp_path: Path, capsys):
    Runner(RuntimeConfig(cache_dir=str(tmp_path / "c"), progress=True)).run(task, inputs(5))
    out = capsys.readouterr().out
    assert "label [local (non-LLM baseline)]" in out and "failed 0" in out


def test_manifest_redacts_urls_and_holds_versions(task, tmp_path: Path):
    assert redact_url("https://user:pw@host:8000/v1?token=x") == "https://host:8000/v1"
    result = Runner(RuntimeConfig(cache_dir=str(tmp_path / "c"), progress=False)).run(
        task, inputs(2), run_dir=tmp_path / "r"
    )
    manifest = read_manifest(tmp_path / "r")
    assert manifest["run_id"] == result.manifest["run_id"] and manifest["versions"]["recloom"]
    assert manifest["files"] == {"outputs": "outputs.jsonl", "failures": "failures.jsonl"}
    with pytest.raises(ArtifactError, match="already holds a run"):
        Runner(RuntimeConfig(cache_dir=str(tmp_path / "c"), progress=False)).run(
            task, inputs(2), run_dir=tmp_path / "r"
        )


def test_artifact_helpers_round_trip(tmp_path: Path):
    run = create_run_dir(tmp_path, "r1")
    assert write_jsonl(run / "a.jsonl", [{"x": 1}, {"x": 2}]) == 2
    assert list(read_jsonl(run / "a.jsonl")) == [{"x": 1}, {"x": 2}]
    write_manifest(run, {"run_id": "r1", "k": "é"})
    assert read_manifest(run)["k"] == "é"
    with pytest.raises(ArtifactError, match="already exists"):
        create_run_dir(tmp_path, "r1")
    (run / "bad.jsonl").write_text('{"x": 1}\n{oops\n')
    with pytest.raises(ArtifactError, match=r"bad.jsonl:2"):
        list(read_jsonl(run / "bad.jsonl"))


def test_openai_itself_gets_the_strict_subset_and_compatible_servers_the_whole_schema(monkeypatch):
    from recloom.prompts import get_task

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    task = get_task("item_tags")
    request = LLMRequest(
        "item_tags", task.version, (Message("user", "U"),), task.json_schema, task.schema_name
    )
    sent = make_backend("openai", model="gpt-4o-mini").request_body(request)["response_format"]["json_schema"]
    tags = sent["schema"]["properties"]["tags"]
    assert "maxLength" not in tags["items"] and tags["maxItems"] == 8
    assert "maxLength" not in sent["schema"]["properties"]["summary"]
    assert (
        set(sent["schema"]["required"]) == {"tags", "summary"}
        and task.json_schema["properties"]["summary"]["maxLength"] == 200
    )
    whole = make_backend("openai", model="m", base_url="http://127.0.0.1:9/v1").request_body(request)
    assert whole["response_format"]["json_schema"]["schema"] == task.json_schema


def test_strict_subset_keeps_fields_named_like_keywords():
    from recloom.prompts.schema import openai_strict_subset

    schema = {"type": "object", "properties": {"maxLength": {"type": "string", "maxLength": 3}}}
    assert openai_strict_subset(schema) == {"type": "object", "properties": {"maxLength": {"type": "string"}}}
