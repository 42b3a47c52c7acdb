"""Sliding-window (history -> next item) examples from time-ordered interactions, the training
instances of sequential recommenders (SASRec; EISAM's "one sequence per interaction with a full
10-item history" is ``min_history=10, max_history=10``).

Example::

    ex = next_item_examples(split.train, max_history=50)      # one example per train row
    seqs, lens = ex.padded_histories(max_len=50, pad=-1)
    targets = ex.single_targets()
"""

from __future__ import annotations

import numpy as np

from recloom.data.containers import Interactions
from recloom.data.split import SequenceExamples
from recloom.errors import ConfigError


def next_item_examples(inter: Interactions, max_history: int, min_history: int = 1) -> SequenceExamples:
    """For every row with at least ``min_history`` earlier rows of the same user: history = the
    (at most ``max_history``) rows just before it in time order, target = its item."""
    if max_history < 1 or not 0 <= min_history <= max_history:
        raise ConfigError(f"need 1 <= max_history and 0 <= min_history <= max_history, "
                          f"got max_history={max_history}, min_history={min_history}")
    s = inter.sorted()
    counts = np.bincount(s.user) if len(s) else np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    pos = np.arange(len(s)) - starts[s.user] if len(s) else np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(pos >= min_history)
    hist_len = np.minimum(pos[rows], max_history)
    offsets = np.r_[0, np.cumsum(hist_len)].astype(np.int64)
    total = int(offsets[-1])
    flat = np.arange(total) - np.repeat(offsets[:-1], hist_len) + np.repeat(rows - hist_len, hist_len)
    return SequenceExamples(
        user=s.user[rows],
        history=s.item[flat],
        history_offsets=offsets,
        target=s.item[rows],
        target_offsets=np.arange(len(rows) + 1, dtype=np.int64),
    )
