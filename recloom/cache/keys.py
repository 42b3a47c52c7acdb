"""Cache keys: sha256 of a canonical JSON of everything that determines a generation.

Key material = backend kind, model, task name and version, the output schema (by its sha256; the
schema itself is stored once beside the entries), the rendered messages, the sampling parameters and
a small ``extra`` mapping for backend options that shape the output (e.g. the local solver's
identity). Never an API key, a base URL or any credential: those do not change what is generated.
The key is computed once, from immutable values, before any backend sees the request, so no
provider transform can make the lookup key and the store key diverge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
    # What shapes the generation inside the task version (templates + schema, not the validator).
    # Not part of the key; it derives the generation key that lets a validator change re-validate
    # stored answers instead of regenerating them.
    prompt_version: str = field(default="", compare=False)

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
        """sha256 (hex) of the canonical JSON of the key material."""
        return sha256_hex(self.canonical())

    @cached_property
    def generation_key(self) -> str | None:
        """The key with the task version replaced by the prompt version: equal for two tasks that
        differ only in their validator. None when no prompt version is known."""
        if not self.prompt_version:
            return None
        return sha256_hex(replace(self, task_version=f"prompt:{self.prompt_version}").canonical())

    def canonical(self) -> str:
        """``canonical_json(self.as_dict())``, assembled from pre-serialised parts: everything around
        the messages (and a long system prompt) is shared by a whole batch and serialised once."""
        head, tail = _frame(self)
        messages = [f"[{_dump_short(role)},{_dump_cached(content)}]" for role, content in self.messages]
        return head + ",".join(messages) + tail


_dump = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per call


_FRAGMENTS: dict[Any, str] = {}  # long strings and small mappings -> their JSON
_FRAMES: dict[tuple[Any, ...], tuple[str, str]] = {}


def _frame(m: KeyMaterial) -> tuple[str, str]:
    """The canonical JSON before and after the messages (keys in sorted order)."""
    extra, sampling = _mapping_json(m.extra), _mapping_json(m.sampling)
    signature = (m.backend, m.model, m.task, m.task_version, m.schema_sha256, extra, sampling)
    frame = _FRAMES.get(signature)
    if frame is None:
        if len(_FRAMES) > 512:
            _FRAMES.clear()
        frame = _FRAMES[signature] = (
            f'{{"backend":{_dump(m.backend)},"extra":{extra},"format":{KEY_FORMAT},"messages":[',
            f'],"model":{_dump(m.model)},"sampling":{sampling},"schema_sha256":{_dump(m.schema_sha256)},'
            f'"task":{_dump(m.task)},"task_version":{_dump(m.task_version)}}}',
        )
    return frame


def _mapping_json(mapping: Mapping[str, Any]) -> str:
    """Canonical JSON of a small mapping, memoised when its values are hashable. The memo key is
    the items in their given order (another order is another memo entry with the same sorted JSON)
    plus the value types: 1, 1.0 and True are equal (and hash alike) in Python."""
    try:
        memo = (tuple(mapping.items()), tuple(map(type, mapping.values())))
        fragment = _FRAGMENTS.get(memo)
    except TypeError:  # unhashable values
        return canonical_json(dict(mapping))
    if fragment is None:
        if len(_FRAGMENTS) > 512:
            _FRAGMENTS.clear()
        fragment = _FRAGMENTS[memo] = canonical_json(dict(mapping))
    return fragment


_SHORT: dict[str, str] = {}


def _dump_short(text: str) -> str:
    """JSON of a message role (memoised: it repeats in every key)."""
    fragment = _SHORT.get(text) if type(text) is str else None
    if fragment is None:
        fragment = _dump(text)
        if type(text) is str:
            if len(_SHORT) > 4096:
                _SHORT.clear()
            _SHORT[text] = fragment
    return fragment


def _dump_cached(text: str) -> str:
    """JSON of a string, memoised for long strings (system prompts repeat across a batch)."""
    if len(text) < 256:
        return _dump(text)
    fragment = _FRAGMENTS.get(text)
    if fragment is None:
        if len(_FRAGMENTS) > 512:
            _FRAGMENTS.clear()
        fragment = _FRAGMENTS[text] = _dump(text)
    return fragment


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
            out.append(
                f"messages[{i}] ({role}): differs from character {pos}: "
                f"wanted {_short(str(ma[-1])[pos:])}, stored {_short(str(mb[-1])[pos:])}"
            )
    return out


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
