"""Cluster artifacts -> masks / padded synthetic users, prefix batches, eval data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recloom.data.split import SequenceExamples
from recloom.errors import DataError
from recloom.recmodels.larmi_clusters import ClusterTable, load_clusters_json, pad_synthetic
from recloom.recmodels.larmi_data import PrefixSequenceData, sequence_eval_data


def test_cluster_table_masks_by_hand() -> None:
    table = ClusterTable({0: [[2, 5], [7]], 3: [[1], [2, 9], [4]]}, n_items=10)
    assert table.n_clusters == 3
    item_seq = np.array([[3, 6, 8, 0], [2, 3, 10, 5]])  # +1 shifted: user 0 -> items 2, 5, 7
    masks = table.masks(np.array([0, 3]), item_seq)
    assert masks.shape == (2, 3, 4)
    assert masks[0].astype(int).tolist() == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    # user 3: items 1, 2, 9, 4 -> clusters 0, 1, 1, 2
    assert masks[1].astype(int).tolist() == [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    # a user without clusters and an item outside every cluster get nothing
    assert not table.masks(np.array([1]), np.array([[3, 6]])).any()
    overlap = ClusterTable([[[1, 2], [2, 3]]], 5)
    assert overlap.masks(np.array([0]), np.array([[3]]))[0, :, 0].tolist() == [True, True]


def test_cluster_table_rejects_bad_items() -> None:
    with pytest.raises(DataError, match="user 0 cluster 1"):
        ClusterTable([[[1], [10]]], n_items=10)
    with pytest.raises(DataError, match="at most 63"):
        ClusterTable([[[i] for i in range(64)]], n_items=100)


def test_load_clusters_json_shapes(tmp_path: Path) -> None:
    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps({"0": [[1, 2], [3]], "4": {"clusters": [{"name": "x", "items": [5]}]}}))
    assert load_clusters_json(obj) == {0: [[1, 2], [3]], 4: [[5]]}
    lst = tmp_path / "list.json"
    lst.write_text(json.dumps([[{"items": [0]}], [[1, 2]]]))
    assert load_clusters_json(lst) == {0: [[0]], 1: [[1, 2]]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"0": [["a"]]}))
    with pytest.raises(DataError, match="bad.json: user 0: cluster 0"):
        load_clusters_json(bad)
    with pytest.raises(DataError, match="missing.json"):
        load_clusters_json(tmp_path / "missing.json")


def test_pad_synthetic_by_hand() -> None:
    items, member = pad_synthetic([[[4, 1], [1, 7]], [[2]]], n_items=8)
    assert items.tolist() == [[1, 4, 7], [2, 0, 0]]
    assert member[0].astype(int).tolist() == [[1, 1], [1, 0], [0, 1]]
    assert member[1].astype(int).tolist() == [[1, 0], [0, 0], [0, 0]]
    with pytest.raises(DataError, match="synthetic user 1"):
        pad_synthetic([[[1]], [[9]]], n_items=8)


def test_prefix_batches_have_every_target_once_with_its_history() -> None:
    table = ClusterTable([[[0, 1], [2]], [[5, 6]]], 8)
    data = PrefixSequenceData([np.array([0, 1, 2, 3]), np.array([5, 6])], 8, max_len=2, clusters=table)
    assert len(data) == 4
    batches = list(data.batches(3, np.random.default_rng(0)))
    seen = {}
    for b in batches:
        for row, target, user, mask in zip(b["item_seq"].tolist(), b["item"].tolist(), b["user"].tolist(),
                                           b["cluster_mask"].numpy(), strict=True):
            seen[(user, target)] = (row, mask.astype(int).tolist())
    assert seen[(0, 3)] == ([2, 3], [[1, 0], [0, 1]])  # items 1 (cluster 0) and 2 (cluster 1)
    assert seen[(0, 1)] == ([1, 0], [[1, 0], [0, 0]])
    assert seen[(1, 6)] == ([6, 0], [[1, 0], [0, 0]])
    assert len(seen) == 4


def test_sequence_eval_data_excludes_history_and_drops_rows_without_targets() -> None:
    ex = SequenceExamples.from_lists([0, 1, 2], [np.array([1, 2, 3]), np.array([4]), np.array([5, 6])],
                                     [np.array([7]), np.array([], dtype=np.int64), np.array([0, 1])])
    table = ClusterTable({0: [[1, 2]], 2: [[6]]}, 8)
    data = sequence_eval_data(ex, 8, max_len=2, clusters=table)
    assert len(data) == 2
    assert data.inputs["user"].tolist() == [0, 2]
    assert data.inputs["item_seq"].tolist() == [[3, 4], [6, 7]]
    assert data.exclude.toarray()[0].nonzero()[0].tolist() == [1, 2, 3]
    assert data.truth.toarray()[1].nonzero()[0].tolist() == [0, 1]
    assert data.inputs["cluster_mask"][:, 0].int().tolist() == [[1, 0], [0, 1]]
