"""Ratio splitters: per-user random (RecBole "RS + RO", ToP-Rec 0.6/0.2/0.2) and chronological
(LARMI/REMI 6:2:2 with max length 20; ``scope="global"`` cuts one global timeline instead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from recloom.data.containers import Interactions
from recloom.data.filters import recency_rank
from recloom.data.split import Split
from recloom.data.splitters.base import (
    DROPPED,
    TEST,
    TRAIN,
    VALID,
    Grouped,
    assemble,
    check_policy,
    group_by_user,
    parse_ratios,
    ratio_counts,
)
from recloom.errors import ConfigError


def _ratio_labels(g: Grouped, ratios: tuple[float, float, float], min_rows: int, short: str) -> np.ndarray:
    """Labels (in sorted order): the first c_train rows of each user train, then valid, then test;
    users with fewer than ``min_rows`` rows all train (or dropped)."""
    counts = ratio_counts(g.count, ratios)
    labels = np.where(g.pos < counts[:, 0], TRAIN, np.where(g.pos < counts[:, 0] + counts[:, 1], VALID, TEST))
    too_short = g.count < min_rows
    labels[too_short] = TRAIN if short == "train" else DROPPED
    return labels


def _unsort(order: np.ndarray, sorted_labels: np.ndarray) -> np.ndarray:
    labels = np.empty(len(order), dtype=np.int64)
    labels[order] = sorted_labels
    return labels


def _short_users(g: Grouped, min_rows: int) -> int:
    return int(len(np.unique(g.user[g.count < min_rows])))


@dataclass(frozen=True)
class RandomRatio:
    """Each user's rows in a seeded random order, cut by ``ratios`` (rounding: :func:`ratio_counts`).
    Users with fewer than ``min_interactions`` rows go wholly to train (``short_users="train"``)
    or are left out (``"drop"``)."""

    name: ClassVar[str] = "random_ratio"
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0
    min_interactions: int = 3
    short_users: str = "train"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratios", parse_ratios(self.ratios))
        check_policy(self.short_users)

    def split(self, inter: Interactions, n_users: int, n_items: int) -> Split:
        key = np.random.default_rng(self.seed).random(len(inter))
        order = np.lexsort((key, inter.user))
        g = group_by_user(inter, order)
        labels = _unsort(order, _ratio_labels(g, self.ratios, self.min_interactions, self.short_users))
        info = {"short_users": _short_users(g, self.min_interactions)}
        return assemble(self, inter, n_users, n_items, labels, False, info)


@dataclass(frozen=True)
class ChronoRatio:
    """Each user's rows by time (ties: file order), optionally only the ``max_length`` most recent
    (older rows dropped), cut by ``ratios``: oldest -> train, then valid, newest -> test.
    Examples: valid = (train part -> valid part), test = (train + valid -> test part).
    ``scope="global"`` instead cuts all rows sorted by timestamp (one timeline for everyone)."""

    name: ClassVar[str] = "chrono_ratio"
    ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)
    max_length: int | None = None
    min_interactions: int = 3
    short_users: str = "train"
    scope: str = "user"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratios", parse_ratios(self.ratios))
        check_policy(self.short_users)
        if self.scope not in ("user", "global"):
            raise ConfigError(f"chrono_ratio scope must be 'user' or 'global', got {self.scope!r}")
        if self.max_length is not None and self.max_length < 1:
            raise ConfigError(f"chrono_ratio max_length must be >= 1, got {self.max_length}")

    def split(self, inter: Interactions, n_users: int, n_items: int) -> Split:
        labels = np.full(len(inter), DROPPED, dtype=np.int64)
        kept = np.arange(len(inter))
        if self.max_length is not None and len(inter):
            kept = np.flatnonzero(recency_rank(inter) < self.max_length)
        sub = inter.subset(kept)
        if self.scope == "global":
            order = np.lexsort((np.arange(len(sub)), sub.timestamp))
            c = ratio_counts(np.array([len(sub)]), self.ratios)[0]
            sorted_labels = np.repeat([TRAIN, VALID, TEST], c)
            info = {"short_users": 0}
        else:
            g = group_by_user(sub, sub.order_by_user_time())
            order = g.order
            sorted_labels = _ratio_labels(g, self.ratios, self.min_interactions, self.short_users)
            info = {"short_users": _short_users(g, self.min_interactions)}
        labels[kept] = _unsort(order, sorted_labels)
        return assemble(self, inter, n_users, n_items, labels, True, info)
