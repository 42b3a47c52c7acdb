"""Leave-last-out by time (SASRec; RecBole "LS valid_and_test + TO"; EISAM)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from recloom.data.containers import Interactions
from recloom.data.split import Split
from recloom.data.splitters.base import DROPPED, TEST, TRAIN, VALID, assemble, check_policy, group_by_user
from recloom.errors import ConfigError


@dataclass(frozen=True)
class LeaveLastOut:
    """Per user by time: the last ``n_test`` rows -> test, the ``n_valid`` before -> valid, the rest
    train. Users with fewer than ``n_valid + n_test + 1`` rows go wholly to train (or are dropped).
    Examples: valid = (train -> valid rows), test = (train + valid -> test rows)."""

    name: ClassVar[str] = "leave_last_out"
    n_valid: int = 1
    n_test: int = 1
    short_users: str = "train"

    def __post_init__(self) -> None:
        check_policy(self.short_users)
        if self.n_valid < 0 or self.n_test < 1:
            raise ConfigError(
                f"leave_last_out needs n_valid >= 0 and n_test >= 1, got {self.n_valid}, {self.n_test}"
            )

    def split(self, inter: Interactions, n_users: int, n_items: int) -> Split:
        g = group_by_user(inter, inter.order_by_user_time())
        from_end = g.count - 1 - g.pos
        sorted_labels = np.where(from_end < self.n_test, TEST,
                                 np.where(from_end < self.n_test + self.n_valid, VALID, TRAIN))
        min_rows = self.n_valid + self.n_test + 1
        too_short = g.count < min_rows
        sorted_labels[too_short] = TRAIN if self.short_users == "train" else DROPPED
        labels = np.empty(len(inter), dtype=np.int64)
        labels[g.order] = sorted_labels
        info = {"short_users": int(len(np.unique(g.user[too_short])))}
        return assemble(self, inter, n_users, n_items, labels, True, info)
