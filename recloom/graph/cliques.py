"""Behaviour cliques and synthetic users of LARMI (stage B; seed 001, Eqs. 5 and 7; methods.md §2.2
B1-B4 and §2.6).

- N(u): u itself plus its ``size − 1`` most similar users by behaviour overlap (only users sharing at
  least one item). Similarity ``jaccard`` (default, §2.6), ``overlap`` (raw count of shared items,
  the paper's literal "share the most overlapped behaviors") or ``cosine``. Ties are broken by more
  shared items, then the lower user index, so the ranking is deterministic and the neighbourhood of
  size G is a prefix of the one of size G + 1.
- c(u') = ∪_{g ∈ N(u)} s(u_g)  (Eq. 5): one synthetic user per real user.
- w_j = 1 + #{i : v_j ∈ s(u_i)} / Σ_i |s(u_i)|  (Eq. 7).
- A ∈ {0,1}^{M×N}, A_ij = 1[v_j ∈ c(u'_i)]  (Eq. 7), as a sparse matrix.

Overlaps come from sparse products X_block · Xᵀ over blocks of users (memory bounded by the block),
ranked with one lexsort per block: no Python loop over users or user pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from recloom.errors import ConfigError, DataError

Similarity = Literal["jaccard", "overlap", "cosine"]
SIMILARITIES: tuple[str, ...] = ("jaccard", "overlap", "cosine")
DENSE_BUDGET = 1 << 22  # entries of the per-block dense score matrix (32 MB of float64)


@dataclass(frozen=True)
class CliqueConfig:
    """``size`` = |N(u)| including u (methods.md §2.6 starts at 5)."""

    size: int = 5
    similarity: Similarity = "jaccard"
    block_rows: int | None = None

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ConfigError(f"clique size must be >= 1 (it counts the user itself), got {self.size}")
        if self.similarity not in SIMILARITIES:
            raise ConfigError(f"clique similarity must be one of {SIMILARITIES}, got {self.similarity!r}")
        if self.block_rows is not None and self.block_rows < 1:
            raise ConfigError(f"clique block_rows must be >= 1, got {self.block_rows}")


@dataclass(frozen=True)
class Neighbourhoods:
    """Ranked neighbours (self excluded): ``int64[M, size − 1]`` padded with −1, and their
    similarities ``float64[M, size − 1]`` padded with NaN."""

    neighbours: np.ndarray
    similarity: np.ndarray

    @property
    def size(self) -> int:
        return self.neighbours.shape[1] + 1

    def truncate(self, size: int) -> Neighbourhoods:
        """The neighbourhoods of a smaller ``size`` (a prefix, by the deterministic ranking)."""
        if not 1 <= size <= self.size:
            raise ConfigError(f"cannot truncate neighbourhoods of size {self.size} to {size}")
        return Neighbourhoods(self.neighbours[:, : size - 1], self.similarity[:, : size - 1])

    def members(self) -> sp.csr_array:
        """``int8[M, M]``: row u marks N(u), u included."""
        m = self.neighbours.shape[0]
        rows = np.repeat(np.arange(m), self.neighbours.shape[1])
        cols = self.neighbours.ravel()
        keep = cols >= 0
        rows = np.concatenate([np.arange(m), rows[keep]])
        cols = np.concatenate([np.arange(m), cols[keep]])
        return sp.csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(m, m))


@dataclass(frozen=True)
class CliqueSet:
    """Everything stage B hands to max-coverage: A (synthetic users × items) and w."""

    neighbourhoods: Neighbourhoods
    incidence: sp.csr_array
    item_values: np.ndarray

    def items_of(self, synthetic_user: int) -> np.ndarray:
        """The item ids of c(u'), ascending."""
        a = self.incidence
        return a.indices[a.indptr[synthetic_user] : a.indptr[synthetic_user + 1]].astype(np.int64)


def interaction_matrix(sequences: Sequence[Sequence[int]], n_items: int) -> sp.csr_array:
    """``int64[M, N]`` counts from per-user item sequences (repeats counted, as |s(u)| in Eq. 7)."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    cols = np.fromiter((int(i) for s in sequences for i in s), dtype=np.int64, count=int(lengths.sum()))
    if cols.size and (cols.min() < 0 or cols.max() >= n_items):
        raise DataError(f"item ids must lie in 0..{n_items - 1}, got {cols.min()}..{cols.max()}")
    rows = np.repeat(np.arange(len(sequences)), lengths)
    x = sp.csr_array((np.ones(cols.size, dtype=np.int64), (rows, cols)), shape=(len(sequences), n_items))
    x.sum_duplicates()
    return x


def as_counts(x: object) -> sp.csr_array:
    """A user × item matrix as a canonical non-negative ``csr_array`` (dense input accepted)."""
    mat = sp.csr_array(x) if sp.issparse(x) else sp.csr_array(np.asarray(x))
    if mat.ndim != 2:
        raise DataError(f"the interaction matrix must be 2-D (users × items), got shape {mat.shape}")
    mat.sum_duplicates()
    if mat.nnz and (mat.data.min() < 0 or not np.all(np.isfinite(mat.data))):
        raise DataError("the interaction matrix must hold finite non-negative counts")
    mat.eliminate_zeros()
    return mat


def binary(x: sp.csr_array) -> sp.csr_array:
    out = x.copy().astype(np.int64)
    out.data[:] = 1
    return out


def neighbourhoods(x: object, size: int = 5, similarity: Similarity = "jaccard",
                   block_rows: int | None = None) -> Neighbourhoods:
    """N(u) \\ {u} for every user, ranked by similarity (see the module docstring).

    ``block_rows`` users are processed per sparse product; by default as many as keep a dense
    block × users score matrix under ~32 MB."""
    CliqueConfig(size, similarity, block_rows)
    xb = binary(as_counts(x))
    m, k = xb.shape[0], size - 1
    out = np.full((m, k), -1, dtype=np.int64)
    sims = np.full((m, k), np.nan, dtype=np.float64)
    if k == 0 or m == 0:
        return Neighbourhoods(out, sims)
    rows_per_block = block_rows or max(1, min(4096, DENSE_BUDGET // m))
    sizes = np.diff(xb.indptr).astype(np.int64)
    xt = xb.T.tocsr()
    for start in range(0, m, rows_per_block):
        stop = min(start + rows_per_block, m)
        row, col, shared, key, value = _scored_pairs(xb[start:stop] @ xt, start, sizes, similarity, k)
        order = np.lexsort((col, -shared, -key, row))
        row, col, value = row[order], col[order], value[order]
        rank = np.arange(len(row)) - np.searchsorted(row, row, side="left")
        top = rank < k
        out[row[top] + start, rank[top]] = col[top]
        sims[row[top] + start, rank[top]] = value[top]
    return Neighbourhoods(out, sims)


def _scored_pairs(
    block: sp.csr_array, start: int, sizes: np.ndarray, kind: str, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row in block, user, shared items, ranking key, similarity) of the pairs that can make a
    top-k: self pairs dropped and, when the block is dense (>= 1/8 of all pairs), pairs below each
    row's k-th largest key (ties kept) dropped before the full sort."""
    overlap = sp.coo_array(block)
    row, col = overlap.row.astype(np.int64), overlap.col.astype(np.int64)
    shared = overlap.data.astype(np.int64)
    keep = (row + start != col) & (shared > 0)
    row, col, shared = row[keep], col[keep], shared[keep]
    key, value = _similarity(shared, sizes[row + start], sizes[col], kind)
    n_rows, n_users = block.shape
    if k < n_users and len(row) > max(4 * k * n_rows, n_rows * n_users // 8):
        dense = np.full((n_rows, n_users), -1.0)
        dense[row, col] = key
        kth = np.partition(dense, n_users - k, axis=1)[:, n_users - k]
        keep = key >= kth[row]
        row, col, shared, key, value = row[keep], col[keep], shared[keep], key[keep], value[keep]
    return row, col, shared, key, value


def _similarity(shared: np.ndarray, a: np.ndarray, b: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(ranking key, reported value). Keys are one division of exact integers, so equal
    similarities compare equal (cosine is ranked by its square for that reason)."""
    if kind == "overlap":
        return shared.astype(np.float64), shared.astype(np.float64)
    if kind == "jaccard":
        j = shared / (a + b - shared)
        return j, j
    sq = (shared * shared) / (a * b)
    return sq, np.sqrt(sq)


def synthetic_users(x: object, nb: Neighbourhoods) -> sp.csr_array:
    """A = 1[v_j ∈ c(u'_i)] as ``int8[M, N]`` (Eq. 5 and 7)."""
    xb = binary(as_counts(x))
    if nb.neighbours.shape[0] != xb.shape[0]:
        raise DataError(f"neighbourhoods are for {nb.neighbours.shape[0]} users, "
                        f"the matrix has {xb.shape[0]}")
    a = sp.csr_array(nb.members().astype(np.int64) @ xb)
    a.data = np.ones_like(a.data, dtype=np.int8)
    a.sort_indices()
    return a


def item_values(x: object) -> np.ndarray:
    """w_j = 1 + (#users whose s(u) holds v_j) / Σ_u |s(u)|  (Eq. 7); |s(u)| counts repeats, so
    pass counts to match the paper on sequences with repeated items."""
    counts = as_counts(x)
    total = float(counts.sum())
    users_per_item = np.asarray(binary(counts).sum(axis=0)).ravel().astype(np.float64)
    return 1.0 + users_per_item / total if total > 0 else np.ones(counts.shape[1])


def build_cliques(x: object, config: CliqueConfig | None = None) -> CliqueSet:
    """Stage B1-B4 in one call."""
    cfg = config or CliqueConfig()
    counts = as_counts(x)
    nb = neighbourhoods(counts, cfg.size, cfg.similarity, cfg.block_rows)
    return CliqueSet(nb, synthetic_users(counts, nb), item_values(counts))


def median_clique_sizes(x: object, nb: Neighbourhoods) -> dict[int, float]:
    """Median |c(u')| for every neighbourhood size 1..nb.size (prefixes of ``nb``)."""
    counts = as_counts(x)
    return {g: float(np.median(np.diff(synthetic_users(counts, nb.truncate(g)).indptr)))
            for g in range(1, nb.size + 1)}


def choose_size(x: object, target: tuple[int, int] = (30, 60), max_size: int = 20,
                similarity: Similarity = "jaccard") -> int:
    """The smallest size whose median |c(u')| lies in ``target`` (methods.md §2.6: 30-60 titles);
    if none does, the size whose median is closest to the interval."""
    lo, hi = target
    if not 0 < lo <= hi:
        raise ConfigError(f"clique size target must satisfy 0 < low <= high, got {target}")
    medians = median_clique_sizes(x, neighbourhoods(x, max_size, similarity))
    gap = {g: max(lo - med, med - hi, 0.0) for g, med in medians.items()}
    return min(gap, key=lambda g: (gap[g], g))
