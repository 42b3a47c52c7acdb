"""Compact, deterministic text forms of a Tree of Preferences for prompts (methods.md §1.5).

``render_tree``: one line per node in DFS order, indented two spaces per level, leaves marked::

    [1] Science & Technology: items about research and engineering
      [2] Artificial intelligence: ...
        [3] (leaf) Large language models: ...

``render_paths``: the flattened root-to-leaf list the official item-matching prompt uses::

    3: Science & Technology > Artificial intelligence > Large language models

Newlines and runs of spaces inside names and descriptions are collapsed so every node stays on one
line (a stray newline would otherwise make the LLM see a node that does not exist).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recloom.graph.tree_check import SUPER_ROOT

if TYPE_CHECKING:
    from recloom.graph.tree import PreferenceTree


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_node(tree: PreferenceTree, nid: int, *, show_loads: bool = False) -> str:
    """``[id] (leaf) name: description`` (marker, description and load only when present/asked)."""
    parts = [f"[{nid}]"]
    leaf = tree.is_leaf(nid)
    if leaf:
        parts.append("(leaf)")
    parts.append(_one_line(tree.name(nid)))
    line = " ".join(parts)
    description = _one_line(tree.description(nid))
    if description:
        line += f": {description}"
    if show_loads and leaf:
        line += f" ({tree.load(nid)} items)"
    return line


def render_tree(
    tree: PreferenceTree,
    root: int = SUPER_ROOT,
    *,
    show_loads: bool = False,
    max_depth: int | None = None,
) -> str:
    """The subtree at ``root`` (default: the whole forest), one node per line.

    ``max_depth`` keeps nodes at most that many levels below ``root`` (breadth-first prompts show
    one level at a time)."""
    base = tree.depth(root) if root != SUPER_ROOT else 0
    lines = []
    for nid in tree.nodes(root):
        level = tree.depth(nid) - base - (0 if root != SUPER_ROOT else 1)
        if max_depth is not None and level > max_depth:
            continue
        lines.append("  " * level + render_node(tree, nid, show_loads=show_loads))
    return "\n".join(lines)


def render_paths(tree: PreferenceTree, root: int = SUPER_ROOT, *, sep: str = " > ") -> str:
    """``leaf_id: A > B > C`` for every leaf under ``root``, in DFS order."""
    return "\n".join(
        f"{leaf}: {sep.join(_one_line(tree.name(n)) for n in tree.path(leaf))}" for leaf in tree.leaves(root)
    )
