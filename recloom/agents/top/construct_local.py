"""Local (non-LLM) solver of the construction task: deterministic hierarchical clustering of the
sampled items' MiniLM embeddings (Ward agglomerative clustering, scikit-learn), labelled with
distinctive words (TF-IDF over the item texts of sibling clusters).

Plan: about one leaf per 7 sampled items (within the requested leaf bounds); 3–5 top-level
clusters, each split into 2–5 leaves in proportion to its size; if that gives too few leaves,
parents get more children (up to ``max_children``), then the largest leaves are split in two one
level deeper (up to ``max_depth``). Leaf descriptions list the cluster's keywords and two example
items, so a leaf's text embedding stands for its sampled members. A labelled non-LLM baseline: it
knows nothing a language model would know about what users prefer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recloom.agents.top.construct_task import ConstructInput, ConstructOutput, TreeNode
from recloom.agents.top.embedding import embedder_for
from recloom.agents.top.keywords import distinctive_words, example_text, label, tokens, unique_labels
from recloom.prompts.solver import local_solver

CRITERIA = (
    "semantic similarity of the item texts (MiniLM embeddings, Ward clustering); named by distinctive words"
)
ITEMS_PER_LEAF = 7


@dataclass
class _Cluster:
    rows: list[int]
    children: list[_Cluster] = field(default_factory=list)


def split_rows(rows: Sequence[int], vectors: np.ndarray, k: int) -> list[list[int]]:
    """``rows`` in ``k`` Ward clusters (k ≤ len(rows)), ordered by their smallest row."""
    rows = list(rows)
    if k >= len(rows):
        return [[r] for r in rows]
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(vectors[rows])
    groups = [[r for r, lab in zip(rows, labels, strict=True) if lab == j] for j in range(k)]
    return sorted(groups, key=min)


def _leaves(node: _Cluster) -> list[_Cluster]:
    return [node] if not node.children else [leaf for c in node.children for leaf in _leaves(c)]


def _depth(node: _Cluster) -> int:
    return 1 + max((_depth(c) for c in node.children), default=0)


def plan_tree(vectors: np.ndarray, inp: ConstructInput) -> _Cluster:
    """The cluster hierarchy for ``inp``'s constraints (see the module docstring): the preferred
    top-level width first, narrower ones if its plan misses a bound."""
    n = len(vectors)
    hi = min(5, inp.max_children)
    target = int(np.clip(round(n / ITEMS_PER_LEAF), inp.min_leaves, inp.max_leaves))
    first = min(max(3, round(target**0.5)), hi, n, inp.max_leaves)
    plan = _Cluster(list(range(n)))
    for k1 in range(first, 1, -1):
        plan = _plan(vectors, inp, k1, target)
        leaves, depth = len(_leaves(plan)), _depth(plan)
        if inp.min_leaves <= leaves <= inp.max_leaves and inp.min_depth <= depth <= inp.max_depth:
            break
    return plan


def _plan(vectors: np.ndarray, inp: ConstructInput, k1: int, target: int) -> _Cluster:
    n = len(vectors)
    hi = min(5, inp.max_children)
    root = _Cluster(list(range(n)))
    for rows in split_rows(root.rows, vectors, k1):
        child = _Cluster(rows)
        k2 = min(int(np.clip(round(target * len(rows) / n), 2, hi)), len(rows))
        if inp.max_depth >= 3 and k2 >= 2 and (inp.min_depth >= 3 or len(rows) >= 2 * ITEMS_PER_LEAF):
            child.children = [_Cluster(r) for r in split_rows(rows, vectors, k2)]
        root.children.append(child)
    _widen(root, vectors, inp)
    _deepen(root, vectors, inp)
    _narrow(root, vectors, inp)
    _deepen(root, vectors, inp)
    return root


def _widen(root: _Cluster, vectors: np.ndarray, inp: ConstructInput) -> None:
    """Give parents of leaves more children while there are too few leaves."""
    while len(_leaves(root)) < inp.min_leaves:
        parents = [
            c for c in root.children if c.children and len(c.children) < min(len(c.rows), inp.max_children)
        ]
        if not parents:
            return
        parent = max(parents, key=lambda c: (len(c.rows) / len(c.children), -min(c.rows)))
        parent.children = [_Cluster(r) for r in split_rows(parent.rows, vectors, len(parent.children) + 1)]


def _deepen(root: _Cluster, vectors: np.ndarray, inp: ConstructInput) -> None:
    """Split the largest leaves in two (one level deeper) while there are too few leaves or the
    tree is shallower than ``min_depth``."""
    while len(_leaves(root)) < inp.min_leaves or (
        _depth(root) < inp.min_depth and len(_leaves(root)) < inp.max_leaves
    ):
        options = [
            leaf for leaf in _leaves(root) if len(leaf.rows) >= 2 and _level(root, leaf) < inp.max_depth
        ]
        if not options:
            return
        leaf = max(options, key=lambda c: (len(c.rows), -min(c.rows)))
        leaf.children = [_Cluster(r) for r in split_rows(leaf.rows, vectors, 2)]


def _narrow(root: _Cluster, vectors: np.ndarray, inp: ConstructInput) -> None:
    """Take one child from the widest parent of leaves while there are too many leaves; a parent
    with two leaf children becomes a leaf only when no parent has more (the root keeps two)."""
    while len(_leaves(root)) > inp.max_leaves:
        parents = [c for c in _internal(root) if all(not k.children for k in c.children)]
        wide = [c for c in parents if len(c.children) > 2]
        pool = wide or [c for c in parents if c is not root]
        if not pool:
            return
        parent = max(pool, key=lambda c: (len(c.children), -min(c.rows)))
        k = len(parent.children) - 1
        parent.children = [] if k < 2 else [_Cluster(r) for r in split_rows(parent.rows, vectors, k)]


def _internal(node: _Cluster) -> list[_Cluster]:
    return [] if not node.children else [node, *(n for c in node.children for n in _internal(c))]


def _level(root: _Cluster, target: _Cluster, level: int = 1) -> int:
    if root is target:
        return level
    for c in root.children:
        found = _level(c, target, level + 1)
        if found:
            return found
    return 0


def _name_children(node: _Cluster, texts: Sequence[str], ancestors: Sequence[str]) -> TreeNode:
    """The labelled subtree below ``node``; labels skip words of the ``ancestors``' names."""
    groups = [[texts[r] for r in c.rows] for c in node.children]
    banned = [w for a in ancestors for w in tokens(a)]
    words = distinctive_words(groups, top=3, exclude=banned)
    names = unique_labels([label(w, f"Group {k + 1}") for k, w in enumerate(words)])
    kids = []
    for child, name, w in zip(node.children, names, words, strict=True):
        sub = _name_children(child, texts, [*ancestors, name]) if child.children else None
        examples = "; ".join(example_text(texts[r]) for r in child.rows[:2])
        description = f"keywords: {', '.join(w) or 'none'}; e.g. {examples}"
        kids.append(
            TreeNode(
                name=name,
                description=description,
                criteria=CRITERIA if sub else "",
                sub_branches=sub.sub_branches if sub else [],
            )
        )
    return TreeNode(name="_", criteria=CRITERIA, sub_branches=kids)


@local_solver("top.construct.agglomerative", "1")
def cluster_tree(inp: ConstructInput, context: Mapping[str, Any]) -> ConstructOutput:
    texts = [it.text for it in inp.items]
    vectors = embedder_for(context)(texts)
    plan = plan_tree(vectors, inp)
    root_name = inp.category or "Items"
    named = _name_children(plan, texts, [root_name]) if plan.children else TreeNode(name="_")
    return ConstructOutput(
        root=root_name,
        description=f"{len(texts)} sampled items",
        criteria=CRITERIA,
        sub_branches=named.sub_branches,
    )
