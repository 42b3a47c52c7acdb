"""A named dataset: interactions + id maps + item catalogue + user profiles, saved as npz + JSON.

Example::

    ds = load_dataset("ml-100k")            # recloom.data.loaders
    ds.n_users, ds.n_items, len(ds.interactions)     # 943, 1682, 100000
    ds.item_ids.decode([0])                  # ['1']  (raw MovieLens id)
    ds.save(run_dir / "dataset"); Dataset.load(run_dir / "dataset")
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from recloom.data import columns as C
from recloom.data.containers import IdMap, Interactions, ItemCatalog, UserProfiles
from recloom.errors import ArtifactError, DataError

INTERACTIONS_FILE = "interactions.npz"
META_FILE = "dataset.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Dataset:
    """Everything one source provides, in one contiguous index space.

    ``meta`` records facts the consumers need, e.g. ``has_time`` (False: timestamps are per-user
    order), ``implicit`` (no ratings or thresholded) and ``source`` (the files read).
    """

    name: str
    interactions: Interactions
    user_ids: IdMap
    item_ids: IdMap
    items: ItemCatalog | None = None
    users: UserProfiles | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.interactions.check_bounds(n_users=self.n_users, n_items=self.n_items)
        if self.items is not None and tuple(self.items.raw_ids) != self.item_ids.raw:
            raise DataError(f"dataset {self.name!r}: item catalogue ids differ from the item id map")
        if self.users is not None and tuple(self.users.raw_ids) != self.user_ids.raw:
            raise DataError(f"dataset {self.name!r}: user profile ids differ from the user id map")

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def with_interactions(self, interactions: Interactions, **meta: Any) -> Dataset:
        """Same index space, other interactions (e.g. after a filter); ``meta`` entries are added."""
        return replace(self, interactions=interactions, meta={**self.meta, **meta})

    def compact(self) -> Dataset:
        """Drop users and items that have no interaction and renumber the rest (order kept)."""
        inter = self.interactions
        keep_u = np.flatnonzero(inter.user_counts(self.n_users) > 0)
        keep_i = np.flatnonzero(inter.item_counts(self.n_items) > 0)
        if len(keep_u) == self.n_users and len(keep_i) == self.n_items:
            return self
        new_u = np.full(self.n_users, -1, dtype=np.int64)
        new_u[keep_u] = np.arange(len(keep_u))
        new_i = np.full(self.n_items, -1, dtype=np.int64)
        new_i[keep_i] = np.arange(len(keep_i))
        remapped = Interactions(new_u[inter.user], new_i[inter.item], inter.timestamp, inter.rating)
        return Dataset(
            name=self.name,
            interactions=remapped,
            user_ids=self.user_ids.take(keep_u),
            item_ids=self.item_ids.take(keep_i),
            items=None if self.items is None else self.items.take(keep_i),
            users=None if self.users is None else self.users.take(keep_u),
            meta=dict(self.meta),
        )

    def stats(self) -> dict[str, Any]:
        """Counts for reports and ``recloom data info``."""
        n = len(self.interactions)
        cells = self.n_users * self.n_items
        out: dict[str, Any] = {
            "name": self.name,
            "users": self.n_users,
            "items": self.n_items,
            "interactions": n,
            "density": n / cells if cells else 0.0,
            "has_time": bool(self.meta.get("has_time", True)),
            "has_rating": self.interactions.rating is not None,
        }
        if self.items is not None:
            out["categories"] = len(self.items.category_vocabulary())
        if n:
            per_user = self.interactions.user_counts(self.n_users)
            out["min_user_interactions"] = int(per_user.min())
            out["mean_user_interactions"] = float(per_user.mean())
            out["max_user_interactions"] = int(per_user.max())
        return out

    def save(self, directory: str | Path) -> Path:
        """Write ``interactions.npz`` and ``dataset.json`` into ``directory`` (created)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        arrays = {C.USER: self.interactions.user, C.ITEM: self.interactions.item,
                  C.TIMESTAMP: self.interactions.timestamp}
        if self.interactions.rating is not None:
            arrays[C.RATING] = self.interactions.rating
        np.savez_compressed(d / INTERACTIONS_FILE, **arrays)
        doc = {
            "format": FORMAT_VERSION,
            "name": self.name,
            "meta": self.meta,
            "user_ids": self.user_ids.to_list(),
            "item_ids": self.item_ids.to_list(),
            "items": None if self.items is None else _catalog_to_json(self.items),
            "users": None if self.users is None else {"attributes": self.users.attributes},
        }
        (d / META_FILE).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Dataset:
        """Read a directory written by :meth:`save`; ``ArtifactError`` if it is missing or corrupt."""
        d = Path(directory)
        meta_path, npz_path = d / META_FILE, d / INTERACTIONS_FILE
        for p in (meta_path, npz_path):
            if not p.is_file():
                raise ArtifactError(f"{p}: missing (not a saved recloom dataset)")
        try:
            doc = json.loads(meta_path.read_text(encoding="utf-8"))
            with np.load(npz_path) as z:
                inter = Interactions(z[C.USER], z[C.ITEM], z[C.TIMESTAMP],
                                     z[C.RATING] if C.RATING in z.files else None)
        except (ValueError, KeyError, OSError) as exc:
            raise ArtifactError(f"{d}: corrupt dataset artifact ({exc})") from exc
        if doc.get("format") != FORMAT_VERSION:
            raise ArtifactError(f"{meta_path}: unsupported format {doc.get('format')!r}")
        user_ids, item_ids = IdMap(doc["user_ids"]), IdMap(doc["item_ids"])
        items = None if doc["items"] is None else _catalog_from_json(item_ids, doc["items"])
        users = None
        if doc["users"] is not None:
            users = UserProfiles(list(user_ids.raw), doc["users"]["attributes"])
        return cls(doc["name"], inter, user_ids, item_ids, items, users, doc["meta"])


def _catalog_to_json(cat: ItemCatalog) -> dict[str, Any]:
    return {
        "titles": cat.titles,
        "texts": cat.texts,
        "categories": cat.categories,
        "category_paths": cat.category_paths,
        "brands": cat.brands,
    }


def _catalog_from_json(item_ids: IdMap, doc: dict[str, Any]) -> ItemCatalog:
    return ItemCatalog(
        raw_ids=list(item_ids.raw),
        titles=doc["titles"],
        texts=doc["texts"],
        categories=doc["categories"],
        category_paths=doc["category_paths"],
        brands=doc["brands"],
    )
