"""Checks and repairs of one interest-clustering answer (methods.md §2.5), as pure functions.

An answer is a list of clusters over the L numbered titles of the prompt; each cluster entry is an
index 1..L or, from models that ignore the instruction, a title. The rules:

- Rejected (the runtime re-asks with the message): no cluster, more clusters than titles (F > L),
  an empty cluster, an index outside 1..L, a string that is neither a number nor a title of the list
  (exact match after normalisation, else the unique nearest title with normalised edit distance
  <= 0.1), an answer that covers nothing.
- Repaired, every repair recorded: a title or a numeric string given instead of an index is mapped
  to its index; a duplicate inside a cluster is dropped; for individual users an index in several
  clusters stays in the first one only (a cluster left empty by that is dropped); indices no cluster
  mentions become singleton clusters; for synthetic users a cluster repeating an earlier cluster's
  items is dropped. A repaired answer with more clusters than items (possible with overlaps) is
  rejected.

After :func:`repair_clusters` an individual user's clusters partition 1..L and a synthetic user's
clusters cover 1..L (overlaps allowed); :func:`violations` lists what breaks those invariants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from recloom.errors import SemanticValidationError

Kind = Literal["individual", "synthetic"]
KINDS: tuple[str, ...] = ("individual", "synthetic")
FUZZY_MAX = 0.1  # normalised edit distance accepted for a title given instead of an index
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"^\s*#?\s*(\d+)\s*[.)]?\s*$")


@dataclass
class Repaired:
    """Clusters as lists of 1-based indices, with the repairs that produced them."""

    clusters: list[list[int]]
    repairs: list[str] = field(default_factory=list)


def normalise_title(text: str) -> str:
    """Lowercase, whitespace collapsed, surrounding quotes and punctuation trimmed."""
    return _SPACE.sub(" ", text).strip().strip("\"'`.,;:").strip().lower()


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; stops early (returns ``limit + 1``) once it must exceed ``limit``."""
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def match_title(text: str, titles: Sequence[str]) -> int | None:
    """1-based index of the title ``text`` names: exact (normalised) match first, else the unique
    title within normalised edit distance ``FUZZY_MAX``; None when there is none or several."""
    wanted = normalise_title(text)
    normalised = [normalise_title(t) for t in titles]
    for k, title in enumerate(normalised):
        if title == wanted:
            return k + 1
    best: list[int] = []
    best_score = FUZZY_MAX
    for k, title in enumerate(normalised):
        longest = max(len(title), len(wanted), 1)
        dist = edit_distance(title, wanted, int(FUZZY_MAX * longest))
        score = dist / longest
        if score < best_score - 1e-12:
            best, best_score = [k + 1], score
        elif abs(score - best_score) <= 1e-12:
            best.append(k + 1)
    return best[0] if len(best) == 1 else None


def resolve_entry(entry: int | str, titles: Sequence[str], where: str, repairs: list[str]) -> int:
    """The 1-based index an answer entry stands for (an index, a numeric string or a title)."""
    n = len(titles)
    if isinstance(entry, str):
        number = _NUMBER.match(entry)
        if number is not None:
            index = int(number.group(1))
            repairs.append(f"{where}: index given as the string {entry!r}, read as {index}")
        else:
            found = match_title(entry, titles)
            if found is None:
                raise SemanticValidationError(
                    f"{where}: {entry[:80]!r} is neither an item number nor one of the listed titles; "
                    f"use the item numbers 1..{n}"
                )
            repairs.append(f"{where}: title {entry[:60]!r} mapped to item {found}")
            index = found
    else:
        index = int(entry)
    if not 1 <= index <= n:
        raise SemanticValidationError(f"{where}: item number {index} is outside 1..{n}")
    return index


def resolve_clusters(
    raw: Sequence[Sequence[int | str]], titles: Sequence[str], names: Sequence[str] | None = None
) -> Repaired:
    """Indices of every cluster (checks F, emptiness and range; maps titles; drops duplicates)."""
    n = len(titles)
    if not raw:
        raise SemanticValidationError("the answer has no cluster; give at least one")
    if len(raw) > n:
        raise SemanticValidationError(
            f"the answer has {len(raw)} clusters for {n} items; at most one cluster per item"
        )
    out = Repaired([])
    for f, entries in enumerate(raw):
        label = f"cluster {f + 1}" + (f" ({names[f][:40]!r})" if names is not None else "")
        if not entries:
            raise SemanticValidationError(f"{label} is empty; every cluster needs at least one item")
        indices: list[int] = []
        for entry in entries:
            index = resolve_entry(entry, titles, label, out.repairs)
            if index in indices:
                out.repairs.append(f"{label}: duplicate item {index} dropped")
            else:
                indices.append(index)
        out.clusters.append(indices)
    return out


def keep_first(clusters: list[list[int]], repairs: list[str]) -> tuple[list[list[int]], list[int]]:
    """Each index only in the first cluster naming it; returns the clusters (empty ones dropped)
    and the positions of the kept clusters in the input."""
    seen: set[int] = set()
    kept: list[list[int]] = []
    positions: list[int] = []
    for f, indices in enumerate(clusters):
        again = [i for i in indices if i in seen]
        if again:
            repairs.append(f"cluster {f + 1}: item(s) {again} already in an earlier cluster, kept there")
        rest = [i for i in indices if i not in seen]
        seen.update(rest)
        if rest:
            kept.append(rest)
            positions.append(f)
        else:
            repairs.append(f"cluster {f + 1}: dropped (all its items are in earlier clusters)")
    return kept, positions


def drop_repeated_clusters(
    clusters: list[list[int]], repairs: list[str]
) -> tuple[list[list[int]], list[int]]:
    """Synthetic users: a cluster with the same items as an earlier one is dropped."""
    seen: set[frozenset[int]] = set()
    kept: list[list[int]] = []
    positions: list[int] = []
    for f, indices in enumerate(clusters):
        key = frozenset(indices)
        if key in seen:
            repairs.append(f"cluster {f + 1}: dropped (same items as an earlier cluster)")
            continue
        seen.add(key)
        kept.append(indices)
        positions.append(f)
    return kept, positions


def missing_indices(clusters: Sequence[Sequence[int]], n: int) -> list[int]:
    covered = {i for c in clusters for i in c}
    return [i for i in range(1, n + 1) if i not in covered]


def violations(clusters: Sequence[Sequence[int]], n: int, kind: Kind) -> list[str]:
    """What breaks the invariants of a final clustering of ``n`` items (empty list = valid):
    1 <= F <= n, no empty cluster, indices in 1..n, no duplicate in a cluster, every index covered,
    and for individual users no index in two clusters."""
    problems: list[str] = []
    if not 1 <= len(clusters) <= max(n, 1):
        problems.append(f"{len(clusters)} clusters for {n} items")
    seen: dict[int, int] = {}
    for f, cluster in enumerate(clusters):
        if not cluster:
            problems.append(f"cluster {f + 1} is empty")
        if len(set(cluster)) != len(cluster):
            problems.append(f"cluster {f + 1} repeats an item")
        for i in cluster:
            if not 1 <= i <= n:
                problems.append(f"cluster {f + 1}: item {i} outside 1..{n}")
            elif kind == "individual" and i in seen and seen[i] != f:
                problems.append(f"item {i} is in clusters {seen[i] + 1} and {f + 1}")
            seen.setdefault(i, f)
    missing = missing_indices(clusters, n)
    if missing:
        problems.append(f"items {missing} are in no cluster")
    return problems
