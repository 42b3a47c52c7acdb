"""MovieLens-100K and MovieLens-1M (GroupLens; Harper & Konstan 2015, TiiS 5(4):19).

Items and users are indexed by sorted raw id over the *rated* ones (ML-100K: item index = id - 1).
With ``download=True`` a missing folder is fetched from GroupLens into the data directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from recloom.data.containers import ItemCatalog, UserProfiles
from recloom.data.dataset import Dataset
from recloom.data.loaders.build import interactions_from_raw, require_keys
from recloom.data.loaders.download import download_movielens
from recloom.data.loaders.reader import read_numeric, read_table
from recloom.data.paths import data_dir
from recloom.errors import DataError

# ML-1M README: occupation codes and age buckets.
ML1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
)
ML1M_AGE_GROUPS = {1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+"}
ML1M_PARTIAL_RATINGS = "ratings_partial_users_1-2999.dat.gz"


def movielens_dir(name: str, files: tuple[str, ...], data: str | Path | None, download: bool) -> Path:
    """The folder holding ``files``; fetched first when missing and ``download`` is set."""
    if download and data is not None:
        Path(data).mkdir(parents=True, exist_ok=True)
    root = data_dir(data)
    folder = root / name
    missing = [f for f in files if not (folder / f).is_file()]
    if missing and download:
        folder = download_movielens(name, root)
        missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        hint = "" if download else " (pass download=True / --download to fetch it)"
        raise DataError(f"{name}: missing {', '.join(missing)} in {folder}{hint}")
    return folder


def _item_text(title: str, genres: list[str]) -> str:
    return f"{title}. Genres: {', '.join(genres)}." if genres else f"{title}."


def _catalog(rows: dict[str, tuple[str, list[str]]], raw_ids: tuple[str, ...]) -> ItemCatalog:
    return ItemCatalog(
        raw_ids=list(raw_ids),
        titles=[rows[r][0] for r in raw_ids],
        texts=[_item_text(*rows[r]) for r in raw_ids],
        categories=[rows[r][1] for r in raw_ids],
    )


def load_movielens_100k(data: str | Path | None = None, *, download: bool = False) -> Dataset:
    """MovieLens-100K: 943 users, 1,682 items, 100,000 ratings with timestamps, 19 genres."""
    folder = movielens_dir("ml-100k", ("u.data", "u.item", "u.user", "u.genre"), data, download)
    ratings = read_numeric(folder / "u.data", "\t", 4)
    inter, user_ids, item_ids = interactions_from_raw(
        ratings[:, 0].astype(np.int64), ratings[:, 1].astype(np.int64), ratings[:, 3], ratings[:, 2]
    )
    genre_table = read_table(folder / "u.genre", "|", 2, encoding="latin-1")
    genres = dict(zip(genre_table.ints(1, "index").tolist(), genre_table.columns[0], strict=True))
    items_t = read_table(folder / "u.item", "|", 5 + len(genres), encoding="latin-1")
    flags = np.stack([items_t.ints(5 + g, f"genre {genres[g]}") for g in range(len(genres))], axis=1)
    rows = {
        str(mid): (items_t.columns[1][k], [genres[g] for g in np.flatnonzero(flags[k])])
        for k, mid in enumerate(items_t.ints(0, "movie_id").tolist())
    }
    require_keys(item_ids, rows, "movie", folder / "u.item")
    users_t = read_table(folder / "u.user", "|", 5, encoding="latin-1")
    ages = users_t.ints(1, "age").tolist()
    profiles = {
        str(uid): {"age": ages[k], "gender": users_t.columns[2][k], "occupation": users_t.columns[3][k],
                   "zip": users_t.columns[4][k]}
        for k, uid in enumerate(users_t.ints(0, "user_id").tolist())
    }
    require_keys(user_ids, profiles, "user", folder / "u.user")
    return Dataset(
        name="ml-100k",
        interactions=inter,
        user_ids=user_ids,
        item_ids=item_ids,
        items=_catalog(rows, item_ids.raw),
        users=UserProfiles(list(user_ids.raw), [profiles[r] for r in user_ids.raw]),
        meta={"has_time": True, "implicit": False, "source": str(folder)},
    )


def _ml1m_users(path: Path) -> dict[str, dict[str, Any]]:
    t = read_table(path, "::", 5, encoding="latin-1")
    ages, occs = t.ints(2, "age").tolist(), t.ints(3, "occupation").tolist()
    out: dict[str, dict[str, Any]] = {}
    for k, uid in enumerate(t.ints(0, "user_id").tolist()):
        if occs[k] not in range(len(ML1M_OCCUPATIONS)):
            raise DataError(f"occupation code {occs[k]} outside 0-20", path=path, line=int(t.linenos[k]))
        out[str(uid)] = {"age": ages[k], "age_group": ML1M_AGE_GROUPS.get(ages[k], str(ages[k])),
                         "gender": t.columns[1][k], "occupation": ML1M_OCCUPATIONS[occs[k]],
                         "occupation_code": occs[k], "zip": t.columns[4][k]}
    return out


def load_movielens_1m(data: str | Path | None = None, *, download: bool = False) -> Dataset:
    """MovieLens-1M. Uses the full ``ratings.dat`` when present (e.g. after ``download=True``),
    else the shared partial file (users 1-2999; the dataset is then named ``ml-1m-partial``)."""
    folder = movielens_dir("ml-1m", ("movies.dat", "users.dat"), data, download)
    full = folder / "ratings.dat"
    ratings_path = full if full.is_file() else folder / ML1M_PARTIAL_RATINGS
    if not ratings_path.is_file():
        raise DataError(f"ml-1m: neither ratings.dat nor {ML1M_PARTIAL_RATINGS} in {folder}")
    ratings = read_numeric(ratings_path, "::", 4, encoding="latin-1")
    inter, user_ids, item_ids = interactions_from_raw(
        ratings[:, 0].astype(np.int64), ratings[:, 1].astype(np.int64), ratings[:, 3], ratings[:, 2]
    )
    movies = read_table(folder / "movies.dat", "::", 3, encoding="latin-1")
    rows = {
        str(mid): (movies.columns[1][k], [g for g in movies.columns[2][k].split("|") if g])
        for k, mid in enumerate(movies.ints(0, "movie_id").tolist())
    }
    require_keys(item_ids, rows, "movie", folder / "movies.dat")
    profiles = _ml1m_users(folder / "users.dat")
    require_keys(user_ids, profiles, "user", folder / "users.dat")
    partial = ratings_path != full
    return Dataset(
        name="ml-1m-partial" if partial else "ml-1m",
        interactions=inter,
        user_ids=user_ids,
        item_ids=item_ids,
        items=_catalog(rows, item_ids.raw),
        users=UserProfiles(list(user_ids.raw), [profiles[r] for r in user_ids.raw]),
        meta={"has_time": True, "implicit": False, "source": str(folder), "ratings_file": ratings_path.name,
              "note": "partial ratings: ML-1M, users 1-2999" if partial else ""},
    )
