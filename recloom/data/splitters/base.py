"""Shared pieces of the splitters: ratio parsing and rounding, per-user grouping, assembly."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from recloom.data.containers import Interactions
from recloom.data.split import SequenceExamples, Split
from recloom.errors import ConfigError

# Row labels. HISTORY: rows only used as the input history of held-out users (user-level split).
TRAIN, VALID, TEST, HISTORY, DROPPED = 0, 1, 2, 3, -1
SHORT_POLICIES = ("train", "drop")


class Splitter(Protocol):
    name: ClassVar[str]

    def split(self, inter: Interactions, n_users: int, n_items: int) -> Split: ...


def parse_ratios(ratios: str | Sequence[float]) -> tuple[float, float, float]:
    """``"8:1:1"``, ``"0.6/0.2/0.2"``, ``"0.8,0.1,0.1"`` or a 3-sequence -> normalised
    (train, valid, test)."""
    if isinstance(ratios, str):
        parts = [p for p in re.split(r"[:/,\s]+", ratios.strip()) if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise ConfigError(f"ratios {ratios!r}: expected numbers like '8:1:1'") from None
    else:
        values = [float(v) for v in ratios]
    if len(values) != 3 or any(v < 0 for v in values) or values[0] <= 0:
        raise ConfigError(f"ratios {ratios!r}: need three non-negative numbers with train > 0")
    total = sum(values)
    return values[0] / total, values[1] / total, values[2] / total


def ratio_counts(n: np.ndarray, ratios: tuple[float, float, float]) -> np.ndarray:
    """Rows per part for groups of ``n`` rows, RecBole's rule: valid = floor(r_v n), test =
    floor(r_t n), train the rest; then, while train keeps > 1 row, a part whose r n lies in (0, 1)
    gets one row (test first, then valid). Returns int64[len(n), 3]."""
    n = np.asarray(n, dtype=np.int64)
    out = np.zeros((len(n), 3), dtype=np.int64)
    out[:, 1] = (ratios[1] * n).astype(np.int64)
    out[:, 2] = (ratios[2] * n).astype(np.int64)
    out[:, 0] = n - out[:, 1] - out[:, 2]
    for part in (2, 1):
        exact = ratios[part] * n
        bump = (out[:, 0] > 1) & (exact > 0) & (exact < 1)
        out[bump, part] += 1
        out[bump, 0] -= 1
    return out


@dataclass(frozen=True)
class Grouped:
    """Rows sorted by user then a key: ``order`` (row indices), per sorted row its ``user``,
    ``pos`` within the user and the user's row ``count``."""

    order: np.ndarray
    user: np.ndarray
    pos: np.ndarray
    count: np.ndarray


def group_by_user(inter: Interactions, order: np.ndarray) -> Grouped:
    users = inter.user[order]
    counts = np.bincount(users) if len(users) else np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    return Grouped(order, users, np.arange(len(order)) - starts[users], counts[users])


def check_policy(short_users: str) -> None:
    if short_users not in SHORT_POLICIES:
        raise ConfigError(f"short_users must be one of {SHORT_POLICIES}, got {short_users!r}")


def examples(
    inter: Interactions, labels: np.ndarray, target: int, history: tuple[int, ...]
) -> SequenceExamples:
    """One example per user with rows labelled ``target``: history = the user's rows labelled in
    ``history`` and targets = rows labelled ``target``, both in time order."""
    s = inter.order_by_user_time()
    users, items, lab = inter.user[s], inter.item[s], labels[s]
    tgt = lab == target
    ex_users = np.unique(users[tgt])
    hist = np.isin(lab, history) & np.isin(users, ex_users)
    size = int(users.max()) + 1 if len(users) else 0
    tgt_count = np.bincount(users[tgt], minlength=size)[ex_users]
    hist_count = np.bincount(users[hist], minlength=size)[ex_users]
    return SequenceExamples(
        ex_users,
        items[hist],
        np.r_[0, np.cumsum(hist_count)].astype(np.int64),
        items[tgt],
        np.r_[0, np.cumsum(tgt_count)].astype(np.int64),
    )


def assemble(
    splitter: Any,
    inter: Interactions,
    n_users: int,
    n_items: int,
    labels: np.ndarray,
    with_examples: bool,
    info: dict[str, Any],
    history_labels: tuple[int, ...] = (),
) -> Split:
    """Build the :class:`Split` from one label per row (TRAIN/VALID/TEST/DROPPED)."""
    inter.check_bounds(n_users=n_users, n_items=n_items)
    parts = [inter.subset(np.flatnonzero(labels == p)) for p in (TRAIN, VALID, TEST)]
    valid_ex = test_ex = None
    if with_examples:
        valid_ex = examples(inter, labels, VALID, (TRAIN, *history_labels))
        test_ex = examples(inter, labels, TEST, (TRAIN, VALID, *history_labels))
    info = {**info, "dropped_rows": int((labels == DROPPED).sum())}
    return Split(splitter.name, asdict(splitter), n_users, n_items, *parts, valid_ex, test_ex, info)
