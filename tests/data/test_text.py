"""Sentence embeddings from the packaged MiniLM model (CPU, no hub), with the on-disk cache."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.data import text


def test_embeddings_are_unit_and_meaningful(tmp_path) -> None:
    vecs = text.embed_texts(["Toy Story (1995)", "Toy Story 2 (1999)", "Adhesive tape, 3M duct tape"])
    assert vecs.shape == (3, text.EMBEDDING_DIM) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_cache_serves_repeats_without_the_model(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Heat-shrink tubing", "PLA filament 1.75 mm", "Heat-shrink tubing"]
    first = text.embed_texts(texts, batch_size=2, cache_dir=tmp_path / "emb")
    assert np.array_equal(first[0], first[2])

    def boom(*_: object, **__: object) -> None:
        raise AssertionError("model called although every text is cached")

    monkeypatch.setattr(text, "_encode", boom)
    again = text.embed_texts(texts[::-1], cache_dir=tmp_path / "emb")
    np.testing.assert_array_equal(again, first[::-1])
    assert text.embed_texts([]).shape == (0, text.EMBEDDING_DIM)


def test_bad_batch_size() -> None:
    with pytest.raises(text.ConfigError, match="batch_size"):
        text.embed_texts(["a"], batch_size=0)
