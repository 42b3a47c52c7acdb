"""The local (non-LLM) solver of ``larmi.cluster``: agglomerative clustering of the titles'
sentence embeddings (all-MiniLM-L6-v2) with a distance threshold, so the number of clusters varies
per user as it does with an LLM; cluster names from the words that are distinctive for the cluster.

- Individual users: average-linkage clustering on cosine distance, cut at ``threshold`` (default
  0.7: on Amazon Industrial & Scientific training histories of 3-13 items this gives about 2.8
  clusters per user); clusters ordered by their oldest item.
- Synthetic users: the same partition, then every item also joins each other cluster whose average
  cosine distance to it is within ``threshold`` (the linkage's own merge rule), so items may sit in
  several clusters, as the prompt allows.

Context (read-only, given to the local backend): ``embedder`` (a callable ``list[str] -> float32[n, d]``
with unit rows; default: MiniLM through ``recloom.data.text.embed_texts`` with an in-memory memo and
the on-disk cache ``embedding_cache_dir``), ``cluster_threshold``, ``overlap_threshold`` (default:
the same). :func:`context_id` fingerprints the options for the cache key of local answers.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.larmi.task import DESCRIPTION_CHARS, NAME_CHARS, Cluster, ClusterInput, ClusterOutput
from recloom.errors import ConfigError
from recloom.prompts.solver import local_solver

DEFAULT_THRESHOLD = 0.7
EMBEDDER_KEY, CACHE_KEY = "embedder", "embedding_cache_dir"
THRESHOLD_KEY, OVERLAP_KEY = "cluster_threshold", "overlap_threshold"
Embed = Callable[[Sequence[str]], np.ndarray]
_WORD = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]")
_STOP = frozenset(
    "a an and the of in on at to for with from by is it its this that or as be are was per pack pcs "
    "set kit each inch inches mm cm ft lb lbs oz ml count piece pieces size new use black white blue "
    "red green clear small large x".split()
)


class TitleEmbedder:
    """MiniLM vectors per text, memoised in memory (thread-safe), optionally cached on disk."""

    def __init__(self, cache_dir: str | Path | None = None) -> None:
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self._memo: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        from recloom.data.text import EMBEDDING_DIM, embed_texts

        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if missing:
                self._memo.update(zip(missing, embed_texts(missing, cache_dir=self.cache_dir), strict=True))
            if not texts:
                return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
            return np.stack([self._memo[t] for t in texts])


_SHARED: dict[str, TitleEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def embedder_for(context: Mapping[str, Any]) -> Embed:
    """``context["embedder"]``, else the process-wide MiniLM embedder for ``embedding_cache_dir``."""
    given = context.get(EMBEDDER_KEY)
    if given is not None:
        if not callable(given):
            raise ConfigError(f"larmi.cluster local solver: context[{EMBEDDER_KEY!r}] is not callable")
        return given  # type: ignore[no-any-return]
    cache = context.get(CACHE_KEY)
    key = "" if cache is None else str(Path(cache).resolve())
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = TitleEmbedder(cache)
        return _SHARED[key]


def warm_embeddings(context: Mapping[str, Any], texts: Sequence[str]) -> None:
    """Embed ``texts`` in one batch with the embedder the solver will use for ``context`` (solving
    user by user would otherwise encode a few titles per call)."""
    embed = embedder_for(context)
    if isinstance(embed, TitleEmbedder):
        embed(list(dict.fromkeys(texts)))


def thresholds(context: Mapping[str, Any]) -> tuple[float, float]:
    """(cluster threshold, overlap threshold) from the context, checked."""
    cut = float(context.get(THRESHOLD_KEY, DEFAULT_THRESHOLD))
    overlap = float(context.get(OVERLAP_KEY, cut))
    for name, value in ((THRESHOLD_KEY, cut), (OVERLAP_KEY, overlap)):
        if not 0.0 <= value <= 2.0:
            raise ConfigError(
                f"larmi.cluster local solver: {name} must lie in [0, 2] (cosine distance), got {value}"
            )
    return cut, overlap


def context_id(
    threshold: float = DEFAULT_THRESHOLD, overlap: float | None = None, encoder: str = "minilm"
) -> str:
    """The ``local_context_id`` of a context with these options (part of local answers' cache key)."""
    return f"larmi.cluster:{encoder}:t={threshold:g}:o={threshold if overlap is None else overlap:g}"


def cosine_distances(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.clip(1.0 - unit @ unit.T, 0.0, 2.0)


def partition(dist: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters (0-based indices, each ascending) ordered by their first index."""
    n = dist.shape[0]
    if n == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    condensed = squareform(dist, checks=False)
    labels = fcluster(linkage(condensed, method="average"), t=threshold, criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def add_overlaps(groups: list[list[int]], dist: np.ndarray, threshold: float) -> list[list[int]]:
    """Each item also joins every other cluster within ``threshold`` average distance of it."""
    out = [list(g) for g in groups]
    for f, group in enumerate(groups):
        mean = dist[:, group].mean(axis=1)
        joins = [i for i in np.flatnonzero(mean <= threshold) if i not in group]
        out[f] = sorted(group + [int(i) for i in joins])
    return out


def words(title: str) -> list[str]:
    """Content words of a title, in order, without duplicates."""
    seen: list[str] = []
    for w in _WORD.findall(title.lower()):
        if w not in _STOP and len(w) > 2 and w not in seen:
            seen.append(w)
    return seen


def distinctive_name(group: Sequence[int], titles: Sequence[str], max_words: int = 3) -> str:
    """The words most over-represented in the group's titles relative to the user's other titles
    (share inside minus share outside; ties: first seen); the first title when none stands out."""
    inside = [words(titles[i]) for i in group]
    others = [words(titles[i]) for i in range(len(titles)) if i not in set(group)]
    count_in = Counter(w for ws in inside for w in ws)
    count_out = Counter(w for ws in others for w in ws)
    order = {w: k for k, w in enumerate(w for ws in inside for w in ws)}
    score = {w: c / len(inside) - count_out[w] / max(len(others), 1) for w, c in count_in.items()}
    best = sorted((w for w in score if score[w] > 0), key=lambda w: (-score[w], order[w]))[:max_words]
    return " ".join(best) if best else titles[group[0]][:60]


@local_solver("larmi.cluster.agglomerative", "2")
def agglomerative_clusters(inp: ClusterInput, context: Mapping[str, Any]) -> ClusterOutput:
    """See the module docstring."""
    cut, overlap = thresholds(context)
    vectors = np.asarray(embedder_for(context)(list(inp.titles)), dtype=np.float64)
    dist = cosine_distances(vectors)
    groups = partition(dist, cut)
    if inp.kind == "synthetic":
        groups = add_overlaps(groups, dist, overlap)
    clusters = [
        Cluster(
            name=distinctive_name(g, inp.titles)[:NAME_CHARS],
            description=f"{len(g)} item(s) like {inp.titles[g[0]][:100]!r}"[:DESCRIPTION_CHARS],
            items=[i + 1 for i in g],
        )
        for g in groups
    ]
    return ClusterOutput(clusters=clusters)
