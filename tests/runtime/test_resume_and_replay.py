"""Resume after SIGKILL, strict replay without network, and no API key anywhere on disk or in logs."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.cache import CacheStore
from recloom.errors import CacheMissError

from .fault_server import FaultServer, Reply
from .support import correct_answer, inputs, label_task, parse_user, write_templates

CHILD = Path(__file__).with_name("resume_child.py")


def answer(body: dict, seen: int) -> Reply:
    return Reply(content=correct_answer(parse_user(body)[1]))


def test_sigkill_mid_batch_then_restart_repeats_no_completed_call(tmp_path: Path):
    templates, cache_dir, n = write_templates(tmp_path / "t"), tmp_path / "cache", 120
    with FaultServer(answer, latency_s=0.03) as server:
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(templates), server.url, str(cache_dir), str(n)],
            start_new_session=True,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while server.requests < 40 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
        assert child.returncode == -signal.SIGKILL
        with CacheStore(cache_dir) as cache:
            done = {r["input_id"] for r in cache.records()}
        assert 0 < len(done) < n
        before = server.requests
        config = RuntimeConfig(
            backend="openai",
            model="fake",
            base_url=server.url,
            cache_dir=str(cache_dir),
            progress=False,
            concurrency=4,
        )
        result = Runner(config).run(label_task(templates), inputs(n))
        second = {parse_user(b)[0] for b in server.bodies[before:]}
    assert all(o.ok for o in result.outcomes)
    assert not second & done  # zero repeated calls for what had completed
    assert second | done == {r["id"] for r in inputs(n)}
    assert server.requests - before == n - len(done)
    assert sum(o.cached for o in result.outcomes) == len(done)


def test_replay_builds_no_backend_and_opens_no_connection(tmp_path: Path, monkeypatch):
    task = label_task(write_templates(tmp_path / "t"))
    with FaultServer(answer) as server:
        live = RuntimeConfig(
            backend="openai", model="fake", base_url=server.url, cache_dir=str(tmp_path / "c"), progress=False
        )
        first = Runner(live).run(task, inputs(25))
        connections, requests = server.connections, server.requests

        attempts: list[object] = []
        real_connect = socket.socket.connect

        def guarded(self, address):  # only the replay runs while this is installed
            attempts.append(address)
            return real_connect(self, address)

        monkeypatch.setattr(socket.socket, "connect", guarded)
        monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))
        replay_config = RuntimeConfig(**{**live.__dict__, "cache_mode": "replay"})
        runner = Runner(replay_config)
        replay = runner.run(task, inputs(25))
        monkeypatch.undo()
        assert server.connections == connections and server.requests == requests
    assert attempts == [] and runner.engine.backends_built == 0
    assert [o.result for o in replay.outcomes] == [o.result for o in first.outcomes]
    assert all(o.cached for o in replay.outcomes)


def test_replay_miss_names_task_input_and_the_differing_key_fields(tmp_path: Path):
    task = label_task(write_templates(tmp_path / "t"))
    config = dict(cache_dir=str(tmp_path / "c"), progress=False)
    Runner(RuntimeConfig(**config)).run(task, inputs(3))
    changed = label_task(write_templates(tmp_path / "t2", user="ID: {{ id }}\nTEXT: {{ text }}\nBe brief.\n"))
    with pytest.raises(CacheMissError) as info:
        Runner(RuntimeConfig(cache_mode="replay", temperature=0.5, **config)).run(
            changed, inputs(3), run_dir=tmp_path / "r"
        )
    message = str(info.value)
    assert "3 of 3 inputs are not in the cache" in message and "task 'label' input 'x0'" in message
    assert "task_version" in message and "sampling.temperature: wanted 0.5, stored 0.0" in message
    assert "messages[1] (user)" in message
    outcomes = info.value.outcomes  # type: ignore[attr-defined]
    assert [o.error_kind for o in outcomes] == ["cache_miss"] * 3
    assert (tmp_path / "r" / "manifest.json").exists()


def test_api_key_appears_in_no_cache_entry_manifest_log_or_output(tmp_path: Path, monkeypatch, caplog):
    secret = "sk-recloom-test-7f3a9c1e5b2d4068SECRET"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    caplog.set_level(logging.DEBUG)
    task = label_task(write_templates(tmp_path / "t"))

    def plan(body: dict, seen: int) -> Reply:
        _, text = parse_user(body)
        if text.startswith("w3 "):
            return Reply(status=500)
        return Reply(content=correct_answer(text) if seen or not text.startswith("w2 ") else "oops")

    with FaultServer(plan) as server:
        for backend in ("openai", "langchain"):
            config = RuntimeConfig(
                backend=backend,
                model="fake",
                base_url=server.url,
                cache_dir=str(tmp_path / "c"),
                progress=False,
                transport_retries=1,
                backoff_initial_s=0.001,
            )
            Runner(config).run(task, inputs(6), run_dir=tmp_path / f"run-{backend}")
        sent = [h.get("authorization", "") for h in server.headers]
    assert all(value == f"Bearer {secret}" for value in sent)  # the key was really used...
    with CacheStore(tmp_path / "c") as cache:
        cache.export(tmp_path / "export.jsonl")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files) and any(p.suffix == ".db" for p in files)
    for path in files:  # ...and written nowhere: cache (SQLite + WAL), manifests, outputs, failures, export
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in caplog.text
