"""Side information per index: :class:`ItemCatalog` (titles, texts, categories, category paths,
brands) and :class:`UserProfiles` (attribute dicts). Re-exported by ``recloom.data.containers``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from recloom.errors import DataError


@dataclass(frozen=True)
class ItemCatalog:
    """Side information per item index. ``categories`` may hold several labels per item;
    ``category_paths`` (root -> leaf) and ``brands`` are ``None`` when the source has none."""

    raw_ids: list[str]
    titles: list[str]
    texts: list[str]
    categories: list[list[str]]
    category_paths: list[list[str]] | None = None
    brands: list[str | None] | None = None

    def __post_init__(self) -> None:
        n = len(self.raw_ids)
        named = {"titles": self.titles, "texts": self.texts, "categories": self.categories}
        if self.category_paths is not None:
            named["category_paths"] = self.category_paths
        if self.brands is not None:
            named["brands"] = self.brands
        for name, values in named.items():
            if len(values) != n:
                raise DataError(f"item catalog field {name!r} has {len(values)} entries for {n} items")

    def __len__(self) -> int:
        return len(self.raw_ids)

    def category_vocabulary(self) -> list[str]:
        """All category labels, sorted."""
        return sorted({c for cats in self.categories for c in cats})

    def category_matrix(self) -> sp.csr_matrix:
        """Item x category 0/1 matrix (float32), columns in :meth:`category_vocabulary` order."""
        vocab = {c: j for j, c in enumerate(self.category_vocabulary())}
        rows = [i for i, cats in enumerate(self.categories) for _ in cats]
        cols = [vocab[c] for cats in self.categories for c in cats]
        m = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(self), len(vocab))
        )
        m.sum_duplicates()
        m.data[:] = 1.0
        return m

    def primary_category(self) -> np.ndarray:
        """Index (in the vocabulary) of each item's first category, -1 when it has none."""
        vocab = {c: j for j, c in enumerate(self.category_vocabulary())}
        return np.array([vocab[c[0]] if c else -1 for c in self.categories], dtype=np.int64)

    def take(self, indices: np.ndarray) -> ItemCatalog:
        """The catalog restricted to ``indices`` (new index j is old ``indices[j]``)."""
        idx = [int(i) for i in indices]
        paths = None if self.category_paths is None else [self.category_paths[i] for i in idx]
        brands = None if self.brands is None else [self.brands[i] for i in idx]
        return ItemCatalog(
            raw_ids=[self.raw_ids[i] for i in idx],
            titles=[self.titles[i] for i in idx],
            texts=[self.texts[i] for i in idx],
            categories=[self.categories[i] for i in idx],
            category_paths=paths,
            brands=brands,
        )


@dataclass(frozen=True)
class UserProfiles:
    """Attributes per user index (e.g. MovieLens age, gender, occupation, zip)."""

    raw_ids: list[str]
    attributes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.attributes) != len(self.raw_ids):
            raise DataError(
                f"user profiles have {len(self.attributes)} attribute rows for {len(self.raw_ids)} users"
            )

    def __len__(self) -> int:
        return len(self.raw_ids)

    def attribute(self, name: str) -> list[Any]:
        """One attribute for every user (``None`` where missing)."""
        return [a.get(name) for a in self.attributes]

    def take(self, indices: np.ndarray) -> UserProfiles:
        idx = [int(i) for i in indices]
        return UserProfiles([self.raw_ids[i] for i in idx], [self.attributes[i] for i in idx])
