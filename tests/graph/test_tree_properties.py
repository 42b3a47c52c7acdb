"""Random merge / split / collapse / prune / assign sequences keep every invariant of the tree,
checked here independently of ``PreferenceTree.check`` (networkx + plain sets)."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recloom.graph.tree import SUPER_ROOT, NodeSpec, PreferenceTree
from recloom.graph.tree_io import dumps, loads


@st.composite
def specs(draw: st.DrawFn, depth: int = 0, prefix: str = "n") -> NodeSpec:
    n_kids = 0 if depth >= 3 else draw(st.integers(0 if depth else 2, 4))
    kids = tuple(draw(specs(depth + 1, f"{prefix}.{k}")) for k in range(n_kids))
    return NodeSpec(prefix, f"about {prefix}", kids)


class Shadow:
    """What the test expects, tracked without the tree's own bookkeeping."""

    def __init__(self, tree: PreferenceTree) -> None:
        self.universe: set[int] = set(tree.items)
        self.seen: dict[int, tuple[str, bool]] = {n: (tree.name(n), tree.is_leaf(n)) for n in tree.nodes()}
        self.max_id = max(self.seen, default=0)

    def verify(self, tree: PreferenceTree, touched: set[int], before: dict[int, list[int]]) -> None:
        g = tree.graph
        assert nx.is_arborescence(g) and g.in_degree(SUPER_ROOT) == 0
        leaves = [n for n in g.nodes if n != SUPER_ROOT and g.out_degree(n) == 0]
        assert sorted(leaves) == sorted(tree.leaves())
        bags = [tree.items_of(leaf) for leaf in leaves]
        flat = [item for bag in bags for item in bag]
        assert len(flat) == len(set(flat)), "an item is in two leaves"
        assert set(flat).isdisjoint(tree.pending)
        assert set(flat) | set(tree.pending) == self.universe, "items were lost or invented"
        for nid in tree.nodes():
            key = (tree.name(nid), tree.is_leaf(nid))
            if nid in self.seen:
                assert self.seen[nid] == key, f"id {nid} changed meaning"
            else:
                assert nid > self.max_id, f"id {nid} reused"
                self.seen[nid] = key
        self.max_id = max(self.max_id, tree.next_id - 1)
        for leaf, items in before.items():
            if leaf not in touched:
                assert leaf in tree and tree.items_of(leaf) == items, f"unrelated leaf {leaf} changed"
        assert loads(dumps(tree)) == tree


def do_merge(data: st.DataObject, t: PreferenceTree, fresh: str) -> set[int] | None:
    options = [p for p in t.nodes() if not t.is_leaf(p)
               and sum(t.is_leaf(k) for k in t.children(p)) >= 2 and len(t.children(p)) >= 3]
    if not options:
        return None
    parent = data.draw(st.sampled_from(options))
    leafs = [k for k in t.children(parent) if t.is_leaf(k)]
    cap = min(len(leafs), len(t.children(parent)) - 1)
    group = data.draw(st.lists(st.sampled_from(leafs), min_size=2, max_size=cap, unique=True))
    t.merge(group, fresh)
    return set(group)


def do_split(data: st.DataObject, t: PreferenceTree, fresh: str) -> set[int]:
    leaf = data.draw(st.sampled_from(t.leaves()))
    k = data.draw(st.integers(2, 3))
    kids = [(f"{fresh}.{i}", "") for i in range(k)]
    items = t.items_of(leaf)
    if data.draw(st.booleans()):
        t.split(leaf, kids, {item: data.draw(st.integers(0, k - 1)) for item in items})
    else:
        t.split(leaf, kids)
    return {leaf}


def do_collapse(data: st.DataObject, t: PreferenceTree, fresh: str) -> set[int] | None:
    options = [n for n in t.nodes() if not t.is_leaf(n) and all(t.is_leaf(k) for k in t.children(n))]
    if not options:
        return None
    node = data.draw(st.sampled_from(options))
    touched = set(t.children(node))
    t.collapse(node, name=fresh)
    return touched


def do_assign(data: st.DataObject, t: PreferenceTree, shadow: Shadow) -> set[int]:
    leaves = t.leaves()
    touched: set[int] = set()
    first_new = max(shadow.universe, default=-1) + 1
    for item in t.pending + [first_new + i for i in range(data.draw(st.integers(0, 5)))]:
        leaf = data.draw(st.sampled_from(leaves))
        t.assign(item, leaf)
        shadow.universe.add(item)
        touched.add(leaf)
    return touched


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roots=st.lists(specs(), min_size=1, max_size=3), data=st.data())
def test_random_refinement_sequences_keep_the_invariants(roots: list[NodeSpec], data: st.DataObject) -> None:
    roots = [NodeSpec(f"{r.name}{i}", r.description, r.children) for i, r in enumerate(roots)]
    t = PreferenceTree.from_specs(roots)
    for item in range(data.draw(st.integers(0, 30))):
        t.assign(item, data.draw(st.sampled_from(t.leaves())))
    shadow = Shadow(t)
    shadow.verify(t, set(), {})
    for step in range(data.draw(st.integers(1, 12))):
        before = {leaf: t.items_of(leaf) for leaf in t.leaves()}
        op = data.draw(st.sampled_from(["merge", "split", "collapse", "assign", "prune"]))
        fresh = f"op{step}"
        touched: set[int] | None
        if op == "merge":
            touched = do_merge(data, t, fresh)
        elif op == "split":
            touched = do_split(data, t, fresh)
        elif op == "collapse":
            touched = do_collapse(data, t, fresh)
        elif op == "assign":
            touched = do_assign(data, t, shadow)
        elif t.pending or all(t.load(leaf) == 0 for leaf in t.leaves()):
            touched = None  # pruning is refused while items are pending; an empty forest is useless
        else:
            touched = {leaf for leaf in t.leaves() if t.load(leaf) == 0}
            removed = t.prune_empty_leaves()
            assert set(removed) >= touched and all(t.load(leaf) > 0 for leaf in t.leaves())
        shadow.verify(t, touched or set(), before)
