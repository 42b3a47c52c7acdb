"""The prior long-tail distribution and the P×D item groups (EISAM, seed 004 Sec. 4, Fig. 1;
methods.md §5.2 step 4-5, §5.6 aggregation checks, §5.7 head/tail thresholds).

- c_prior(i): number of probed sequences whose grounded top-k contains item i.
- P-Head: the top ``ceil(share * n_items)`` items by c_prior (ties: higher data frequency, then
  lower item id); P-Tail: the rest.
- D-Head / D-Tail: the same by training target frequency n_i (ties: lower item id).
- Cells: ``2 * P + D`` with HEAD = 0, TAIL = 1: 0 P-Head∩D-Head, 1 P-Head∩D-Tail,
  2 P-Tail∩D-Head, 3 P-Tail∩D-Tail.
Numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recloom.errors import ArtifactError, DataError

HEAD, TAIL = 0, 1
CELL_NAMES = {0: "P-Head∩D-Head", 1: "P-Head∩D-Tail", 2: "P-Tail∩D-Head", 3: "P-Tail∩D-Tail"}
CELL_KEYS = {0: "ph_dh", 1: "ph_dt", 2: "pt_dh", 3: "pt_dt"}


def prior_counts(grounded: Sequence[Sequence[int]], n_items: int) -> np.ndarray:
    """c_prior: int64[n_items], how many sequences' grounded lists contain each item."""
    counts = np.zeros(n_items, dtype=np.int64)
    for row, items in enumerate(grounded):
        unique = np.unique(np.asarray(items, dtype=np.int64))
        if len(unique) != len(items):
            raise DataError(f"grounded list of sequence {row} repeats an item: {list(items)}")
        if len(unique) and (unique[0] < 0 or unique[-1] >= n_items):
            raise DataError(f"grounded list of sequence {row} holds an item outside [0, {n_items})")
        counts[unique] += 1
    return counts


def top_share_groups(score: np.ndarray, share: float = 0.2, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """int8[n]: HEAD for the ``ceil(share * n)`` items of highest ``score`` (ties: higher
    ``tiebreak``, then lower index), TAIL for the rest."""
    if not 0.0 < share < 1.0:
        raise DataError(f"head share must lie in (0, 1), got {share}")
    score = np.asarray(score, dtype=np.float64)
    second = np.zeros_like(score) if tiebreak is None else np.asarray(tiebreak, dtype=np.float64)
    if second.shape != score.shape:
        raise DataError(f"tie-break has shape {second.shape}, scores {score.shape}")
    order = np.lexsort((np.arange(len(score)), -second, -score))
    groups = np.full(len(score), TAIL, dtype=np.int8)
    groups[order[: math.ceil(share * len(score))]] = HEAD
    return groups


def cells(prior_group: np.ndarray, data_group: np.ndarray) -> np.ndarray:
    """int8[n] cell id 2 * P + D."""
    if prior_group.shape != data_group.shape:
        raise DataError(
            f"prior groups {prior_group.shape} and data groups {data_group.shape} differ in shape"
        )
    return (2 * prior_group.astype(np.int8) + data_group.astype(np.int8)).astype(np.int8)


@dataclass
class PriorGroups:
    """Everything the probe's aggregation step produces, per item and in summary."""

    c_prior: np.ndarray  # int64[n_items]
    data_counts: np.ndarray  # int64[n_items], training target frequency n_i
    prior_group: np.ndarray  # int8[n_items]
    data_group: np.ndarray  # int8[n_items]
    cell: np.ndarray  # int8[n_items]
    n_sequences: int
    k: int

    @classmethod
    def build(
        cls, grounded: Sequence[Sequence[int]], data_counts: np.ndarray, k: int, share: float = 0.2
    ) -> PriorGroups:
        data_counts = np.asarray(data_counts, dtype=np.int64)
        c_prior = prior_counts(grounded, len(data_counts))
        prior_group = top_share_groups(c_prior, share, tiebreak=data_counts)
        data_group = top_share_groups(data_counts, share)
        return cls(
            c_prior, data_counts, prior_group, data_group, cells(prior_group, data_group), len(grounded), k
        )

    def summary(self) -> dict[str, object]:
        """Counts, the sum check, the never-recommended share and the group thresholds."""
        total = int(self.c_prior.sum())
        expected = self.n_sequences * self.k
        p_head = self.c_prior[self.prior_group == HEAD]
        d_head = self.data_counts[self.data_group == HEAD]
        return {
            "n_items": int(len(self.c_prior)),
            "n_sequences": self.n_sequences,
            "k": self.k,
            "c_prior_sum": total,
            "expected_sum": expected,
            "sum_check": total == expected,
            "deficit": expected - total,
            "never_recommended_share": float(np.mean(self.c_prior == 0)) if len(self.c_prior) else 0.0,
            "distinct_recommended": int(np.count_nonzero(self.c_prior)),
            "p_head_min_count": int(p_head.min()) if len(p_head) else 0,
            "d_head_min_count": int(d_head.min()) if len(d_head) else 0,
            "p_head_share_of_recommendations": float(p_head.sum() / total) if total else 0.0,
            "cells": {CELL_NAMES[c]: int(np.count_nonzero(self.cell == c)) for c in CELL_NAMES},
        }

    def save(self, path: str) -> None:
        np.savez_compressed(
            path,
            c_prior=self.c_prior,
            data_counts=self.data_counts,
            prior_group=self.prior_group,
            data_group=self.data_group,
            cell=self.cell,
            meta=np.array([self.n_sequences, self.k], dtype=np.int64),
        )

    @classmethod
    def load(cls, path: str) -> PriorGroups:
        try:
            with np.load(path) as z:
                n_sequences, k = (int(v) for v in z["meta"])
                return cls(
                    z["c_prior"],
                    z["data_counts"],
                    z["prior_group"],
                    z["data_group"],
                    z["cell"],
                    n_sequences,
                    k,
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ArtifactError(
                f"{path}: not a probe groups file written by `recloom probe groups` ({exc})"
            ) from exc
