"""The EISAM data protocol (seed 004 Sec. 6.1; methods.md §5.4, §5.7): fixed-length next-item
sequences split 8:1:1 by time.

1. Items with fewer than ``min_item_count`` (5) interactions are removed (one pass), then
   users/items without rows are renumbered away.
2. One sequence per interaction that has a full history of ``history`` (10) earlier interactions
   of its user: history = those 10 items (oldest first), target = the interaction's item. (ML-1M:
   #sequences = #interactions - 10 * #users.)
3. Sequences are ordered by the target's timestamp (one global timeline; ties: user, then time
   order) and cut 8:1:1 into train / valid / test (RecBole's rounding, ``ratio_counts``).
4. ``max_train`` caps the training sequences by a seeded uniform sample (§5.7: the released
   checkpoints imply ~65 k training sequences; default here: no cap). Valid/test caps likewise.

Numpy only. Example::

    data = eisam_sequences(load_dataset("ml-1m"), max_train=65_536)
    data.train.histories()[0], data.train.single_targets()[0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recloom.data import Dataset, Interactions, SequenceExamples
from recloom.data.filters import min_item_interactions
from recloom.data.sequences import next_item_examples
from recloom.data.splitters.base import ratio_counts
from recloom.errors import ConfigError, DataError

PARTS = ("train", "valid", "test")


@dataclass(frozen=True)
class EisamData:
    """The filtered dataset and its three sequence sets (single targets, histories of ``history``)."""

    dataset: Dataset
    train: SequenceExamples
    valid: SequenceExamples
    test: SequenceExamples
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return self.dataset.n_items

    def titles(self) -> list[str]:
        if self.dataset.items is None:
            raise DataError(f"dataset {self.dataset.name!r} has no item titles")
        return list(self.dataset.items.titles)

    def train_counts(self) -> np.ndarray:
        """n_i: how often each item is a training target (int64[n_items])."""
        return np.bincount(self.train.single_targets(), minlength=self.n_items).astype(np.int64)

    def part(self, name: str) -> SequenceExamples:
        if name not in PARTS:
            raise ConfigError(f"unknown part {name!r}; choose one of {', '.join(PARTS)}")
        return getattr(self, name)


def _subsample(ex: SequenceExamples, cap: int | None, rng: np.random.Generator) -> SequenceExamples:
    if cap is None or cap >= len(ex):
        return ex
    if cap < 1:
        raise ConfigError(f"a sequence cap must be >= 1, got {cap}")
    keep = np.sort(rng.choice(len(ex), size=cap, replace=False))
    return take(ex, keep)


def _ragged_take(flat: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lens = np.diff(offsets)[rows]
    new_offsets = np.r_[0, np.cumsum(lens)].astype(np.int64)
    idx = np.arange(int(new_offsets[-1])) - np.repeat(new_offsets[:-1] - offsets[rows], lens)
    return flat[idx], new_offsets


def take(ex: SequenceExamples, rows: np.ndarray) -> SequenceExamples:
    """The examples at ``rows`` (in that order)."""
    rows = np.asarray(rows, dtype=np.int64)
    hist, hist_off = _ragged_take(ex.history, ex.history_offsets, rows)
    tgt, tgt_off = _ragged_take(ex.target, ex.target_offsets, rows)
    return SequenceExamples(ex.user[rows], hist, hist_off, tgt, tgt_off)


def windows(inter: Interactions, history: int) -> tuple[SequenceExamples, np.ndarray]:
    """Every full-history window of ``inter`` and its target timestamps."""
    s = inter.sorted()
    rows = Interactions(s.user, np.arange(len(s)), s.timestamp)  # items = row numbers of s
    ex = next_item_examples(rows, max_history=history, min_history=history)
    out = SequenceExamples(
        ex.user, s.item[ex.history], ex.history_offsets, s.item[ex.target], ex.target_offsets
    )
    return out, s.timestamp[ex.target]


def time_split(times: np.ndarray, ratios: tuple[float, float, float]) -> dict[str, np.ndarray]:
    """Row indices of train / valid / test: rows ordered by time (ties: row order), cut by ``ratios``."""
    order = np.lexsort((np.arange(len(times)), times))
    n_train, n_valid, _ = (int(c) for c in ratio_counts(np.array([len(times)]), ratios)[0])
    return {
        "train": order[:n_train],
        "valid": order[n_train : n_train + n_valid],
        "test": order[n_train + n_valid :],
    }


def eisam_sequences(
    dataset: Dataset,
    *,
    history: int = 10,
    min_item_count: int = 5,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_train: int | None = None,
    max_valid: int | None = None,
    max_test: int | None = None,
    seed: int = 0,
) -> EisamData:
    """Build the protocol's sequences from ``dataset`` (see the module docstring)."""
    if history < 1:
        raise ConfigError(f"history must be >= 1, got {history}")
    filtered = min_item_interactions(dataset.interactions, min_item_count)
    ds = dataset.with_interactions(filtered, eisam_min_item_interactions=min_item_count).compact()
    ex, times = windows(ds.interactions, history)
    if len(ex) < 3:
        raise DataError(
            f"dataset {dataset.name!r}: only {len(ex)} sequences with a full {history}-item history"
        )
    parts = time_split(times, ratios)
    rng = np.random.default_rng(seed)
    caps = {"train": max_train, "valid": max_valid, "test": max_test}
    sets = {name: _subsample(take(ex, np.sort(rows)), caps[name], rng) for name, rows in parts.items()}
    info = {
        "interactions": len(ds.interactions),
        "users": ds.n_users,
        "items": ds.n_items,
        "sequences": len(ex),
        "history": history,
        "min_item_interactions": min_item_count,
        "ratios": list(ratios),
        "full_sizes": {name: len(rows) for name, rows in parts.items()},
        "sizes": {name: len(s) for name, s in sets.items()},
        "caps": caps,
        "seed": seed,
    }
    return EisamData(ds, sets["train"], sets["valid"], sets["test"], info)
