"""S2 — the ToP construction task, Eq. (1): T(V, E) = LLM(Prompt_ToP(S)) (ToP-Rec, NeurIPS 2025,
seed 000; methods.md §1.2 S2 and the validation rules of §1.5 item 1).

One call per category group: the numbered sampled item texts in, one subtree out::

    {"root": str, "criteria": str, "description": str,
     "sub_branches": [{"name": str, "description": str, "criteria": str, "sub_branches": [...]}, ...]}

A node with no ``sub_branches`` is a leaf (its ``criteria`` is dropped). ``description`` is an
addition to the paper's schema: a one-line gloss that later prompts (matching, reasoning) show next
to the name. ``check_construction`` enforces every rule of §1.5 item 1 and reports all broken rules
at once, so one re-ask can fix them together.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from recloom.agents.top.config import BuildConfig
from recloom.errors import SemanticValidationError
from recloom.graph.tree import NodeSpec
from recloom.graph.tree_check import normalise_name

PATH_SEP = " > "
_MAX_REPORTED = 6


class SampleItem(BaseModel):
    n: int
    text: str


class ConstructInput(BaseModel):
    id: str
    category: str | None = None
    category_note: str | None = None
    items: list[SampleItem]
    min_depth: int = 3
    max_depth: int = 6
    min_leaves: int = 8
    max_leaves: int = 40
    min_children: int = 2
    max_children: int = 6


class TreeNode(BaseModel):
    name: str = Field(max_length=120, description="a concrete, actionable user preference")
    description: str = Field(default="", max_length=400, description="one line: what this preference covers")
    criteria: str = Field(
        default="", max_length=300, description="how the children divide this node; empty for a leaf"
    )
    sub_branches: list[TreeNode] = Field(default_factory=list, description="children; empty for a leaf")


class ConstructOutput(BaseModel):
    root: str = Field(max_length=120)
    description: str = Field(default="", max_length=400)
    criteria: str = Field(max_length=300)
    sub_branches: list[TreeNode]


def constraints_for(sample_size: int, config: BuildConfig) -> dict[str, int]:
    """The structural bounds asked of one subtree; a sample smaller than 3 × ``min_leaves`` gets
    proportionally fewer leaves (at least 2) and may be two levels deep."""
    small = sample_size < 3 * config.min_leaves
    min_leaves = max(2, sample_size // 3) if small else config.min_leaves
    return {
        "min_depth": 2 if small else config.min_depth,
        "max_depth": config.max_depth,
        "min_leaves": min(min_leaves, config.max_leaves),
        "max_leaves": config.max_leaves,
        "min_children": config.min_children,
        "max_children": config.max_children,
    }


def _clean(text: str) -> str:
    return " ".join(text.split())


def _root_node(out: ConstructOutput) -> TreeNode:
    return TreeNode(
        name=out.root, description=out.description, criteria=out.criteria, sub_branches=out.sub_branches
    )


class _Walk:
    """Collects every broken rule while walking the answer."""

    def __init__(self, inp: ConstructInput) -> None:
        self.inp = inp
        self.errors: list[str] = []
        self.leaf_paths: dict[str, int] = {}
        self.depth = 0

    def visit(self, node: TreeNode, path: list[str]) -> None:
        here = PATH_SEP.join(path)
        self.depth = max(self.depth, len(path))
        kids = node.sub_branches
        if not kids:
            key = normalise_name(here)
            self.leaf_paths[key] = self.leaf_paths.get(key, 0) + 1
            return
        if not node.criteria.strip():
            self.errors.append(f"internal node '{here}' has no 'criteria' (say how its children divide it)")
        if len(kids) == 1:
            self.errors.append(
                f"node '{here}' has a single child '{_clean(kids[0].name)}'; no single-child chains: "
                f"give it {self.inp.min_children}-{self.inp.max_children} children or make it a leaf"
            )
        elif len(kids) < self.inp.min_children:
            self.errors.append(
                f"node '{here}' has {len(kids)} children; at least {self.inp.min_children} are needed"
            )
        elif len(kids) > self.inp.max_children:
            self.errors.append(
                f"node '{here}' has {len(kids)} children; at most {self.inp.max_children} are allowed"
            )
        seen: set[str] = set()
        for k, child in enumerate(kids):
            name = _clean(child.name)
            if not name:
                self.errors.append(f"child #{k + 1} of '{here}' has an empty name")
                continue
            if normalise_name(name) in seen:
                self.errors.append(
                    f"node '{here}' has two children named '{name}'; sibling names must be unique"
                )
            seen.add(normalise_name(name))
            self.visit(child, [*path, name])


def check_construction(out: ConstructOutput, inp: ConstructInput) -> ConstructOutput:
    """Accept a subtree answer that meets every rule of §1.5 item 1 (returned with names and
    descriptions whitespace-normalised and leaf criteria dropped); raise
    ``SemanticValidationError`` listing the broken rules otherwise."""
    root = _clean(out.root)
    if not root:
        raise SemanticValidationError("'root' is empty; name the root preference")
    walk = _Walk(inp)
    walk.visit(_root_node(out), [root])
    if not out.sub_branches:
        walk.errors.append("the root has no sub_branches; the tree needs at least two levels")
    dupes = sorted(p for p, n in walk.leaf_paths.items() if n > 1)
    if dupes:
        walk.errors.append(f"leaf paths must be unique; repeated: {dupes[:3]}")
    if not inp.min_depth <= walk.depth <= inp.max_depth:
        walk.errors.append(
            f"the tree has {walk.depth} levels including the root; "
            f"it must have {inp.min_depth} to {inp.max_depth}"
        )
    n_leaves = sum(walk.leaf_paths.values())
    if not inp.min_leaves <= n_leaves <= inp.max_leaves:
        walk.errors.append(
            f"the tree has {n_leaves} leaves; it must have {inp.min_leaves} to {inp.max_leaves}"
        )
    if walk.errors:
        more = len(walk.errors) - _MAX_REPORTED
        shown = "; ".join(walk.errors[:_MAX_REPORTED]) + (f"; and {more} more" if more > 0 else "")
        raise SemanticValidationError(f"the tree breaks {len(walk.errors)} rule(s): {shown}")
    return ConstructOutput(
        root=root,
        description=_clean(out.description),
        criteria=_clean(out.criteria),
        sub_branches=[_cleaned(c) for c in out.sub_branches],
    )


def _cleaned(node: TreeNode) -> TreeNode:
    kids = [_cleaned(c) for c in node.sub_branches]
    return TreeNode(
        name=_clean(node.name),
        description=_clean(node.description),
        criteria=_clean(node.criteria) if kids else "",
        sub_branches=kids,
    )


def to_node_spec(out: ConstructOutput, root_name: str | None = None) -> NodeSpec:
    """The validated answer as a ``recloom.graph`` spec. ``root_name`` (the predefined category)
    replaces the model's root name, which is kept in the root's description."""
    description = out.description or out.criteria
    if root_name is not None and normalise_name(root_name) != normalise_name(out.root):
        description = f"{out.root}: {description}" if description else out.root
    return NodeSpec(root_name or out.root, description, tuple(_spec(c) for c in out.sub_branches))


def _spec(node: TreeNode) -> NodeSpec:
    description = node.description or node.criteria
    return NodeSpec(node.name, description, tuple(_spec(c) for c in node.sub_branches))


def tree_shape(out: ConstructOutput) -> tuple[int, int]:
    """(levels including the root, leaves) of an answer."""

    def walk(node: TreeNode, depth: int) -> tuple[int, int]:
        if not node.sub_branches:
            return depth, 1
        shapes = [walk(c, depth + 1) for c in node.sub_branches]
        return max(d for d, _ in shapes), sum(n for _, n in shapes)

    return walk(_root_node(out), 1)
