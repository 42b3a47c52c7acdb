"""Grounding generated titles to catalogue items (BIGRec step 1; methods.md §5.2 step 3, §5.6).

Every generated string and every catalogue title is embedded by one :class:`TextEncoder`, and a
string grounds to the catalogue item at the smallest L2 distance. Within one sequence the k
grounded items must be distinct: a string whose nearest item is already taken (by an earlier
string of the same sequence) gets its next-nearest unused item, and the rank it had to go down to
is recorded. Ties break towards the lower item index.

Two interchangeable encoders exist: :class:`SentenceEncoder` (all-MiniLM-L6-v2 through
``recloom.data.text``, unit vectors, the default) and, for a local Hugging Face causal LM,
``recloom.llmrec.grounding.HiddenStateEncoder`` (BIGRec's last-layer hidden state of the last
token, left padding). This module is numpy only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from recloom.agents.probe.titles import TitleSet, clean_title
from recloom.errors import DataError

CHUNK = 2048


@runtime_checkable
class TextEncoder(Protocol):
    """Texts -> float32[n, d] vectors compared by L2 distance. ``name`` identifies the encoder."""

    @property
    def name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceEncoder:
    """all-MiniLM-L6-v2 unit vectors (memoised per text; optional on-disk cache), or any other
    ``texts -> vectors`` function given as ``embed``."""

    name = "minilm"

    def __init__(
        self, cache_dir: str | None = None, embed: Callable[[list[str]], np.ndarray] | None = None
    ) -> None:
        from recloom.agents.top.embedding import shared_embedder

        self._embed = embed or shared_embedder(cache_dir)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(list(texts))


@dataclass
class GroundedSequence:
    """One sequence's grounded items, in the order of its generated strings."""

    items: list[int]
    distances: list[float]
    fallback_rank: list[int]  # 0: the nearest item; r > 0: the r-th nearest (collision resolved)
    exact: list[bool]  # the string equals the item's title (case-insensitive, after clean-up)
    same_title: list[bool]  # same title by the validator's rule (article, annotations, year)


@dataclass
class Grounding:
    sequences: list[GroundedSequence]
    stats: dict[str, float] = field(default_factory=dict)


def nearest_candidates(queries: np.ndarray, keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` nearest keys of every query by L2 distance, nearest first (ties: lower index):
    (int64[q, n] indices, float64[q, n] distances)."""
    n = min(n, len(keys))
    keys64 = keys.astype(np.float64)
    key_sq = np.einsum("ij,ij->i", keys64, keys64)
    out_idx = np.zeros((len(queries), n), dtype=np.int64)
    out_dist = np.zeros((len(queries), n), dtype=np.float64)
    for start in range(0, len(queries), CHUNK):
        q = queries[start : start + CHUNK].astype(np.float64)
        d2 = np.maximum(np.einsum("ij,ij->i", q, q)[:, None] + key_sq[None, :] - 2.0 * q @ keys64.T, 0.0)
        part = (
            np.argpartition(d2, n - 1, axis=1)[:, :n]
            if n < len(keys)
            else np.tile(np.arange(len(keys)), (len(q), 1))
        )
        part_d = np.take_along_axis(d2, part, axis=1)
        order = np.lexsort((part, part_d), axis=1)
        out_idx[start : start + len(q)] = np.take_along_axis(part, order, axis=1)
        out_dist[start : start + len(q)] = np.sqrt(np.take_along_axis(part_d, order, axis=1))
    return out_idx, out_dist


def assign_distinct(
    candidates: np.ndarray, distances: np.ndarray
) -> tuple[list[int], list[float], list[int]]:
    """For the strings of one sequence (rows, in order): the nearest candidate not taken by an
    earlier row. Rows need at least as many candidates as there are rows."""
    taken: set[int] = set()
    items, dists, ranks = [], [], []
    for row in range(len(candidates)):
        for rank, item in enumerate(candidates[row].tolist()):
            if item not in taken:
                taken.add(item)
                items.append(item)
                dists.append(float(distances[row, rank]))
                ranks.append(rank)
                break
        else:
            raise DataError(f"string {row} of a sequence has no unused candidate among {candidates.shape[1]}")
    return items, dists, ranks


def ground(generated: Sequence[Sequence[str]], titles: Sequence[str], encoder: TextEncoder) -> Grounding:
    """Ground every sequence's generated strings to distinct catalogue items (see module docstring)."""
    if not titles:
        raise DataError("cannot ground to an empty catalogue")
    longest = max((len(g) for g in generated), default=0)
    if longest > len(titles):
        raise DataError(
            f"a sequence has {longest} generated strings but the catalogue only {len(titles)} items"
        )
    unique = list(dict.fromkeys(s for seq in generated for s in seq))
    if not unique:
        return Grounding([GroundedSequence([], [], [], [], []) for _ in generated], summarize([]))
    item_vecs = np.asarray(encoder.encode(list(titles)), dtype=np.float32)
    gen_vecs = np.asarray(encoder.encode(unique), dtype=np.float32)
    cand, dist = nearest_candidates(gen_vecs, item_vecs, max(longest, 1))
    row_of = {s: r for r, s in enumerate(unique)}
    out: list[GroundedSequence] = []
    for seq in generated:
        rows = [row_of[s] for s in seq]
        items, dists, ranks = assign_distinct(cand[rows], dist[rows])
        exact = [clean_title(s).casefold() == titles[i].casefold() for s, i in zip(seq, items, strict=True)]
        same = [s in TitleSet([titles[i]]) for s, i in zip(seq, items, strict=True)]
        out.append(GroundedSequence(items, dists, ranks, exact, same))
    return Grounding(out, summarize(out))


def summarize(sequences: Sequence[GroundedSequence]) -> dict[str, float]:
    """Exact-match rates, distance statistics and how many strings needed a collision fallback."""
    dists = np.array([d for s in sequences for d in s.distances], dtype=np.float64)
    n = len(dists)

    def rate(values: list[bool]) -> float:
        return float(np.mean(values)) if values else 0.0

    return {
        "strings": float(n),
        "exact_match_rate": rate([e for s in sequences for e in s.exact]),
        "same_title_rate": rate([e for s in sequences for e in s.same_title]),
        "mean_distance": float(dists.mean()) if n else 0.0,
        "median_distance": float(np.median(dists)) if n else 0.0,
        "max_distance": float(dists.max()) if n else 0.0,
        "collisions": float(sum(r > 0 for s in sequences for r in s.fallback_rank)),
    }
