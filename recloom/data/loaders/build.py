"""Turn raw-id columns into a :class:`~recloom.data.dataset.Dataset` (shared by every loader)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from recloom.data.containers import IdMap, Interactions, per_user_order
from recloom.errors import DataError


def index_ids(raw: np.ndarray, universe: np.ndarray | None = None) -> tuple[np.ndarray, IdMap]:
    """Contiguous indices for raw ids, ordered by sorted raw id (numeric ids sort numerically).

    With ``universe``, ids are indexed in the (sorted) universe and must all belong to it."""
    if universe is None:
        keys, inverse = np.unique(raw, return_inverse=True)
        return inverse.astype(np.int64).reshape(-1), IdMap(_id_str(k) for k in keys)
    keys = np.unique(universe)
    pos = np.searchsorted(keys, raw)
    pos_clipped = np.minimum(pos, len(keys) - 1)
    bad = (pos >= len(keys)) | (keys[pos_clipped] != raw)
    if bad.any():
        raise DataError(f"id {_id_str(raw[np.flatnonzero(bad)[0]])!r} is not in the side-information file")
    return pos.astype(np.int64), IdMap(_id_str(k) for k in keys)


def _id_str(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def interactions_from_raw(
    raw_user: np.ndarray,
    raw_item: np.ndarray,
    timestamp: np.ndarray | None,
    rating: np.ndarray | None,
    item_universe: np.ndarray | None = None,
    user_universe: np.ndarray | None = None,
) -> tuple[Interactions, IdMap, IdMap]:
    """Index users and items and build :class:`Interactions` (per-user order when no time)."""
    user, user_ids = index_ids(raw_user, user_universe)
    item, item_ids = index_ids(raw_item, item_universe)
    ts = per_user_order(user) if timestamp is None else np.asarray(timestamp, dtype=np.int64)
    return Interactions(user, item, ts, rating), user_ids, item_ids


def require_keys(ids: IdMap, table: Mapping[str, object], what: str, path: Path) -> None:
    """Every id of the map must have a row in the side-information ``table`` read from ``path``."""
    missing = [r for r in ids.raw if r not in table]
    if missing:
        raise DataError(f"{len(missing)} {what} id(s) used in ratings have no row here, e.g. {missing[0]!r}",
                        path=path)
