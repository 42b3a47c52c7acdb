"""The disk store: round trips, miss explanations, export/import, prune, stats, and four processes
writing one directory without losing anything."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest

from recloom.cache import CacheStore, KeyMaterial
from recloom.cache.fs import filesystem_type, is_network_filesystem
from recloom.errors import CacheError


def material(i: int, *, task: str = "t", version: str = "v1", temperature: float = 0.0) -> KeyMaterial:
    return KeyMaterial(
        "openai",
        "m",
        task,
        version,
        "s" * 64,
        (("system", "S"), ("user", f"item {i}")),
        {"temperature": temperature, "max_tokens": 10},
        {},
    )


def response(i: int) -> dict:
    return {"text": json.dumps({"n": i}), "finish_reason": "stop", "usage": {"prompt_tokens": 3}}


def test_put_get_record_and_keys_for(tmp_path: Path):
    with CacheStore(tmp_path) as store:
        key = store.put(material(1), response(1), input_id="a", schema={"type": "object"})
        assert store.get(key)["response"] == response(1) and store.get(key)["input_id"] == "a"
        assert store.record(key)["material"] == material(1).as_dict()
        assert store.keys_for("t", "a") == [key] and store.keys_for("t", "b") == []
        assert store.schema("s" * 64) == {"type": "object"} and len(store) == 1
        assert store.get("0" * 64) is None


def test_explain_miss_picks_the_nearest_entry_of_the_same_input(tmp_path: Path):
    with CacheStore(tmp_path) as store:
        store.put(material(1, version="v1", temperature=0.9), response(1), input_id="a")
        store.put(material(1, version="v2", temperature=0.3), response(1), input_id="a")
        text = store.explain_miss(material(1, version="v2"), "a")
        assert "task 't' input 'a'" in text and "sampling.temperature: wanted 0.0, stored 0.3" in text
        assert "task_version" not in text  # the v2 entry differs in one field only: it is the nearest
        assert "no entry for this task and input" in store.explain_miss(material(9), "zz")


def test_export_import_round_trip_and_tamper_detection(tmp_path: Path):
    with CacheStore(tmp_path / "a") as a:
        for i in range(5):
            a.put(material(i), response(i), input_id=str(i), schema={"type": "object"})
        assert a.export(tmp_path / "x.jsonl") == 5
    with CacheStore(tmp_path / "b") as b:
        assert b.import_file(tmp_path / "x.jsonl") == 5
        assert b.import_file(tmp_path / "x.jsonl") == 0  # idempotent
        assert b.get(material(3).key)["response"] == response(3) and b.keys_for("t", "3") == [material(3).key]
        assert b.schema("s" * 64) == {"type": "object"}
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    entry = json.loads(lines[0])
    entry["entry"]["material"]["model"] = "other"
    (tmp_path / "bad.jsonl").write_text(json.dumps(entry) + "\n")
    with (
        CacheStore(tmp_path / "c") as c,
        pytest.raises(CacheError, match=r"bad.jsonl:1: key .* does not match"),
    ):
        c.import_file(tmp_path / "bad.jsonl")


def test_prune_by_task_version_and_age(tmp_path: Path):
    with CacheStore(tmp_path) as store:
        for i in range(3):
            store.put(material(i, version="old"), response(i), input_id=str(i))
            store.put(material(i, version="new"), response(i), input_id=str(i))
        store.put(material(0, task="other"), response(0), input_id="0")
        assert store.prune(keep_versions={"t": "new"}) == 3
        assert store.stats()["by_task"] == {"t@new": 3, "other@v1": 1}
        assert store.prune(older_than_s=3600) == 0
        assert store.prune(task="other") == 1 and len(store) == 3
        assert store.keys_for("t", "0") == [material(0, version="new").key]


def test_find_by_key_prefix(tmp_path: Path):
    with CacheStore(tmp_path) as store:
        key = store.put(material(1), response(1), input_id="a")
        assert store.find(key[:10])["key"] == key
        with pytest.raises(CacheError, match="too short"):
            store.find(key[:4])


def _writer(directory: str, worker: int, n: int, shared: int) -> None:
    with CacheStore(directory) as store:
        for i in range(n):
            store.put(material(worker * 1000 + i), response(i), input_id=f"w{worker}-{i}")
        for i in range(shared):  # the same entries written by every process
            store.put(material(10**6 + i), response(i), input_id=f"s{i}")


def test_four_processes_writing_one_cache_lose_nothing(tmp_path: Path):
    n, shared = 120, 30
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, n, shared)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with CacheStore(tmp_path) as store:
        assert len(store) == 4 * n + shared
        for w in range(4):
            for i in range(n):
                assert store.get(material(w * 1000 + i).key)["input_id"] == f"w{w}-{i}"
        assert all(len(store.keys_for("t", f"s{i}")) == 1 for i in range(shared))


def test_network_filesystem_detection(tmp_path: Path):
    mounts = tmp_path / "mounts"
    mounts.write_text("server:/export /data nfs4 rw 0 0\n/dev/sda1 / ext4 rw 0 0\n")
    assert filesystem_type("/data/cache", str(mounts)) == "nfs4" and is_network_filesystem(
        "/data/x", str(mounts)
    )
    assert filesystem_type("/home/u", str(mounts)) == "ext4" and not is_network_filesystem(
        "/home", str(mounts)
    )


def test_put_later_is_visible_at_once_and_durable_after_flush(tmp_path: Path):
    store = CacheStore(tmp_path)
    keys = [
        store.put_later(material(i), response(i), input_id=str(i), schema={"type": "object"})
        for i in range(300)
    ]
    assert all(store.get(k) is not None for k in keys)  # read-your-writes before the commit
    store.flush()
    with CacheStore(tmp_path) as other:  # another handle sees the committed entries
        assert len(other) == 300 and other.keys_for("t", "7") == [material(7).key]
    store.put_later(material(999), response(999), input_id="last")
    store.close()  # close flushes
    with CacheStore(tmp_path) as other:
        assert other.get(material(999).key)["input_id"] == "last"


def test_get_many_reads_committed_and_pending_entries(tmp_path: Path):
    with CacheStore(tmp_path) as store:
        committed = [store.put(material(i), response(i), input_id=str(i)) for i in range(700)]
        pending = store.put_later(material(5000), response(5000), input_id="p")
        found = store.get_many([*committed, pending, "0" * 64])
        assert len(found) == 701 and found[committed[650]]["response"] == response(650)
        assert found[pending]["input_id"] == "p" and "0" * 64 not in found
