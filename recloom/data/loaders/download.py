"""Fetch and unpack the official MovieLens archives (only when a loader is called with
``download=True``; tests exercise the same code on a local ``file://`` zip)."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from recloom.errors import DataError

MOVIELENS_URLS: dict[str, str] = {
    "ml-100k": "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    "ml-1m": "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
}


def download_movielens(name: str, root: str | Path, url: str | None = None, timeout: float = 120.0) -> Path:
    """Download ``name``'s zip into ``root`` and extract it to ``root/name``; returns that folder."""
    if url is None:
        if name not in MOVIELENS_URLS:
            raise DataError(f"no download URL for dataset {name!r}; known: {sorted(MOVIELENS_URLS)}")
        url = MOVIELENS_URLS[name]
    dest = Path(root)
    dest.mkdir(parents=True, exist_ok=True)
    zip_path = dest / f"{name}.zip"
    partial = zip_path.with_suffix(".zip.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, partial.open("wb") as out:
            shutil.copyfileobj(resp, out)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"could not download {url}: {exc}", path=zip_path) from exc
    os.replace(partial, zip_path)
    return extract_movielens_zip(zip_path, dest, name)


def extract_movielens_zip(zip_path: str | Path, root: str | Path, name: str) -> Path:
    """Extract the members under ``name/`` of a GroupLens archive into ``root/name``.

    Members outside that folder are ignored; absolute paths and ``..`` are refused."""
    zp, dest = Path(zip_path), Path(root)
    try:
        with zipfile.ZipFile(zp) as zf:
            members = [m for m in zf.infolist() if PurePosixPath(m.filename).parts[:1] == (name,)]
            if not members:
                raise DataError(f"archive has no {name}/ folder", path=zp)
            for m in members:
                parts = PurePosixPath(m.filename).parts
                if m.filename.startswith("/") or ".." in parts:
                    raise DataError(f"unsafe member path {m.filename!r}", path=zp)
                zf.extract(m, dest)
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a zip archive: {exc}", path=zp) from exc
    return dest / name
