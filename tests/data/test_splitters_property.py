"""Every splitter, on random small tables: rows are partitioned (or explicitly dropped), the
examples agree with the parts, and the same seed gives the same split."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recloom.data import Interactions
from recloom.data.splitters import get_splitter

NAMES = ["recbole", "top_rec", "larmi", "sasrec", "eisam", "dtr", "user_level"]


@st.composite
def tables(draw: st.DrawFn) -> tuple[Interactions, int]:
    n_users = draw(st.integers(1, 8))
    users = draw(st.lists(st.integers(0, n_users - 1), min_size=0, max_size=60))
    times = draw(st.lists(st.integers(0, 5), min_size=len(users), max_size=len(users)))
    # item = row number, so every row is identifiable in the parts
    return Interactions.from_arrays(users, np.arange(len(users)), times), n_users


@settings(max_examples=40, deadline=None)
@given(data=tables(), name=st.sampled_from(NAMES), seed=st.integers(0, 3))
def test_rows_partitioned_and_examples_consistent(
    data: tuple[Interactions, int], name: str, seed: int
) -> None:
    inter, n_users = data
    params = {} if name in ("sasrec", "larmi", "eisam") else {"seed": seed}
    split = get_splitter(name, **params).split(inter, n_users, max(len(inter), 1))
    parts = [p.item.tolist() for p in (split.train, split.valid, split.test)]
    flat = sorted(parts[0] + parts[1] + parts[2])
    assert len(flat) == len(set(flat))
    assert len(flat) + split.info["dropped_rows"] == len(inter)
    again = get_splitter(name, **params).split(inter, n_users, max(len(inter), 1))
    assert [p.item.tolist() for p in (again.train, again.valid, again.test)] == parts
    for ex, part in ((split.valid_examples, split.valid), (split.test_examples, split.test)):
        if ex is None:
            continue
        assert sorted(ex.target.tolist()) == sorted(part.item.tolist())
        for user, hist, tgt in zip(ex.user, ex.histories(), ex.targets(), strict=True):
            assert set(inter.user[hist].tolist()) <= {user} and set(inter.user[tgt].tolist()) == {user}
            if len(hist) and len(tgt):  # history strictly precedes targets in (time, row) order
                key = inter.timestamp * len(inter) + inter.item
                assert key[hist].max() < key[tgt].min()
