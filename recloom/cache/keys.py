"""Cache keys: sha256 of a canonical JSON of everything that determines a generation.

Key material = backend kind, model, task name and version, the output schema (by its sha256; the
schema itself is stored once beside the entries), the rendered messages, the sampling parameters and
a small ``extra`` mapping for backend options that shape the output (e.g. the local solver's
identity). Never an API key, a base URL or any credential: those do not change what is generated.
The key is computed once, from immutable values, before any backend sees the request, so no
provider transform can make the lookup key and the store key diverge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from recloom.cache.canonical import canonical_json, sha256_hex

KEY_FORMAT = 1  # bump when the material layout changes; old entries then simply miss
FIELDS = ("backend", "model", "task", "task_version", "schema_sha256", "messages", "sampling", "extra")


@dataclass(frozen=True)
class KeyMaterial:
    backend: str
    model: str
    task: str
    task_version: str
    schema_sha256: str
    messages: tuple[tuple[str, str], ...]
    sampling: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": KEY_FORMAT,
            "backend": self.backend,
            "model": self.model,
            "task": self.task,
            "task_version": self.task_version,
            "schema_sha256": self.schema_sha256,
            "messages": [list(m) for m in self.messages],
            "sampling": dict(self.sampling),
            "extra": dict(self.extra),
        }

    @cached_property
    def key(self) -> str:
        return sha256_hex(canonical_json(self.as_dict()))


def key_of(material: Mapping[str, Any]) -> str:
    """The key of stored key material (used to verify imported or explained entries)."""
    return sha256_hex(canonical_json(dict(material)))


def diff_material(wanted: Mapping[str, Any], stored: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between two key materials, field by field."""
    out: list[str] = []
    for name in ("format", *FIELDS):
        a, b = wanted.get(name), stored.get(name)
        if a == b:
            continue
        if name == "messages" and isinstance(a, list) and isinstance(b, list):
            out.extend(_diff_messages(a, b))
        elif name in ("sampling", "extra") and isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    out.append(f"{name}.{k}: wanted {a.get(k)!r}, stored {b.get(k)!r}")
        else:
            out.append(f"{name}: wanted {_short(a)}, stored {_short(b)}")
    return out


def _diff_messages(a: list[Any], b: list[Any]) -> list[str]:
    if len(a) != len(b):
        return [f"messages: wanted {len(a)} messages, stored {len(b)}"]
    out = []
    for i, (ma, mb) in enumerate(zip(a, b, strict=True)):
        if ma != mb:
            role = ma[0] if ma else "?"
            pos = _first_difference(str(ma[-1]), str(mb[-1]))
            out.append(f"messages[{i}] ({role}): differs from character {pos}: "
                       f"wanted {_short(str(ma[-1])[pos:])}, stored {_short(str(mb[-1])[pos:])}")
    return out


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
