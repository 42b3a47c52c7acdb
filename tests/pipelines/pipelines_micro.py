"""Micro interaction data for the pipeline tests (a plain module with a unique name, not conftest)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

torch.set_num_threads(1)


@dataclass
class MicroPairs:
    """``n_users`` users with 6-8 items each from one of four taste blocks plus noise."""

    n_users: int
    n_items: int
    user: np.ndarray
    item: np.ndarray


def make_pairs(seed: int = 0, n_users: int = 30, n_items: int = 40) -> MicroPairs:
    rng = np.random.default_rng(seed)
    block = n_items // 4
    users, items = [], []
    for u in range(n_users):
        start = (u % 4) * block
        liked = rng.choice(np.arange(start, start + block), size=min(6, block), replace=False)
        seq = np.unique(np.concatenate([liked, rng.choice(n_items, size=2, replace=False)]))
        users.append(np.full(len(seq), u))
        items.append(seq)
    return MicroPairs(n_users, n_items, np.concatenate(users), np.concatenate(items))


def make_dataset(seed: int = 0, n_users: int = 40, n_items: int = 40):  # -> recloom.data.Dataset
    """A tiny in-memory dataset with ratings 1-5, one of four genres per item and user attributes."""
    from recloom.data import Dataset, IdMap, Interactions, ItemCatalog, UserProfiles

    pairs = make_pairs(seed, n_users, n_items)
    rng = np.random.default_rng(seed)
    genres = ["Action", "Comedy", "Drama", "Horror"]
    ids = [str(i + 1) for i in range(n_items)]
    catalog = ItemCatalog(raw_ids=ids, titles=[f"Movie {i} ({1990 + i % 10})" for i in range(n_items)],
                          texts=[f"Movie {i}. Genres: {genres[i * 4 // n_items]}." for i in range(n_items)],
                          categories=[[genres[i * 4 // n_items]] for i in range(n_items)])
    user_ids = [str(u + 1) for u in range(n_users)]
    profiles = UserProfiles(user_ids, [{"age": 20 + u % 30, "gender": "MF"[u % 2]} for u in range(n_users)])
    inter = Interactions.from_arrays(pairs.user, pairs.item, rating=rng.integers(1, 6, len(pairs.user)))
    return Dataset("micro", inter, IdMap(user_ids), IdMap(ids), catalog, profiles)
