"""Row layout of the cache database (shared by the store and its maintenance functions).

An entry row is ``'<entry JSON>\n<key material JSON>'``; ``entry_of`` parses the first part, the one
every hit reads. Rows are parsed with pydantic-core's JSON parser (jiter; 3-4x faster than
``json.loads`` on an entry); text it refuses goes to ``json.loads``, which decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import from_json

# diskcache's row for a str key (raw = 1) holding a str value inline (mode 1 = raw, size 0), no
# expiry: what ``Cache.set`` writes for every recloom row. An existing key is updated in place, so
# diskcache's count/size triggers stay right. Rows never hold files (values are far below
# ``disk_min_file_size``), so there is no old file to clean up.
_UPSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag, size, mode,"
    " filename, value) VALUES (?, 1, ?, NULL, ?, 0, ?, 0, 1, NULL, ?)"
    " ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = NULL,"
    " access_time = excluded.access_time, access_count = 0, tag = excluded.tag, size = 0, mode = 1,"
    " filename = NULL, value = excluded.value"
)

SCHEMA_PREFIX = "schema\x1f"  # schema sha256 -> schema JSON
GEN_PREFIX = "gen\x1f"  # generation key -> key


def tag(task: str, input_id: str) -> str:
    """The indexed diskcache tag of an entry: which task and input it answers."""
    return f"{task}\x1f{input_id}"


def loads(text: str) -> Any:
    """``json.loads(text)``, parsed by jiter when it can (the same values: NaN and big ints too)."""
    try:
        return from_json(text, cache_strings=False)
    except ValueError:
        return json.loads(text)


def entry_of(row: str) -> dict[str, Any]:
    """The entry (``response``, ``input_id``, ``created``, ...) of a stored row."""
    return loads(row[: row.index("\n")])


def material_of(row: str) -> dict[str, Any]:
    """The key material (key manifest) of a stored row."""
    return loads(row[row.index("\n") + 1 :])


def entry_rows(
    key: str, entry: Mapping[str, Any], material: Mapping[str, Any]
) -> list[tuple[str, str, str | None]]:
    """The ``(key, value, tag)`` rows of one entry: the entry (tagged with its task and input) and
    the link from its generation key."""
    value = json.dumps(entry, ensure_ascii=False) + "\n" + json.dumps(material, ensure_ascii=False)
    rows: list[tuple[str, str, str | None]] = [
        (key, value, tag(str(material["task"]), str(entry["input_id"])))
    ]
    if entry.get("generation_key"):
        rows.append((GEN_PREFIX + str(entry["generation_key"]), key, None))
    return rows


def write_rows(db: Any, rows: list[tuple[str, str, str | None]], now: float) -> None:
    """Store ``(key, value, tag)`` rows with one ``executemany``, as ``Cache.set`` would row by row
    (6 statements each). Call it inside ``db.transact()``."""
    db._con.executemany(_UPSERT, [(key, now, now, tag_, value) for key, value, tag_ in rows])
