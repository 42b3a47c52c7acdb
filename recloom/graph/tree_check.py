"""Invariants of the Tree of Preferences, checked on the raw graph after every structural mutation.

Kept apart from ``tree`` so that the editing and I/O modules can share it without import cycles.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from recloom.errors import TreeError

SUPER_ROOT = 0


def normalise_name(name: str) -> str:
    """The form in which sibling names must be unique (whitespace collapsed, case folded)."""
    return " ".join(name.split()).casefold()


def check_tree(g: nx.DiGraph, next_id: int, item_leaf: dict[int, int], pending: set[int]) -> None:
    """Raise TreeError naming the first broken invariant."""
    _check_shape(g, next_id)
    for nid in g.nodes:
        _check_node(g, nid)
    _check_items(g, item_leaf, pending)


def _check_shape(g: nx.DiGraph, next_id: int) -> None:
    if SUPER_ROOT not in g:
        raise TreeError("the super-root (node 0) is missing")
    if g.in_degree(SUPER_ROOT) != 0:
        raise TreeError("the super-root (node 0) has a parent")
    if not nx.is_arborescence(g):
        raise TreeError("the graph is not a tree under the super-root (a cycle, a node with two parents "
                        "or a detached node)")
    bad = [nid for nid in g.nodes if not isinstance(nid, int) or not 0 <= nid < next_id]
    if bad:
        raise TreeError(f"node ids {sorted(map(str, bad))} are not integers in 0..{next_id - 1}")


def _check_node(g: nx.DiGraph, nid: int) -> None:
    attrs = g.nodes[nid]
    kids = list(g.successors(nid))
    if nid != SUPER_ROOT:
        if not isinstance(attrs.get("name"), str) or not attrs["name"].strip():
            raise TreeError(f"node {nid} has an empty or missing name")
        if not isinstance(attrs.get("description"), str):
            raise TreeError(f"node {nid} ({attrs['name']!r}) has no description string")
        is_leaf = "items" in attrs
        if is_leaf and kids:
            raise TreeError(f"leaf {nid} ({attrs['name']!r}) has children {sorted(kids)}")
        if not is_leaf and not kids:
            raise TreeError(f"internal node {nid} ({attrs['name']!r}) has no children")
    elif "items" in attrs:
        raise TreeError("the super-root cannot hold items")
    names = Counter(normalise_name(g.nodes[k]["name"]) for k in kids)
    dupes = sorted(name for name, count in names.items() if count > 1)
    if dupes:
        raise TreeError(f"children of node {nid} share the names {dupes}")


def _check_items(g: nx.DiGraph, item_leaf: dict[int, int], pending: set[int]) -> None:
    seen: dict[int, int] = {}
    for nid, attrs in g.nodes(data=True):
        for item in attrs.get("items", ()):
            if item in seen:
                raise TreeError(f"item {item} is in two leaves: {seen[item]} and {nid}")
            seen[item] = nid
    if seen != item_leaf:
        wrong = sorted(set(seen.items()) ^ set(item_leaf.items()))[:5]
        raise TreeError(f"item index out of sync with the leaves (item, leaf): {wrong}")
    both = sorted(pending & seen.keys())
    if both:
        raise TreeError(f"items {both[:10]} are both pending and assigned")
