"""Micro datasets for the recmodels tests: seeded, tiny, built in memory (no files).

A plain module (not conftest.py) so that test files import it by a unique name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

torch.set_num_threads(1)


@dataclass
class Micro:
    """30 users × 40 items; each user likes items of one of 4 taste blocks, plus noise."""

    n_users: int
    n_items: int
    user: np.ndarray
    item: np.ndarray
    train: sp.csr_matrix
    valid: sp.csr_matrix
    seqs: list[np.ndarray]


def make_micro(seed: int = 0, n_users: int = 30, n_items: int = 40) -> Micro:
    rng = np.random.default_rng(seed)
    users, items, seqs = [], [], []
    for u in range(n_users):
        block = u % 4
        liked = rng.choice(np.arange(block * 10, block * 10 + 10), size=7, replace=False)
        noise = rng.choice(n_items, size=2, replace=False)
        seq = np.unique(np.concatenate([liked, noise]))
        seq = rng.permutation(seq)
        seqs.append(seq)
        users.append(np.full(len(seq), u))
        items.append(seq)
    user, item = np.concatenate(users), np.concatenate(items)
    is_valid = np.zeros(len(user), dtype=bool)
    for u in range(n_users):  # last two of each sequence are validation
        is_valid[np.flatnonzero(user == u)[-2:]] = True

    def mat(mask: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((np.ones(mask.sum()), (user[mask], item[mask])), shape=(n_users, n_items))

    return Micro(n_users, n_items, user[~is_valid], item[~is_valid], mat(~is_valid), mat(is_valid), seqs)
