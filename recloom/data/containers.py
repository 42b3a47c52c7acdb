"""Typed containers of recloom's data layer (numpy inside, no torch, no pandas).

- :class:`IdMap`: raw id (always ``str``) <-> contiguous index, saved with every dataset.
- :class:`Interactions`: parallel arrays ``user``/``item`` (int64 indices), ``timestamp`` (int64; where
  the source has no time it is the per-user order 0, 1, 2, ...) and optional ``rating`` (float32).
- :class:`ItemCatalog` / :class:`UserProfiles`: per-index side information (defined in
  ``side_info.py``, re-exported here).

Example::

    >>> import numpy as np
    >>> from recloom.data.containers import IdMap, Interactions
    >>> users = IdMap(["u1", "u2"])
    >>> users.encode(["u2", "u1"]).tolist()
    [1, 0]
    >>> inter = Interactions.from_arrays(user=[0, 0, 1], item=[2, 0, 1], timestamp=[5, 3, 9])
    >>> [s.tolist() for s in inter.sequences(n_users=2)]    # per user, ordered by time
    [[0, 2], [1]]
    >>> inter.csr(n_users=2, n_items=3).toarray().tolist()
    [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    >>> inter.subset(inter.user == 0).item.tolist()
    [2, 0]

The :class:`~recloom.data.dataset.Dataset` bundles these; :class:`~recloom.data.split.Split` holds
train/valid/test :class:`Interactions` in one index space.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recloom.data.side_info import ItemCatalog, UserProfiles
from recloom.errors import DataError

__all__ = ["IdMap", "Interactions", "ItemCatalog", "UserProfiles", "per_user_order"]

ArrayLike = Sequence[int] | Sequence[float] | np.ndarray


class IdMap:
    """A stable bijection between raw ids (strings) and indices ``0..n-1`` (in the given order)."""

    def __init__(self, raw_ids: Iterable[object]) -> None:
        self.raw: tuple[str, ...] = tuple(str(r) for r in raw_ids)
        self._index: dict[str, int] = {r: i for i, r in enumerate(self.raw)}
        if len(self._index) != len(self.raw):
            dup = next(r for r in self.raw if self.raw.count(r) > 1)
            raise DataError(f"duplicate raw id {dup!r} in id map")

    def __len__(self) -> int:
        return len(self.raw)

    def __contains__(self, raw_id: object) -> bool:
        return str(raw_id) in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdMap) and self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def index(self, raw_id: object) -> int:
        """Index of one raw id; ``DataError`` when unknown."""
        try:
            return self._index[str(raw_id)]
        except KeyError:
            raise DataError(f"unknown id {raw_id!r} (id map has {len(self)} ids)") from None

    def encode(self, raw_ids: Iterable[object]) -> np.ndarray:
        """Indices (int64) of many raw ids."""
        return np.fromiter((self.index(r) for r in raw_ids), dtype=np.int64)

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Raw ids of many indices."""
        return [self.raw[int(i)] for i in indices]

    def take(self, indices: np.ndarray) -> IdMap:
        """The id map restricted to ``indices`` (in that order): new index j is old ``indices[j]``."""
        return IdMap(self.raw[int(i)] for i in indices)

    def to_list(self) -> list[str]:
        return list(self.raw)


def _as_1d(values: ArrayLike, dtype: type, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise DataError(f"interactions column {name!r} must be 1-D, got shape {arr.shape}")
    return arr


def per_user_order(user: np.ndarray) -> np.ndarray:
    """For rows in source order, the position of each row within its user's rows (0, 1, 2, ...)."""
    order = np.argsort(user, kind="stable")
    sorted_users = user[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_users)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(user)]))
    ranks = np.empty(len(user), dtype=np.int64)
    ranks[order] = np.arange(len(user)) - group_start
    return ranks


