"""Shared CLI plumbing for the runtime commands: reading input files and building a
``RuntimeConfig`` from ``--backend/--model/--base-url/--cache-*`` options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recloom.errors import DataError


def read_inputs(path: Path) -> list[dict[str, Any]]:
    """Inputs from a JSON list or a JSONL file (one object per line); errors name file and line."""
    text = path.read_text(encoding="utf-8") if path.exists() else None
    if text is None:
        raise DataError("input file does not exist", path=path)
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from exc
    else:
        rows = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(f"not valid JSON: {exc.msg}", path=path, line=lineno) from exc
    if not all(isinstance(r, dict) for r in rows):
        raise DataError("every input must be a JSON object", path=path)
    return rows


def sample(rows: list[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    """A deterministic sample of ``n`` rows (all rows when ``n`` is None or large), in file order."""
    if n is None or n >= len(rows):
        return rows
    import random

    keep = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in keep]
