"""Split containers: train/valid/test interactions in one index space, plus (history, targets)
examples for sequential and user-level protocols.

Example::

    split = get_splitter("leave_last_out").split(ds.interactions, ds.n_users, ds.n_items)
    split.train, split.valid, split.test           # Interactions, same index space as ds
    ex = split.test_examples                        # SequenceExamples, one per test user
    seqs, lens = ex.padded_histories(max_len=50, pad=-1)   # int64[N, 50], int64[N]
    ex.single_targets()                             # int64[N] (one target each here)

``SequenceExamples`` is ragged: ``history[history_offsets[k]:history_offsets[k+1]]`` is example k's
history (oldest first) and likewise for targets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recloom.data import columns as C
from recloom.data.containers import Interactions
from recloom.errors import ArtifactError, DataError


def _ragged(parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.r_[0, np.cumsum([len(p) for p in parts])].astype(np.int64)
    flat = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    return flat, offsets


@dataclass(frozen=True, eq=False)
class SequenceExamples:
    """(user, history, targets) examples with ragged histories and targets."""

    user: np.ndarray
    history: np.ndarray
    history_offsets: np.ndarray
    target: np.ndarray
    target_offsets: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.user)
        if len(self.history_offsets) != n + 1 or len(self.target_offsets) != n + 1:
            raise DataError(f"sequence examples: offsets do not match {n} examples")

    @classmethod
    def from_lists(
        cls, user: Sequence[int] | np.ndarray, histories: Sequence[np.ndarray], targets: Sequence[np.ndarray]
    ) -> SequenceExamples:
        if not len(user) == len(histories) == len(targets):
            raise DataError("sequence examples: user, histories and targets differ in length")
        h, ho = _ragged(histories)
        t, to = _ragged(targets)
        return cls(np.asarray(user, dtype=np.int64), h, ho, t, to)

    def __len__(self) -> int:
        return len(self.user)

    def histories(self) -> list[np.ndarray]:
        o = self.history_offsets
        return [self.history[o[k] : o[k + 1]] for k in range(len(self))]

    def targets(self) -> list[np.ndarray]:
        o = self.target_offsets
        return [self.target[o[k] : o[k + 1]] for k in range(len(self))]

    def history_lengths(self) -> np.ndarray:
        return np.diff(self.history_offsets)

    def target_lengths(self) -> np.ndarray:
        return np.diff(self.target_offsets)

    def single_targets(self) -> np.ndarray:
        """int64[N] when every example has exactly one target; ``DataError`` otherwise."""
        if len(self) and not np.all(self.target_lengths() == 1):
            raise DataError("sequence examples have several targets per example; use targets()")
        return self.target.copy()

    def padded_histories(
        self, max_len: int | None = None, pad: int = -1, side: str = "right"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Histories as int64[N, L] keeping the most recent ``max_len`` items (L = longest when None),
        padded with ``pad`` on the ``side`` ("right": items then padding; "left": padding then
        items), and the kept lengths int64[N]."""
        if side not in ("left", "right"):
            raise DataError(f"padding side must be 'left' or 'right', got {side!r}")
        lengths = self.history_lengths()
        width = int(lengths.max(initial=0)) if max_len is None else int(max_len)
        kept = np.minimum(lengths, width)
        out = np.full((len(self), width), pad, dtype=np.int64)
        for k, hist in enumerate(self.histories()):
            n = int(kept[k])
            if n == 0:
                continue
            if side == "right":
                out[k, :n] = hist[len(hist) - n :]
            else:
                out[k, width - n :] = hist[len(hist) - n :]
        return out, kept

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.{k}": getattr(self, k) for k in _EX_FIELDS}

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> SequenceExamples:
        return cls(*(arrays[f"{prefix}.{k}"] for k in _EX_FIELDS))


_EX_FIELDS = ("user", "history", "history_offsets", "target", "target_offsets")
_PARTS = ("train", "valid", "test")


@dataclass(frozen=True)
class Split:
    """A named, parameterised split. ``valid``/``test`` hold the held-out interactions; for
    sequential / user-level protocols ``valid_examples``/``test_examples`` say which history each
    held-out set is predicted from. ``info`` has counts, e.g. users too short to split."""

    name: str
    params: dict[str, Any]
    n_users: int
    n_items: int
    train: Interactions
    valid: Interactions
    test: Interactions
    valid_examples: SequenceExamples | None = None
    test_examples: SequenceExamples | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for part in _PARTS:
            getattr(self, part).check_bounds(n_users=self.n_users, n_items=self.n_items)

    def sizes(self) -> dict[str, int]:
        return {part: len(getattr(self, part)) for part in _PARTS}

    def save(self, directory: str | Path) -> Path:
        """Write ``split.npz`` + ``split.json`` into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for part in _PARTS:
            inter: Interactions = getattr(self, part)
            arrays.update({f"{part}.{C.USER}": inter.user, f"{part}.{C.ITEM}": inter.item,
                           f"{part}.{C.TIMESTAMP}": inter.timestamp})
            if inter.rating is not None:
                arrays[f"{part}.{C.RATING}"] = inter.rating
        for part in ("valid", "test"):
            ex: SequenceExamples | None = getattr(self, f"{part}_examples")
            if ex is not None:
                arrays.update(ex.to_arrays(f"{part}_examples"))
        np.savez_compressed(d / "split.npz", **arrays)
        doc = {"name": self.name, "params": self.params, "n_users": self.n_users,
               "n_items": self.n_items, "info": self.info}
        (d / "split.json").write_text(json.dumps(doc), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Split:
        d = Path(directory)
        if not (d / "split.json").is_file() or not (d / "split.npz").is_file():
            raise ArtifactError(f"{d}: not a saved split (split.json / split.npz missing)")
        doc = json.loads((d / "split.json").read_text(encoding="utf-8"))
        with np.load(d / "split.npz") as z:
            parts = {p: _inter_from(z, p) for p in _PARTS}
            examples = {
                f"{p}_examples": SequenceExamples.from_arrays(z, f"{p}_examples")
                if f"{p}_examples.user" in z.files else None
                for p in ("valid", "test")
            }
        return cls(doc["name"], doc["params"], doc["n_users"], doc["n_items"], **parts, **examples,
                   info=doc["info"])


def _inter_from(z: Any, part: str) -> Interactions:
    rating_key = f"{part}.{C.RATING}"
    return Interactions(z[f"{part}.{C.USER}"], z[f"{part}.{C.ITEM}"], z[f"{part}.{C.TIMESTAMP}"],
                        z[rating_key] if rating_key in z.files else None)
