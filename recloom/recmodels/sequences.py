"""Next-item training samples for sequential models (SASRec): windows of history and their targets.

Encoding (shared with :mod:`recloom.recmodels.sasrec`): ``item_seq`` holds ``item + 1`` with 0 as
padding, **right-padded**, positions counted from the window start. Causal attention then makes the
output at position ``j`` of a window exactly the representation of the prefix ``window[:j+1]``, so
one forward pass serves every target of a window. A training batch therefore carries

- ``item_seq`` LongTensor[S, L], ``seq_len`` LongTensor[S]: the S windows the batch needs;
- ``item`` LongTensor[B] (target, unshifted), ``window`` LongTensor[B] (row of ``item_seq``),
  ``pos`` LongTensor[B] (position whose output predicts the target);
- optionally ``neg_item`` LongTensor[B] / [B, n_neg] and ``weight`` FloatTensor[B].

An evaluation batch has only ``item_seq`` [B, L] and ``seq_len`` [B]: the next item after each row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import scipy.sparse as sp
import torch

from recloom.errors import DataError
from recloom.recmodels.base import Batch
from recloom.recmodels.sampling import NegativeSampler, check_indices


def pad_histories(histories: Sequence[np.ndarray], maxlen: int) -> tuple[np.ndarray, np.ndarray]:
    """Last ``maxlen`` items of each history, shifted by +1, right-padded: (int64[N, L], int64[N])."""
    out = np.zeros((len(histories), maxlen), dtype=np.int64)
    lens = np.zeros(len(histories), dtype=np.int64)
    for row, hist in enumerate(histories):
        tail = np.asarray(hist, dtype=np.int64)[-maxlen:]
        out[row, :len(tail)] = tail + 1
        lens[row] = len(tail)
    return out, lens


def _windows_of(seq: np.ndarray, maxlen: int, stride: int) -> list[tuple[int, int, int]]:
    """(start, input_len, first_new_position) of the windows covering every target of ``seq``."""
    n_targets = len(seq) - 1
    spans: list[tuple[int, int, int]] = []
    covered = 0  # targets seq[1..covered] are assigned already
    start = 0
    while covered < n_targets:
        length = min(maxlen, n_targets - start)
        first_new = covered - start  # position j predicts seq[start + j + 1]
        spans.append((start, length, max(first_new, 0)))
        covered = start + length
        start += stride
    return spans


class SequenceData:
    """Windowed next-item samples; see the module docstring for the batch layout."""

    def __init__(self, item_seq: np.ndarray, seq_len: np.ndarray, window: np.ndarray, pos: np.ndarray,
                 item: np.ndarray, n_items: int, *, n_neg: int = 0, positives: sp.csr_matrix | None = None,
                 owner: np.ndarray | None = None, weight: np.ndarray | None = None) -> None:
        self.item_seq, self.seq_len = item_seq, seq_len
        self.window, self.pos, self.item = window, pos, item
        self.n_items, self.n_neg = n_items, n_neg
        check_indices(item, n_items, "target item")
        self.weight = None if weight is None else np.asarray(weight, dtype=np.float32)
        if self.weight is not None and self.weight.shape != item.shape:
            raise DataError(f"weight has shape {self.weight.shape}, targets {item.shape}")
        self.owner = owner if owner is not None else np.arange(len(item), dtype=np.int64)
        if n_neg and positives is None:
            positives = sp.csr_matrix((np.ones(len(item)), (self.owner, item)),
                                      shape=(int(self.owner.max()) + 1, n_items))
        self.sampler = NegativeSampler(positives) if n_neg else None

    @classmethod
    def from_sequences(cls, seqs: Sequence[np.ndarray], n_items: int, maxlen: int, *,
                       targets: Literal["all", "last"] = "all", stride: int | None = None,
                       n_neg: int = 0) -> SequenceData:
        """Samples from chronological per-user sequences.

        ``targets="all"``: every item after the first is a target (RecBole's all-prefix training).
        Windows of ``maxlen`` inputs slide by ``stride`` (default ``maxlen // 2``); each target is
        predicted once, in the first window that reaches it, so it sees at least ``maxlen - stride``
        items of history (or all of it). ``stride=1`` is exact all-prefix training.
        ``targets="last"``: one sample per sequence, the last item after the ``maxlen`` before it.
        Negatives (``n_neg > 0``, for BCE) avoid every item of the sample's own sequence.
        """
        stride = max(1, stride or maxlen // 2)
        rows, lens, win, pos, tgt, owner = [], [], [], [], [], []
        for s_idx, seq in enumerate(seqs):
            seq = np.asarray(seq, dtype=np.int64)
            if len(seq) < 2:
                continue
            spans = _windows_of(seq, maxlen, stride) if targets == "all" else \
                [(max(0, len(seq) - 1 - maxlen), min(maxlen, len(seq) - 1), min(maxlen, len(seq) - 1) - 1)]
            for start, length, first_new in spans:
                w = len(rows)
                rows.append(seq[start:start + length] + 1)
                lens.append(length)
                j = np.arange(first_new, length)
                win.append(np.full(len(j), w))
                pos.append(j)
                tgt.append(seq[start + j + 1])
                owner.append(np.full(len(j), s_idx))
        if not rows:
            raise DataError("no sequence has two or more items: nothing to train on")
        item_seq = np.zeros((len(rows), maxlen), dtype=np.int64)
        for w, r in enumerate(rows):
            item_seq[w, :len(r)] = r
        owner_arr = np.concatenate(owner)
        positives = None
        if n_neg:
            all_owner = np.concatenate([np.full(len(s), i) for i, s in enumerate(seqs)])
            all_items = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
            positives = sp.csr_matrix((np.ones(len(all_items)), (all_owner, all_items)),
                                      shape=(len(seqs), n_items))
        return cls(item_seq, np.asarray(lens, dtype=np.int64), np.concatenate(win), np.concatenate(pos),
                   np.concatenate(tgt), n_items, n_neg=n_neg, positives=positives, owner=owner_arr)

    @classmethod
    def from_examples(cls, histories: Sequence[np.ndarray], targets: np.ndarray, n_items: int, maxlen: int,
                      *, n_neg: int = 0, weight: np.ndarray | None = None) -> SequenceData:
        """One sample per (history, target) pair, e.g. fixed-length histories (EISAM, DTR)."""
        targets = np.asarray(targets, dtype=np.int64)
        if len(histories) != len(targets):
            raise DataError(f"{len(histories)} histories but {len(targets)} targets")
        item_seq, lens = pad_histories(histories, maxlen)
        if (lens == 0).any():
            raise DataError(f"example {int(np.flatnonzero(lens == 0)[0])} has an empty history")
        idx = np.arange(len(targets), dtype=np.int64)
        return cls(item_seq, lens, idx, lens - 1, targets, n_items, n_neg=n_neg, weight=weight)

    def __len__(self) -> int:
        return len(self.item)

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """Windows in random order, their samples in chunks of ``batch_size`` samples."""
        rank = np.empty(len(self.item_seq), dtype=np.int64)
        rank[rng.permutation(len(self.item_seq))] = np.arange(len(self.item_seq))
        order = np.argsort(rank[self.window], kind="stable")
        neg = self.sampler.sample(self.owner[order], self.n_neg, rng) if self.sampler else None
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            rows, local = np.unique(self.window[idx], return_inverse=True)
            batch: Batch = {
                "item_seq": torch.from_numpy(self.item_seq[rows]),
                "seq_len": torch.from_numpy(self.seq_len[rows]),
                "window": torch.from_numpy(local.astype(np.int64)),
                "pos": torch.from_numpy(self.pos[idx]),
                "item": torch.from_numpy(self.item[idx]),
            }
            if neg is not None:
                batch["neg_item"] = torch.from_numpy(np.ascontiguousarray(neg[start:start + batch_size]))
            if self.weight is not None:
                batch["weight"] = torch.from_numpy(self.weight[idx])
            yield batch
