"""Splitters: exact behaviour on hand-made fixtures, invariants on MovieLens-100K."""

from __future__ import annotations

import numpy as np
import pytest

from recloom.data import Dataset, Interactions, Split
from recloom.data.splitters import get_splitter, parse_ratios, ratio_counts, splitter_names
from recloom.errors import ConfigError


def _pairs(inter: Interactions) -> set[tuple[int, int]]:
    return set(zip(inter.user.tolist(), inter.item.tolist(), strict=True))


def _toy() -> Interactions:
    """user 0: 10 rows (items 0..9, time 9..0 reversed), user 1: 5 rows, user 2: 2 rows."""
    user = [0] * 10 + [1] * 5 + [2] * 2
    item = list(range(10)) + [10, 11, 12, 13, 14] + [15, 16]
    ts = list(range(9, -1, -1)) + [3, 1, 4, 0, 2] + [7, 7]
    return Interactions.from_arrays(user, item, ts)


@pytest.mark.parametrize(("n", "ratios", "expected"), [
    (10, (0.8, 0.1, 0.1), [8, 1, 1]),
    (9, (0.8, 0.1, 0.1), [7, 1, 1]),    # floor gives 0 valid/test; both bumped to 1
    (3, (0.8, 0.1, 0.1), [1, 1, 1]),
    (2, (0.8, 0.1, 0.1), [1, 0, 1]),    # test bumped first, then train would drop to 0: stop
    (1, (0.8, 0.1, 0.1), [1, 0, 0]),
    (20, (0.6, 0.2, 0.2), [12, 4, 4]),
    (7, (0.6, 0.2, 0.2), [5, 1, 1]),
    (10, (1.0, 0.0, 0.0), [10, 0, 0]),
])
def test_ratio_counts_recbole_rule(n: int, ratios: tuple[float, float, float], expected: list[int]) -> None:
    assert ratio_counts(np.array([n]), ratios)[0].tolist() == expected


def test_parse_ratios() -> None:
    assert parse_ratios("6:2:2") == pytest.approx((0.6, 0.2, 0.2))
    assert parse_ratios("0.8/0.1/0.1") == pytest.approx((0.8, 0.1, 0.1))
    assert parse_ratios([8, 1, 1]) == pytest.approx((0.8, 0.1, 0.1))
    with pytest.raises(ConfigError, match="three non-negative"):
        parse_ratios("1:1")
    with pytest.raises(ConfigError, match="expected numbers"):
        parse_ratios("a:b:c")


