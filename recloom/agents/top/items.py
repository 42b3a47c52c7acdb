"""The item and user views the ToP agent steps work on: plain lists keyed by dataset index.

``ItemTable`` holds, per item, its index in the dataset, title, text (A_i) and primary category (the
first category label, or ``None``); ``UserRecord`` holds a user's index, profile text (A_u) and
training history (item indices, oldest first). Both are built from ``recloom.data`` containers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recloom.data.side_info import ItemCatalog, UserProfiles
from recloom.errors import DataError


@dataclass(frozen=True)
class ItemTable:
    ids: tuple[int, ...]
    titles: tuple[str, ...]
    texts: tuple[str, ...]
    categories: tuple[str | None, ...]

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("titles", "texts", "categories"):
            if len(getattr(self, name)) != n:
                raise DataError(f"ItemTable: {name} has {len(getattr(self, name))} entries for {n} items")
        if len(set(self.ids)) != n:
            raise DataError("ItemTable: item ids are not unique")

    @classmethod
    def from_catalog(
        cls, catalog: ItemCatalog, indices: Sequence[int] | np.ndarray | None = None
    ) -> ItemTable:
        """Items ``indices`` (default: all) of ``catalog``; the category is the first label."""
        idx = range(len(catalog)) if indices is None else [int(i) for i in indices]
        return cls(
            ids=tuple(int(i) for i in idx),
            titles=tuple(catalog.titles[i] for i in idx),
            texts=tuple(catalog.texts[i] or catalog.titles[i] for i in idx),
            categories=tuple(catalog.categories[i][0] if catalog.categories[i] else None for i in idx),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def position(self) -> dict[int, int]:
        """item id -> row in this table."""
        return {item: pos for pos, item in enumerate(self.ids)}

    def subset(self, item_ids: Sequence[int]) -> ItemTable:
        pos = self.position()
        missing = [i for i in item_ids if i not in pos]
        if missing:
            raise DataError(f"ItemTable.subset: unknown item ids {missing[:10]}")
        rows = [pos[i] for i in item_ids]
        return ItemTable(
            tuple(self.ids[r] for r in rows),
            tuple(self.titles[r] for r in rows),
            tuple(self.texts[r] for r in rows),
            tuple(self.categories[r] for r in rows),
        )


@dataclass(frozen=True)
class UserRecord:
    id: int
    profile: str
    history: tuple[int, ...]


def profile_text(attributes: Mapping[str, Any], skip: Sequence[str] = ("zip", "occupation_code")) -> str:
    """``"age: 24; gender: M; occupation: technician"`` from an attribute dict (``None`` dropped)."""
    parts = [f"{k}: {v}" for k, v in attributes.items() if v not in (None, "") and k not in skip]
    return "; ".join(parts)


def users_from_profiles(
    profiles: UserProfiles | None,
    histories: Mapping[int, Sequence[int]],
    user_ids: Sequence[int] | None = None,
) -> list[UserRecord]:
    """One ``UserRecord`` per user in ``user_ids`` (default: every key of ``histories``, sorted);
    ``histories`` maps a user index to its training items, oldest first."""
    ids = sorted(histories) if user_ids is None else [int(u) for u in user_ids]
    out = []
    for u in ids:
        attrs = profiles.attributes[u] if profiles is not None and 0 <= u < len(profiles) else {}
        out.append(UserRecord(u, profile_text(attrs), tuple(int(i) for i in histories.get(u, ()))))
    return out
