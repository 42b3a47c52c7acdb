"""S3 — the item-matching task, Eq. (3): v_i = LLM(Prompt_IM(A_i)), v_i ∈ V_Leaf (ToP-Rec, seed 000;
methods.md §1.2 S3, §1.5 item 2).

Many items per call: the flattened root-to-leaf paths of one category subtree ("leaf id: A > B > C"
plus a short description) come first, the items last; the answer is one leaf id and its name per
item::

    {"matches": [{"item": int, "leaf_id": int, "name": str}, ...]}

``check_matches`` rejects unknown or mismatched leaf ids, unknown, missing or duplicate items, and
lists every problem of the answer at once. The local solver (a labelled non-LLM baseline) and the
embedding fallback both pick the leaf whose text (path + description) is nearest to the item text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from recloom.agents.top.embedding import Embedder, embedder_for, nearest
from recloom.errors import SemanticValidationError
from recloom.graph.tree_check import normalise_name
from recloom.prompts.solver import local_solver

_MAX_REPORTED = 8


class MatchLeaf(BaseModel):
    id: int
    name: str
    path: str
    description: str = ""


class MatchItem(BaseModel):
    id: int
    text: str


class MatchInput(BaseModel):
    id: str
    leaves: list[MatchLeaf]
    items: list[MatchItem]


class ItemMatch(BaseModel):
    item: int = Field(description="the item id as given")
    leaf_id: int = Field(description="id of the chosen leaf")
    name: str = Field(max_length=200, description="the chosen leaf's name, exactly as in the tree")


class MatchOutput(BaseModel):
    matches: list[ItemMatch]


def check_matches(out: MatchOutput, inp: MatchInput) -> MatchOutput:
    """Accept an answer with exactly one existing leaf (id and matching name) per input item;
    returned in input item order."""
    leaves = {leaf.id: leaf for leaf in inp.leaves}
    wanted = [it.id for it in inp.items]
    counts = Counter(m.item for m in out.matches)
    errors: list[str] = []
    unknown = sorted(set(counts) - set(wanted))
    if unknown:
        errors.append(f"items {unknown[:10]} were not asked about")
    dupes = sorted(i for i, n in counts.items() if n > 1 and i in set(wanted))
    if dupes:
        errors.append(f"items {dupes[:10]} are answered more than once; give exactly one leaf per item")
    missing = [i for i in wanted if i not in counts]
    if missing:
        errors.append(f"items {missing[:10]} are missing; answer every item")
    for m in out.matches:
        leaf = leaves.get(m.leaf_id)
        if leaf is None:
            errors.append(
                f"item {m.item}: leaf id {m.leaf_id} does not exist; choose one of the listed leaf ids"
            )
        elif normalise_name(m.name) != normalise_name(leaf.name):
            errors.append(f"item {m.item}: leaf {m.leaf_id} is named '{leaf.name}', not '{m.name}'")
    if errors:
        more = len(errors) - _MAX_REPORTED
        shown = "; ".join(errors[:_MAX_REPORTED]) + (f"; and {more} more" if more > 0 else "")
        raise SemanticValidationError(f"the matches break {len(errors)} rule(s): {shown}")
    by_item = {m.item: m for m in out.matches}
    return MatchOutput(
        matches=[
            ItemMatch(item=i, leaf_id=by_item[i].leaf_id, name=leaves[by_item[i].leaf_id].name)
            for i in wanted
        ]
    )


def leaf_text(path: str, description: str = "") -> str:
    """The text a leaf is embedded by: its path, then its description."""
    return f"{path}: {description}" if description else path


def nearest_leaves(
    item_texts: Sequence[str], leaves: Sequence[MatchLeaf], embed: Embedder
) -> tuple[np.ndarray, np.ndarray]:
    """(index into ``leaves``, cosine) of the nearest leaf text per item text."""
    keys = embed([leaf_text(leaf.path, leaf.description) for leaf in leaves])
    return nearest(embed(list(item_texts)), keys)


@local_solver("top.match.nearest_leaf", "1")
def nearest_leaf(inp: MatchInput, context: Mapping[str, Any]) -> MatchOutput:
    best, _ = nearest_leaves([it.text for it in inp.items], inp.leaves, embedder_for(context))
    return MatchOutput(
        matches=[
            ItemMatch(item=it.id, leaf_id=inp.leaves[b].id, name=inp.leaves[b].name)
            for it, b in zip(inp.items, best, strict=True)
        ]
    )
