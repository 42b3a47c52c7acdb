"""Splitting many items into calls that fit a prompt budget (item matching, methods.md §1.5 item 2).

A batch costs the shared part of its prompt (instructions + the leaf list, ``static_chars``) plus
each item's text and a fixed per-item overhead (id, separators, its share of the answer). Batches
are packed greedily in input order: a new batch starts when the next item would overflow
``char_budget`` or ``max_items`` is reached. An item that alone overflows the budget still gets a
batch of its own (never dropped); ``over_budget`` names such batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from recloom.errors import ConfigError

T = TypeVar("T")
ITEM_OVERHEAD = 48


@dataclass(frozen=True)
class Batch(Generic[T]):
    items: tuple[T, ...]
    chars: int

    def over_budget(self, budget: int) -> bool:
        return self.chars > budget


def plan_batches(
    items: Sequence[T],
    size: Callable[[T], int],
    *,
    static_chars: int,
    char_budget: int,
    max_items: int,
    overhead: int = ITEM_OVERHEAD,
) -> list[Batch[T]]:
    """Consecutive batches covering ``items`` exactly once, in order."""
    if max_items < 1:
        raise ConfigError(f"plan_batches: max_items must be >= 1, got {max_items}")
    batches: list[Batch[T]] = []
    current: list[T] = []
    chars = static_chars
    for item in items:
        cost = size(item) + overhead
        if current and (chars + cost > char_budget or len(current) >= max_items):
            batches.append(Batch(tuple(current), chars))
            current, chars = [], static_chars
        current.append(item)
        chars += cost
    if current:
        batches.append(Batch(tuple(current), chars))
    return batches


def halves(items: Sequence[T]) -> list[tuple[T, ...]]:
    """Two halves (the first one larger) of a failed batch with at least two items."""
    mid = (len(items) + 1) // 2
    return [tuple(items[:mid]), tuple(items[mid:])]
