"""Synthetic interactions R⁺ and how they enter training (ToP-Rec S9: R'_u = R⁺_u ∪ R_u).

:class:`SyntheticEdges` is the hand-over between the LLM side and the torch side: (user, item)
pairs in dataset indices, each with its provenance (leaf, score, reason, round). The agents write
it as a JSONL artifact; the pipeline reads it and calls :func:`augmented_train_data`, which builds
a new BPR batch source over the observed plus synthetic edges: the negative sampler then never
draws a synthetic item as a negative of its user, and a graph model rebuilds its normalised
adjacency from the new ``matrix`` when the trainer swaps the data in.

:class:`Augmenter` is what a round calls: users in, synthetic edges out (the LLM workflow, a
replayed artifact, or a random-leaf ablation all fit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from recloom.agents.artifacts import read_jsonl, write_jsonl
from recloom.errors import ArtifactError, DataError
from recloom.recmodels.sampling import PairwiseData, interaction_matrix

SYNTHETIC_FILE = "synthetic_interactions.jsonl"


@dataclass(frozen=True, eq=False)
class SyntheticEdges:
    """Synthetic (user, item) pairs with one provenance record each (``records[k]`` is pair k)."""

    user: np.ndarray
    item: np.ndarray
    records: tuple[dict[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.user.shape != self.item.shape or self.user.ndim != 1:
            raise DataError(f"synthetic edges: user and item shapes differ "
                            f"({self.user.shape}, {self.item.shape})")
        if self.records and len(self.records) != len(self.user):
            raise DataError(f"synthetic edges: {len(self.records)} records for {len(self.user)} pairs")

    def __len__(self) -> int:
        return len(self.user)

    @classmethod
    def empty(cls) -> SyntheticEdges:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, Any]], where: str = "synthetic edges"
                     ) -> SyntheticEdges:
        """Pairs from dicts with integer ``user`` and ``item`` (other keys are provenance)."""
        records = []
        for k, row in enumerate(rows, 1):
            if not isinstance(row.get("user"), int) or not isinstance(row.get("item"), int):
                raise DataError(f"{where}: record {k} needs integer 'user' and 'item', got {dict(row)!r}")
            records.append(dict(row))
        user = np.array([r["user"] for r in records], dtype=np.int64)
        item = np.array([r["item"] for r in records], dtype=np.int64)
        return cls(user, item, tuple(records))

    @classmethod
    def read(cls, path: str | Path) -> SyntheticEdges:
        path = Path(path)
        if not path.is_file():
            raise ArtifactError(f"{path}: synthetic interactions artifact is missing")
        return cls.from_records(read_jsonl(path), where=str(path))

    def write(self, path: str | Path) -> Path:
        rows = self.records or tuple({"user": int(u), "item": int(i)} for u, i in zip(self.user, self.item,
                                                                                      strict=True))
        write_jsonl(path, rows)
        return Path(path)

    def users(self) -> np.ndarray:
        return np.unique(self.user)

    def select(self, keep: np.ndarray) -> SyntheticEdges:
        """The pairs where the boolean mask ``keep`` is True (records follow)."""
        rows = tuple(r for r, k in zip(self.records, keep, strict=True) if k) if self.records else ()
        return SyntheticEdges(self.user[keep], self.item[keep], rows)

    @staticmethod
    def concat(parts: Sequence[SyntheticEdges]) -> SyntheticEdges:
        if not parts:
            return SyntheticEdges.empty()
        records: tuple[dict[str, Any], ...] = ()
        if all(p.records or len(p) == 0 for p in parts):
            records = tuple(r for p in parts for r in p.records)
        user = np.concatenate([p.user for p in parts])
        return SyntheticEdges(user, np.concatenate([p.item for p in parts]), records)


class Augmenter(Protocol):
    """Produces the synthetic interactions of one augmentation round for ``users``."""

    def augment(self, users: Sequence[int], round_index: int, out_dir: Path | None) -> SyntheticEdges:
        ...


def new_edges(current: sp.csr_matrix, edges: SyntheticEdges) -> tuple[SyntheticEdges, int]:
    """The pairs of ``edges`` not already in ``current`` (nor repeated within ``edges``) and how
    many were dropped. Raises ``DataError`` on an index outside the matrix."""
    n_users, n_items = current.shape
    bad = (edges.user < 0) | (edges.user >= n_users) | (edges.item < 0) | (edges.item >= n_items)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(f"synthetic edge {k} (user {edges.user[k]}, item {edges.item[k]}) is outside the "
                        f"{n_users} x {n_items} interaction matrix")
    present = np.asarray(current[edges.user, edges.item]).ravel() > 0 if len(edges) else np.zeros(0, bool)
    key = edges.user * n_items + edges.item
    _, first = np.unique(key, return_index=True)
    is_first = np.zeros(len(edges), dtype=bool)
    is_first[first] = True
    keep = ~present & is_first
    return edges.select(keep), int((~keep).sum())


def augmented_train_data(base: PairwiseData, edges: SyntheticEdges) -> PairwiseData:
    """Observed pairs of ``base`` followed by ``edges`` (which must be new), same negatives per positive."""
    user = np.concatenate([base.user, edges.user])
    item = np.concatenate([base.item, edges.item])
    return PairwiseData(user, item, base.n_users, base.n_items, n_neg=base.n_neg)


def expected_matrix(base: sp.csr_matrix, edges: SyntheticEdges) -> sp.csr_matrix:
    """``base`` plus the synthetic pairs, binary (what the graph and the sampler must hold)."""
    extra = interaction_matrix(edges.user, edges.item, *base.shape)
    out = sp.csr_matrix(base + extra)
    out.data[:] = 1.0
    return out
