"""Test helpers of the probe tests: a fast deterministic text embedder (hashed character
trigrams), so that tests exercise the real code paths without loading MiniLM."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

DIM = 256


def _bucket(gram: str) -> tuple[int, float]:
    digest = hashlib.blake2b(gram.encode(), digest_size=4).digest()
    value = int.from_bytes(digest, "little")
    return value % DIM, 1.0 if (value >> 16) & 1 else -1.0


class TrigramEmbedder:
    """texts -> float32[n, 256] unit vectors of signed hashed character trigrams."""

    name = "trigram"

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.lower()} "
            for i in range(len(padded) - 2):
                col, sign = _bucket(padded[i : i + 3])
                out[row, col] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self(list(texts))


class TableEmbedder:
    """Hand-written vectors: text -> vector from a dict (tests of the nearest-neighbour rules)."""

    name = "table"

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = {k: np.asarray(v, dtype=np.float32) for k, v in table.items()}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self(list(texts))
