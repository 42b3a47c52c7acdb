"""Where the datasets live: ``--data`` option, then ``$RECLOOM_DATA``, then ``../shared/data``."""

from __future__ import annotations

import os
from pathlib import Path

from recloom.errors import DataError

ENV_VAR = "RECLOOM_DATA"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def candidate_dirs(explicit: str | Path | None = None) -> list[tuple[str, Path]]:
    """The places searched, in order, each with a label saying where it came from."""
    out: list[tuple[str, Path]] = []
    if explicit is not None:
        out.append(("--data", Path(explicit).expanduser()))
    env = os.environ.get(ENV_VAR)
    if env:
        out.append((f"${ENV_VAR}", Path(env).expanduser()))
    out.append(("../shared/data from the current directory", Path.cwd() / ".." / "shared" / "data"))
    out.append(("../shared/data from the repository root", _REPO_ROOT / ".." / "shared" / "data"))
    return out


def data_dir(explicit: str | Path | None = None) -> Path:
    """The data directory. An explicit path or ``$RECLOOM_DATA`` that does not exist is an error
    (never silently replaced by a fallback); otherwise the first existing default wins."""
    tried: list[str] = []
    for label, path in candidate_dirs(explicit):
        if path.is_dir():
            return path.resolve()
        tried.append(f"{label}: {path}")
        if label in ("--data", f"${ENV_VAR}"):
            raise DataError(f"data directory from {label} does not exist: {path}")
    raise DataError("no data directory found; tried " + "; ".join(tried) + f" (set --data or ${ENV_VAR})")


def dataset_dir(folder: str, explicit: str | Path | None = None) -> Path:
    """``data_dir(explicit) / folder``, which must exist."""
    path = data_dir(explicit) / folder
    if not path.is_dir():
        raise DataError(f"dataset folder {folder!r} not found in data directory {path.parent}")
    return path
