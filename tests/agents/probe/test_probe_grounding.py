"""Grounding: L2 nearest candidates, the distinctness rule (next-nearest unused item on a collision)
and the exact-match statistics."""

from __future__ import annotations

import numpy as np
import pytest
from probe_support import TableEmbedder, TrigramEmbedder

from recloom.agents.probe import ground
from recloom.agents.probe.grounding import assign_distinct, nearest_candidates
from recloom.errors import DataError


def test_nearest_candidates_match_a_brute_force_sort() -> None:
    rng = np.random.default_rng(0)
    queries, keys = rng.normal(size=(7, 5)), rng.normal(size=(40, 5))
    idx, dist = nearest_candidates(queries, keys, 6)
    full = np.linalg.norm(queries[:, None, :] - keys[None, :, :], axis=2)
    np.testing.assert_array_equal(idx, np.argsort(full, axis=1, kind="stable")[:, :6])
    np.testing.assert_allclose(dist, np.sort(full, axis=1)[:, :6], atol=1e-9)


def test_ties_break_towards_the_lower_item_index() -> None:
    keys = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    idx, _ = nearest_candidates(np.array([[1.0, 0.0]]), keys, 4)
    assert idx.tolist() == [[0, 2, 1, 3]]


def test_a_collision_gives_the_later_string_its_next_nearest_unused_item() -> None:
    # Items on a line at 0, 1, 2, 3; strings at 0.1, 0.2 and 0.05 all nearest to item 0.
    table = {f"item{i}": [float(i), 0.0] for i in range(4)}
    table.update({"s1": [0.1, 0.0], "s2": [0.2, 0.0], "s3": [0.05, 0.0], "far": [2.9, 0.0]})
    result = ground([["s1", "s2", "s3"], ["s3", "far"]], [f"item{i}" for i in range(4)], TableEmbedder(table))
    first, second = result.sequences
    assert first.items == [0, 1, 2]  # s2 and s3 collide with s1's item and step down
    assert first.fallback_rank == [0, 1, 2]
    np.testing.assert_allclose(first.distances, [0.1, 0.8, 1.95], atol=1e-6)
    assert second.items == [0, 3] and second.fallback_rank == [0, 0]  # sequences do not share the rule
    assert result.stats["collisions"] == 2
    assert all(len(set(s.items)) == len(s.items) for s in result.sequences)


def test_assign_distinct_needs_enough_candidates() -> None:
    with pytest.raises(DataError, match="no unused candidate"):
        assign_distinct(np.array([[0], [0]]), np.zeros((2, 1)))


def test_exact_titles_ground_to_themselves_at_distance_zero() -> None:
    titles = ["Alien (1979)", "Aliens (1986)", "Heat (1995)", "Matrix, The (1999)"]
    result = ground([["Heat (1995)", "aliens (1986)", "The Matrix"]], titles, TrigramEmbedder())
    seq = result.sequences[0]
    assert seq.items == [2, 1, 3]
    assert seq.exact == [True, True, False] and seq.same_title == [True, True, True]
    assert seq.distances[0] == pytest.approx(0.0, abs=1e-6)
    assert result.stats["exact_match_rate"] == pytest.approx(2 / 3)


def test_more_strings_than_catalogue_items_is_an_error() -> None:
    with pytest.raises(DataError, match="only 1 items"):
        ground([["a", "b"]], ["a"], TrigramEmbedder())
