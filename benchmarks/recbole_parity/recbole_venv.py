"""Build (idempotently) the throwaway venv in which RecBole 1.2.1 runs as an external oracle.

RecBole is never a dependency of recloom: its pins (NumPy < 2, pandas < 3, SciPy < 1.13,
setuptools < 81, ray 2.6.3) conflict with the project's stack, so it lives in
``benchmarks/.venv-recbole`` (git-ignored). The working pin set and the reasons for each pin are in
``/work/shared/docs/anchors.md`` Part C.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]
VENV_DIR = BENCH_DIR / ".venv-recbole"
PINS = (
    "torch==2.13.0",
    "recbole==1.2.1",
    "numpy==1.26.4",
    "pandas==2.3.3",
    "scipy==1.12.0",
    "setuptools==80.10.2",
)
STAMP = VENV_DIR / ".recbole-pins.json"
# RecBole's trainer calls torch.load(checkpoint) without weights_only; torch >= 2.6 refuses the
# pickled Config unless this is set (anchors.md Part C, item 5).
CHILD_ENV = {"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}


class VenvBuildError(RuntimeError):
    """The RecBole venv could not be built (pip failed or the import check failed)."""


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    """The interpreter of the RecBole venv."""
    return venv_dir / "bin" / "python"


def _is_ready(venv_dir: Path) -> bool:
    stamp = venv_dir / STAMP.name
    if not venv_python(venv_dir).exists() or not stamp.exists():
        return False
    try:
        return tuple(json.loads(stamp.read_text())["pins"]) == PINS
    except (ValueError, KeyError):
        return False


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise VenvBuildError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def ensure_venv(venv_dir: Path = VENV_DIR, base_python: str = sys.executable) -> Path:
    """Create the RecBole venv unless a complete one with the same pins exists; return its python."""
    if _is_ready(venv_dir):
        return venv_python(venv_dir)
    print(f"[recbole venv] building {venv_dir} with {' '.join(PINS)}", flush=True)
    if not venv_python(venv_dir).exists():
        _run([base_python, "-m", "venv", str(venv_dir)], "creating the venv")
    py = str(venv_python(venv_dir))
    # torch first, pinned, so that pip never pulls a CUDA build when resolving recbole's deps.
    _run([py, "-m", "pip", "install", "-q", "torch==2.13.0"], "installing torch")
    _run([py, "-m", "pip", "install", "-q", *PINS], "installing recbole and its pins")
    check = "import recbole, numpy, scipy, torch; from recbole.quick_start import run_recbole"
    _run([py, "-c", check], "importing recbole in the new venv")
    (venv_dir / STAMP.name).write_text(json.dumps({"pins": list(PINS)}))
    return venv_python(venv_dir)


if __name__ == "__main__":
    print(ensure_venv())
