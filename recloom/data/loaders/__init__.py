"""Dataset loaders by name: ``load_dataset("ml-100k", data=None, download=False)``.

Names: ``ml-100k``, ``ml-1m`` (the partial shared ratings unless ``ratings.dat`` is present),
``amazon-scientific``; a path to a directory written by ``Dataset.save`` also works. Generic
CSV/Parquet files with named columns: :func:`recloom.data.loaders.tabular.load_table`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from recloom.data.dataset import META_FILE, Dataset
from recloom.errors import ConfigError

DOWNLOADABLE = ("ml-100k", "ml-1m")
ALIASES = {
    "movielens-100k": "ml-100k",
    "ml100k": "ml-100k",
    "movielens-1m": "ml-1m",
    "ml1m": "ml-1m",
    "scientific": "amazon-scientific",
    "amazon-industrial-scientific": "amazon-scientific",
}


def _loaders() -> dict[str, Callable[..., Dataset]]:
    from recloom.data.loaders.amazon import load_amazon_scientific
    from recloom.data.loaders.movielens import load_movielens_1m, load_movielens_100k

    return {
        "ml-100k": load_movielens_100k,
        "ml-1m": load_movielens_1m,
        "amazon-scientific": load_amazon_scientific,
    }


def dataset_names() -> list[str]:
    return sorted(_loaders())


def load_dataset(name: str, data: str | Path | None = None, *, download: bool = False) -> Dataset:
    """Load a dataset by name (or from a saved dataset directory) from the data directory."""
    if (Path(name) / META_FILE).is_file():
        return Dataset.load(name)
    key = ALIASES.get(name.lower(), name.lower())
    loaders = _loaders()
    if key not in loaders:
        raise ConfigError(f"unknown dataset {name!r}; known: {', '.join(sorted(loaders))} "
                          "(or a directory written by Dataset.save)")
    if download and key not in DOWNLOADABLE:
        raise ConfigError(f"dataset {key!r} cannot be downloaded; only {', '.join(DOWNLOADABLE)}")
    if key in DOWNLOADABLE:
        return loaders[key](data, download=download)
    return loaders[key](data)
