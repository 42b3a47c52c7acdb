"""S7 — the preference-reasoning task, Eq. (2): {v₁..v_n} = LLM(Prompt_PR(A_u, R_u)) ⊂ V_Leaf
(ToP-Rec, seed 000; methods.md §1.2 S7, §1.5 item 4).

The tree comes first (the same for every user, so prefix caches hit), then n, then the user's
profile and a capped history (≤ 10 titles with category and pre-assigned leaf). The answer::

    {"leaves": [{"leaf_id": int, "name": str, "path": "A > B > C", "observed": bool, "reason": str}, ...]}

``check_reasoning`` rejects (re-ask) unknown leaf ids, names or paths that do not match the tree,
and empty reasons. The count is *repaired*, as §1.5 prescribes, by ``repair_count``: duplicates are
dropped, extra leaves are cut keeping observed ones first, missing ones are topped up with the
leaves nearest to the profile; every repair is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from recloom.errors import SemanticValidationError
from recloom.graph.tree_check import normalise_name

_MAX_REPORTED = 8


class HistoryItem(BaseModel):
    title: str
    category: str | None = None
    leaf_id: int | None = None


class ReasonLeaf(BaseModel):
    id: int
    name: str
    path: str


class ReasonInput(BaseModel):
    id: str
    tree: str = Field(description="the rendered tree, one node per line")
    leaves: list[ReasonLeaf]
    n: int
    n_unobserved: int = 0
    profile: str = ""
    history: list[HistoryItem] = Field(default_factory=list)


class ChosenLeaf(BaseModel):
    leaf_id: int
    name: str = Field(max_length=200)
    path: str = Field(max_length=800, description="root-to-leaf path, names joined by ' > '")
    observed: bool = Field(description="true if the history already shows this preference")
    reason: str = Field(max_length=600, description="one or two sentences")


class ReasonOutput(BaseModel):
    leaves: list[ChosenLeaf]


def path_key(path: str) -> str:
    """A path compared by its names (separator spacing, whitespace and case ignored)."""
    return " > ".join(normalise_name(p) for p in path.split(">"))


def check_reasoning(out: ReasonOutput, inp: ReasonInput) -> ReasonOutput:
    """Accept answers whose leaves exist and match the tree and all have a reason; return them
    with the tree's own names and paths."""
    leaves = {leaf.id: leaf for leaf in inp.leaves}
    errors: list[str] = []
    if not out.leaves:
        errors.append(f"no leaves were chosen; choose exactly {inp.n}")
    for k, c in enumerate(out.leaves, 1):
        leaf = leaves.get(c.leaf_id)
        if leaf is None:
            errors.append(f"choice {k}: leaf id {c.leaf_id} is not a leaf of the tree")
            continue
        if normalise_name(c.name) != normalise_name(leaf.name):
            errors.append(f"choice {k}: leaf {c.leaf_id} is named '{leaf.name}', not '{c.name}'")
        if path_key(c.path) != path_key(leaf.path):
            errors.append(f"choice {k}: the path of leaf {c.leaf_id} is '{leaf.path}', not '{c.path}'")
        if not c.reason.strip():
            errors.append(f"choice {k}: the reason is empty; explain the choice")
    if errors:
        more = len(errors) - _MAX_REPORTED
        shown = "; ".join(errors[:_MAX_REPORTED]) + (f"; and {more} more" if more > 0 else "")
        raise SemanticValidationError(f"the answer breaks {len(errors)} rule(s): {shown}")
    return ReasonOutput(
        leaves=[
            ChosenLeaf(
                leaf_id=c.leaf_id,
                name=leaves[c.leaf_id].name,
                path=leaves[c.leaf_id].path,
                observed=c.observed,
                reason=" ".join(c.reason.split()),
            )
            for c in out.leaves
        ]
    )


def repair_count(
    chosen: Sequence[ChosenLeaf], n: int, ranked: Sequence[ReasonLeaf]
) -> tuple[list[ChosenLeaf], list[str]]:
    """Exactly ``n`` distinct leaves (fewer only if the tree has fewer): duplicates dropped (first
    kept), extras cut with observed leaves kept first, gaps filled from ``ranked`` (leaves by
    closeness to the profile). Returns the leaves and the repairs made."""
    repairs: list[str] = []
    seen: set[int] = set()
    unique: list[ChosenLeaf] = []
    for c in chosen:
        if c.leaf_id not in seen:
            seen.add(c.leaf_id)
            unique.append(c)
    if len(unique) < len(chosen):
        repairs.append(f"dropped {len(chosen) - len(unique)} duplicate leaf choice(s)")
    if len(unique) > n:
        keep = sorted(unique, key=lambda c: not c.observed)[:n]
        kept = {id(c) for c in keep}
        repairs.append(f"cut {len(unique) - n} leaf choice(s) beyond n={n} (observed ones kept first)")
        unique = [c for c in unique if id(c) in kept]
    added = 0
    for leaf in ranked:
        if len(unique) >= n:
            break
        if leaf.id not in seen:
            seen.add(leaf.id)
            unique.append(
                ChosenLeaf(
                    leaf_id=leaf.id,
                    name=leaf.name,
                    path=leaf.path,
                    observed=False,
                    reason="added by the validator: the remaining preference closest to the user's profile",
                )
            )
            added += 1
    if added:
        repairs.append(f"topped up {added} leaf choice(s) by profile similarity")
    return unique, repairs
