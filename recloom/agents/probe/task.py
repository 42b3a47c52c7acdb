"""The probe task ``probe.recommend``: k distinct new items for a history of titles
(EISAM, seed 004 Sec. 4 "prior long tail"; methods.md §5.2 step 1 and §5.6).

Input: the history titles (oldest first), k and the domain noun ("movies"). Answer::

    {"titles": ["Heat (1995)", "Casino (1995)", ...]}

The paper's free-text format ("one title per line, numbered 1-10") is replaced by recloom's JSON
contract (every backend answers the task's schema); the clean-up of §5.6 still applies to every
string, and a string holding several lines counts as several titles. ``check_probe`` cleans the
titles (numbering, bullets, quotes), drops empty ones, de-duplicates case-insensitively, drops
titles of the history, and requires at least k left (else ``SemanticValidationError``: the runtime
re-asks with the exact shortfall); the accepted answer is truncated to k. When the re-asks run out,
:func:`salvage` keeps whatever the last answer had and the probe records the deficit.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, ValidationError

from recloom.agents.probe.titles import distinct_titles, split_lines
from recloom.errors import OutputError, SemanticValidationError

MAX_K = 50
Title = Annotated[str, StringConstraints(max_length=300)]


class ProbeInput(BaseModel):
    id: str
    history: list[str] = Field(min_length=1, description="history titles, oldest first")
    k: int = Field(default=10, ge=1, le=MAX_K)
    domain: str = Field(default="movies", min_length=1, description="plural noun for the items")


class ProbeOutput(BaseModel):
    titles: list[Title] = Field(
        max_length=4 * MAX_K, description="exactly k distinct new titles, titles only"
    )


def expand_lines(titles: list[str]) -> list[str]:
    """One entry per line: a string holding a whole numbered list becomes its lines."""
    out: list[str] = []
    for title in titles:
        out.extend(split_lines(title) if "\n" in title else [title])
    return out


def usable(titles: list[str], inp: ProbeInput) -> tuple[list[str], dict[str, int]]:
    """The answer's distinct new titles (at most k) and the counts of what was dropped."""
    kept, dropped = distinct_titles(expand_lines(titles), inp.history)
    dropped["beyond_k"] = max(0, len(kept) - inp.k)
    return kept[: inp.k], dropped


def check_probe(output: ProbeOutput, inp: ProbeInput) -> ProbeOutput:
    """Accept answers with at least k distinct new titles; return exactly k, cleaned."""
    kept, dropped = usable(output.titles, inp)
    if len(kept) < inp.k:
        reasons = [f"{n} {what.replace('_', ' ')}" for what, n in dropped.items() if n and what != "beyond_k"]
        why = f" (dropped: {', '.join(reasons)})" if reasons else ""
        raise SemanticValidationError(
            f"need exactly {inp.k} distinct new titles, but only {len(kept)} of the {len(output.titles)} "
            f"given are usable{why}; titles must differ from each other (case and year annotations "
            "ignored) and from every title in the user's list"
        )
    return ProbeOutput(titles=kept)


def titles_in_text(text: str) -> list[str]:
    """Candidate titles of a raw answer that failed validation: the JSON ``titles`` when the text
    parses, else its lines (a free-text numbered list)."""
    from recloom.agents.runtime.judge import parse_json

    try:
        value, _ = parse_json(text)
    except OutputError:
        return split_lines(text)
    if isinstance(value, dict):
        try:
            return list(ProbeOutput.model_validate(value).titles)
        except ValidationError:
            raw = value.get("titles")
            if isinstance(raw, list):
                return [t for t in raw if isinstance(t, str)]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def salvage(texts: list[str], inp: ProbeInput) -> list[str]:
    """The most usable titles among the raw answers of a failed call (latest answer wins ties)."""
    best: list[str] = []
    for text in texts:
        kept, _ = usable(titles_in_text(text), inp)
        if len(kept) >= len(best):
            best = kept
    return best
