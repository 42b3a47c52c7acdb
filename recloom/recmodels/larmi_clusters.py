"""LLM cluster artifacts -> padded arrays for LARMI (numpy only).

*Real users* (stage A): each user has clusters, each a list of item ids (0-based dataset indices;
for individual users an item sits in one cluster, but overlaps are accepted). A
:class:`ClusterTable` turns them into membership masks over the positions of any history batch,
``masks(users, item_seq) -> bool[B, F, L]`` (item_seq shifted by +1, 0 = padding): position l of
row b is in cluster f iff item ``item_seq[b, l] - 1`` is in cluster f of user ``users[b]``. Items a
user's clusters do not mention are in no cluster. Lookup is vectorised: sorted keys
``user * n_items + item`` with a cluster bitmask each (at most 63 clusters per user).

*Synthetic users* (stage B): :func:`pad_synthetic` turns the clusters of the selected synthetic
users into ``items`` int64[U, C] and ``membership`` bool[U, C, F] for the contrastive loss.

Artifact format read by :func:`load_clusters_json`: a JSON object ``{"<user>": clusters}`` or a
list indexed by user, where ``clusters`` is ``[[item, ...], ...]``, or ``[{"items": [...]}, ...]``,
or ``{"clusters": [{"items": [...]}, ...]}`` (the LLM answer shape after index -> item id mapping).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recloom.errors import DataError

MAX_CLUSTERS = 63
Clusters = Sequence[Sequence[int]]


def _cluster_items(entry: Any, where: str) -> list[list[int]]:
    """One user's clusters from any accepted shape, as lists of ints."""
    if isinstance(entry, Mapping):
        if "clusters" not in entry:
            raise DataError(f"{where}: expected a list of clusters or an object with 'clusters'")
        entry = entry["clusters"]
    if not isinstance(entry, Sequence) or isinstance(entry, str):
        raise DataError(f"{where}: clusters must be a list, got {type(entry).__name__}")
    out: list[list[int]] = []
    for f, cluster in enumerate(entry):
        items = cluster.get("items") if isinstance(cluster, Mapping) else cluster
        if not isinstance(items, Sequence) or isinstance(items, str) or \
                not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
            raise DataError(f"{where}: cluster {f} is not a list of integer item ids")
        out.append([int(i) for i in items])
    return out


def load_clusters_json(path: str | Path) -> dict[int, list[list[int]]]:
    """{user (or synthetic-user) index: clusters} from a JSON artifact (see the module docstring)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read clusters: {exc}", path=path) from exc
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = list(enumerate(raw))
    else:
        raise DataError("clusters file must hold a JSON object or list", path=path)
    out: dict[int, list[list[int]]] = {}
    for key, entry in pairs:
        try:
            user = int(key)
        except ValueError as exc:
            raise DataError(f"user key {key!r} is not an integer index", path=path) from exc
        out[user] = _cluster_items(entry, f"{path}: user {key}")
    return out


def _as_mapping(clusters: Mapping[int, Clusters] | Sequence[Clusters]) -> Mapping[int, Clusters]:
    return clusters if isinstance(clusters, Mapping) else dict(enumerate(clusters))


class ClusterTable:
    """Per-user cluster memberships, looked up by (user, item) in one vectorised search."""

    def __init__(self, clusters: Mapping[int, Clusters] | Sequence[Clusters], n_items: int) -> None:
        self.n_items = int(n_items)
        keys: list[np.ndarray] = []
        bits: list[np.ndarray] = []
        self.n_clusters = 1
        for user, user_clusters in _as_mapping(clusters).items():
            if len(user_clusters) > MAX_CLUSTERS:
                raise DataError(
                    f"user {user} has {len(user_clusters)} clusters; at most {MAX_CLUSTERS} supported"
                )
            self.n_clusters = max(self.n_clusters, len(user_clusters))
            for f, items in enumerate(user_clusters):
                arr = np.unique(np.asarray(items, dtype=np.int64))
                if len(arr) and (arr[0] < 0 or arr[-1] >= self.n_items):
                    raise DataError(f"user {user} cluster {f}: item id outside 0..{self.n_items - 1}")
                keys.append(int(user) * self.n_items + arr)
                bits.append(np.full(len(arr), 1 << f, dtype=np.int64))
        all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        all_bits = np.concatenate(bits) if bits else np.zeros(0, dtype=np.int64)
        order = np.argsort(all_keys, kind="stable")
        all_keys, all_bits = all_keys[order], all_bits[order]
        self.keys, first = np.unique(all_keys, return_index=True)
        self.bits = np.bitwise_or.reduceat(all_bits, first) if len(first) else all_bits

    def lookup(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Cluster bitmask (int64) of each (user, item) pair, same shape as ``items``; 0 if none."""
        users = np.asarray(users, dtype=np.int64).reshape(-1, *([1] * (items.ndim - 1)))
        query = users * self.n_items + items
        if len(self.keys) == 0:
            return np.zeros(items.shape, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.keys, query), 0, len(self.keys) - 1)
        return np.where(self.keys[pos] == query, self.bits[pos], 0)

    def masks(self, users: np.ndarray, item_seq: np.ndarray) -> np.ndarray:
        """bool[B, F, L] memberships of the history positions (item_seq shifted by +1, 0 = pad)."""
        item_seq = np.asarray(item_seq, dtype=np.int64)
        bits = self.lookup(users, np.maximum(item_seq - 1, 0))
        bits = np.where(item_seq > 0, bits, 0)
        shifts = np.arange(self.n_clusters, dtype=np.int64)[None, :, None]
        return ((bits[:, None, :] >> shifts) & 1).astype(bool)


def pad_synthetic(clusters: Sequence[Clusters], n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """(items int64[U, C], membership bool[U, C, F]) of synthetic users' (overlapping) clusters.

    c(u') is the union of the user's cluster items; padding slots have item 0 and no membership.
    """
    if not clusters:
        raise DataError("no synthetic-user clusters given")
    per_user: list[tuple[np.ndarray, list[np.ndarray]]] = []
    for u, user_clusters in enumerate(clusters):
        arrays = [np.asarray(c, dtype=np.int64) for c in user_clusters]
        union = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, dtype=np.int64)
        if len(union) and (union[0] < 0 or union[-1] >= n_items):
            raise DataError(f"synthetic user {u}: item id outside 0..{n_items - 1}")
        per_user.append((union, arrays))
    width = max(1, max(len(union) for union, _ in per_user))
    n_f = max(1, max(len(arrays) for _, arrays in per_user))
    items = np.zeros((len(clusters), width), dtype=np.int64)
    member = np.zeros((len(clusters), width, n_f), dtype=bool)
    for u, (union, arrays) in enumerate(per_user):
        items[u, : len(union)] = union
        for f, arr in enumerate(arrays):
            member[u, np.searchsorted(union, arr), f] = True
    return items, member
