"""Tree of Preferences: JSON round trip, format errors, fingerprints and prompt text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recloom.errors import ArtifactError
from recloom.graph.tree import NodeSpec, PreferenceTree
from recloom.graph.tree_io import FORMAT, dumps, fingerprint, load, loads, save, tree_from_dict, tree_to_dict
from recloom.graph.tree_render import render_paths, render_tree

N = NodeSpec


def refined_tree() -> PreferenceTree:
    t = PreferenceTree.from_specs([
        N("Science", "research\nand engineering", (N("AI", "", (N("LLM"), N("Vision"), N("Robots"))),
                                                   N("Physics"))),
        N("Politics", "", (N("Elections"), N("Policy"))),
    ])
    t.assign_many({0: 3, 1: 3, 2: 4, 3: 5, 4: 6, 5: 8, 6: 9})
    t.merge([4, 5], "Perception & robots")
    t.split(3, [("Chat", ""), ("Code", "")])  # items 0, 1 pending
    return t


def test_json_round_trip_is_equal_and_byte_stable(tmp_path: Path) -> None:
    t = refined_tree()
    text = dumps(t)
    back = loads(text)
    assert back == t and dumps(back) == text
    assert back.next_id == t.next_id and back.pending == [0, 1]
    assert back.leaves() == t.leaves() and back.items_of(10) == [2, 3]
    save(t, tmp_path / "tree.json")
    assert load(tmp_path / "tree.json") == t
    # ids stay unique after a reload: the next node continues the counter
    assert back.collapse(7) == t.next_id


def test_json_shape_is_versioned_preorder_with_items_only_on_leaves() -> None:
    data = tree_to_dict(refined_tree())
    assert data["format"] == FORMAT and data["version"] == 1 and data["pending"] == [0, 1]
    rows = {row["id"]: row for row in data["nodes"]}
    assert "items" not in rows[1] and rows[6]["items"] == [4] and rows[12]["items"] == []
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(version=2), "version 2 is not supported"),
    (lambda d: d.update(format="other"), "not a preference tree"),
    (lambda d: d["nodes"].reverse(), "nodes\\[0\\]: parent .* is not an earlier node"),
    (lambda d: d["nodes"][1].update(id=1), "nodes\\[1\\]: id 1 must be a new positive integer"),
    (lambda d: d.update(next_id=3), "next_id 3 must be an integer above every node id"),
    (lambda d: d["nodes"][-1].update(items=[4]), "item 4 is already in leaf 6"),
    (lambda d: d.update(pending=[4]), "both pending and assigned"),
    (lambda d: d["nodes"][0].update(name=""), "non-empty"),
])
def test_bad_documents_raise_artifact_errors_naming_the_source(mutate: object, message: str) -> None:
    data = tree_to_dict(refined_tree())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ArtifactError, match=f"tree.json: .*{message}"):
        tree_from_dict(data, source="tree.json")


def test_unreadable_and_invalid_json_files(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="cannot read"):
        load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{\n  nope", encoding="utf-8")
    with pytest.raises(ArtifactError, match="bad.json:2: not valid JSON"):
        load(tmp_path / "bad.json")


def test_fingerprint_tracks_structure_not_assignment_by_default() -> None:
    t = refined_tree()
    base, with_items = fingerprint(t), fingerprint(t, include_items=True)
    t.assign(0, 12)
    assert fingerprint(t) == base and fingerprint(t, include_items=True) != with_items
    t.assign(1, 13)
    t.collapse(11)
    assert fingerprint(t) != base


def test_render_tree_is_deterministic_one_line_per_node() -> None:
    t = refined_tree()
    text = render_tree(t, show_loads=True)
    assert text.splitlines() == [
        "[1] Science: research and engineering",
        "  [2] AI",
        "    [10] (leaf) Perception & robots (2 items)",
        "    [11] LLM",
        "      [12] (leaf) Chat (0 items)",
        "      [13] (leaf) Code (0 items)",
        "  [6] (leaf) Physics (1 items)",
        "[7] Politics",
        "  [8] (leaf) Elections (1 items)",
        "  [9] (leaf) Policy (1 items)",
    ]
    assert render_tree(t) == render_tree(loads(dumps(t)))
    assert render_tree(t, 2, max_depth=1).splitlines() == [
        "[2] AI", "  [10] (leaf) Perception & robots", "  [11] LLM"]


def test_render_paths_lists_every_leaf_with_its_path() -> None:
    t = refined_tree()
    assert render_paths(t, 1).splitlines() == [
        "10: Science > AI > Perception & robots",
        "12: Science > AI > LLM > Chat",
        "13: Science > AI > LLM > Code",
        "6: Science > Physics",
    ]
    assert len(render_paths(t).splitlines()) == len(t.leaves())
