"""Tree of Preferences (ToP-Rec, "Tree of Preferences for Diversified Recommendation", NeurIPS 2025,
seed 000; methods.md §1): a forest of natural-language preference nodes refined coarse to fine, one
subtree per predefined category under an implicit super-root, with every item pre-assigned to one
leaf (Eq. 3).

Identity rules (what the LLM workflows and caches rely on):
- Every node has an integer id, unique in the tree and **never reused**: ids come from a counter that
  only grows. A node never changes kind, name or description: ``split`` replaces the leaf by a *new*
  internal node, ``collapse`` replaces an internal node by a *new* leaf. So an id seen once always
  means the same node, and a leaf keeps its id across every mutation that does not remove it.
- The super-root has id 0 and depth 0; category roots are its children (depth 1).
- An item (int) is in exactly one leaf, or *pending* (taken out of a split leaf, awaiting
  re-matching), never both.

Structural mutations (``add_subtree``, ``merge``, ``split``, ``collapse``, ``prune_empty_leaves``)
re-verify every invariant and raise :class:`~recloom.errors.TreeError`; item assignment checks only
what it touches (it runs once per item). Refinement lives in ``tree_edit``, distances in
``tree_distance``, JSON in ``tree_io``, prompt text in ``tree_render``, load balance in
``tree_balance``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from recloom.errors import TreeError
from recloom.graph import tree_distance, tree_edit
from recloom.graph.tree_check import SUPER_ROOT, check_tree, normalise_name

__all__ = ["SUPER_ROOT", "NodeSpec", "PreferenceTree", "as_item", "normalise_name"]


@dataclass(frozen=True)
class NodeSpec:
    """A node to build: a leaf when ``children`` is empty."""

    name: str
    description: str = ""
    children: tuple[NodeSpec, ...] = ()


def as_item(item: object) -> int:
    """An item id as a Python int (numpy ints accepted; floats, bools and strings rejected)."""
    if isinstance(item, bool):
        raise TreeError(f"item id must be an integer, got {item!r}")
    try:
        return operator.index(item)  # type: ignore[arg-type]
    except TypeError:
        raise TreeError(f"item id must be an integer, got {item!r}") from None


class PreferenceTree:
    """A forest of preference nodes on a ``networkx.DiGraph`` (edges parent -> child)."""

    def __init__(self) -> None:
        self._g: nx.DiGraph = nx.DiGraph()
        self._g.add_node(SUPER_ROOT, name="", description="")
        self._next_id = 1
        self._item_leaf: dict[int, int] = {}
        self._pending: set[int] = set()

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_specs(cls, roots: Iterable[NodeSpec]) -> PreferenceTree:
        """A forest with one subtree per spec; ids in DFS preorder from 1."""
        tree = cls()
        for spec in roots:
            tree.add_subtree(spec)
        return tree

    def add_subtree(self, spec: NodeSpec, parent: int = SUPER_ROOT) -> int:
        """Add ``spec`` under the super-root (a new category) and return its root id.

        ``parent`` may only be the super-root: hanging a subtree below an existing node would
        change that node's kind (a leaf) or alter a refined level; use ``split`` instead."""
        if parent != SUPER_ROOT:
            raise TreeError(f"add_subtree: subtrees go under the super-root, not under node {parent}")
        first = self._next_id
        try:
            root = self._add_spec(spec, parent)
            self.check()
        except TreeError:  # roll back: a refused subtree leaves the tree as it was
            self._g.remove_nodes_from([n for n in list(self._g) if n >= first])
            self._next_id = first
            raise
        return root

    def _add_spec(self, spec: NodeSpec, parent: int) -> int:
        nid = self._new_node(parent, spec.name, spec.description, leaf=not spec.children)
        for child in spec.children:
            self._add_spec(child, nid)
        return nid

    def _new_node(self, parent: int, name: str, description: str, *, leaf: bool) -> int:
        nid = self._next_id
        self._next_id += 1
        self._insert(nid, parent, name, description, leaf=leaf)
        return nid

    def _insert(self, nid: int, parent: int, name: str, description: str, *, leaf: bool) -> None:
        if not isinstance(name, str) or not name.strip():
            raise TreeError(f"node under {parent}: name must be a non-empty string, got {name!r}")
        if not isinstance(description, str):
            raise TreeError(f"node {name!r}: description must be a string, got {description!r}")
        if parent not in self._g:
            raise TreeError(f"node {name!r}: unknown parent id {parent}")
        self._g.add_node(nid, name=name, description=description)
        if leaf:
            self._g.nodes[nid]["items"] = set()
        self._g.add_edge(parent, nid)

    # ----------------------------------------------------------------- structure queries
    def __contains__(self, nid: object) -> bool:
        return nid in self._g and nid != SUPER_ROOT

    def __len__(self) -> int:
        """Number of nodes, the super-root excluded."""
        return self._g.number_of_nodes() - 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PreferenceTree):
            return NotImplemented
        from recloom.graph.tree_io import tree_to_dict

        return tree_to_dict(self) == tree_to_dict(other)

    __hash__ = None  # type: ignore[assignment]

    @property
    def graph(self) -> nx.DiGraph:
        """A read-only view of the underlying graph (node 0 is the super-root)."""
        return self._g.copy(as_view=True)

    @property
    def next_id(self) -> int:
        """The id the next new node will get (every id below it has been used)."""
        return self._next_id

    def _require(self, nid: int) -> None:
        if nid not in self:
            raise TreeError(f"unknown node id {nid!r}")

    def _require_leaf(self, nid: int) -> None:
        self._require(nid)
        if "items" not in self._g.nodes[nid]:
            raise TreeError(f"node {nid} ({self.name(nid)!r}) is not a leaf")

    def name(self, nid: int) -> str:
        self._require(nid)
        return str(self._g.nodes[nid]["name"])

    def description(self, nid: int) -> str:
        self._require(nid)
        return str(self._g.nodes[nid]["description"])

    def is_leaf(self, nid: int) -> bool:
        self._require(nid)
        return "items" in self._g.nodes[nid]

    def children(self, nid: int = SUPER_ROOT) -> list[int]:
        """Children in id order (creation order; deterministic)."""
        if nid != SUPER_ROOT:
            self._require(nid)
        return sorted(self._g.successors(nid))

    def parent(self, nid: int) -> int:
        self._require(nid)
        return next(iter(self._g.predecessors(nid)))

    @property
    def roots(self) -> list[int]:
        """The category roots (children of the super-root)."""
        return self.children(SUPER_ROOT)

    def nodes(self, root: int = SUPER_ROOT) -> Iterator[int]:
        """Nodes of the subtree at ``root`` in DFS preorder (the super-root itself excluded)."""
        stack = [root] if root != SUPER_ROOT else list(reversed(self.roots))
        while stack:
            nid = stack.pop()
            yield nid
            stack.extend(reversed(self.children(nid)))

    def leaves(self, root: int = SUPER_ROOT) -> list[int]:
        """Leaf ids in DFS order."""
        return [nid for nid in self.nodes(root) if "items" in self._g.nodes[nid]]

    def depth(self, nid: int) -> int:
        """Edges from the super-root: category roots have depth 1."""
        return len(self.path(nid))

    def max_depth(self) -> int:
        return max((self.depth(leaf) for leaf in self.leaves()), default=0)

    def path(self, nid: int) -> list[int]:
        """Ids from the category root down to ``nid`` (super-root excluded)."""
        self._require(nid)
        out = [nid]
        while (up := self.parent(out[-1])) != SUPER_ROOT:
            out.append(up)
        return out[::-1]

    def path_names(self, nid: int, sep: str = " > ") -> str:
        return sep.join(self.name(n) for n in self.path(nid))

    def category_of(self, nid: int) -> int:
        """The category root above ``nid``."""
        return self.path(nid)[0]

    def lca(self, a: int, b: int) -> int:
        """Lowest common ancestor (0, the super-root, across categories)."""
        return tree_distance.lca(self, a, b)

    def tree_distance(self, a: int, b: int) -> float:
        """``1 − depth(LCA)/max(depth(a), depth(b))`` between two nodes (see ``tree_distance``)."""
        return tree_distance.node_distance(self, a, b)

    def item_distance(self, i: object, j: object) -> float:
        """Tree distance between the leaves of two assigned items."""
        return tree_distance.item_distance(self, i, j)

    # ----------------------------------------------------------------- items
    def assign(self, item: object, leaf: int, *, move: bool = False) -> None:
        """Put ``item`` into ``leaf``. A pending or new item is accepted; an item already in
        another leaf only with ``move=True``."""
        it = as_item(item)
        self._require_leaf(leaf)
        old = self._item_leaf.get(it)
        if old is not None and old != leaf:
            if not move:
                raise TreeError(f"item {it} is already in leaf {old}; pass move=True to move it to {leaf}")
            self._g.nodes[old]["items"].discard(it)
        self._pending.discard(it)
        self._g.nodes[leaf]["items"].add(it)
        self._item_leaf[it] = leaf

    def assign_many(self, item_leaf: Mapping[object, int], *, move: bool = False) -> None:
        for item, leaf in item_leaf.items():
            self.assign(item, leaf, move=move)

    def leaf_of(self, item: object) -> int:
        it = as_item(item)
        if it not in self._item_leaf:
            state = "pending re-matching" if it in self._pending else "not assigned"
            raise TreeError(f"item {it} is {state}")
        return self._item_leaf[it]

    def items_of(self, leaf: int) -> list[int]:
        self._require_leaf(leaf)
        return sorted(self._g.nodes[leaf]["items"])

    def load(self, leaf: int) -> int:
        self._require_leaf(leaf)
        return len(self._g.nodes[leaf]["items"])

    def loads(self) -> dict[int, int]:
        return {leaf: len(self._g.nodes[leaf]["items"]) for leaf in self.leaves()}

    def mean_load(self) -> float:
        loads = self.loads()
        return sum(loads.values()) / len(loads) if loads else 0.0

    @property
    def items(self) -> list[int]:
        """Assigned items, sorted."""
        return sorted(self._item_leaf)

    @property
    def pending(self) -> list[int]:
        """Items taken out of a split leaf and not yet re-assigned, sorted."""
        return sorted(self._pending)

    def item_leaf_array(self, n_items: int, fill: int = -1) -> np.ndarray:
        """``int64[n_items]`` leaf id per item, ``fill`` for unassigned items."""
        out = np.full(n_items, fill, dtype=np.int64)
        for it, leaf in self._item_leaf.items():
            if not 0 <= it < n_items:
                raise TreeError(f"item {it} is outside 0..{n_items - 1}")
            out[it] = leaf
        return out

    # ----------------------------------------------------------------- refinement
    def merge(self, leaf_ids: Sequence[int], name: str, description: str = "") -> int:
        """Merge sibling leaves into one new leaf (their items move to it); see ``tree_edit``."""
        return tree_edit.merge(self, leaf_ids, name, description)

    def split(
        self,
        leaf_id: int,
        children: Sequence[tuple[str, str]],
        assignment: Mapping[object, int] | None = None,
    ) -> list[int]:
        """Turn a leaf into an internal node with new leaf children; see ``tree_edit``."""
        return tree_edit.split(self, leaf_id, children, assignment)

    def collapse(self, node_id: int, name: str | None = None, description: str | None = None) -> int:
        """Replace an internal node whose children are all leaves by one leaf; see ``tree_edit``."""
        return tree_edit.collapse(self, node_id, name, description)

    def prune_empty_leaves(self) -> list[int]:
        """Remove empty leaves (and internal nodes left childless); see ``tree_edit``."""
        return tree_edit.prune_empty_leaves(self)

    def copy(self) -> PreferenceTree:
        other = PreferenceTree()
        other._g = self._g.copy()
        for nid in other.leaves():
            other._g.nodes[nid]["items"] = set(self._g.nodes[nid]["items"])
        other._next_id = self._next_id
        other._item_leaf = dict(self._item_leaf)
        other._pending = set(self._pending)
        return other

    # ----------------------------------------------------------------- invariants
    def check(self) -> None:
        """Raise TreeError unless every invariant of the module docstring holds."""
        check_tree(self._g, self._next_id, self._item_leaf, self._pending)
