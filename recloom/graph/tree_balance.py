"""Load-balance detection for Tree of Preferences refinement (ToP-Rec appendix A.2; methods.md §1.2
S4): which leaves to split and which sibling leaves to merge, relative to the mean leaf load ℓ̄.

Thresholds as in the official code: split when load > ``upper``·ℓ̄ (1.5), merge when load <
``lower``·ℓ̄ (0.5); at most ``max_ops`` operations (paper 10, code 20). The LLM calls (naming the
merged leaf, naming the split children and re-assigning items) belong to the workflow; this module
only decides *what* to refine, deterministically.

Decisions where the paper is silent:
- Over-loaded leaves are returned heaviest first (ties in DFS order) so a small operation budget
  goes to the worst imbalance; the code walks BFS order.
- Under-loaded siblings are packed lightest first into groups whose total load stays <= ℓ̄ (two
  under-loaded leaves always fit, each being < 0.5·ℓ̄); a left-over single leaf joins the last group
  when the total stays <= ``upper``·ℓ̄. So a merge never creates a leaf that the split rule would
  immediately split again (no oscillation). A group that is the parent's whole family is flagged:
  refine it with ``collapse(parent)`` instead of ``merge``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recloom.errors import ConfigError

if TYPE_CHECKING:
    from recloom.graph.tree import PreferenceTree


@dataclass(frozen=True)
class BalanceThresholds:
    lower: float = 0.5
    upper: float = 1.5
    max_ops: int = 10

    def __post_init__(self) -> None:
        if not 0.0 <= self.lower < 1.0 < self.upper:
            raise ConfigError(f"balance thresholds need 0 <= lower < 1 < upper, got lower={self.lower}, "
                              f"upper={self.upper}")
        if self.max_ops < 0:
            raise ConfigError(f"balance max_ops must be >= 0, got {self.max_ops}")


@dataclass(frozen=True)
class MergeGroup:
    """Sibling leaves to merge; ``whole_family``: they are all of ``parent``'s children."""

    parent: int
    leaf_ids: tuple[int, ...]
    load: int
    whole_family: bool


@dataclass(frozen=True)
class RefineStep:
    """The next refinement: ``kind`` "split" (``leaf_ids`` has one leaf), "merge" or "collapse"."""

    kind: str
    leaf_ids: tuple[int, ...]
    parent: int


def overloaded_leaves(tree: PreferenceTree, upper: float = 1.5) -> list[int]:
    """Leaves with load > ``upper``·mean load, heaviest first (ties in DFS order)."""
    loads = tree.loads()
    limit = upper * tree.mean_load()
    order = {leaf: pos for pos, leaf in enumerate(loads)}
    heavy = [leaf for leaf, load in loads.items() if load > limit]
    return sorted(heavy, key=lambda leaf: (-loads[leaf], order[leaf]))


def underloaded_groups(tree: PreferenceTree, lower: float = 0.5, upper: float = 1.5) -> list[MergeGroup]:
    """Groups of >= 2 under-loaded sibling leaves to merge, parents in DFS order."""
    loads = tree.loads()
    mean = tree.mean_load()
    light_by_parent: dict[int, list[int]] = {}
    for leaf, load in loads.items():
        if load < lower * mean:
            light_by_parent.setdefault(tree.parent(leaf), []).append(leaf)
    groups: list[MergeGroup] = []
    for parent, light in light_by_parent.items():
        if parent == 0:  # category roots that are leaves: categories are never merged
            continue
        family = len(tree.children(parent))
        for members in _pack(sorted(light, key=lambda x: (loads[x], x)), loads, mean, upper * mean):
            total = sum(loads[m] for m in members)
            groups.append(MergeGroup(parent, tuple(sorted(members)), total, len(members) == family))
    return groups


def _pack(light: list[int], loads: dict[int, int], cap: float, hard_cap: float) -> list[list[int]]:
    groups: list[list[int]] = []
    current: list[int] = []
    for leaf in light:
        if current and sum(loads[m] for m in current) + loads[leaf] > cap:
            groups.append(current)
            current = []
        current.append(leaf)
    if len(current) == 1 and groups and sum(loads[m] for m in groups[-1]) + loads[current[0]] <= hard_cap:
        groups[-1].append(current[0])
        current = []
    groups.append(current)
    return [g for g in groups if len(g) >= 2]


def next_step(tree: PreferenceTree, thresholds: BalanceThresholds, done: int) -> RefineStep | None:
    """The next operation, or None when balanced or the budget ``max_ops`` is spent. Splits come
    first (heaviest leaf), then merges/collapses (first group)."""
    if done >= thresholds.max_ops:
        return None
    heavy = overloaded_leaves(tree, thresholds.upper)
    if heavy:
        return RefineStep("split", (heavy[0],), tree.parent(heavy[0]))
    groups = underloaded_groups(tree, thresholds.lower, thresholds.upper)
    if groups:
        g = groups[0]
        return RefineStep("collapse" if g.whole_family else "merge", g.leaf_ids, g.parent)
    return None
