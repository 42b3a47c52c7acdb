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
