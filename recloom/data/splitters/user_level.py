"""User-level split (DTR; REMI/ComiRec style): users, not rows, are split into train / valid /
test users; a held-out user's oldest ``prefix`` share of rows is the input history and the rest
the ground-truth targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from recloom.data.containers import Interactions
from recloom.data.split import Split
from recloom.data.splitters.base import (
    DROPPED,
    HISTORY,
    TEST,
    TRAIN,
    VALID,
    assemble,
    check_policy,
    group_by_user,
    parse_ratios,
)
from recloom.errors import ConfigError


@dataclass(frozen=True)
class UserLevel:
    """Users with >= ``min_interactions`` rows are shuffled (seeded) and cut into train / valid /
    test users by ``ratios`` (floor for valid and test) or by the fixed ``valid_users`` /
    ``test_users`` counts (DTR's code). Train users' rows are all train. A held-out user with n
    rows keeps k = clip(floor(prefix * n), 1, n - 1) oldest rows as history (added to train when
    ``prefix_in_train``, so full-ranking evaluation can mask them) and the rest as targets.
    Users below ``min_interactions`` go to train (or are dropped)."""

    name: ClassVar[str] = "user_level"
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    prefix: float = 0.8
    seed: int = 0
    valid_users: int | None = None
    test_users: int | None = None
    min_interactions: int = 2
    prefix_in_train: bool = True
    short_users: str = "train"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratios", parse_ratios(self.ratios))
        check_policy(self.short_users)
        if not 0.0 < self.prefix < 1.0:
            raise ConfigError(f"user_level prefix must be in (0, 1), got {self.prefix}")
        if self.min_interactions < 2:
            raise ConfigError("user_level min_interactions must be >= 2 (history and target)")

    def _user_roles(self, counts: np.ndarray) -> np.ndarray:
        """Per user: TRAIN, VALID or TEST (role of the user), DROPPED for dropped short users."""
        eligible = np.flatnonzero(counts >= self.min_interactions)
        n = len(eligible)
        n_test = self.test_users if self.test_users is not None else int(self.ratios[2] * n)
        n_valid = self.valid_users if self.valid_users is not None else int(self.ratios[1] * n)
        if n_test + n_valid > n:
            raise ConfigError(f"user_level: {n_valid} valid + {n_test} test users but only {n} eligible")
        perm = np.random.default_rng(self.seed).permutation(eligible)
        roles = np.full(len(counts), TRAIN if self.short_users == "train" else DROPPED, dtype=np.int64)
        roles[eligible] = TRAIN
        roles[perm[:n_test]] = TEST
        roles[perm[n_test:n_test + n_valid]] = VALID
        return roles

    def split(self, inter: Interactions, n_users: int, n_items: int) -> Split:
        g = group_by_user(inter, inter.order_by_user_time())
        counts = inter.user_counts(n_users)
        user_roles = self._user_roles(counts)
        roles = user_roles[g.user]
        k = np.clip(np.floor(self.prefix * g.count).astype(np.int64), 1, np.maximum(g.count - 1, 1))
        in_prefix = g.pos < k
        held_out = (roles == VALID) | (roles == TEST)
        sorted_labels = roles.copy()
        sorted_labels[held_out & in_prefix] = TRAIN if self.prefix_in_train else HISTORY
        labels = np.empty(len(inter), dtype=np.int64)
        labels[g.order] = sorted_labels
        info = {
            "short_users": int(((counts > 0) & (counts < self.min_interactions)).sum()),
            "valid_users": int((user_roles == VALID).sum()),
            "test_users": int((user_roles == TEST).sum()),
        }
        return assemble(self, inter, n_users, n_items, labels, True, info, history_labels=(HISTORY,))
