"""The disk cache of raw generations (diskcache over SQLite; safe for several processes).

Each entry is one row: ``key -> '<entry JSON>\\n<key material JSON>'`` where the entry is
``{"response", "input_id", "created"}`` (parsed on every hit) and the key material is the key
manifest (parsed only to explain a miss, export or prune). The row is tagged ``task␟input_id``
(diskcache's indexed tag column), so a replay miss can find the stored entries of the same input
and name the fields that differ. Schemas are stored once per sha256. Values are JSON text, never
pickles, so an imported cache cannot run code. Entries are never evicted; removal is ``prune``.

``put`` writes at once; ``put_later`` hands the entry to one background writer thread that commits
whatever is queued in a single transaction, so a batch runner's event loop never waits on SQLite
(pending entries are visible to ``get`` at once; ``flush``/``close`` wait for the commit).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import diskcache

from recloom.cache import maintenance
from recloom.cache.fs import filesystem_type, is_network_filesystem
from recloom.cache.keys import KeyMaterial, diff_material
from recloom.cache.layout import GEN_PREFIX, SCHEMA_PREFIX, entry_of, entry_rows, material_of, tag, write_rows
from recloom.errors import CacheError

log = logging.getLogger(__name__)
_SETTINGS = {
    "eviction_policy": "none",
    "size_limit": 2**62,
    "disk_min_file_size": 2**30,
    "statistics": False,
    "tag_index": True,
}


class CacheStore:
    def __init__(self, directory: str | Path, *, timeout: float = 120.0) -> None:
        self.directory = Path(directory)
        self._pending: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._writer_error: BaseException | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = diskcache.Cache(str(self.directory / "db"), timeout=timeout, **_SETTINGS)
        except (OSError, diskcache.Timeout) as exc:
            raise CacheError(f"cannot open cache directory {self.directory}: {exc}") from exc
        if is_network_filesystem(self.directory):
            log.warning(
                "cache %s is on a network filesystem (%s): SQLite locking is unreliable there; "
                "use a local disk and `recloom cache export/import` to move it",
                self.directory,
                filesystem_type(self.directory),
            )

    # --- entries ---------------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """``{"response", "input_id", "created"}`` of entry ``key``, or None."""
        pending = self._pending.get(key)
        if pending is not None:
            return pending[0]
        text = self._db.get(key)
        return None if text is None else entry_of(text)

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Entries of the ``keys`` that are stored, in one query per 500 keys (replay and resume
        read a whole batch up front instead of one SQLite round trip per input)."""
        found: dict[str, dict[str, Any]] = {}
        for key in keys:  # .get: the writer thread may commit and drop a pending entry meanwhile
            pending = self._pending.get(key)
            if pending is not None:
                found[key] = pending[0]
        rest = [k for k in keys if k not in found]
        for start in range(0, len(rest), 500):
            chunk = rest[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # diskcache keeps str keys raw (raw = 1) and short str values inline (mode 1 = raw).
            rows = self._db._sql(
                f"SELECT key, value FROM Cache WHERE raw = 1 AND mode = 1 AND key IN ({marks})", chunk
            )
            for key, text in rows.fetchall():
                found[key] = entry_of(text)
        return found

    def material(self, key: str) -> dict[str, Any] | None:
        text = self._db.get(key)
        return None if text is None else material_of(text)

    def record(self, key: str) -> dict[str, Any] | None:
        """The full record: key, material, response, input id, creation time."""
        text = self._db.get(key)
        if text is None:
            return None
        return {"key": key, "material": material_of(text), **entry_of(text)}

    def __contains__(self, key: str) -> bool:
        return key in self._pending or key in self._db

    def put(
        self,
        material: KeyMaterial,
        response: Mapping[str, Any],
        *,
        input_id: str = "",
        schema: Mapping[str, Any] | None = None,
    ) -> str:
        """Store one raw response under ``material.key`` (one SQLite write); returns the key."""
        key = material.key
        entry = _entry(material, response, input_id)
        self._set(key, entry, material.as_dict())
        if schema is not None:
            self._db.add(SCHEMA_PREFIX + material.schema_sha256, json.dumps(schema, sort_keys=True))
        return key

    def put_later(
        self,
        material: KeyMaterial,
        response: Mapping[str, Any],
        *,
        input_id: str = "",
        schema: Mapping[str, Any] | None = None,
    ) -> str:
        """Queue one entry for the background writer (committed in the next transaction)."""
        if self._writer_error is not None:
            raise CacheError(f"cache writer for {self.directory} failed: {self._writer_error}")
        key = material.key
        if schema is not None and SCHEMA_PREFIX + material.schema_sha256 not in self._db:
            self._db.add(SCHEMA_PREFIX + material.schema_sha256, json.dumps(schema, sort_keys=True))
        self._pending[key] = (_entry(material, response, input_id), material.as_dict())
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="recloom-cache-writer", daemon=True)
            self._writer.start()
        self._queue.put(key)
        return key

    def _write_loop(self) -> None:
        while True:
            keys = [self._queue.get()]
            while len(keys) < 512:
                try:
                    keys.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            live = [k for k in keys if k is not None]
            try:
                if live:
                    rows = [row for key in live for row in entry_rows(key, *self._pending[key])]
                    with self._db.transact(retry=True):
                        write_rows(self._db, rows, time.time())
            except BaseException as exc:  # surfaced by the next put_later / flush
                self._writer_error = exc
            finally:
                for key in live:
                    self._pending.pop(key, None)
                for _ in keys:
                    self._queue.task_done()
            if None in keys:
                return

    def flush(self) -> None:
        """Wait until every queued entry is committed."""
        if self._writer is not None:
            self._queue.join()
        if self._writer_error is not None:
            raise CacheError(f"cache writer for {self.directory} failed: {self._writer_error}")

    def _set(self, key: str, entry: Mapping[str, Any], material: Mapping[str, Any]) -> None:
        with self._db.transact(retry=True):
            for row_key, value, row_tag in entry_rows(key, entry, material):
                self._db.set(row_key, value, tag=row_tag)

    def get_equivalent(self, material: KeyMaterial) -> tuple[str, dict[str, Any]] | None:
        """An entry generated from the same prompt (same generation key) under another task
        version, i.e. a task that differs only in its validator: ``(key, entry)`` or None."""
        generation_key = material.generation_key
        if generation_key is None:
            return None
        for key, (entry, _) in list(self._pending.items()):
            if entry.get("generation_key") == generation_key:
                return key, entry
        key = self._db.get(GEN_PREFIX + generation_key)
        entry = None if key is None else self.get(key)
        return None if entry is None else (key, entry)

    def keys_for(self, task: str, input_id: str) -> list[str]:
        """Keys stored for this task and input (all attempts, all versions)."""
        rows = self._db._sql("SELECT key FROM Cache WHERE tag = ?", (tag(task, input_id),)).fetchall()
        return [row[0] for row in rows]

    def schema(self, sha: str) -> dict[str, Any] | None:
        text = self._db.get(SCHEMA_PREFIX + sha)
        return None if text is None else json.loads(text)

    def keys(self) -> list[str]:
        return [
            k
            for k in self._db.iterkeys()
            if isinstance(k, str) and not k.startswith((SCHEMA_PREFIX, GEN_PREFIX))
        ]

    def records(self) -> Iterator[dict[str, Any]]:
        for key in self.keys():
            record = self.record(key)
            if record is not None:
                yield record

    def __len__(self) -> int:
        return len(self.keys())

    # --- explaining misses -------------------------------------------------------------------------

    def nearest(self, material: KeyMaterial, input_id: str) -> tuple[str, list[str]] | None:
        """The stored entry for the same task and input whose key material differs least."""
        wanted = material.as_dict()
        best: tuple[str, list[str]] | None = None
        for key in self.keys_for(material.task, input_id):
            stored = self.material(key)
            if stored is None:
                continue
            diffs = diff_material(wanted, stored)
            if best is None or len(diffs) < len(best[1]):
                best = (key, diffs)
        return best

    def explain_miss(self, material: KeyMaterial, input_id: str) -> str:
        where = f"task {material.task!r} input {input_id!r}"
        near = self.nearest(material, input_id)
        if near is None:
            return (
                f"replay miss for {where}: no entry for this task and input in {self.directory} "
                f"(key {material.key[:16]})"
            )
        key, diffs = near
        return (
            f"replay miss for {where} (key {material.key[:16]}); nearest stored entry {key[:16]} differs in: "
            + "; ".join(diffs)
        )

    # --- maintenance (recloom.cache.maintenance) ------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return maintenance.stats(self)

    def find(self, prefix: str) -> dict[str, Any]:
        return maintenance.find(self, prefix)

    def export(self, path: str | Path) -> int:
        return maintenance.export(self, path)

    def import_file(self, path: str | Path) -> int:
        return maintenance.import_file(self, path)

    def prune(
        self,
        *,
        task: str | None = None,
        older_than_s: float | None = None,
        keep_versions: Mapping[str, str] | None = None,
    ) -> int:
        return maintenance.prune(self, task=task, older_than_s=older_than_s, keep_versions=keep_versions)

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        self._db.close()

    def __enter__(self) -> CacheStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _entry(material: KeyMaterial, response: Mapping[str, Any], input_id: str) -> dict[str, Any]:
    return {
        "response": dict(response),
        "input_id": input_id,
        "created": time.time(),
        "generation_key": material.generation_key,
    }
