"""The two benchmark datasets, read from ``/work/shared/data`` and written as RecBole atomic files.

Both sides of the benchmark see exactly the same interactions: this module reads the raw
MovieLens files once, applies the benchmark's filtering (by default none: every rating is an
implicit positive, as in RecBole's bundled ml-100k config; ``min_rating`` keeps ratings >= it on
both sides) and hands the same arrays to RecBole (as a ``.inter`` atomic file) and to recloom.
Nothing is copied into the repository: atomic files go to a temporary bench directory.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_ROOT = Path(os.environ.get("RECLOOM_DATA", "/work/shared/data"))
SOURCES = {
    "ml-100k": ("ml-100k/u.data", "\t"),
    # Partial ML-1M: users 1-2999 only (see the data README); never call it ML-1M in a report.
    "ml-1m": ("ml-1m/ratings_partial_users_1-2999.dat.gz", "::"),
}
LABELS = {"ml-100k": "MovieLens-100K", "ml-1m": "ML-1M, users 1-2999 (partial ratings file)"}


class DatasetError(ValueError):
    """A dataset name the benchmark does not know, or a raw file it cannot parse."""


@dataclass(frozen=True)
class Interactions:
    """Raw (original-id) interactions of one dataset after the benchmark's filtering."""

    name: str
    user: np.ndarray  # int64 original user ids
    item: np.ndarray  # int64 original item ids
    rating: np.ndarray  # float32
    timestamp: np.ndarray  # int64 unix seconds

    @property
    def n_users(self) -> int:
        return int(np.unique(self.user).size)

    @property
    def n_items(self) -> int:
        return int(np.unique(self.item).size)

    def __len__(self) -> int:
        return int(self.user.size)


def _read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="ascii") as fh:
        return [line for line in fh.read().splitlines() if line]


def load(name: str, min_rating: float | None = None, root: Path = DATA_ROOT) -> Interactions:
    """Read ``name`` (``ml-100k`` or ``ml-1m``); keep ratings >= ``min_rating`` when given."""
    if name not in SOURCES:
        raise DatasetError(f"unknown dataset {name!r}; choose from {sorted(SOURCES)}")
    rel, sep = SOURCES[name]
    path = root / rel
    if not path.exists():
        raise DatasetError(f"{path}: dataset file not found (set RECLOOM_DATA?)")
    rows = _read_lines(path)
    try:
        table = np.array([r.split(sep) for r in rows], dtype=np.int64)
    except ValueError as exc:
        raise DatasetError(f"{path}: not a 4-column integer ratings file ({exc})") from exc
    if table.ndim != 2 or table.shape[1] != 4:
        raise DatasetError(f"{path}: expected 4 columns user/item/rating/timestamp")
    keep = np.ones(len(table), dtype=bool) if min_rating is None else table[:, 2] >= min_rating
    t = table[keep]
    return Interactions(name, t[:, 0], t[:, 1], t[:, 2].astype(np.float32), t[:, 3])


ATOMIC_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"


def recbole_name(name: str) -> str:
    """The dataset name RecBole is given. Never ``ml-100k`` itself: for that name RecBole 1.2.1
    ignores ``data_path`` and reads its own bundled copy (``Config._set_default_parameters``)."""
    return f"{name}-recloom"


def write_atomic(data: Interactions, out_dir: Path) -> Path:
    """Write ``<out_dir>/<rb>/<rb>.inter`` (rb = :func:`recbole_name`) in RecBole's atomic format;
    return the data_path root."""
    rb = recbole_name(data.name)
    ds_dir = out_dir / rb
    ds_dir.mkdir(parents=True, exist_ok=True)
    lines = [ATOMIC_HEADER]
    rows = zip(data.user, data.item, data.rating, data.timestamp, strict=True)
    lines += [f"{u}\t{i}\t{r:g}\t{t}" for u, i, r, t in rows]
    (ds_dir / f"{rb}.inter").write_text("\n".join(lines) + "\n")
    return out_dir
