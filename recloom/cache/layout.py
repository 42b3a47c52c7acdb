"""Row layout of the cache database (shared by the store and its maintenance functions)."""

from __future__ import annotations

SCHEMA_PREFIX = "schema\x1f"  # schema sha256 -> schema JSON
GEN_PREFIX = "gen\x1f"  # generation key -> key


def tag(task: str, input_id: str) -> str:
    """The indexed diskcache tag of an entry: which task and input it answers."""
    return f"{task}\x1f{input_id}"