def _check_partition(split: Split, inter: Interactions) -> None:
    parts = [_pairs(split.train), _pairs(split.valid), _pairs(split.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert parts[0] | parts[1] | parts[2] == _pairs(inter)


def test_random_ratio_exact_counts_and_short_users() -> None:
    inter = _toy()
    split = get_splitter("random_ratio", ratios=(0.6, 0.2, 0.2), seed=1).split(inter, 3, 17)
    _check_partition(split, inter)
    per_user = [np.bincount(p.user, minlength=3).tolist() for p in (split.train, split.valid, split.test)]
    assert per_user == [[6, 3, 2], [2, 1, 0], [2, 1, 0]]  # user 2 (2 rows < 3) all train
    assert split.info["short_users"] == 1 and split.valid_examples is None
    dropped = get_splitter("random_ratio", ratios=(0.6, 0.2, 0.2), short_users="drop").split(inter, 3, 17)
    assert 2 not in set(dropped.train.user.tolist()) and dropped.info["dropped_rows"] == 2


def test_random_ratio_seeded(ml100k: Dataset) -> None:
    inter, n_u, n_i = ml100k.interactions, ml100k.n_users, ml100k.n_items
    a = get_splitter("recbole", seed=7).split(inter, n_u, n_i)
    b = get_splitter("recbole", seed=7).split(inter, n_u, n_i)
    c = get_splitter("recbole", seed=8).split(inter, n_u, n_i)
    assert _pairs(a.test) == _pairs(b.test) and _pairs(a.test) != _pairs(c.test)
    _check_partition(a, inter)
    counts = inter.user_counts(n_u)
    expected = ratio_counts(counts, (0.8, 0.1, 0.1))
    for k, part in enumerate((a.train, a.valid, a.test)):
        assert np.array_equal(part.user_counts(n_u), expected[:, k])
    assert a.sizes() == {"train": 80808, "valid": 9596, "test": 9596}
    assert np.array_equal(a.train.csr(n_u, n_i).toarray() + a.test.csr(n_u, n_i).toarray()
                          + a.valid.csr(n_u, n_i).toarray(), inter.csr(n_u, n_i).toarray())


def test_chrono_ratio_exact() -> None:
    split = get_splitter("chrono_ratio", ratios="6:2:2").split(_toy(), 3, 17)
    # user 0: time order is items 9,8,...,0 -> train 9..4, valid 3,2, test 1,0
    assert split.train.subset(split.train.user == 0).item.tolist() == [4, 5, 6, 7, 8, 9]
    assert sorted(split.valid.subset(split.valid.user == 0).item.tolist()) == [2, 3]
    assert sorted(split.test.subset(split.test.user == 0).item.tolist()) == [0, 1]
    # user 1: time order 13(0), 11(1), 14(2), 10(3), 12(4) -> 3 train, 1 valid, 1 test
    assert split.test.subset(split.test.user == 1).item.tolist() == [12]
    assert split.valid.subset(split.valid.user == 1).item.tolist() == [10]
    ex = split.test_examples
    assert ex.user.tolist() == [0, 1]
    assert [h.tolist() for h in ex.histories()] == [[9, 8, 7, 6, 5, 4, 3, 2], [13, 11, 14, 10]]
    assert [t.tolist() for t in ex.targets()] == [[1, 0], [12]]
    assert [h.tolist() for h in split.valid_examples.histories()] == [[9, 8, 7, 6, 5, 4], [13, 11, 14]]


def test_chrono_ratio_max_length_keeps_most_recent() -> None:
    split = get_splitter("chrono_ratio", ratios="6:2:2", max_length=3).split(_toy(), 3, 17)
    user0 = [p.subset(p.user == 0).item.tolist() for p in (split.train, split.valid, split.test)]
    assert user0 == [[2], [1], [0]]
    assert split.info["dropped_rows"] == 7 + 2  # user 0 loses 7, user 1 loses 2 (5 -> 3)


def test_chrono_ratio_respects_time_on_ml100k(ml100k: Dataset) -> None:
    split = get_splitter("larmi").split(ml100k.interactions, ml100k.n_users, ml100k.n_items)
    n_u = ml100k.n_users
    assert np.all(split.train.user_counts(n_u) == 12) and np.all(split.test.user_counts(n_u) == 4)
    last_train = np.full(n_u, -1)
    np.maximum.at(last_train, split.train.user, split.train.timestamp)
    first_valid = np.full(n_u, np.iinfo(np.int64).max)
    np.minimum.at(first_valid, split.valid.user, split.valid.timestamp)
    first_test = np.full(n_u, np.iinfo(np.int64).max)
    np.minimum.at(first_test, split.test.user, split.test.timestamp)
    last_valid = np.full(n_u, -1)
    np.maximum.at(last_valid, split.valid.user, split.valid.timestamp)
    assert np.all(last_train <= first_valid) and np.all(last_valid <= first_test)
    # the kept 20 are each user's most recent
    newest_dropped = np.full(n_u, -1)
    kept = _pairs(split.train) | _pairs(split.valid) | _pairs(split.test)
    inter = ml100k.interactions
    dropped = np.array([(u, i) not in kept for u, i in zip(inter.user.tolist(), inter.item.tolist(),
                                                            strict=True)])
    np.maximum.at(newest_dropped, inter.user[dropped], inter.timestamp[dropped])
    assert np.all(newest_dropped <= last_train)


def test_chrono_global_scope_cuts_one_timeline(ml100k: Dataset) -> None:
    split = get_splitter("eisam").split(ml100k.interactions, ml100k.n_users, ml100k.n_items)
    assert split.sizes() == {"train": 80000, "valid": 10000, "test": 10000}
    assert split.train.timestamp.max() <= split.valid.timestamp.min()
    assert split.valid.timestamp.max() <= split.test.timestamp.min()


def test_leave_last_out_exact_and_ties() -> None:
    inter = _toy()
    split = get_splitter("leave_last_out").split(inter, 3, 17)
    assert split.test.item.tolist() == [0, 12]   # newest of users 0 and 1
    assert split.valid.item.tolist() == [1, 10]
    assert split.info["short_users"] == 1 and 15 in split.train.item and 16 in split.train.item
    assert split.test_examples.single_targets().tolist() == [0, 12]
    assert split.test_examples.histories()[1].tolist() == [13, 11, 14, 10]
    assert split.valid_examples.histories()[1].tolist() == [13, 11, 14]
    tie = Interactions.from_arrays([0, 0, 0, 0], [5, 6, 7, 8], [1, 1, 1, 1])
    split = get_splitter("sasrec").split(tie, 1, 9)
    assert split.test.item.tolist() == [8] and split.valid.item.tolist() == [7]  # file order breaks ties


def test_leave_last_out_on_ml100k(ml100k: Dataset) -> None:
    inter = ml100k.interactions
    split = get_splitter("leave_last_out").split(inter, ml100k.n_users, ml100k.n_items)
    assert split.sizes() == {"train": 98114, "valid": 943, "test": 943}
    newest = np.full(ml100k.n_users, -1)
    np.maximum.at(newest, inter.user, inter.timestamp)
    assert np.array_equal(split.test.timestamp[np.argsort(split.test.user)], newest)
    _check_partition(split, inter)


def test_user_level_roles_prefix_and_targets() -> None:
    users = np.repeat(np.arange(20), 5)
    inter = Interactions.from_arrays(users, np.arange(100), np.tile(np.arange(5), 20))
    split = get_splitter("user_level", ratios="6:2:2", prefix=0.6, seed=3).split(inter, 20, 100)
    assert split.info["valid_users"] == 4 and split.info["test_users"] == 4
    valid_u, test_u = set(split.valid.user.tolist()), set(split.test.user.tolist())
    assert len(valid_u) == 4 and len(test_u) == 4 and not valid_u & test_u
    for u in test_u:  # 5 rows, prefix floor(0.6*5)=3 -> history 3 oldest (in train), targets 2 newest
        assert split.train.subset(split.train.user == u).item.tolist() == [5 * u, 5 * u + 1, 5 * u + 2]
        assert split.test.subset(split.test.user == u).item.tolist() == [5 * u + 3, 5 * u + 4]
    ex = split.test_examples
    assert [len(h) for h in ex.histories()] == [3] * 4 and [len(t) for t in ex.targets()] == [2] * 4
    _check_partition(split, inter)
    other = get_splitter("user_level", ratios="6:2:2", prefix=0.6, seed=4).split(inter, 20, 100)
    assert set(other.test.user.tolist()) != test_u


def test_user_level_history_outside_train_and_fixed_counts(ml100k: Dataset) -> None:
    inter = ml100k.interactions
    split = get_splitter("dtr", valid_users=100, test_users=150, prefix_in_train=False).split(
        inter, ml100k.n_users, ml100k.n_items)
    assert split.info["test_users"] == 150 and len(split.test_examples) == 150
    held = set(split.test.user.tolist()) | set(split.valid.user.tolist())
    assert not held & set(split.train.user.tolist())
    counts = inter.user_counts(ml100k.n_users)
    ex = split.test_examples
    assert np.array_equal(ex.history_lengths(), np.floor(0.5 * counts[ex.user]).astype(int))
    assert np.array_equal(ex.history_lengths() + ex.target_lengths(), counts[ex.user])
    with pytest.raises(ConfigError, match="only 943 eligible"):
        get_splitter("dtr", test_users=900, valid_users=100).split(inter, ml100k.n_users, ml100k.n_items)


def test_registry_errors() -> None:
    assert {"random_ratio", "chrono_ratio", "leave_last_out", "user_level", "larmi", "dtr"} <= set(
        splitter_names())
    with pytest.raises(ConfigError, match="unknown splitter 'nope'"):
        get_splitter("nope")
    with pytest.raises(ConfigError, match=r"has no parameter \['sed'\]"):
        get_splitter("random_ratio", sed=1)
    with pytest.raises(ConfigError, match="short_users must be one of"):
        get_splitter("leave_last_out", short_users="keep")
    assert get_splitter("top_rec").ratios == pytest.approx((0.6, 0.2, 0.2))


def test_split_save_load_keeps_examples(tmp_path, ml100k: Dataset) -> None:
    split = get_splitter("larmi").split(ml100k.interactions, ml100k.n_users, ml100k.n_items)
    back = Split.load(split.save(tmp_path / "s"))
    assert back.sizes() == split.sizes() and back.params["max_length"] == 20
    assert np.array_equal(back.test_examples.history, split.test_examples.history)
