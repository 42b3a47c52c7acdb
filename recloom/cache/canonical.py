"""Canonical JSON and its sha256: the one serialisation every hash in recloom goes through.

Keys are sorted, separators are fixed and non-ASCII is kept as UTF-8, so the same logical value
hashes the same in every process and Python version. Values that JSON cannot represent are refused
(never silently stringified: a ``str()`` of an object is how other caches lose key material).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from recloom.errors import CacheError

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text. Tuples become lists; NaN and infinities are refused."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise CacheError(f"cannot hash a value that is not plain JSON: {exc}") from exc


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))
