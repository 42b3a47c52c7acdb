"""Build (idempotently) the benchmark's own venv: ``benchmarks/.venv-runtime`` (git-ignored).

It holds the contenders (openai, langchain-openai, instructor), the profiler (py-spy) and recloom
installed editable with ``--no-deps`` plus only the runtime's own dependencies: the runtime never
imports torch, so the benchmark environment does not pull it (nor sentence-transformers).
Versions are pinned below and recorded in every result file.

    python benchmarks/runtime/bench_venv.py          # prints the venv's python
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_DIR = REPO / "benchmarks" / ".venv-runtime"
# Pinned (the project venv's versions where they overlap) so pip resolves quickly and runs compare;
# openai is whatever instructor allows (the same for every contender).
CONTENDERS = (
    "openai>=2.0,<4",  # instructor 1.17 caps jiter < 0.15, which caps openai below 3.54
    "langchain-openai==1.7.3",
    "langchain-core==1.7.2",
    "instructor==1.17.0",
    "py-spy==0.4.3",
)
RUNTIME_DEPS = (
    "pydantic==2.14.3",
    "diskcache==5.6.3",
    "tenacity==9.2.1",
    "jinja2==3.1.6",
    "rich>=13,<15",  # instructor 1.17 wants rich < 15
    "typer==0.29.2",
)
STAMP = VENV_DIR / ".runtime-bench.json"
CHECK = (
    "import openai, instructor, langchain_openai, diskcache; "
    "from recloom.agents.runtime import Runner; import sys; "
    "assert 'torch' not in sys.modules, 'the runtime imported torch'"
)


class VenvBuildError(RuntimeError):
    """pip failed, or the finished venv cannot import the contenders."""


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    return venv_dir / "bin" / "python"


def _wanted() -> list[str]:
    return [*CONTENDERS, *RUNTIME_DEPS]


def _is_ready(venv_dir: Path) -> bool:
    stamp = venv_dir / STAMP.name
    if not venv_python(venv_dir).exists() or not stamp.exists():
        return False
    try:
        return json.loads(stamp.read_text())["packages"] == _wanted()
    except (ValueError, KeyError):
        return False


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise VenvBuildError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def ensure_venv(venv_dir: Path = VENV_DIR, base_python: str = sys.executable) -> Path:
    """Create the venv unless a complete one with the same package list exists; return its python."""
    if _is_ready(venv_dir):
        return venv_python(venv_dir)
    print(f"[runtime bench venv] building {venv_dir}", flush=True)
    if not venv_python(venv_dir).exists():
        _run([base_python, "-m", "venv", str(venv_dir)], "creating the venv")
    py = str(venv_python(venv_dir))
    _run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], "upgrading pip")
    _run([py, "-m", "pip", "install", "-q", *_wanted()], "installing the contenders")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)], "installing recloom (editable)")
    _run([py, "-c", CHECK], "importing the contenders in the new venv")
    (venv_dir / STAMP.name).write_text(json.dumps({"packages": _wanted()}))
    return venv_python(venv_dir)


if __name__ == "__main__":
    print(ensure_venv())
