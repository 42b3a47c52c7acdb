"""Disk cache of raw LLM generations (diskcache/SQLite), keyed by a sha256 of canonical key material,
with modes rw / replay (strict) / refresh / off."""
