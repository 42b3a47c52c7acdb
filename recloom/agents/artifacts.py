"""Run directories and their files, shared by the runner and the workflows.

A run directory holds ``manifest.json`` (what ran, with which config, versions and counts) next to
its JSONL outputs. Files are written atomically (temp file + rename), so a killed run never leaves
a half-written manifest; JSONL appends are line-buffered and flushed per line.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from recloom.errors import ArtifactError

MANIFEST = "manifest.json"


def new_run_id(prefix: str = "run") -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def create_run_dir(root: str | Path, run_id: str | None = None, *, prefix: str = "run") -> Path:
    """A fresh directory ``root/run_id`` (refuses to reuse an existing non-empty one)."""
    path = Path(root) / (run_id or new_run_id(prefix))
    if path.exists() and any(path.iterdir()):
        raise ArtifactError(f"run directory {path} already exists and is not empty")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: str | Path, data: Any) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"{path}: missing") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write ``rows`` atomically as JSON lines; returns the number written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ArtifactError(f"{path}:{lineno}: not valid JSON: {exc.msg}") from exc


def write_manifest(run_dir: str | Path, manifest: Mapping[str, Any]) -> Path:
    return write_json(Path(run_dir) / MANIFEST, dict(manifest))


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    data = read_json(Path(run_dir) / MANIFEST)
    if not isinstance(data, dict) or "run_id" not in data:
        raise ArtifactError(f"{Path(run_dir) / MANIFEST}: not a recloom run manifest")
    return data
