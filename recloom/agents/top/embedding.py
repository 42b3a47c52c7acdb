"""Text embeddings for the ToP steps (numpy out), through ``recloom.data.text`` (all-MiniLM-L6-v2).

``Embedder`` memoises vectors per text in memory on top of the optional on-disk cache of
``embed_texts``: local solvers embed the same leaf paths once per process, not once per call.
``embedder_for(context)`` gives the shared instance for a local backend's context
(``context["embedding_cache_dir"]``). Nothing here imports torch at module level.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

EMBEDDING_CACHE_KEY = "embedding_cache_dir"


class Embedder:
    def __init__(self, cache_dir: str | Path | None = None) -> None:
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self._memo: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """float32[len(texts), d], unit rows."""
        from recloom.data.text import EMBEDDING_DIM, embed_texts

        texts = [str(t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if missing:
                vecs = embed_texts(missing, cache_dir=self.cache_dir)
                self._memo.update(zip(missing, vecs, strict=True))
            if not texts:
                return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
            return np.stack([self._memo[t] for t in texts]).astype(np.float32)


_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(cache_dir: str | Path | None = None) -> Embedder:
    key = str(Path(cache_dir).resolve()) if cache_dir is not None else ""
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Embedder(cache_dir)
        return _SHARED[key]


def embedder_for(context: Mapping[str, Any]) -> Embedder:
    """The embedder a local solver uses: ``context["embedder"]`` if given, else the shared one for
    ``context["embedding_cache_dir"]``."""
    given = context.get("embedder")
    if isinstance(given, Embedder):
        return given
    return shared_embedder(context.get(EMBEDDING_CACHE_KEY))


def unit(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def nearest(queries: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most cosine-similar key per query (ties: lowest index) and that similarity."""
    sims = unit(queries) @ unit(keys).T
    best = np.argmax(sims, axis=1)
    return best, sims[np.arange(len(best)), best]
