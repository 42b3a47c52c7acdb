"""Data directory lookup: --data, then $RECLOOM_DATA, then ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from recloom.data import paths
from recloom.errors import DataError


def test_explicit_beats_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path / "b"))
    assert paths.data_dir(tmp_path / "a") == (tmp_path / "a").resolve()
    assert paths.data_dir() == (tmp_path / "b").resolve()


def test_missing_explicit_or_env_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match="from --data does not exist"):
        paths.data_dir(tmp_path / "nope")
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path / "gone"))
    with pytest.raises(DataError, match=r"from \$RECLOOM_DATA does not exist"):
        paths.data_dir()


def test_fallbacks_and_the_list_of_places_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.ENV_VAR, raising=False)
    work = tmp_path / "proj" / "repo"
    work.mkdir(parents=True)
    (tmp_path / "proj" / "shared" / "data").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "elsewhere")
    assert paths.data_dir() == (tmp_path / "proj" / "shared" / "data").resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="no data directory found; tried ../shared/data from the current "
                                        "directory: .*; ../shared/data from the repository root"):
        paths.data_dir()


def test_dataset_dir_names_the_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset folder 'ml-20m' not found in data directory"):
        paths.dataset_dir("ml-20m", tmp_path)
