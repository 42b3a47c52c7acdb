"""Generic loader: interactions (and optionally items) from CSV/TSV (stdlib ``csv``, header row)
or Parquet (``pyarrow``, the ``tabular`` extra, imported only for ``.parquet`` files).

Example::

    ds = load_table("ratings.csv", user_col="userId", item_col="movieId", rating_col="rating",
                    time_col="timestamp", items_path="movies.csv", title_col="title",
                    category_col="genres", category_sep="|")

Ids are kept as strings and indexed in sorted order over the ids that occur in interactions.
Timestamps may be integers, numbers or ISO-8601 dates (-> unix seconds); without ``time_col``
the row order within each user is the order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recloom.data.containers import IdMap, ItemCatalog
from recloom.data.dataset import Dataset
from recloom.data.loaders.build import interactions_from_raw, require_keys
from recloom.errors import ConfigError, DataError


@dataclass(frozen=True)
class Columns:
    """Named columns read from one file; ``rows[k]`` is the file line (CSV) or row number (Parquet)."""

    path: Path
    values: dict[str, list[str]]
    rows: list[int]


def read_columns(
    path: str | Path, names: list[str], sep: str | None = None, encoding: str = "utf-8"
) -> Columns:
    """The named columns of a CSV/TSV (header row) or Parquet file, as strings."""
    p = Path(path)
    if not p.is_file():
        raise DataError("file not found", path=p)
    if p.suffix == ".parquet":
        return _read_parquet(p, names)
    delimiter = sep or ("\t" if p.suffix in (".tsv", ".tab") else ",")
    values: dict[str, list[str]] = {n: [] for n in names}
    rows: list[int] = []
    with p.open(newline="", encoding=encoding) as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        _check_header(p, reader.fieldnames or [], names)
        try:
            for rec in reader:
                if None in rec.values() or None in rec:
                    raise DataError("wrong number of fields", path=p, line=reader.line_num)
                for n in names:
                    values[n].append(rec[n])
                rows.append(reader.line_num)
        except UnicodeDecodeError as exc:
            raise DataError(f"not valid {encoding}: {exc.reason}", path=p,
                            line=reader.line_num + 1) from None
    return Columns(p, values, rows)


def _check_header(path: Path, header: list[str], names: list[str]) -> None:
    missing = [n for n in names if n not in header]
    if missing:
        raise DataError(f"missing column(s) {missing}; the file has {header}", path=path)


def _read_parquet(path: Path, names: list[str]) -> Columns:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("reading Parquet needs pyarrow: pip install 'recloom[tabular]'") from None
    schema_names = pq.read_schema(path).names
    _check_header(path, schema_names, names)
    table = pq.read_table(path, columns=names).to_pydict()
    values = {n: ["" if v is None else str(v) for v in table[n]] for n in names}
    return Columns(path, values, list(range(1, len(table[names[0]]) + 1)) if names else [])


def _timestamp(value: str) -> int:
    """An integer, a number (truncated) or an ISO-8601 date (UTC unless it says otherwise)."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return int(float(value))
    except ValueError:
        pass
    dt = datetime.fromisoformat(value.strip())
    return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp())


def _timestamps(cols: Columns, name: str) -> np.ndarray:
    out = np.empty(len(cols.rows), dtype=np.int64)
    for k, v in enumerate(cols.values[name]):
        try:
            out[k] = _timestamp(v)
        except (ValueError, OverflowError):
            raise DataError(f"column {name!r}: {v!r} is not a number or ISO date", path=cols.path,
                            line=cols.rows[k]) from None
    return out


def _ratings(cols: Columns, name: str) -> np.ndarray:
    out = np.empty(len(cols.rows), dtype=np.float32)
    for k, v in enumerate(cols.values[name]):
        try:
            out[k] = float(v)
        except ValueError:
            raise DataError(f"column {name!r}: {v!r} is not a number", path=cols.path,
                            line=cols.rows[k]) from None
    return out


def load_table(
    path: str | Path,
    *,
    user_col: str = "user_id",
    item_col: str = "item_id",
    rating_col: str | None = None,
    time_col: str | None = None,
    sep: str | None = None,
    name: str | None = None,
    items_path: str | Path | None = None,
    item_id_col: str | None = None,
    title_col: str = "title",
    text_col: str | None = None,
    category_col: str | None = None,
    category_sep: str = "|",
) -> Dataset:
    """A :class:`Dataset` from a table of interactions with named columns (see module docstring)."""
    wanted = [c for c in (user_col, item_col, rating_col, time_col) if c is not None]
    cols = read_columns(path, wanted, sep)
    users = np.asarray(cols.values[user_col], dtype=str)
    items = np.asarray(cols.values[item_col], dtype=str)
    ts = _timestamps(cols, time_col) if time_col else None
    rating = _ratings(cols, rating_col) if rating_col else None
    inter, user_ids, item_ids = interactions_from_raw(users, items, ts, rating)
    catalog = None
    if items_path is not None:
        id_col = item_id_col or item_col
        side = [c for c in (id_col, title_col, text_col, category_col) if c is not None]
        icols = read_columns(items_path, list(dict.fromkeys(side)), sep)
        catalog = _catalog(icols, id_col, title_col, text_col, category_col, category_sep, item_ids)
    return Dataset(
        name=name or Path(path).stem,
        interactions=inter,
        user_ids=user_ids,
        item_ids=item_ids,
        items=catalog,
        meta={"has_time": time_col is not None, "implicit": rating_col is None, "source": str(path)},
    )


def _catalog(cols: Columns, id_col: str, title_col: str, text_col: str | None, category_col: str | None,
             category_sep: str, item_ids: IdMap) -> ItemCatalog:
    by_id = {v: k for k, v in enumerate(cols.values[id_col])}
    require_keys(item_ids, by_id, "item", cols.path)
    raw_ids = item_ids.raw
    rows = [by_id[r] for r in raw_ids]
    titles = [cols.values[title_col][k] for k in rows]
    cats = [[c.strip() for c in cols.values[category_col][k].split(category_sep) if c.strip()]
            if category_col else [] for k in rows]
    texts = [cols.values[text_col][k] for k in rows] if text_col else list(titles)
    return ItemCatalog(raw_ids=list(raw_ids), titles=titles, texts=texts, categories=cats)
