"""Item groups for group-restricted metrics: head/tail by training frequency, or any item→group map.

A metric restricted to group g keeps the full ranked list but counts as relevant only the
held-out items in g, and averages over users that hold at least one such item. With one target per
test instance this is exactly "test instances grouped by their target" (EISAM's head/tail HR@10).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

HEAD, TAIL = 0, 1
GROUP_NAMES = {HEAD: "head", TAIL: "tail"}


def item_frequency(train: sp.spmatrix) -> np.ndarray:
    """Training interactions per item (column sums of a user×item matrix)."""
    return np.asarray(sp.csr_matrix(train).sum(axis=0)).ravel()


def head_tail_groups(frequency: np.ndarray, head_share: float = 0.2) -> np.ndarray:
    """int8[n_items]: HEAD for the ``ceil(head_share * n_items)`` most frequent items, else TAIL.

    Ties break towards the lower item index, so the split is deterministic.
    """
    if not 0.0 < head_share < 1.0:
        raise ValueError(f"head_share must lie in (0, 1), got {head_share}")
    freq = np.asarray(frequency)
    n_head = math.ceil(head_share * len(freq))
    order = np.lexsort((np.arange(len(freq)), -freq))
    groups = np.full(len(freq), TAIL, dtype=np.int8)
    groups[order[:n_head]] = HEAD
    return groups


def restrict_hits(hits: np.ndarray, topk: np.ndarray, n_pos_in_group: np.ndarray,
                  item_group: np.ndarray, group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hits, n_pos, user mask) with relevance restricted to items of ``group``.

    ``n_pos_in_group[u]`` counts user u's relevant items in the group; users with none are dropped.
    """
    keep = n_pos_in_group > 0
    in_group = item_group[topk] == group
    return (hits & in_group)[keep], n_pos_in_group[keep], keep
