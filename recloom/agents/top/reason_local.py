"""Local (non-LLM) solver of the reasoning task, a labelled baseline: history similarity plus an
exploration share.

- Observed part (n − n_unobserved leaves): the leaves of the user's history items, ranked by how
  many history items they hold, then by the cosine between the leaf text and the user's query.
- Exploration part (n_unobserved leaves, more if the history shows too few leaves): leaves absent
  from the history, nearest to the query vector = unit(mean history embedding) + ½ · profile
  embedding (MiniLM, unit-normalised).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from recloom.agents.top.embedding import embedder_for, unit
from recloom.agents.top.reason_task import ChosenLeaf, ReasonInput, ReasonOutput
from recloom.prompts.solver import local_solver

PROFILE_WEIGHT = 0.5


def query_vector(inp: ReasonInput, context: Mapping[str, Any]) -> np.ndarray | None:
    """The user's direction in embedding space (None without profile and history)."""
    embed = embedder_for(context)
    parts: list[np.ndarray] = []
    if inp.history:
        parts.append(unit(embed([h.title for h in inp.history]).mean(axis=0)))
    if inp.profile.strip():
        parts.append(PROFILE_WEIGHT * embed([inp.profile])[0])
    return unit(np.sum(parts, axis=0)) if parts else None


def leaf_similarities(inp: ReasonInput, context: Mapping[str, Any]) -> np.ndarray:
    """Cosine of every leaf path to the user's query (zeros without one)."""
    query = query_vector(inp, context)
    if query is None or not inp.leaves:
        return np.zeros(len(inp.leaves), dtype=np.float32)
    keys = embedder_for(context)([leaf.path for leaf in inp.leaves])
    return keys @ query


@local_solver("top.reason.history_explore", "1")
def history_and_exploration(inp: ReasonInput, context: Mapping[str, Any]) -> ReasonOutput:
    sims = leaf_similarities(inp, context)
    pos = {leaf.id: k for k, leaf in enumerate(inp.leaves)}
    counts = Counter(h.leaf_id for h in inp.history if h.leaf_id in pos)
    observed = sorted(counts, key=lambda lid: (-counts[lid], -float(sims[pos[lid]]), lid))
    n_obs = min(max(inp.n - inp.n_unobserved, 0), len(observed))
    unobserved = sorted(
        (leaf.id for leaf in inp.leaves if leaf.id not in counts),
        key=lambda lid: (-float(sims[pos[lid]]), lid),
    )
    chosen: list[ChosenLeaf] = []
    for lid in observed[:n_obs]:
        leaf = inp.leaves[pos[lid]]
        reason = (
            f"{counts[lid]} of the user's {len(inp.history)} recent items belong to this preference "
            f"(similarity to the user {float(sims[pos[lid]]):.2f})."
        )
        chosen.append(ChosenLeaf(leaf_id=lid, name=leaf.name, path=leaf.path, observed=True, reason=reason))
    for lid in unobserved[: inp.n - len(chosen)]:
        leaf = inp.leaves[pos[lid]]
        reason = (
            f"Not in the recent history; the unobserved preference nearest to the user's history and "
            f"profile (similarity {float(sims[pos[lid]]):.2f})."
        )
        chosen.append(ChosenLeaf(leaf_id=lid, name=leaf.name, path=leaf.path, observed=False, reason=reason))
    for lid in observed[n_obs:]:  # a tree with too few unobserved leaves: more observed ones
        if len(chosen) >= inp.n:
            break
        leaf = inp.leaves[pos[lid]]
        chosen.append(
            ChosenLeaf(
                leaf_id=lid,
                name=leaf.name,
                path=leaf.path,
                observed=True,
                reason=f"{counts[lid]} of the user's recent items belong to this preference.",
            )
        )
    return ReasonOutput(leaves=chosen)
