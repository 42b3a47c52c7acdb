"""Shared fixtures: the real datasets from ../shared/data (loaded once per session)."""

from __future__ import annotations

import pytest

from recloom.data import Dataset
from recloom.data.loaders import load_dataset


@pytest.fixture(scope="session")
def ml100k() -> Dataset:
    return load_dataset("ml-100k")


@pytest.fixture(scope="session")
def ml1m() -> Dataset:
    return load_dataset("ml-1m")


@pytest.fixture(scope="session")
def scientific() -> Dataset:
    return load_dataset("amazon-scientific")
