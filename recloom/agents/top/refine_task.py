"""S4 — the two refinement tasks of ToP load balancing (ToP-Rec appendix A.2; methods.md §1.2 S4,
§1.5 item 3).

``top.merge``: under-loaded sibling leaves and samples of their items in, the merged preference
out (``{"name", "description"}``); the name must not repeat a remaining sibling's name.
``top.split``: an over-loaded leaf and up to 100 sampled items in, exactly ``n_children`` finer
preferences out (``{"children": [{"name", "description"}, ...]}``) with distinct names that differ
from the leaf's own. The items of a split leaf are then re-assigned by the matching task restricted
to the new children.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from recloom.errors import SemanticValidationError
from recloom.graph.tree_check import normalise_name


class MergeLeaf(BaseModel):
    id: int
    name: str
    samples: list[str]


class MergeInput(BaseModel):
    id: str
    parent_path: str
    leaves: list[MergeLeaf]
    sibling_names: list[str] = Field(default_factory=list, description="remaining children of the parent")


class MergeOutput(BaseModel):
    name: str = Field(max_length=120, description="the merged preference")
    description: str = Field(default="", max_length=400)


class SplitChild(BaseModel):
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=400)


class SplitInput(BaseModel):
    id: str
    path: str
    name: str
    description: str = ""
    samples: list[str]
    n_children: int = 2


class SplitOutput(BaseModel):
    children: list[SplitChild]


def _clean(text: str) -> str:
    return " ".join(text.split())


def check_merge(out: MergeOutput, inp: MergeInput) -> MergeOutput:
    name = _clean(out.name)
    if not name:
        raise SemanticValidationError("'name' is empty; name the merged preference")
    if " > " in name:
        raise SemanticValidationError(f"the name '{name}' must not contain ' > '")
    clash = [s for s in inp.sibling_names if normalise_name(s) == normalise_name(name)]
    if clash:
        raise SemanticValidationError(
            f"the name '{name}' repeats the sibling '{clash[0]}'; choose a new name "
            f"(remaining siblings: {inp.sibling_names})"
        )
    return MergeOutput(name=name, description=_clean(out.description))


def check_split(out: SplitOutput, inp: SplitInput) -> SplitOutput:
    errors: list[str] = []
    if len(out.children) != inp.n_children:
        errors.append(f"give exactly {inp.n_children} children, not {len(out.children)}")
    names = [_clean(c.name) for c in out.children]
    if any(not n for n in names):
        errors.append("every child needs a non-empty name")
    if any(" > " in n for n in names):
        errors.append("child names must not contain ' > '")
    keys = [normalise_name(n) for n in names if n]
    if len(set(keys)) != len(keys):
        errors.append(f"child names must be distinct, got {names}")
    if normalise_name(inp.name) in keys:
        errors.append(f"a child may not repeat the leaf's own name '{inp.name}'; name finer preferences")
    if errors:
        raise SemanticValidationError("the split is invalid: " + "; ".join(errors))
    return SplitOutput(
        children=[
            SplitChild(name=n, description=_clean(c.description))
            for n, c in zip(names, out.children, strict=True)
        ]
    )
