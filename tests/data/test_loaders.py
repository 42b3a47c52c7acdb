"""Loaders on the real shared datasets (numbers from their READMEs) and on broken copies in tmp."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from recloom.data import Dataset
from recloom.data.loaders import load_dataset
from recloom.data.loaders.amazon import split_text
from recloom.data.loaders.download import download_movielens, extract_movielens_zip
from recloom.data.paths import data_dir
from recloom.errors import ConfigError, DataError

SHARED = data_dir()


def test_ml100k_matches_readme(ml100k: Dataset) -> None:
    assert (ml100k.n_users, ml100k.n_items, len(ml100k.interactions)) == (943, 1682, 100_000)
    values, counts = np.unique(ml100k.interactions.rating, return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {
        1.0: 6110, 2.0: 11370, 3.0: 27145, 4.0: 34174, 5.0: 21201}
    assert ml100k.interactions.user_counts(943).min() == 20
    assert ml100k.item_ids.raw[:3] == ("1", "2", "3")  # item index = MovieLens id - 1
    assert ml100k.items.titles[0] == "Toy Story (1995)"
    assert ml100k.items.categories[0] == ["Animation", "Children's", "Comedy"]
    assert len(ml100k.items.category_vocabulary()) == 19
    assert all(ml100k.items.categories)  # README: every item has at least one genre
    assert "Misérables" in " ".join(ml100k.items.titles)  # latin-1 decoded
    assert ml100k.users.attributes[0] == {
        "age": 24, "gender": "M", "occupation": "technician", "zip": "85711"}
    ts = ml100k.interactions.timestamp
    assert (ts.min(), ts.max()) == (874724710, 893286638)  # 1997-09-20 .. 1998-04-22 UTC


def test_ml1m_partial_matches_readme(ml1m: Dataset) -> None:
    assert ml1m.name == "ml-1m-partial" and "1-2999" in ml1m.meta["note"]
    assert (ml1m.n_users, ml1m.n_items, len(ml1m.interactions)) == (2999, 3615, 487_650)
    assert round(ml1m.stats()["density"] * 100, 2) == 4.50
    _, counts = np.unique(ml1m.interactions.rating, return_counts=True)
    assert counts.tolist() == [27472, 53838, 127216, 170579, 108545]
    assert ml1m.interactions.user_counts(2999).min() >= 20
    assert ml1m.user_ids.raw[0] == "1" and ml1m.user_ids.raw[-1] == "2999"
    toy = ml1m.item_ids.index("1")
    assert ml1m.items.categories[toy] == ["Animation", "Children's", "Comedy"]
    assert ml1m.users.attributes[0]["occupation"] == "K-12 student"  # code 10
    assert ml1m.users.attributes[0]["age_group"] == "Under 18"


def test_amazon_scientific_matches_readme(scientific: Dataset) -> None:
    assert (scientific.n_users, scientific.n_items, len(scientific.interactions)) == (8442, 4385, 59_427)
    lengths = scientific.interactions.user_counts(8442)
    assert (lengths.min(), round(lengths.mean(), 2), lengths.max()) == (5, 7.04, 80)
    assert scientific.interactions.rating is None and scientific.meta["has_time"] is False
    seq0 = scientific.interactions.sequences(scientific.n_users)[0]
    assert seq0.tolist() == list(range(14))  # user 0: test.inter history 0..12, target 13
    assert all(scientific.items.texts) and all(scientific.items.titles)
    assert sum(1 for c in scientific.items.categories if not c) == 134
    assert scientific.items.brands[scientific.item_ids.index("B002CTQYMK")] == "MEECO'S RED DEVIL"


def test_amazon_sequences_reproduce_the_leave_one_out_files(scientific: Dataset) -> None:
    rows = (SHARED / "amazon-industrial-scientific" / "Scientific.test.inter").read_text().splitlines()[1:]
    seqs = scientific.interactions.sequences(scientific.n_users)
    for line in rows[:: 97]:
        user, hist, target = line.split("\t")
        seq = seqs[int(user)].tolist()
        assert seq[-1] == int(target) and seq[-1 - len(hist.split()):-1] == [int(x) for x in hist.split()]


def test_split_text_handles_missing_category_and_dotted_brand() -> None:
    assert split_text("Glue 1 oz. Industrial & Scientific Tapes Glue. Mr. Heater. ") == (
        "Glue 1 oz", "Tapes Glue", "Mr. Heater")
    assert split_text("Fan 24 in. . TPI. ") == ("Fan 24 in", "", "TPI")


def _copy_ml100k(tmp_path: Path) -> Path:
    dest = tmp_path / "data" / "ml-100k"
    shutil.copytree(SHARED / "ml-100k", dest)
    return dest


def test_malformed_ratings_line_is_named(tmp_path: Path) -> None:
    folder = _copy_ml100k(tmp_path)
    lines = (folder / "u.data").read_text().splitlines()
    lines[41] = "196\t242\tthree\t881250949"
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"u\.data:42: field 'column 3': 'three' is not a number"):
        load_dataset("ml-100k", tmp_path / "data")


def test_wrong_field_count_is_named(tmp_path: Path) -> None:
    folder = _copy_ml100k(tmp_path)
    lines = (folder / "u.user").read_text().splitlines()
    lines[9] = "10|53|M"
    (folder / "u.user").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"u\.user:10: expected 5 fields separated by '\|', found 3"):
        load_dataset("ml-100k", tmp_path / "data")


def test_corrupt_gzip_and_bad_encoding_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "ml-1m"
    shutil.copytree(SHARED / "ml-1m", folder)
    gz = folder / "ratings_partial_users_1-2999.dat.gz"
    gz.write_bytes(gz.read_bytes()[:5000])
    with pytest.raises(DataError, match=r"ratings_partial_users_1-2999\.dat\.gz: cannot read"):
        load_dataset("ml-1m", tmp_path / "data")
    with gzip.open(gz, "wt") as fh:
        fh.write("1::1193::5::978300760\n1::661::3\n")
    with pytest.raises(DataError, match=r"\.dat\.gz:2: expected 4 fields"):
        load_dataset("ml-1m", tmp_path / "data")


def test_amazon_inconsistent_history_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "amazon-industrial-scientific"
    shutil.copytree(SHARED / "amazon-industrial-scientific", folder)
    test_file = folder / "Scientific.test.inter"
    lines = test_file.read_text().splitlines()
    lines[1] = "0\t0 1 2 3 4 5 6 7 8 9 10 11 99\t13"
    test_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"Scientific\.test\.inter:2: user 0: history does not match"):
        load_dataset("amazon-scientific", tmp_path / "data")


def test_rating_for_unknown_movie_is_reported(tmp_path: Path) -> None:
    folder = _copy_ml100k(tmp_path)
    with (folder / "u.data").open("a") as fh:
        fh.write("1\t99999\t3\t881250949\n")
    with pytest.raises(DataError, match=r"u\.item: 1 movie id\(s\) used in ratings have no row.*'99999'"):
        load_dataset("ml-100k", tmp_path / "data")


def _grouplens_zip(tmp_path: Path) -> Path:
    zpath = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in ("u.data", "u.item", "u.user", "u.genre", "README"):
            zf.write(SHARED / "ml-100k" / f, f"ml-100k/{f}")
        zf.writestr("__MACOSX/ml-100k/._u.data", b"junk")
    return zpath


def test_download_path_fetches_and_extracts_a_zip(tmp_path: Path) -> None:
    zpath = _grouplens_zip(tmp_path)
    folder = download_movielens("ml-100k", tmp_path / "root", url=zpath.as_uri())
    assert folder == tmp_path / "root" / "ml-100k" and (folder / "u.data").is_file()
    assert not (tmp_path / "root" / "__MACOSX").exists()
    ds = load_dataset("ml-100k", tmp_path / "root")
    assert (ds.n_users, ds.n_items, len(ds.interactions)) == (943, 1682, 100_000)


def test_loader_downloads_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recloom.data.loaders import download

    monkeypatch.setitem(download.MOVIELENS_URLS, "ml-100k", _grouplens_zip(tmp_path).as_uri())
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="missing u.data.*pass download=True"):
        load_dataset("ml-100k", tmp_path / "empty")
    ds = load_dataset("ml-100k", tmp_path / "fresh", download=True)  # the folder is created
    assert ds.n_items == 1682 and (tmp_path / "fresh" / "ml-100k.zip").is_file()


def test_extract_refuses_unsafe_members(tmp_path: Path) -> None:
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("ml-1m/../../escape.txt", b"x")
    with pytest.raises(DataError, match="unsafe member"):
        extract_movielens_zip(zpath, tmp_path / "out", "ml-1m")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a zip"):
        extract_movielens_zip(bad, tmp_path / "out", "ml-1m")


def test_unknown_dataset_and_saved_directory(tmp_path: Path, ml100k: Dataset) -> None:
    with pytest.raises(ConfigError, match="unknown dataset 'nope'; known: amazon-scientific, ml-100k, ml-1m"):
        load_dataset("nope")
    with pytest.raises(ConfigError, match="cannot be downloaded"):
        load_dataset("amazon-scientific", download=True)
    saved = ml100k.save(tmp_path / "saved")
    assert len(load_dataset(str(saved)).interactions) == 100_000


def test_full_ml1m_ratings_file_is_preferred_and_crlf_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "ml-1m"
    folder.mkdir(parents=True)
    for f in ("movies.dat", "users.dat"):
        shutil.copy(SHARED / "ml-1m" / f, folder / f)
    with gzip.open(SHARED / "ml-1m" / "ratings_partial_users_1-2999.dat.gz", "rt") as fh:
        head = [next(fh).rstrip("\n") for _ in range(1000)]
    (folder / "ratings.dat").write_bytes(("\r\n".join(head) + "\r\n").encode())
    ds = load_dataset("ml-1m", tmp_path / "data")
    assert ds.name == "ml-1m" and ds.meta["ratings_file"] == "ratings.dat" and not ds.meta["note"]
    assert len(ds.interactions) == 1000
    first = head[0].split("::")
    assert ds.user_ids.raw[ds.interactions.user[0]] == first[0]
    assert ds.item_ids.raw[ds.interactions.item[0]] == first[1]
    assert ds.interactions.rating[0] == float(first[2]) and ds.interactions.timestamp[0] == int(first[3])
