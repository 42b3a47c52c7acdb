"""Generic CSV/TSV/Parquet loader with named columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recloom.data import Dataset
from recloom.data.loaders.tabular import load_table
from recloom.errors import DataError

CSV = """userId,movieId,rating,when
u2,m10,4.5,2020-01-02T00:00:00
u1,m10,3,1577836800
u1,m2,5,2020-01-01T00:00:10+00:00
"""
ITEMS = "movieId\ttitle\tgenres\nm2\tBeta\tA|B\nm10\tAlpha\t\nm99\tUnused\tC\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_with_items(tmp_path: Path) -> None:
    ds = load_table(_write(tmp_path, "r.csv", CSV), user_col="userId", item_col="movieId",
                    rating_col="rating", time_col="when", items_path=_write(tmp_path, "items.tsv", ITEMS),
                    category_col="genres")
    assert ds.name == "r" and ds.user_ids.raw == ("u1", "u2") and ds.item_ids.raw == ("m10", "m2")
    assert ds.interactions.rating.tolist() == [4.5, 3.0, 5.0]
    assert ds.interactions.timestamp.tolist() == [1577923200, 1577836800, 1577836810]
    assert [s.tolist() for s in ds.interactions.sequences(2)] == [[0, 1], [0]]
    assert ds.items.titles == ["Alpha", "Beta"] and ds.items.categories == [[], ["A", "B"]]


def test_no_time_column_uses_row_order(tmp_path: Path) -> None:
    ds = load_table(_write(tmp_path, "r.csv", CSV), user_col="userId", item_col="movieId")
    assert ds.interactions.timestamp.tolist() == [0, 0, 1] and ds.meta["implicit"] is True


def test_errors_name_file_line_and_columns(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.csv", CSV.replace("u1,m10,3,", "u1,m10,three,"))
    with pytest.raises(DataError, match=r"bad\.csv:3: column 'rating': 'three' is not a number"):
        load_table(bad, user_col="userId", item_col="movieId", rating_col="rating")
    with pytest.raises(DataError, match=r"r\.csv: missing column\(s\) \['user_id', 'item_id'\]; the file"):
        load_table(_write(tmp_path, "r.csv", CSV))
    short = _write(tmp_path, "short.csv", CSV + "u3,m2\n")
    with pytest.raises(DataError, match=r"short\.csv:5: wrong number of fields"):
        load_table(short, user_col="userId", item_col="movieId")
    with pytest.raises(DataError, match=r"items\.tsv: 1 item id\(s\) used in ratings have no row"):
        load_table(_write(tmp_path, "r.csv", CSV), user_col="userId", item_col="movieId",
                   items_path=_write(tmp_path, "items.tsv", "movieId\ttitle\nm2\tBeta\n"))
    with pytest.raises(DataError, match=r"when.*'yesterday' is not a number or ISO date"):
        load_table(_write(tmp_path, "t.csv", "u,i,when\na,b,yesterday\n"), user_col="u", item_col="i",
                   time_col="when")


def test_parquet_round_trip_of_ml100k(tmp_path: Path, ml100k: Dataset) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    inter = ml100k.interactions
    table = pa.table({"user": ml100k.user_ids.decode(inter.user), "item": ml100k.item_ids.decode(inter.item),
                      "rating": inter.rating, "ts": inter.timestamp})
    pq.write_table(table, tmp_path / "ml.parquet")
    ds = load_table(tmp_path / "ml.parquet", user_col="user", item_col="item", rating_col="rating",
                    time_col="ts")
    assert (ds.n_users, ds.n_items, len(ds.interactions)) == (943, 1682, 100_000)
    # string ids sort differently from numbers, but every (raw user, raw item, rating) survives
    got = set(zip(ds.user_ids.decode(ds.interactions.user), ds.item_ids.decode(ds.interactions.item),
                  ds.interactions.rating.tolist(), strict=True))
    want = set(zip(ml100k.user_ids.decode(inter.user), ml100k.item_ids.decode(inter.item),
                   inter.rating.tolist(), strict=True))
    assert got == want
    assert np.array_equal(np.sort(ds.interactions.timestamp), np.sort(inter.timestamp))