@dataclass(frozen=True, eq=False)
class Interactions:
    """User-item events as parallel arrays. Row order carries no meaning except as a tie-break."""

    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    rating: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "user", _as_1d(self.user, np.int64, "user"))
        object.__setattr__(self, "item", _as_1d(self.item, np.int64, "item"))
        object.__setattr__(self, "timestamp", _as_1d(self.timestamp, np.int64, "timestamp"))
        if self.rating is not None:
            object.__setattr__(self, "rating", _as_1d(self.rating, np.float32, "rating"))
        lengths = {len(self.user), len(self.item), len(self.timestamp)}
        if self.rating is not None:
            lengths.add(len(self.rating))
        if len(lengths) != 1:
            raise DataError(f"interactions columns have different lengths: {sorted(lengths)}")

    @classmethod
    def from_arrays(
        cls,
        user: ArrayLike,
        item: ArrayLike,
        timestamp: ArrayLike | None = None,
        rating: ArrayLike | None = None,
    ) -> Interactions:
        """Build from arrays; without timestamps, each user's rows in the given order are 0, 1, 2, ..."""
        u = _as_1d(user, np.int64, "user")
        ts = per_user_order(u) if timestamp is None else timestamp
        return cls(user=u, item=item, timestamp=ts, rating=rating)  # type: ignore[arg-type]

    @classmethod
    def empty(cls, with_rating: bool = False) -> Interactions:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, np.zeros(0, dtype=np.float32) if with_rating else None)

    @classmethod
    def concat(cls, parts: Sequence[Interactions]) -> Interactions:
        """Rows of all parts, in order. Ratings are kept only if every part has them."""
        if not parts:
            return cls.empty()
        rating = None
        if all(p.rating is not None for p in parts):
            rating = np.concatenate([p.rating for p in parts])  # type: ignore[misc]
        return cls(
            np.concatenate([p.user for p in parts]),
            np.concatenate([p.item for p in parts]),
            np.concatenate([p.timestamp for p in parts]),
            rating,
        )

    def __len__(self) -> int:
        return len(self.user)

    def subset(self, selector: np.ndarray) -> Interactions:
        """Rows picked by a boolean mask or an index array (in that order)."""
        sel = np.asarray(selector)
        if sel.dtype == bool and len(sel) != len(self):
            raise DataError(f"mask of length {len(sel)} for {len(self)} interactions")
        rating = None if self.rating is None else self.rating[sel]
        return Interactions(self.user[sel], self.item[sel], self.timestamp[sel], rating)

    def order_by_user_time(self) -> np.ndarray:
        """Row indices sorted by user, then timestamp, then original row (stable)."""
        return np.lexsort((np.arange(len(self)), self.timestamp, self.user))

    def sorted(self) -> Interactions:
        """The same rows sorted by user, then time."""
        return self.subset(self.order_by_user_time())

    def user_offsets(self, n_users: int) -> np.ndarray:
        """For rows sorted by user: ``offsets[u]:offsets[u+1]`` are user u's rows (int64[n_users+1])."""
        counts = self.user_counts(n_users)
        return np.r_[0, np.cumsum(counts)].astype(np.int64)

    def sequences(self, n_users: int) -> list[np.ndarray]:
        """Per user index, the items in time order (empty arrays for users without rows)."""
        s = self.sorted()
        offsets = s.user_offsets(n_users)
        return [s.item[offsets[u] : offsets[u + 1]] for u in range(n_users)]

    def user_items(self, n_users: int) -> list[np.ndarray]:
        """Per user index, the sorted set of items the user interacted with."""
        return [np.unique(seq) for seq in self.sequences(n_users)]

    def user_counts(self, n_users: int) -> np.ndarray:
        self.check_bounds(n_users=n_users)
        return np.bincount(self.user, minlength=n_users).astype(np.int64)

    def item_counts(self, n_items: int) -> np.ndarray:
        """Interactions per item index (the training frequency used for head/tail groups)."""
        self.check_bounds(n_items=n_items)
        return np.bincount(self.item, minlength=n_items).astype(np.int64)

    def csr(self, n_users: int, n_items: int, values: str = "binary") -> sp.csr_matrix:
        """User x item matrix (float32): ``binary`` (1 per pair), ``count`` or ``rating`` (last wins)."""
        self.check_bounds(n_users=n_users, n_items=n_items)
        shape = (n_users, n_items)
        if values == "rating":
            return self._rating_csr(shape)
        data = np.ones(len(self), dtype=np.float32)
        m = sp.csr_matrix((data, (self.user, self.item)), shape=shape, dtype=np.float32)
        m.sum_duplicates()
        if values == "binary":
            m.data[:] = 1.0
        elif values != "count":
            raise DataError(f"csr values must be 'binary', 'count' or 'rating', got {values!r}")
        return m

    def _rating_csr(self, shape: tuple[int, int]) -> sp.csr_matrix:
        """Ratings matrix; for a repeated (user, item) pair the most recent rating is kept."""
        if self.rating is None:
            raise DataError("csr(values='rating') on interactions without ratings")
        s = self.sorted()
        keys = s.user * shape[1] + s.item
        _, first_in_reversed = np.unique(keys[::-1], return_index=True)
        last = len(keys) - 1 - first_in_reversed
        return sp.csr_matrix(
            (s.rating[last], (s.user[last], s.item[last])), shape=shape, dtype=np.float32  # type: ignore[index]
        )

    def check_bounds(self, n_users: int | None = None, n_items: int | None = None) -> None:
        """Raise ``DataError`` if an index is negative or not below the given sizes."""
        for name, arr, n in (("user", self.user, n_users), ("item", self.item, n_items)):
            if n is None or len(arr) == 0:
                continue
            lo, hi = int(arr.min()), int(arr.max())
            if lo < 0 or hi >= n:
                raise DataError(f"{name} index out of range [0, {n}): min {lo}, max {hi}")
