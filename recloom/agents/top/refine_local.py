"""Local (non-LLM) solvers of the refinement tasks, labelled baselines:

- merge naming: the words most frequent across the merged leaves' items (then the leaves' own
  names joined, if the keywords clash with a remaining sibling);
- split: k-means (k = ``n_children``, scikit-learn) on the MiniLM embeddings of the sampled items,
  each cluster named by its distinctive words (TF-IDF between the clusters), described by its
  keywords and two example items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recloom.agents.top.embedding import embedder_for
from recloom.agents.top.keywords import distinctive_words, example_text, frequent_words, label, unique_labels
from recloom.agents.top.refine_task import MergeInput, MergeOutput, SplitChild, SplitInput, SplitOutput
from recloom.graph.tree_check import normalise_name
from recloom.prompts.solver import local_solver


@local_solver("top.merge.keywords", "1")
def keyword_merge_name(inp: MergeInput, context: Mapping[str, Any]) -> MergeOutput:
    texts = [t for leaf in inp.leaves for t in leaf.samples]
    parent_words = inp.parent_path.replace(">", " ").split()
    words = frequent_words(texts, top=3, exclude=parent_words)
    taken = {normalise_name(s) for s in inp.sibling_names}
    candidates = [label(words, ""), " / ".join(leaf.name for leaf in inp.leaves)[:120]]
    name = next((c for c in candidates if c and normalise_name(c) not in taken), "")
    if not name:
        name = unique_labels([candidates[1] or "Merged preference"], taken=inp.sibling_names)[0]
    merged = "; ".join(leaf.name for leaf in inp.leaves)
    return MergeOutput(
        name=name, description=f"merged from: {merged}; keywords: {', '.join(words) or 'none'}"[:400]
    )


def kmeans_parts(vectors: np.ndarray, k: int, seed: int = 0) -> list[list[int]]:
    """``k`` non-empty groups of row indices (k-means; an even split of the rows if k-means
    collapses, e.g. on duplicate texts), ordered by their smallest row."""
    n = len(vectors)
    labels: np.ndarray | None = None
    if n > k:
        from sklearn.cluster import KMeans

        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
    if labels is None or len(set(labels.tolist())) < k:
        labels = np.arange(n) * k // max(n, 1)
    groups = [np.flatnonzero(labels == j).tolist() for j in range(k)]
    return sorted((g for g in groups if g), key=min)


def _describe(words: Sequence[str], texts: Sequence[str]) -> str:
    examples = "; ".join(example_text(t) for t in texts[:2])
    return f"keywords: {', '.join(words) or 'none'}; e.g. {examples}"[:400]


@local_solver("top.split.two_means", "1")
def two_means_split(inp: SplitInput, context: Mapping[str, Any]) -> SplitOutput:
    vectors = embedder_for(context)(inp.samples)
    parts = kmeans_parts(vectors, inp.n_children)
    groups = [[inp.samples[r] for r in rows] for rows in parts]
    words = distinctive_words(groups, top=3)
    base = [label(w, f"{inp.name} {k + 1}") for k, w in enumerate(words)]
    names = unique_labels(base, taken=[inp.name])
    children = [
        SplitChild(name=n, description=_describe(w, g)) for n, w, g in zip(names, words, groups, strict=True)
    ]
    while len(children) < inp.n_children:  # fewer items than children: numbered placeholders
        extra = unique_labels(
            [f"{inp.name} {len(children) + 1}"], taken=[inp.name, *(c.name for c in children)]
        )[0]
        children.append(SplitChild(name=extra, description=""))
    return SplitOutput(children=children)
