"""Tree distances between preference nodes and between items (methods.md §6.2):

    D(a, b) = 1 − depth(LCA(a, b)) / max(depth(a), depth(b)),

with the implicit super-root at depth 0 above the per-category roots (depth 1). So the same node
is at distance 0, nodes of different categories at distance 1, and siblings deeper in the tree get
closer. The item distance is the distance of the items' leaves (DDRO needs a matrix in [0, 1] with
a zero diagonal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from recloom.graph.tree_check import SUPER_ROOT

if TYPE_CHECKING:
    from recloom.graph.tree import PreferenceTree


def lca(tree: PreferenceTree, a: int, b: int) -> int:
    """Lowest common ancestor of nodes ``a`` and ``b`` (the super-root, 0, across categories)."""
    common = SUPER_ROOT
    for x, y in zip(tree.path(a), tree.path(b), strict=False):
        if x != y:
            break
        common = x
    return common


def node_distance(tree: PreferenceTree, a: int, b: int) -> float:
    """``1 − depth(LCA)/max(depth(a), depth(b))``; 0 when ``a == b``."""
    pa, pb = tree.path(a), tree.path(b)
    shared = _common_prefix(pa, pb)
    return 1.0 - shared / max(len(pa), len(pb))


def item_distance(tree: PreferenceTree, i: object, j: object) -> float:
    """Distance between the leaves of items ``i`` and ``j``."""
    return node_distance(tree, tree.leaf_of(i), tree.leaf_of(j))


def leaf_distance_matrix(tree: PreferenceTree) -> tuple[np.ndarray, np.ndarray]:
    """``(leaf_ids int64[L], D float64[L, L])`` for the leaves in DFS order."""
    leaves = tree.leaves()
    paths = [tree.path(leaf) for leaf in leaves]
    n, height = len(paths), max((len(p) for p in paths), default=0)
    # Pad each row with a value no other row uses, so padding never matches across rows; a row
    # matches its own padding, hence the clip to the shorter depth.
    padded = np.repeat(-1 - np.arange(n, dtype=np.int64)[:, None], height, axis=1)
    for row, p in enumerate(paths):
        padded[row, : len(p)] = p
    depth = np.array([len(p) for p in paths], dtype=np.float64)
    equal = padded[:, None, :] == padded[None, :, :]
    shared = np.minimum(np.cumprod(equal, axis=2).sum(axis=2), np.minimum(depth[:, None], depth[None, :]))
    dist = 1.0 - shared / np.maximum(depth[:, None], depth[None, :]) if n else np.zeros((0, 0))
    return np.asarray(leaves, dtype=np.int64), dist


def item_distance_matrix(tree: PreferenceTree, items: Sequence[int]) -> np.ndarray:
    """``D float64[m, m]`` between ``items`` (each must be assigned to a leaf)."""
    leaf_ids, dist = leaf_distance_matrix(tree)
    row_of = {int(leaf): row for row, leaf in enumerate(leaf_ids)}
    rows = np.array([row_of[tree.leaf_of(item)] for item in items], dtype=np.int64)
    return dist[np.ix_(rows, rows)]


def _common_prefix(pa: Sequence[int], pb: Sequence[int]) -> int:
    shared = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        shared += 1
    return shared
