"""Interaction filters. Each returns new :class:`Interactions` in the same index space; call
``Dataset.with_interactions(...).compact()`` to renumber users/items that lost every row.

Example::

    inter = implicit(ds.interactions, threshold=3)        # RecBole's "rating >= 3"
    inter = k_core(inter, user_k=10, item_k=10)            # iterated to a fixed point
    inter = max_sequence_length(inter, 20)                 # each user's 20 most recent
"""

from __future__ import annotations

import numpy as np

from recloom.data.containers import Interactions
from recloom.errors import ConfigError, DataError


def implicit(inter: Interactions, threshold: float, keep_rating: bool = False) -> Interactions:
    """Rows with ``rating >= threshold`` (explicit -> implicit feedback); ratings dropped unless kept."""
    if inter.rating is None:
        raise DataError("rating threshold on interactions without ratings")
    out = inter.subset(inter.rating >= threshold)
    return out if keep_rating else Interactions(out.user, out.item, out.timestamp, None)


def _counts(index: np.ndarray) -> np.ndarray:
    return np.bincount(index) if len(index) else np.zeros(0, dtype=np.int64)


def min_user_interactions(inter: Interactions, k: int) -> Interactions:
    """Drop the rows of users with fewer than ``k`` rows (one pass)."""
    return inter.subset(_counts(inter.user)[inter.user] >= k) if len(inter) else inter


def min_item_interactions(inter: Interactions, k: int) -> Interactions:
    """Drop the rows of items with fewer than ``k`` rows (one pass; EISAM's "< 5 removed")."""
    return inter.subset(_counts(inter.item)[inter.item] >= k) if len(inter) else inter


def k_core(
    inter: Interactions, user_k: int, item_k: int | None = None, max_rounds: int = 1000
) -> Interactions:
    """Alternate user and item filtering until every user has >= ``user_k`` rows and every item
    >= ``item_k`` (default ``user_k``) rows: the largest such sub-table, possibly empty."""
    item_k = user_k if item_k is None else item_k
    if user_k < 1 or item_k < 1:
        raise ConfigError(f"k-core thresholds must be >= 1, got user_k={user_k}, item_k={item_k}")
    for _ in range(max_rounds):
        n_before = len(inter)
        inter = min_item_interactions(min_user_interactions(inter, user_k), item_k)
        if len(inter) == n_before:
            return inter
    raise DataError(f"k-core did not converge in {max_rounds} rounds")


def drop_duplicates(inter: Interactions, keep: str = "last") -> Interactions:
    """One row per (user, item): the ``"first"`` or ``"last"`` in time."""
    if keep not in ("first", "last"):
        raise ConfigError(f"keep must be 'first' or 'last', got {keep!r}")
    order = inter.order_by_user_time()
    if keep == "last":
        order = order[::-1]
    n_items = int(inter.item.max()) + 1 if len(inter) else 1
    keys = inter.user[order] * n_items + inter.item[order]
    _, first = np.unique(keys, return_index=True)
    return inter.subset(np.sort(order[first]))


def recency_rank(inter: Interactions) -> np.ndarray:
    """Per row, 0 for each user's most recent row, 1 for the one before, ... (ties: later row is newer)."""
    order = inter.order_by_user_time()
    users = inter.user[order]
    counts = _counts(users)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    pos = np.arange(len(order)) - starts[users]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = counts[users] - 1 - pos
    return rank


def max_sequence_length(inter: Interactions, max_len: int) -> Interactions:
    """Keep each user's ``max_len`` most recent rows (LARMI/REMI truncate to 20)."""
    if max_len < 1:
        raise ConfigError(f"max_len must be >= 1, got {max_len}")
    return inter.subset(recency_rank(inter) < max_len) if len(inter) else inter
