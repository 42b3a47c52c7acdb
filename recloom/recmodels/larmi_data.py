"""Training and evaluation inputs for the multi-interest models (MIND, ComiRec-SA, LARMI).

:class:`PrefixSequenceData` (a :class:`~recloom.recmodels.sampling.TrainData`): one sample per
target position t >= 1 of each user's training sequence; the history is the ``max_len`` items
before t. Multi-interest encoders are not causal, so unlike SASRec's windows every sample needs its
own history row. Batches carry ``item_seq`` (shifted by +1, right-padded with 0), ``seq_len``,
``item`` (target), ``user`` and, when a :class:`~recloom.recmodels.larmi_clusters.ClusterTable` is
given, ``cluster_mask`` bool[B, F, L] over the history positions (LARMI). The target is never in
its own history, so the LLM clusters of the whole training sequence leak nothing into a sample.

:func:`sequence_eval_data` builds the :class:`~recloom.recmodels.evaluation.EvalData` of a
sequential split (one row per example with held-out targets; history items excluded from ranking),
with ``user`` and ``cluster_mask`` inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse as sp
import torch

from recloom.data.split import SequenceExamples
from recloom.errors import DataError
from recloom.recmodels.base import Batch
from recloom.recmodels.evaluation import EvalData
from recloom.recmodels.larmi_clusters import ClusterTable


def _prefix_samples(seqs: Sequence[np.ndarray], users: np.ndarray, max_len: int) -> tuple[np.ndarray, ...]:
    rows, lens, targets, owners = [], [], [], []
    for user, seq in zip(users, seqs, strict=True):
        seq = np.asarray(seq, dtype=np.int64)
        for t in range(1, len(seq)):
            hist = seq[max(0, t - max_len) : t]
            row = np.zeros(max_len, dtype=np.int64)
            row[: len(hist)] = hist + 1
            rows.append(row)
            lens.append(len(hist))
            targets.append(seq[t])
            owners.append(user)
    if not rows:
        raise DataError("no training sequence has two or more items: nothing to train on")
    return np.stack(rows), np.asarray(lens), np.asarray(targets), np.asarray(owners, dtype=np.int64)


class PrefixSequenceData:
    """All (prefix -> next item) samples of per-user sequences; see the module docstring."""

    def __init__(self, sequences: Sequence[np.ndarray], n_items: int, max_len: int = 20, *,
                 users: np.ndarray | None = None, clusters: ClusterTable | None = None) -> None:
        if max_len <= 0:
            raise DataError(f"max_len must be positive, got {max_len}")
        users = np.arange(len(sequences), dtype=np.int64) if users is None else np.asarray(users, np.int64)
        if len(users) != len(sequences):
            raise DataError(f"{len(sequences)} sequences but {len(users)} users")
        self.item_seq, self.seq_len, self.item, self.user = _prefix_samples(sequences, users, max_len)
        if self.item.min() < 0 or self.item.max() >= n_items:
            raise DataError(f"sequence item ids outside 0..{n_items - 1}")
        self.n_items = n_items
        self.clusters = clusters

    def __len__(self) -> int:
        return len(self.item)

    def batch(self, idx: np.ndarray) -> Batch:
        """The samples ``idx`` as a batch."""
        out: Batch = {
            "item_seq": torch.from_numpy(self.item_seq[idx]),
            "seq_len": torch.from_numpy(self.seq_len[idx]),
            "item": torch.from_numpy(self.item[idx]),
            "user": torch.from_numpy(self.user[idx]),
        }
        if self.clusters is not None:
            out["cluster_mask"] = torch.from_numpy(self.clusters.masks(self.user[idx], self.item_seq[idx]))
        return out

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(len(self.item))
        for start in range(0, len(order), batch_size):
            yield self.batch(order[start : start + batch_size])


def _rows_csr(parts: Sequence[np.ndarray], n_items: int) -> sp.csr_matrix:
    lengths = [len(p) for p in parts]
    cols = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(len(parts)), lengths)
    m = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(parts), n_items))
    m.data[:] = 1.0
    return m


def sequence_eval_data(examples: SequenceExamples, n_items: int, max_len: int = 20, *,
                       clusters: ClusterTable | None = None, exclude_history: bool = True) -> EvalData:
    """EvalData rows = examples with targets: inputs ``item_seq`` / ``seq_len`` / ``user`` (and
    ``cluster_mask``); ``exclude`` = every item of the example's history (methods.md §2.6)."""
    truth = _rows_csr(examples.targets(), n_items)
    exclude = _rows_csr(examples.histories(), n_items) if exclude_history else None
    keep = np.flatnonzero(np.diff(truth.indptr) > 0)
    padded, lens = examples.padded_histories(max_len=max_len, pad=-1, side="right")
    item_seq, users = padded[keep] + 1, examples.user[keep]
    inputs = {"item_seq": torch.from_numpy(item_seq), "seq_len": torch.from_numpy(lens[keep]),
              "user": torch.from_numpy(users)}
    if clusters is not None:
        inputs["cluster_mask"] = torch.from_numpy(clusters.masks(users, item_seq))
    return EvalData(inputs, truth[keep], None if exclude is None else exclude[keep])
