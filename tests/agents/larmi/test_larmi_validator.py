"""``larmi.cluster`` validation (methods.md §2.5): every rejection rule, every repair rule (recorded),
title mapping (exact, fuzzy <= 0.1, ambiguous), and the final invariants for both kinds of user."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from recloom.agents.larmi.repair import edit_distance, match_title, violations
from recloom.agents.larmi.task import ClusterInput, ClusterOutput, check_clusters
from recloom.errors import SemanticValidationError

TITLES = [
    "Lead-free solder wire 0.8mm",
    "Soldering iron station 60W",
    "Nitrile gloves, large",
    "Latex gloves box of 100",
    "Rosin flux paste",
]


def inp(kind: str = "individual", titles: list[str] = TITLES) -> ClusterInput:
    return ClusterInput(id="u1", kind=kind, titles=titles)  # type: ignore[arg-type]


def answer(*clusters: list[int | str]) -> ClusterOutput:
    return ClusterOutput.model_validate(
        {"clusters": [{"name": f"g{k}", "description": "d", "items": c} for k, c in enumerate(clusters)]}
    )


def check(kind: str, *clusters: list[int | str]) -> ClusterOutput:
    return check_clusters(answer(*clusters), inp(kind))


# --- accepted as is ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["individual", "synthetic"])
def test_a_clean_partition_passes_unchanged(kind: str) -> None:
    out = check(kind, [1, 2, 5], [3, 4])
    assert out.index_lists() == [[1, 2, 5], [3, 4]]
    assert out.repairs == []
    assert [c.name for c in out.clusters] == ["g0", "g1"]


# --- rejected (re-asked) -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["individual", "synthetic"])
@pytest.mark.parametrize("bad", [0, 6, -1, 99])
def test_index_out_of_range_is_rejected_naming_cluster_and_range(kind: str, bad: int) -> None:
    with pytest.raises(SemanticValidationError, match=rf"cluster 2 .*item number {bad} is outside 1\.\.5"):
        check(kind, [1, 2, 3], [4, bad, 5])


@pytest.mark.parametrize("kind", ["individual", "synthetic"])
def test_more_clusters_than_items_is_rejected(kind: str) -> None:
    with pytest.raises(SemanticValidationError, match="6 clusters for 5 items"):
        check(kind, [1], [2], [3], [4], [5], [1])


def test_empty_cluster_and_no_cluster_fail_the_schema() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        answer([1, 2], [])
    with pytest.raises(ValidationError, match="at least 1 item"):
        ClusterOutput.model_validate({"clusters": []})


def test_empty_cluster_is_also_rejected_by_the_validator() -> None:
    empty = ClusterOutput.model_construct(clusters=[answer([1]).clusters[0].model_copy(update={"items": []})])
    with pytest.raises(SemanticValidationError, match="cluster 1 .* is empty"):
        check_clusters(empty, inp())


def test_unknown_title_is_rejected() -> None:
    with pytest.raises(SemanticValidationError, match="neither an item number nor one of the listed titles"):
        check("individual", [1, 2, 3, 4], ["Oscilloscope probe"], [5])


def test_the_schema_shown_asks_for_integers_only() -> None:
    from recloom.agents.larmi.tasks import CLUSTER

    items = CLUSTER.json_schema["$defs"]["Cluster"]["properties"]["items"]
    assert items["items"] == {"type": "integer"} and items["minItems"] == 1
    assert "repairs" not in CLUSTER.json_schema["properties"]
    assert CLUSTER.schema_warnings == []


# --- repaired and recorded -------------------------------------------------------------------------------
def test_individual_item_in_two_clusters_stays_in_the_first() -> None:
    out = check("individual", [1, 2, 3], [3, 4], [5])
    assert out.index_lists() == [[1, 2, 3], [4], [5]]
    assert out.repairs == ["cluster 2: item(s) [3] already in an earlier cluster, kept there"]


def test_individual_cluster_emptied_by_keep_first_is_dropped_with_its_name() -> None:
    out = check("individual", [1, 2], [2, 1], [3, 4, 5])
    assert out.index_lists() == [[1, 2], [3, 4, 5]]
    assert [c.name for c in out.clusters] == ["g0", "g2"]
    assert any("dropped" in r for r in out.repairs)


def test_synthetic_repeated_cluster_is_dropped_and_too_many_clusters_rejected() -> None:
    out = check("synthetic", [1, 2, 3], [3, 2, 1], [4, 5])
    assert out.index_lists() == [[1, 2, 3], [4, 5]]
    assert out.repairs == ["cluster 2: dropped (same items as an earlier cluster)"]
    with pytest.raises(SemanticValidationError, match="3 clusters cover only 2 of the 5 items"):
        check("synthetic", [1], [2], [1, 2])  # + 3 singletons = 6 > 5


def test_synthetic_overlaps_are_kept_without_repair() -> None:
    out = check("synthetic", [1, 2, 3], [3, 4, 5], [1, 5])
    assert out.index_lists() == [[1, 2, 3], [3, 4, 5], [1, 5]]
    assert out.repairs == []


@pytest.mark.parametrize("kind", ["individual", "synthetic"])
def test_missing_items_become_singletons(kind: str) -> None:
    out = check(kind, [1, 3], [4])
    assert out.index_lists() == [[1, 3], [4], [2], [5]]
    assert out.repairs == ["item(s) [2, 5] in no cluster: added as singleton clusters"]
    assert out.clusters[2].name == TITLES[1]


@pytest.mark.parametrize("kind", ["individual", "synthetic"])
def test_duplicate_inside_a_cluster_is_dropped(kind: str) -> None:
    out = check(kind, [1, 2, 2, 1], [3, 4, 5])
    assert out.index_lists() == [[1, 2], [3, 4, 5]]
    assert out.repairs == [
        "cluster 1 ('g0'): duplicate item 2 dropped",
        "cluster 1 ('g0'): duplicate item 1 dropped",
    ]


def test_titles_and_numeric_strings_map_back_to_indices() -> None:
    out = check(
        "individual",
        ["1", "Soldering iron station 60W"],
        ["#3", "latex gloves box of 100"],
        ["Rosin flux pastes"],
    )  # last one: edit distance 1 of 16 characters (0.0625 <= 0.1)
    assert out.index_lists() == [[1, 2], [3, 4], [5]]
    assert len(out.repairs) == 5
    assert "title 'Rosin flux pastes' mapped to item 5" in out.repairs[-1]


def test_fuzzy_match_limit_and_ambiguity() -> None:
    titles = ["abcdefghij", "abcdefghiX", "klmnopqrst"]
    assert match_title("klmnopqrsX", titles) == 3  # 1 edit in 10 = 0.1: accepted
    assert match_title("klmnopqrXX", titles) is None  # 0.2: rejected
    assert match_title("abcdefghiY", titles) is None  # equally close to two titles: ambiguous
    assert match_title("  ABCDEFGHIJ. ", titles) == 1  # normalised exact match wins


def test_edit_distance_closed_forms() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("abcdef", "uvwxyz", limit=2) == 3  # stops early: limit + 1


# --- invariants ------------------------------------------------------------------------------------------
def test_violations_names_each_broken_rule() -> None:
    assert violations([[1, 2], [3]], 3, "individual") == []
    assert violations([[1, 2], [2, 3]], 3, "synthetic") == []
    assert violations([[1, 2], [2, 3]], 3, "individual") == ["item 2 is in clusters 1 and 2"]
    assert violations([[1], []], 2, "synthetic") == ["cluster 2 is empty", "items [2] are in no cluster"]
    assert violations([[1, 4]], 3, "synthetic") == [
        "cluster 1: item 4 outside 1..3",
        "items [2, 3] are in no cluster",
    ]
    assert violations([[1, 1, 2]], 2, "individual") == ["cluster 1 repeats an item"]
    assert violations([], 2, "individual") == ["0 clusters for 2 items", "items [1, 2] are in no cluster"]


entries = st.lists(st.lists(st.integers(1, 6), min_size=1, max_size=8), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(raw=entries, kind=st.sampled_from(["individual", "synthetic"]))
def test_every_accepted_answer_satisfies_the_invariants(raw: list[list[int]], kind: str) -> None:
    titles = [f"item number {k}" for k in range(6)]
    try:
        out = check_clusters(answer(*raw), inp(kind, titles))
    except SemanticValidationError:  # only overlapping answers can end with more clusters than items
        distinct = {frozenset(c) for c in raw}
        assert kind == "synthetic" and len(distinct) + 6 - len(set().union(*distinct)) > 6
        return
    assert violations(out.index_lists(), 6, kind) == []  # type: ignore[arg-type]
    if kind == "synthetic":  # nothing the model grouped is lost
        assert {frozenset(c) for c in raw} <= {frozenset(c) for c in out.index_lists()}
    assert out.repairs or [sorted(set(c)) for c in raw] == [sorted(c) for c in out.index_lists()]
