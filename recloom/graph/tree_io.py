"""JSON form of a Tree of Preferences: stable (same tree, same bytes) and versioned.

Format (version 1)::

    {"format": "recloom.preference_tree", "version": 1, "next_id": 17,
     "nodes": [{"id": 1, "parent": 0, "name": "...", "description": "..."},            # internal
               {"id": 2, "parent": 1, "name": "...", "description": "...", "items": [3, 9]},  # leaf
               ...],                                                          # DFS preorder
     "pending": [5]}

``next_id`` is saved so that ids are never reused after a reload; a leaf always has ``items`` (maybe
empty), an internal node never does; items and pending are sorted. ``fingerprint`` hashes the
canonical JSON (optionally without the item assignment) for cache keys.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from recloom.errors import ArtifactError, TreeError
from recloom.graph.tree import PreferenceTree, as_item

FORMAT = "recloom.preference_tree"
VERSION = 1


def tree_to_dict(tree: PreferenceTree) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    for nid in tree.nodes():
        row: dict[str, Any] = {"id": nid, "parent": tree.parent(nid), "name": tree.name(nid),
                               "description": tree.description(nid)}
        if tree.is_leaf(nid):
            row["items"] = tree.items_of(nid)
        nodes.append(row)
    return {"format": FORMAT, "version": VERSION, "next_id": tree.next_id, "nodes": nodes,
            "pending": tree.pending}


def tree_from_dict(data: object, *, source: str = "<tree dict>") -> PreferenceTree:
    """Rebuild a tree; ArtifactError naming ``source`` and the node row when anything is off."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArtifactError(f"{source}: not a preference tree (expected format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise ArtifactError(f"{source}: preference tree version {data.get('version')!r} is not supported "
                            f"(this recloom reads version {VERSION})")
    tree = PreferenceTree()
    try:
        rows = _list(data, "nodes", source)
        for pos, row in enumerate(rows):
            _restore_node(tree, row, f"{source}: nodes[{pos}]")
        next_id = data.get("next_id")
        if not isinstance(next_id, int) or next_id < tree.next_id:
            raise ArtifactError(f"{source}: next_id {next_id!r} must be an integer above every node id")
        tree._next_id = next_id
        pending = {as_item(x) for x in _list(data, "pending", source)}
        tree._pending = pending
        tree.check()
    except TreeError as exc:
        raise ArtifactError(f"{source}: {exc}") from exc
    return tree


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise ArtifactError(f"{source}: {key!r} must be a list")
    return value


def _restore_node(tree: PreferenceTree, row: object, where: str) -> None:
    if not isinstance(row, dict):
        raise ArtifactError(f"{where}: not an object")
    nid, parent = row.get("id"), row.get("parent")
    if not isinstance(nid, int) or isinstance(nid, bool) or nid <= 0 or nid in tree._g:
        raise ArtifactError(f"{where}: id {nid!r} must be a new positive integer")
    if not isinstance(parent, int) or parent not in tree._g:
        raise ArtifactError(f"{where}: parent {parent!r} is not an earlier node (nodes are in preorder)")
    if parent != 0 and tree.is_leaf(parent):
        raise ArtifactError(f"{where}: parent {parent} is a leaf (it has items)")
    items = row.get("items")
    tree._insert(nid, parent, row.get("name"), row.get("description"), leaf=items is not None)  # type: ignore[arg-type]
    tree._next_id = max(tree._next_id, nid + 1)
    if items is not None:
        if not isinstance(items, list):
            raise ArtifactError(f"{where}: items must be a list")
        for item in items:
            it = as_item(item)
            if it in tree._item_leaf:
                raise ArtifactError(f"{where}: item {it} is already in leaf {tree._item_leaf[it]}")
            tree.assign(it, nid)


def dumps(tree: PreferenceTree) -> str:
    """Canonical JSON text (sorted keys, no spaces): equal trees give equal strings."""
    return json.dumps(tree_to_dict(tree), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str, *, source: str = "<tree json>") -> PreferenceTree:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{source}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    return tree_from_dict(data, source=source)


def save(tree: PreferenceTree, path: str | Path) -> None:
    """Write the canonical JSON (one line) plus a newline, atomically."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(dumps(tree) + "\n", encoding="utf-8")
    tmp.replace(target)


def load(path: str | Path) -> PreferenceTree:
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ArtifactError(f"{target}: cannot read the preference tree ({exc.strerror})") from exc
    return loads(text, source=str(target))


def fingerprint(tree: PreferenceTree, *, include_items: bool = False) -> str:
    """sha256 hex of the canonical JSON; without items by default (the structure is what prompts
    show, so item-matching caches stay valid while items are being assigned)."""
    data = tree_to_dict(tree)
    if not include_items:
        data["nodes"] = [{k: v for k, v in row.items() if k != "items"} | {"leaf": "items" in row}
                         for row in data["nodes"]]
        data.pop("pending")
        data.pop("next_id")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
