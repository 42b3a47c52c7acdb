"""Prompt inputs of ``larmi.cluster`` from item-id sequences (methods.md §2.5).

A :class:`ClusterRequest` is one task input plus the map from its 1-based title numbers back to
item ids. Individual users: repeated items are shown once (first occurrence, oldest first); the
most recent ``cap`` distinct items are kept. Synthetic users (cliques): when c(u') holds more than
``cap`` items, the ``cap`` most frequent ones in the clique are kept (frequency = clique members
holding the item; ties: more popular overall, then lower id) and the cap is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recloom.agents.larmi.task import MAX_TITLES, TITLE_CHARS, ClusterInput
from recloom.errors import ConfigError, DataError

DEFAULT_DOMAIN = "Industrial & Scientific"


@dataclass(frozen=True)
class ClusterRequest:
    """``input`` for the task; ``items[k]`` is the item id of title number k + 1."""

    input: ClusterInput
    items: tuple[int, ...]
    n_source_items: int  # distinct items before the cap

    @property
    def capped(self) -> bool:
        return self.n_source_items > len(self.items)


def prompt_title(title: str, item: int) -> str:
    """One line, at most ``TITLE_CHARS`` characters; ``item <id>`` for an empty title."""
    text = " ".join(str(title).split())
    if len(text) > TITLE_CHARS:
        text = text[: TITLE_CHARS - 1].rstrip() + "…"
    return text or f"item {item}"


def _check_cap(cap: int) -> None:
    if not 1 <= cap <= MAX_TITLES:
        raise ConfigError(f"larmi.cluster: title cap must lie in 1..{MAX_TITLES}, got {cap}")


def _titles(items: Sequence[int], titles: Sequence[str], who: str) -> list[str]:
    bad = [i for i in items if not 0 <= i < len(titles)]
    if bad:
        raise DataError(f"{who}: item id(s) {bad[:5]} have no title (catalogue of {len(titles)} items)")
    return [prompt_title(titles[i], i) for i in items]


def individual_request(
    request_id: str,
    sequence: Sequence[int],
    titles: Sequence[str],
    *,
    cap: int = MAX_TITLES,
    domain: str = DEFAULT_DOMAIN,
) -> ClusterRequest:
    """A real user's history (oldest first) as a request: distinct items, the most recent ``cap``."""
    _check_cap(cap)
    distinct = list(dict.fromkeys(int(i) for i in sequence))
    if not distinct:
        raise DataError(f"user {request_id}: empty history, nothing to cluster")
    kept = distinct[-cap:]
    inp = ClusterInput(
        id=request_id, kind="individual", domain=domain, titles=_titles(kept, titles, f"user {request_id}")
    )
    return ClusterRequest(inp, tuple(kept), len(distinct))


def clique_item_order(items: np.ndarray, frequency: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """``items`` sorted by clique frequency (desc), then overall popularity (desc), then id."""
    return items[np.lexsort((items, -popularity[items], -frequency))]


def synthetic_request(
    request_id: str,
    items: np.ndarray,
    frequency: np.ndarray,
    popularity: np.ndarray,
    titles: Sequence[str],
    *,
    cap: int = MAX_TITLES,
    domain: str = DEFAULT_DOMAIN,
) -> ClusterRequest:
    """A synthetic user c(u') as a request. ``frequency[k]``: clique members holding ``items[k]``;
    ``popularity``: per item id over all users. Kept items are shown in ascending id order."""
    _check_cap(cap)
    items = np.asarray(items, dtype=np.int64)
    if len(items) == 0:
        raise DataError(f"synthetic user {request_id}: empty clique, nothing to cluster")
    if len(np.unique(items)) != len(items) or len(frequency) != len(items):
        raise DataError(f"synthetic user {request_id}: items must be distinct, one frequency each")
    kept = np.sort(clique_item_order(items, np.asarray(frequency), np.asarray(popularity))[:cap])
    inp = ClusterInput(
        id=request_id,
        kind="synthetic",
        domain=domain,
        titles=_titles(kept.tolist(), titles, f"synthetic user {request_id}"),
    )
    return ClusterRequest(inp, tuple(int(i) for i in kept), len(items))
