"""The local agglomerative solver of ``larmi.cluster`` and the request builders."""

from __future__ import annotations

import numpy as np
import pytest
from larmi_support import bag_of_words

from recloom.agents.larmi.inputs import individual_request, prompt_title, synthetic_request
from recloom.agents.larmi.local import (
    add_overlaps,
    agglomerative_clusters,
    context_id,
    distinctive_name,
    partition,
)
from recloom.agents.larmi.repair import violations
from recloom.agents.larmi.task import ClusterInput, ClusterOutput, check_clusters
from recloom.errors import ConfigError, DataError

TITLES = ["lead solder wire", "solder wire spool", "nitrile gloves", "nitrile gloves large", "ph meter"]
CONTEXT = {"embedder": bag_of_words}


def solve(titles: list[str], kind: str = "individual", **context: float) -> ClusterOutput:
    inp = ClusterInput(id="u", kind=kind, titles=titles)  # type: ignore[arg-type]
    out = agglomerative_clusters.solve(inp, {**CONTEXT, **context})
    assert isinstance(out, ClusterOutput)
    return check_clusters(out, inp)


def test_similar_titles_cluster_together_and_clusters_follow_item_order() -> None:
    out = solve(TITLES)
    assert out.index_lists() == [[1, 2], [3, 4], [5]]
    assert out.repairs == []
    assert violations(out.index_lists(), 5, "individual") == []


def test_the_threshold_decides_the_number_of_clusters() -> None:
    assert len(solve(TITLES, cluster_threshold=0.0).clusters) == 5  # nothing merges
    assert len(solve(TITLES, cluster_threshold=2.0).clusters) == 1  # everything merges
    assert len(solve(TITLES[:2]).clusters) == 1 and len(solve(["ph meter"]).clusters) == 1
    with pytest.raises(ConfigError, match="cluster_threshold"):
        solve(TITLES, cluster_threshold=3.0)


def test_average_linkage_partition_closed_form() -> None:
    # 0-1 at distance 0.2, 2 far from both (0.9, 0.8): cut 0.5 -> {0, 1}, {2}; cut 0.9 -> one cluster
    dist = np.array([[0.0, 0.2, 0.9], [0.2, 0.0, 0.8], [0.9, 0.8, 0.0]])
    assert partition(dist, 0.5) == [[0, 1], [2]]
    assert partition(dist, 0.86) == [[0, 1, 2]]  # average of 0.9 and 0.8 = 0.85
    assert partition(dist, 0.84) == [[0, 1], [2]]


def test_synthetic_items_join_every_cluster_within_the_threshold() -> None:
    dist = np.array([[0.0, 0.9, 0.4], [0.9, 0.0, 0.5], [0.4, 0.5, 0.0]])
    assert add_overlaps([[0, 2], [1]], dist, 0.5) == [[0, 2], [1, 2]]  # 2 is 0.5 from {1}
    assert add_overlaps([[0, 2], [1]], dist, 0.45) == [[0, 2], [1]]
    out = solve(
        ["solder wire", "solder paste", "wire spool"],
        kind="synthetic",
        cluster_threshold=0.45,
        overlap_threshold=0.6,
    )
    assert violations(out.index_lists(), 3, "synthetic") == []
    assert sum(len(c) for c in out.index_lists()) > 3  # some item sits in two clusters


def test_names_come_from_distinctive_words() -> None:
    titles = ["nitrile gloves", "nitrile gloves", "solder wire", "solder gloves", "flux"]
    # share inside - share outside: nitrile 1 - 0 = 1, gloves 1 - 1/3
    assert distinctive_name([0, 1], titles) == "nitrile gloves"
    # solder 1, wire 1/2, gloves 1/2 - 2/3 < 0 (left out); ties broken by first seen
    assert distinctive_name([2, 3], titles) == "solder wire"
    assert distinctive_name([2, 3], titles, max_words=1) == "solder"
    assert distinctive_name([0], ["x 10", "x 20"]) == "x 10"  # no content word: the first title


def test_context_id_changes_with_the_options() -> None:
    assert context_id() != context_id(0.6) != context_id(0.6, 0.3)
    assert context_id(0.7) == context_id()


def test_real_minilm_groups_related_titles() -> None:
    titles = [
        "Lead-free rosin core solder wire 0.8mm",
        "Nitrile examination gloves, large, box of 100",
        "Soldering iron kit 60W with temperature control",
        "Disposable latex gloves, powder free",
    ]
    inp = ClusterInput(id="u", titles=titles)
    out = check_clusters(agglomerative_clusters.solve(inp, {}), inp)  # type: ignore[arg-type]
    assert out.index_lists() == [[1, 3], [2, 4]]


# --- requests --------------------------------------------------------------------------------------------
def test_individual_request_dedupes_keeps_recent_and_maps_numbers_to_items() -> None:
    titles = [f"title {k}" for k in range(10)]
    req = individual_request("7", [3, 5, 3, 8, 9], titles, cap=3)
    assert req.items == (5, 8, 9) and req.n_source_items == 4 and req.capped
    assert req.input.titles == ["title 5", "title 8", "title 9"]
    assert req.input.kind == "individual" and req.input.id == "7"
    with pytest.raises(DataError, match="user 1: item id"):
        individual_request("1", [3, 12], titles)


def test_synthetic_request_keeps_the_most_frequent_clique_items() -> None:
    titles = [f"t{k}" for k in range(6)]
    items, freq = np.array([0, 1, 2, 3, 4]), np.array([1, 3, 1, 2, 1])
    popularity = np.array([5, 1, 9, 1, 2, 0])
    req = synthetic_request("s", items, freq, popularity, titles, cap=3)
    assert req.items == (1, 2, 3)  # frequency 3 and 2, then the most popular of the rest (9 > 5 > 2)
    assert req.n_source_items == 5 and req.input.kind == "synthetic"
    assert synthetic_request("s", items, freq, popularity, titles).items == (0, 1, 2, 3, 4)


def test_prompt_titles_are_one_line_and_cut() -> None:
    assert prompt_title("a\n  b\tc", 1) == "a b c"
    assert len(prompt_title("x" * 500, 1)) == 120
    assert prompt_title("  ", 42) == "item 42"
