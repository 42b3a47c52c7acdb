"""Containers: id maps, interactions helpers, dataset and split round trips."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.data import Dataset, IdMap, Interactions, ItemCatalog, SequenceExamples, Split, UserProfiles
from recloom.errors import ArtifactError, DataError


def _inter() -> Interactions:
    # user 0: items 2 (t=5), 0 (t=3), 2 again (t=7); user 2: item 1 (t=1)
    return Interactions.from_arrays(user=[0, 0, 2, 0], item=[2, 0, 1, 2], timestamp=[5, 3, 1, 7],
                                    rating=[4, 1, 3, 2])


def test_idmap_round_trip_and_errors() -> None:
    ids = IdMap([10, "b", "c"])
    assert ids.encode(["c", "10"]).tolist() == [2, 0]
    assert ids.decode([1, 2]) == ["b", "c"]
    assert ids.take(np.array([2, 0])).raw == ("c", "10")
    with pytest.raises(DataError, match="unknown id 'zz'"):
        ids.index("zz")
    with pytest.raises(DataError, match="duplicate raw id 'a'"):
        IdMap(["a", "b", "a"])


def test_sequences_follow_time_with_row_order_as_tie_break() -> None:
    inter = Interactions.from_arrays(user=[1, 1, 1, 0], item=[5, 6, 7, 8], timestamp=[2, 1, 2, 0])
    seqs = inter.sequences(n_users=3)
    assert [s.tolist() for s in seqs] == [[8], [6, 5, 7], []]
    assert [s.tolist() for s in inter.user_items(3)] == [[8], [5, 6, 7], []]


def test_missing_timestamps_become_per_user_order() -> None:
    inter = Interactions.from_arrays(user=[3, 1, 3, 3, 1], item=[0, 1, 2, 3, 4])
    assert inter.timestamp.tolist() == [0, 0, 1, 2, 1]


def test_csr_values_and_counts() -> None:
    inter = _inter()
    assert inter.csr(3, 3).toarray().tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert inter.csr(3, 3, "count").toarray()[0].tolist() == [1, 0, 2]
    # the most recent rating of a repeated pair wins (t=7 -> 2.0, not t=5 -> 4.0)
    assert inter.csr(3, 3, "rating").toarray()[0].tolist() == [1, 0, 2]
    assert inter.item_counts(4).tolist() == [1, 1, 2, 0]
    assert inter.user_counts(3).tolist() == [3, 0, 1]
    with pytest.raises(DataError, match="user index out of range"):
        inter.csr(2, 3)


def test_subset_concat_and_validation() -> None:
    inter = _inter()
    sub = inter.subset(inter.user == 0)
    assert sub.item.tolist() == [2, 0, 2] and sub.rating.tolist() == [4, 1, 2]
    both = Interactions.concat([sub, inter.subset(np.array([2]))])
    assert len(both) == 4 and both.rating is not None
    assert Interactions.concat([sub, Interactions.from_arrays([0], [0])]).rating is None
    with pytest.raises(DataError, match="different lengths"):
        Interactions.from_arrays([0, 1], [0], timestamp=[0, 0])
    with pytest.raises(DataError, match="mask of length"):
        inter.subset(np.array([True, False]))


def _dataset() -> Dataset:
    items = ItemCatalog(raw_ids=["i0", "i1", "i2", "i3"], titles=["A", "B", "C", "D"],
                        texts=["a", "b", "c", "d"], categories=[["x"], ["x", "y"], [], ["z"]],
                        brands=["acme", None, "acme", None])
    users = UserProfiles(["u0", "u1", "u2"], [{"age": 1}, {"age": 2}, {"age": 3}])
    return Dataset("toy", _inter(), IdMap(["u0", "u1", "u2"]), IdMap(items.raw_ids), items, users,
                   {"has_time": True})


def test_dataset_save_load_round_trip(tmp_path) -> None:
    ds = _dataset()
    back = Dataset.load(ds.save(tmp_path / "ds"))
    assert back.name == "toy" and back.n_users == 3 and back.n_items == 4
    assert np.array_equal(back.interactions.timestamp, ds.interactions.timestamp)
    assert back.interactions.rating.dtype == np.float32
    assert back.items == ds.items and back.users == ds.users and back.item_ids == ds.item_ids
    with pytest.raises(ArtifactError, match="missing"):
        Dataset.load(tmp_path / "nowhere")


def test_compact_drops_unused_and_keeps_side_info_aligned() -> None:
    ds = _dataset().compact()  # user u1 and item i3 have no rows
    assert ds.user_ids.raw == ("u0", "u2") and ds.item_ids.raw == ("i0", "i1", "i2")
    assert ds.items.titles == ["A", "B", "C"] and ds.users.attribute("age") == [1, 3]
    assert ds.item_ids.decode(ds.interactions.item) == ["i2", "i0", "i1", "i2"]
    assert ds.user_ids.decode(ds.interactions.user) == ["u0", "u0", "u2", "u0"]


def test_catalog_categories() -> None:
    cat = _dataset().items
    assert cat.category_vocabulary() == ["x", "y", "z"]
    assert cat.category_matrix().toarray().tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 0, 1]]
    assert cat.primary_category().tolist() == [0, 0, -1, 2]
    with pytest.raises(DataError, match="'titles' has 1 entries for 2 items"):
        ItemCatalog(["a", "b"], ["A"], ["a", "b"], [[], []])


def test_dataset_rejects_out_of_range_indices() -> None:
    with pytest.raises(DataError, match="item index out of range"):
        Dataset("bad", _inter(), IdMap(["a", "b", "c"]), IdMap(["x", "y"]))


def test_sequence_examples_padding() -> None:
    hist, tgt = [np.array([1, 2, 3]), np.array([9])], [np.array([5]), np.array([6])]
    ex = SequenceExamples.from_lists([4, 7], hist, tgt)
    right, lens = ex.padded_histories(max_len=2, pad=-1)
    assert right.tolist() == [[2, 3], [9, -1]] and lens.tolist() == [2, 1]
    left, _ = ex.padded_histories(max_len=4, pad=0, side="left")
    assert left.tolist() == [[0, 1, 2, 3], [0, 0, 0, 9]]
    assert ex.single_targets().tolist() == [5, 6]
    multi = SequenceExamples.from_lists([0], [np.array([1])], [np.array([2, 3])])
    with pytest.raises(DataError, match="several targets"):
        multi.single_targets()


def test_split_save_load(tmp_path) -> None:
    inter = _inter()
    ex = SequenceExamples.from_lists([0], [np.array([0, 2])], [np.array([2])])
    split = Split("s", {"k": 1}, 3, 3, inter.subset(np.array([0, 1])), Interactions.empty(),
                  inter.subset(np.array([3])), test_examples=ex, info={"short_users": 1})
    back = Split.load(split.save(tmp_path / "split"))
    assert back.sizes() == {"train": 2, "valid": 0, "test": 1}
    assert back.params == {"k": 1} and back.info == {"short_users": 1} and back.valid_examples is None
    assert [h.tolist() for h in back.test_examples.histories()] == [[0, 2]]
