"""Prior counts, P/D head-tail groups, the 2x2 cells and the aggregation checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recloom.agents.probe import HEAD, TAIL, PriorGroups, prior_counts, top_share_groups
from recloom.errors import ArtifactError, DataError


def test_prior_counts_sum_to_sequences_times_k() -> None:
    rng = np.random.default_rng(1)
    grounded = [rng.choice(50, size=10, replace=False).tolist() for _ in range(30)]
    counts = prior_counts(grounded, 50)
    assert counts.sum() == 30 * 10
    assert counts[grounded[0][0]] == sum(grounded[0][0] in g for g in grounded)


def test_a_repeated_item_in_one_list_is_refused() -> None:
    with pytest.raises(DataError, match="sequence 1 repeats"):
        prior_counts([[0, 1], [2, 2]], 3)
    with pytest.raises(DataError, match="outside"):
        prior_counts([[5]], 3)


def test_top_share_groups_take_ceil_share_with_tie_breaks() -> None:
    score = np.array([3, 1, 3, 0, 1, 1, 0, 0, 0, 0, 2])  # 11 items -> ceil(2.2) = 3 head items
    groups = top_share_groups(score, 0.2)
    assert np.flatnonzero(groups == HEAD).tolist() == [0, 2, 10]
    # Ties at the boundary: score 1 for items 1, 4, 5; the tie-break prefers the higher second key.
    groups = top_share_groups(np.array([5, 1, 1, 1, 0]), 0.5, tiebreak=np.array([0, 1, 9, 3, 0]))
    assert np.flatnonzero(groups == HEAD).tolist() == [0, 2, 3]


def test_cells_summary_and_round_trip(tmp_path: Path) -> None:
    grounded = [[0, 1], [0, 2], [0, 3], [4, 1]]
    data_counts = np.array([0, 9, 0, 0, 0, 5, 1, 1, 1, 1])  # item 1 and 5 are the data head (ceil 2)
    groups = PriorGroups.build(grounded, data_counts, k=2)
    # c_prior = [3, 2, 1, 1, 1, 0...]: P-Head = items 0, 1.
    assert np.flatnonzero(groups.prior_group == HEAD).tolist() == [0, 1]
    assert np.flatnonzero(groups.data_group == HEAD).tolist() == [1, 5]
    assert groups.cell[1] == 0 and groups.cell[0] == 1 and groups.cell[5] == 2 and groups.cell[9] == 3
    summary = groups.summary()
    assert summary["sum_check"] is True and summary["c_prior_sum"] == 8 == summary["expected_sum"]
    assert summary["never_recommended_share"] == pytest.approx(0.5)
    assert sum(summary["cells"].values()) == 10
    assert summary["p_head_share_of_recommendations"] == pytest.approx(5 / 8)
    groups.save(str(tmp_path / "g.npz"))
    loaded = PriorGroups.load(str(tmp_path / "g.npz"))
    np.testing.assert_array_equal(loaded.cell, groups.cell)
    assert (loaded.n_sequences, loaded.k) == (4, 2)
    assert TAIL == 1


def test_a_deficit_breaks_the_sum_check_visibly() -> None:
    groups = PriorGroups.build([[0, 1], [2]], np.ones(5, dtype=np.int64), k=2)
    assert groups.summary()["sum_check"] is False and groups.summary()["deficit"] == 1


def test_loading_a_wrong_file_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "x.npz"
    np.savez(bad, other=np.zeros(2))
    with pytest.raises(ArtifactError, match="x.npz"):
        PriorGroups.load(str(bad))
