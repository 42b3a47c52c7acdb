"""Keyword labels for the non-LLM baselines: distinctive words of a group of item texts (TF-IDF with
each group as one document), used to name clusters, merged leaves and split children.

Tokens are lowercase content words (≥ 3 letters, no stopwords, no "genres") plus a decade token
("1990s") for every four-digit year in parentheses. Ties are broken alphabetically, so labels are
deterministic.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_YEAR = re.compile(r"\((\d{4})\)")
_WORD = re.compile(r"[a-z][a-z'\-]*")
_STOP = frozenset(
    "a an and the of in on at to for with from by is it its this that or as be are was my your his her "
    "their our we you i me us them he she they la le les el los das der die und genres genre aka not "
    "all but out who what when how into just one two".split()
)


def tokens(text: str) -> list[str]:
    """Content words of ``text`` in order (repeats kept), then decade tokens."""
    words = [w.strip("'-") for w in _WORD.findall(_YEAR.sub(" ", text.lower()))]
    out = [w.removesuffix("'s") for w in words if len(w) >= 3 and w not in _STOP]
    out += [f"{m[:3]}0s" for m in _YEAR.findall(text)]
    return out


def distinctive_words(
    groups: Sequence[Sequence[str]], top: int = 3, exclude: Sequence[str] = ()
) -> list[list[str]]:
    """Per group of texts, its ``top`` words by lift: with p_g(w) the share of the group's texts
    containing w and p(w) the share over all groups, score = p_g · ln(p_g / p) for words more common
    in the group than overall (a word spread evenly scores 0 and is skipped; unlike group-level
    TF-IDF a word present in every group can still mark the group where it concentrates). In groups
    of 4+ texts a word must occur in at least two of them (one-off title words are noise). Words in
    ``exclude`` (e.g. the ancestors' names) are skipped; a group left without words gets its most
    frequent ones. Ties are alphabetical."""
    banned = {w.lower() for w in exclude}
    per_text = [[set(tokens(t)) - banned for t in texts] for texts in groups]
    total = max(sum(len(texts) for texts in groups), 1)
    overall = Counter(w for sets in per_text for s in sets for w in s)
    out = []
    for texts, sets in zip(groups, per_text, strict=True):
        size = max(len(texts), 1)
        tf = Counter(w for s in sets for w in s)
        floor = 2 if size >= 4 else 1
        scored = []
        for w, n in tf.items():
            p_g, p = n / size, overall[w] / total
            if n >= floor and p_g > p:
                scored.append((p_g * math.log(p_g / p), w))
        scored.sort(key=lambda x: (-x[0], x[1]))
        words = [w for _, w in scored[:top]]
        out.append(words or frequent_words(texts, top, exclude=exclude))
    return out


def frequent_words(texts: Sequence[str], top: int = 3, exclude: Sequence[str] = ()) -> list[str]:
    """The ``top`` words occurring in most of ``texts`` (ties alphabetical)."""
    banned = {w.lower() for w in exclude}
    counts = Counter(w for t in texts for w in set(tokens(t)) if w not in banned)
    return [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:top]]


def label(words: Sequence[str], fallback: str) -> str:
    """``"Romance & 1990s"`` from keywords (at most two), or ``fallback`` without any."""
    shown = [w if w[0].isdigit() else w.capitalize() for w in list(words)[:2]]
    return " & ".join(shown) if shown else fallback


def unique_labels(labels: Sequence[str], taken: Sequence[str] = ()) -> list[str]:
    """``labels`` made unique (case-insensitively, also against ``taken``) by numbering repeats."""
    seen = {t.casefold() for t in taken}
    out = []
    for name in labels:
        candidate, k = name, 2
        while candidate.casefold() in seen:
            candidate, k = f"{name} ({k})", k + 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def example_text(text: str, limit: int = 60) -> str:
    """A short example of an item: its text up to " Genres:" (MovieLens texts), at most ``limit``
    characters."""
    head = text.split(". Genres:")[0].strip()
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"
