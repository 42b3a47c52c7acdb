"""Keyword labels of the non-LLM baselines: tokens, the lift score against hand-computed values,
exclusions, fallbacks and unique sibling labels."""

from __future__ import annotations

from recloom.agents.top.keywords import (
    distinctive_words,
    example_text,
    frequent_words,
    label,
    tokens,
    unique_labels,
)


def test_tokens_drop_stopwords_and_add_decades() -> None:
    assert tokens("The Bride's Father (1991). Genres: Comedy, Family.") == [
        "bride",
        "father",
        "comedy",
        "family",
        "1990s",
    ]


def test_lift_score_prefers_concentrated_words() -> None:
    a = ["space war", "space robots", "space ships", "robots war"]
    b = ["war peace", "love peace", "love war", "peace treaty"]
    words = distinctive_words([a, b], top=3)
    # group a: space 3/4 vs 3/8 overall -> .75 ln 2; robots 2/4 vs 2/8 -> .5 ln 2; war 2/4 vs 4/8 -> 0
    assert words[0] == ["space", "robots"]
    assert words[1] == ["peace", "love"]


def test_one_off_words_exclusions_and_fallback() -> None:
    a = ["alpha one", "alpha two", "alpha three", "beta gamma"]  # 'gamma' occurs once in a 4-text group
    b = ["beta four", "beta five"]
    assert "gamma" not in distinctive_words([a, b])[0]
    assert distinctive_words([a, b], exclude=["Alpha"])[0] == frequent_words(a, 3, exclude=["Alpha"])
    assert distinctive_words([["same words"], ["same words"]]) == [["same", "words"], ["same", "words"]]


def test_labels_are_unique_and_readable() -> None:
    assert (
        label(["romance", "1990s", "paris"], "x") == "Romance & 1990s" and label([], "Group 1") == "Group 1"
    )
    assert unique_labels(["A", "a", "B", "A"], taken=["b"]) == ["A", "a (2)", "B (2)", "A (3)"]
    assert example_text("Toy Story (1995). Genres: Animation.") == "Toy Story (1995)"
    assert example_text("x" * 100, limit=10) == "x" * 9 + "…"
