"""Disk cache of raw LLM generations (diskcache/SQLite), keyed by a sha256 of canonical key material,
with modes rw / replay (strict) / refresh / off.

Public API::

    from recloom.cache import CacheStore, CacheMode, KeyMaterial
"""

from recloom.cache.canonical import canonical_json, content_hash
from recloom.cache.keys import KeyMaterial, diff_material, key_of
from recloom.cache.modes import CacheMode
from recloom.cache.store import CacheStore

__all__ = [
    "CacheMode",
    "CacheStore",
    "KeyMaterial",
    "canonical_json",
    "content_hash",
    "diff_material",
    "key_of",
]
