"""Refinement of a Tree of Preferences for load balance (ToP-Rec appendix A.2; methods.md §1.2 S4,
§1.5 item 3): merge under-loaded sibling leaves, split an over-loaded leaf, plus the two structural
clean-ups the official code performs (a merge of *all* children turns the parent into a leaf; empty
leaves are pruned).

Every operation validates its arguments before touching the tree (a refused operation leaves the
tree unchanged), creates new nodes with fresh ids, and re-checks every invariant afterwards.

Decisions:
- ``merge`` takes a *proper* subset (>= 2) of a parent's leaf children. Merging all of them would
  leave a single-child chain, so it is refused with a pointer to ``collapse(parent)``, which turns
  the parent into a leaf holding all the items (no LLM call needed: the parent's name already
  describes the union).
- ``split`` re-assigns the leaf's items through an ``assignment`` map item -> child index (the
  answer of the re-assignment calls, which are asked with the child *index*, so they can run
  before the split). Without a map the items become *pending*: they belong to no leaf until the
  caller assigns them (``tree.assign``); ``prune_empty_leaves`` refuses to run while items are
  pending. A partial map is refused: silently pending items are how items get lost.
- Category roots (children of the super-root) are never merged or collapsed into each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from recloom.errors import TreeError
from recloom.graph.tree_check import SUPER_ROOT, normalise_name

if TYPE_CHECKING:
    from recloom.graph.tree import PreferenceTree


def merge(tree: PreferenceTree, leaf_ids: Sequence[int], name: str, description: str = "") -> int:
    """Replace sibling leaves by one new leaf named ``name`` holding the union of their items."""
    ids = [int(x) for x in leaf_ids]
    if len(ids) < 2 or len(set(ids)) != len(ids):
        raise TreeError(f"merge needs at least two distinct leaf ids, got {ids}")
    for lid in ids:
        tree._require_leaf(lid)
    parents = sorted({tree.parent(lid) for lid in ids})
    if len(parents) != 1:
        raise TreeError(f"merge: leaves {ids} are not siblings (parents {parents})")
    parent = parents[0]
    if parent == SUPER_ROOT:
        raise TreeError(f"merge: {ids} are category roots; categories are never merged")
    rest = [k for k in tree.children(parent) if k not in ids]
    if not rest:
        raise TreeError(f"merge: leaves {ids} are all the children of node {parent}; "
                        f"use collapse({parent}) to turn the parent into a leaf")
    _require_new_name(tree, parent, name, description, keep=rest)
    items = _take_items(tree, ids)
    new = _new_leaf(tree, parent, name, description, items)
    tree.check()
    return new


def split(
    tree: PreferenceTree,
    leaf_id: int,
    children: Sequence[tuple[str, str]],
    assignment: Mapping[object, int] | None = None,
) -> list[int]:
    """Replace leaf ``leaf_id`` by an internal node of the same name and description whose new leaf
    children are ``children`` (name, description) pairs; return the new leaf ids in order."""
    from recloom.graph.tree import as_item

    tree._require_leaf(leaf_id)
    if len(children) < 2:
        raise TreeError(f"split of leaf {leaf_id}: needs at least two children, got {len(children)}")
    names = [normalise_name(_checked_name(n, d, f"split of leaf {leaf_id}")) for n, d in children]
    if len(set(names)) != len(names):
        raise TreeError(f"split of leaf {leaf_id}: child names are not unique: {[n for n, _ in children]}")
    old_items = set(tree.items_of(leaf_id))
    target: dict[int, int] | None = None
    if assignment is not None:
        target = {as_item(k): int(v) for k, v in assignment.items()}
        _require_full_assignment(leaf_id, old_items, target, len(children))
    parent = tree.parent(leaf_id)
    name, description = tree.name(leaf_id), tree.description(leaf_id)
    _take_items(tree, [leaf_id])
    inner = tree._new_node(parent, name, description, leaf=False)
    new = [_new_leaf(tree, inner, n, d, set()) for n, d in children]
    if target is None:
        tree._pending |= old_items
    else:
        for item, idx in target.items():
            tree.assign(item, new[idx])
    tree.check()
    return new


def collapse(
    tree: PreferenceTree, node_id: int, name: str | None = None, description: str | None = None
) -> int:
    """Replace internal node ``node_id`` (all children leaves) by one new leaf holding all their
    items, named like the node unless ``name``/``description`` are given."""
    tree._require(node_id)
    if tree.is_leaf(node_id):
        raise TreeError(f"collapse: node {node_id} ({tree.name(node_id)!r}) is already a leaf")
    kids = tree.children(node_id)
    inner = [k for k in kids if not tree.is_leaf(k)]
    if inner:
        raise TreeError(f"collapse: children {inner} of node {node_id} are internal; collapse them first")
    parent = tree.parent(node_id)
    new_name = tree.name(node_id) if name is None else name
    new_desc = tree.description(node_id) if description is None else description
    others = [k for k in tree.children(parent) if k != node_id]
    _require_new_name(tree, parent, new_name, new_desc, keep=others)
    items = _take_items(tree, kids)
    tree._g.remove_node(node_id)
    new = _new_leaf(tree, parent, new_name, new_desc, items)
    tree.check()
    return new


def prune_empty_leaves(tree: PreferenceTree) -> list[int]:
    """Remove every empty leaf, then every internal node left without children (up to whole empty
    categories); return the removed ids, sorted."""
    if tree._pending:
        raise TreeError(f"prune_empty_leaves: items {sorted(tree._pending)[:10]} are pending; assign them "
                        "first (a freshly split leaf would otherwise be pruned with its items in limbo)")
    removed: list[int] = []
    frontier = [leaf for leaf in tree.leaves() if tree.load(leaf) == 0]
    while frontier:
        parents = {tree.parent(nid) for nid in frontier}
        tree._g.remove_nodes_from(frontier)
        removed.extend(frontier)
        frontier = sorted(p for p in parents if p != SUPER_ROOT and tree._g.out_degree(p) == 0)
    tree.check()
    return sorted(removed)


# ------------------------------------------------------------------------------------- helpers
def _checked_name(name: object, description: object, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TreeError(f"{where}: name must be a non-empty string, got {name!r}")
    if not isinstance(description, str):
        raise TreeError(f"{where}: description of {name!r} must be a string, got {description!r}")
    return name


def _require_new_name(tree: PreferenceTree, parent: int, name: object, description: object,
                      keep: Iterable[int]) -> None:
    checked = normalise_name(_checked_name(name, description, f"new child of node {parent}"))
    clash = [k for k in keep if normalise_name(tree.name(k)) == checked]
    if clash:
        raise TreeError(f"name {name!r} duplicates sibling {clash[0]} under node {parent}")


def _require_full_assignment(leaf_id: int, items: set[int], target: dict[int, int], n: int) -> None:
    missing = sorted(items - target.keys())
    extra = sorted(target.keys() - items)
    if missing or extra:
        raise TreeError(f"split of leaf {leaf_id}: assignment must cover exactly the leaf's items; "
                        f"missing {missing[:10]}, not in the leaf {extra[:10]}")
    bad = sorted(item for item, idx in target.items() if not 0 <= idx < n)
    if bad:
        raise TreeError(f"split of leaf {leaf_id}: items {bad[:10]} map to a child index outside 0..{n - 1}")


def _take_items(tree: PreferenceTree, leaves: Iterable[int]) -> set[int]:
    """Remove ``leaves`` from the tree and return their items (dropped from the item index)."""
    items: set[int] = set()
    for leaf in list(leaves):
        items |= tree._g.nodes[leaf]["items"]
        tree._g.remove_node(leaf)
    for item in items:
        del tree._item_leaf[item]
    return items


def _new_leaf(tree: PreferenceTree, parent: int, name: str, description: str, items: set[int]) -> int:
    leaf = tree._new_node(parent, name, description, leaf=True)
    tree._g.nodes[leaf]["items"] = set(items)
    for item in items:
        tree._item_leaf[item] = leaf
    return leaf
