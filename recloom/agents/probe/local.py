"""Local solver of ``probe.recommend``: a popularity-blind nearest-neighbour title generator.

**Not an LLM and not a model of any LLM's prior.** It exists so that the whole probe (prompting,
validation, caching, grounding, prior counts, P×D groups) runs end to end on the embedded
``local`` backend; the prior distribution it yields is a pipeline check only. Every probe record
and manifest produced with it says so (:data:`LOCAL_GENERATOR_NOTE`).

Method: embed the history titles with all-MiniLM-L6-v2 (``recloom.data.text``), take the unit
mean of their unit vectors as the query, rank every catalogue title by cosine similarity to it
(ties: catalogue order) and return the first k titles that do not repeat the history or each
other (same matching rule as the validator). Only title text is used, no interaction count, so
the generator carries no popularity signal of the data.

Context (given to the local backend once): ``context["probe_index"]``, a :class:`TitleIndex`
of the catalogue titles and their vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recloom.agents.probe.task import ProbeInput, ProbeOutput
from recloom.agents.probe.titles import TitleSet
from recloom.agents.top.embedding import shared_embedder, unit
from recloom.cache.canonical import content_hash
from recloom.errors import ConfigError
from recloom.prompts.solver import local_solver

INDEX_KEY = "probe_index"
LOCAL_GENERATOR = "probe.nearest_titles@1"
EmbedFn = Callable[[list[str]], np.ndarray]  # texts -> float32[n, d]
LOCAL_GENERATOR_NOTE = (
    "local non-LLM baseline: popularity-blind nearest neighbours of the history over "
    "MiniLM title embeddings; a pipeline check, NOT an LLM's prior"
)


@dataclass(frozen=True, eq=False)
class TitleIndex:
    """Catalogue titles and their unit vectors (float32[n, d]) from ``embedder`` (default: the
    shared MiniLM embedder; tests may pass any deterministic ``texts -> vectors`` function)."""

    titles: tuple[str, ...]
    vectors: np.ndarray = field(repr=False)
    embedder: EmbedFn = field(repr=False)

    @classmethod
    def build(cls, titles: Sequence[str], embedder: EmbedFn | None = None) -> TitleIndex:
        embed = embedder or shared_embedder()
        return cls(tuple(str(t) for t in titles), unit(embed(list(titles))), embed)

    @property
    def identity(self) -> str:
        """The embedder's name and a content hash of the titles (part of the local answers' cache key)."""
        name = getattr(self.embedder, "name", None) or "minilm"
        return f"{name}:titles:{content_hash(list(self.titles))[:16]}"


def index_from(context: Mapping[str, Any]) -> TitleIndex:
    index = context.get(INDEX_KEY)
    if not isinstance(index, TitleIndex):
        raise ConfigError(
            f"the local probe solver needs context[{INDEX_KEY!r}] = TitleIndex of the catalogue; "
            "build it with recloom.agents.probe.TitleIndex.build(titles)"
        )
    return index


def nearest_titles(history: Sequence[str], k: int, index: TitleIndex) -> list[str]:
    """The k catalogue titles nearest to the mean history vector, none repeating the history."""
    query = unit(index.embedder(list(history)).mean(axis=0))
    sims = index.vectors @ query
    order = np.lexsort((np.arange(len(sims)), -sims))
    past, chosen = TitleSet(history), TitleSet()
    out: list[str] = []
    for i in order:
        title = index.titles[int(i)]
        if title in past or title in chosen:
            continue
        chosen.add(title)
        out.append(title)
        if len(out) == k:
            break
    return out


@local_solver("probe.nearest_titles", "1")
def nearest_title_generator(inp: ProbeInput, context: Mapping[str, Any]) -> ProbeOutput:
    return ProbeOutput(titles=nearest_titles(inp.history, inp.k, index_from(context)))
