"""Cache maintenance behind ``recloom cache``: statistics, lookup by key prefix, export/import
(JSON lines, keys re-derived and checked on import) and pruning. Functions over a ``CacheStore``;
the store exposes them as methods."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recloom.cache.keys import key_of
from recloom.cache.layout import GEN_PREFIX, SCHEMA_PREFIX
from recloom.errors import CacheError

if TYPE_CHECKING:
    from recloom.cache.store import CacheStore


def stats(store: CacheStore) -> dict[str, Any]:
    by_task: Counter[str] = Counter()
    by_backend: Counter[str] = Counter()
    finish: Counter[str] = Counter()
    n = 0
    for record in store.records():
        m = record["material"]
        n += 1
        by_task[f"{m['task']}@{m['task_version']}"] += 1
        by_backend[f"{m['backend']}:{m['model']}"] += 1
        finish[record["response"].get("finish_reason", "?")] += 1
    return {
        "directory": str(store.directory),
        "entries": n,
        "bytes": store._db.volume(),
        "by_task": dict(by_task),
        "by_backend": dict(by_backend),
        "finish_reasons": dict(finish),
    }


def find(store: CacheStore, prefix: str) -> dict[str, Any]:
    """The record whose key starts with ``prefix`` (at least 8 hex characters, unambiguous)."""
    if len(prefix) < 8:
        raise CacheError(f"key prefix {prefix!r} is too short: give at least 8 characters")
    matches = [k for k in store.keys() if k.startswith(prefix)]
    if len(matches) != 1:
        raise CacheError(f"key prefix {prefix!r} matches {len(matches)} entries in {store.directory}")
    record = store.record(matches[0])
    assert record is not None
    return record


def export(store: CacheStore, path: str | Path) -> int:
    """Write every entry (and the schemas they use) as JSON lines; returns the entry count."""
    n = 0
    shas: set[str] = set()
    with open(path, "w", encoding="utf-8") as fh:
        for record in store.records():
            fh.write(json.dumps({"entry": record}, ensure_ascii=False) + "\n")
            shas.add(record["material"]["schema_sha256"])
            n += 1
        for sha in sorted(shas):
            schema = store.schema(sha)
            if schema is not None:
                fh.write(json.dumps({"schema": {"sha256": sha, "schema": schema}}) + "\n")
    return n


def import_file(store: CacheStore, path: str | Path) -> int:
    """Load entries written by ``export``. Each key is re-derived from its material; a mismatch
    (a tampered or foreign line) is an error naming the file and line. Returns entries added."""
    added = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                added += _import_line(store, line, path, lineno)
    return added


def _import_line(store: CacheStore, line: str, path: str | Path, lineno: int) -> int:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CacheError(f"{path}:{lineno}: not JSON: {exc}") from exc
    if isinstance(obj, dict) and "schema" in obj:
        store._db.add(
            SCHEMA_PREFIX + obj["schema"]["sha256"], json.dumps(obj["schema"]["schema"], sort_keys=True)
        )
        return 0
    record = obj.get("entry") if isinstance(obj, dict) else None
    if not isinstance(record, dict) or not {"key", "material", "response"} <= record.keys():
        raise CacheError(f"{path}:{lineno}: not a recloom cache entry")
    if key_of(record["material"]) != record["key"]:
        raise CacheError(f"{path}:{lineno}: key {str(record['key'])[:16]} does not match its key material")
    if record["key"] in store._db:
        return 0
    entry = {
        "response": record["response"],
        "input_id": str(record.get("input_id", "")),
        "created": record.get("created", time.time()),
        "generation_key": record.get("generation_key"),
    }
    store._set(record["key"], entry, record["material"])
    return 1


def prune(
    store: CacheStore,
    *,
    task: str | None = None,
    older_than_s: float | None = None,
    keep_versions: Mapping[str, str] | None = None,
) -> int:
    """Delete entries of ``task`` (or all tasks) that are older than ``older_than_s`` and/or whose
    task version differs from ``keep_versions[task]``; with neither, all of them. Returns the count."""
    now, removed = time.time(), 0
    for record in store.records():
        m = record["material"]
        if task is not None and m["task"] != task:
            continue
        old = older_than_s is not None and now - record.get("created", now) > older_than_s
        stale = (
            keep_versions is not None
            and m["task"] in keep_versions
            and keep_versions[m["task"]] != m["task_version"]
        )
        if (older_than_s is None and keep_versions is None) or old or stale:
            removed += int(store._db.delete(record["key"], retry=True))
            generation_key = record.get("generation_key")
            if generation_key and store._db.get(GEN_PREFIX + generation_key) == record["key"]:
                store._db.delete(GEN_PREFIX + generation_key, retry=True)
    return removed
