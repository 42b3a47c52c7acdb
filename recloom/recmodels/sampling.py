"""Negative sampling and pairwise (BPR) training batches. Models never sample; they read batches.

Everything is vectorised numpy: a negative is drawn uniformly over all items and redrawn only where
it hits one of the row's positives (rejection sampling over a sorted key array), so an epoch of
ml-1m (800k interactions) is sampled in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
import scipy.sparse as sp
import torch

from recloom.errors import DataError
from recloom.recmodels.base import Batch

_MAX_REJECTION_ROUNDS = 1000


class TrainData(Protocol):
    """A source of training batches the trainer iterates once per epoch."""

    def __len__(self) -> int:
        """Number of training samples in one epoch."""
        ...

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """One epoch of shuffled batches; every batch has ``item`` (LongTensor[B])."""
        ...


def interaction_matrix(user: np.ndarray, item: np.ndarray, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary csr user×item matrix of the given pairs (duplicates collapse to 1)."""
    user, item = np.asarray(user, dtype=np.int64), np.asarray(item, dtype=np.int64)
    check_indices(user, n_users, "user")
    check_indices(item, n_items, "item")
    data = np.ones(len(user), dtype=np.float32)
    mat = sp.csr_matrix((data, (user, item)), shape=(n_users, n_items))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    return mat


def check_indices(idx: np.ndarray, n: int, what: str) -> None:
    """Raise DataError unless every index lies in [0, n)."""
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise DataError(f"{what} index out of range [0, {n}): min {idx.min()}, max {idx.max()}")


class NegativeSampler:
    """Uniform negatives over ``n_items`` that avoid each row's positives in a csr matrix.

    Example::

        >>> pos = interaction_matrix(np.array([0, 0]), np.array([1, 2]), 1, 4)
        >>> neg = NegativeSampler(pos).sample(np.zeros(100, int), 1, np.random.default_rng(0))
        >>> bool(np.isin(neg, [1, 2]).any())
        False
    """

    def __init__(self, positives: sp.csr_matrix) -> None:
        positives = sp.csr_matrix(positives)
        self.n_rows, self.n_items = positives.shape
        counts = np.diff(positives.indptr)
        full = np.flatnonzero(counts >= self.n_items)
        if len(full):
            raise DataError(f"row {int(full[0])} has every one of the {self.n_items} items as a positive: "
                            "no negative can be sampled")
        rows = np.repeat(np.arange(self.n_rows, dtype=np.int64), counts)
        self._keys = np.sort(rows * self.n_items + positives.indices.astype(np.int64))

    def is_positive(self, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Boolean mask: whether each (row, item) pair is a positive."""
        keys = np.asarray(rows, dtype=np.int64) * self.n_items + np.asarray(items, dtype=np.int64)
        if len(self._keys) == 0:
            return np.zeros(keys.shape, dtype=bool)
        pos = np.searchsorted(self._keys, keys)
        pos = np.minimum(pos, len(self._keys) - 1)
        return self._keys[pos] == keys

    def sample(self, rows: np.ndarray, n_neg: int, rng: np.random.Generator) -> np.ndarray:
        """Negatives for each row: int64[len(rows)] when ``n_neg == 1``, else [len(rows), n_neg]."""
        rows = np.asarray(rows, dtype=np.int64)
        shape = (len(rows),) if n_neg == 1 else (len(rows), n_neg)
        flat_rows = np.repeat(rows, n_neg) if n_neg > 1 else rows
        neg = rng.integers(0, self.n_items, size=len(flat_rows), dtype=np.int64)
        bad = np.flatnonzero(self.is_positive(flat_rows, neg))
        for _ in range(_MAX_REJECTION_ROUNDS):
            if len(bad) == 0:
                return neg.reshape(shape)
            neg[bad] = rng.integers(0, self.n_items, size=len(bad), dtype=np.int64)
            bad = bad[self.is_positive(flat_rows[bad], neg[bad])]
        stuck = np.unique(flat_rows[bad])[:5].tolist()
        raise DataError(f"negative sampling did not converge for rows {stuck}")


class PairwiseData:
    """(user, positive item, sampled negative) triples for BPR-style training, one per interaction.

    ``weight`` (one per interaction) is passed through as ``batch['weight']``. ``matrix`` is the
    binary training matrix: graph models build their adjacency from it and evaluation masks it.
    """

    def __init__(self, user: np.ndarray, item: np.ndarray, n_users: int, n_items: int, *,
                 n_neg: int = 1, weight: np.ndarray | None = None) -> None:
        self.user = np.asarray(user, dtype=np.int64)
        self.item = np.asarray(item, dtype=np.int64)
        if self.user.shape != self.item.shape or self.user.ndim != 1:
            raise DataError(f"user and item must be 1-d arrays of one length, got {self.user.shape}, "
                            f"{self.item.shape}")
        if n_neg < 1:
            raise DataError(f"n_neg must be >= 1, got {n_neg}")
        self.n_users, self.n_items, self.n_neg = n_users, n_items, n_neg
        self.matrix = interaction_matrix(self.user, self.item, n_users, n_items)
        self.sampler = NegativeSampler(self.matrix)
        self.weight = None if weight is None else np.asarray(weight, dtype=np.float32)
        if self.weight is not None and self.weight.shape != self.user.shape:
            raise DataError(f"weight has shape {self.weight.shape}, interactions {self.user.shape}")

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix, *, n_neg: int = 1) -> PairwiseData:
        """One triple per nonzero of a user×item matrix."""
        coo = sp.coo_matrix(matrix)
        return cls(coo.row, coo.col, coo.shape[0], coo.shape[1], n_neg=n_neg)

    def __len__(self) -> int:
        return len(self.user)

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """Shuffled batches with ``user``, ``item``, ``neg_item`` (and ``weight``)."""
        order = rng.permutation(len(self.user))
        neg = self.sampler.sample(self.user[order], self.n_neg, rng)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            batch: Batch = {
                "user": torch.from_numpy(self.user[idx]),
                "item": torch.from_numpy(self.item[idx]),
                "neg_item": torch.from_numpy(np.ascontiguousarray(neg[start:start + batch_size])),
            }
            if self.weight is not None:
                batch["weight"] = torch.from_numpy(self.weight[idx])
            yield batch
