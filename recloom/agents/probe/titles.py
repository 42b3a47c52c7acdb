"""Title clean-up and comparison keys for the prior probe (methods.md §5.6, seed 004 Sec. 4).

A generated line is *cleaned* (numbering, bullets, surrounding quotes and markdown emphasis
removed, whitespace collapsed) and compared by its *key*: lowercase, trailing parenthesised or
bracketed annotations dropped, and a catalogue-style trailing article moved to the front
("Matrix, The (1999)" and "the matrix" share the key ``"the matrix"``). Two titles are the same when
their keys are equal and their years (the last "(19xx)"/"(20xx)" annotation) do not contradict each
other: "Hamlet (1990)" and "Hamlet (1996)" differ, "Hamlet" matches both. This is what the validator
de-duplicates on and compares against the history; the cleaned text (year kept) is what gets
grounded, since catalogue titles carry their year.

Example::

    >>> clean_title('3. "Matrix, The (1999)"')
    'Matrix, The (1999)'
    >>> title_key("The Matrix") == title_key("Matrix, The (1999)")
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBERING = re.compile(r"^\s*(?:[-*•·–—>]+\s*|\(?\d{1,3}[.):\]]\s*|#\d{1,3}\s*)+")
_EMPHASIS = re.compile(r"^[*_`]+|[*_`]+$")
_QUOTES = "\"'“”‘’«»`"
_ANNOTATION = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")
_YEAR = re.compile(r"[(\[]\s*((?:18|19|20)\d{2})\s*[)\]]")
_ARTICLE = re.compile(
    r"^(?P<name>.+?),\s*(?P<article>the|a|an|les|la|le|l'|il|el|die|der|das|los|las)$", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")


def clean_title(line: str) -> str:
    """A generated line without list numbering, bullets, quotes or emphasis; "" if nothing is left."""
    text = _SPACE.sub(" ", line).strip()
    previous = None
    while text != previous:
        previous = text
        text = _NUMBERING.sub("", text).strip()
        text = _EMPHASIS.sub("", text).strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = text[1:-1].strip()
    return text.strip('"“”«» ').strip()


def strip_annotations(title: str) -> str:
    """``title`` without trailing "(1999)" or "[remastered]" annotations (kept if nothing else is left)."""
    text = title.strip()
    previous = None
    while text != previous:
        previous = text
        text = _ANNOTATION.sub("", text).strip()
    return text or title.strip()


def title_year(title: str) -> int | None:
    """The last year annotation of a title, e.g. 1999 for "Matrix, The (1999)"; None without one."""
    years = _YEAR.findall(title)
    return int(years[-1]) if years else None


def title_key(title: str) -> str:
    """Comparison key: cleaned, annotations dropped, trailing article moved to the front, lowercase."""
    text = strip_annotations(clean_title(title))
    match = _ARTICLE.match(text)
    if match:
        article = match.group("article")
        sep = "" if article.endswith("'") else " "
        text = f"{article}{sep}{match.group('name')}"
    return _SPACE.sub(" ", text).strip().casefold()


def split_lines(text: str) -> list[str]:
    """The non-empty lines of a free-text list answer (numbered or bulleted lines, or one per line)."""
    return [line for line in (clean_title(part) for part in text.splitlines()) if line]


class TitleSet:
    """Titles seen so far, matched by key and non-contradicting year (see the module docstring)."""

    def __init__(self, titles: Iterable[str] = ()) -> None:
        self._years: dict[str, set[int | None]] = {}
        for title in titles:
            self.add(title)

    def add(self, title: str) -> None:
        self._years.setdefault(title_key(title), set()).add(title_year(title))

    def __contains__(self, title: object) -> bool:
        if not isinstance(title, str):
            return False
        years = self._years.get(title_key(title))
        if years is None:
            return False
        year = title_year(title)
        return year is None or None in years or year in years


def distinct_titles(titles: Iterable[str], history: Iterable[str]) -> tuple[list[str], dict[str, int]]:
    """Cleaned titles, de-duplicated (first kept), without history titles; plus counts of what was
    dropped (``empty``, ``duplicate``, ``in_history``)."""
    past = TitleSet(history)
    seen = TitleSet()
    kept: list[str] = []
    dropped = {"empty": 0, "duplicate": 0, "in_history": 0}
    for raw in titles:
        title = clean_title(raw)
        if not title_key(title):
            dropped["empty"] += 1
        elif title in past:
            dropped["in_history"] += 1
        elif title in seen:
            dropped["duplicate"] += 1
        else:
            seen.add(title)
            kept.append(title)
    return kept, dropped
