"""Named, seeded splitters and protocol presets.

Example::

    from recloom.data.splitters import get_splitter
    split = get_splitter("random_ratio", ratios="8:1:1", seed=2020).split(inter, n_users, n_items)
    split = get_splitter("larmi").split(...)        # preset: chrono_ratio 6:2:2, max_length 20
    split.train, split.valid, split.test, split.test_examples

Splitters: ``random_ratio`` (per user, random), ``chrono_ratio`` (per user by time, or one global
timeline), ``leave_last_out`` (by time), ``user_level`` (users split, history prefix + targets).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from recloom.data.splitters.base import Splitter, parse_ratios, ratio_counts
from recloom.data.splitters.leave_out import LeaveLastOut
from recloom.data.splitters.ratio import ChronoRatio, RandomRatio
from recloom.data.splitters.user_level import UserLevel
from recloom.errors import ConfigError

SPLITTERS: dict[str, type] = {cls.name: cls for cls in (RandomRatio, ChronoRatio, LeaveLastOut, UserLevel)}

# Protocols of methods.md / anchors.md, by the name a CLI user types.
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "recbole": ("random_ratio", {"ratios": (0.8, 0.1, 0.1)}),          # RecBole RS 8:1:1 + RO
    "top_rec": ("random_ratio", {"ratios": (0.6, 0.2, 0.2)}),          # ToP-Rec §1.3
    "larmi": ("chrono_ratio", {"ratios": (0.6, 0.2, 0.2), "max_length": 20}),  # LARMI/REMI §2.3
    "sasrec": ("leave_last_out", {}),                                   # LOO by time
    "eisam": ("chrono_ratio", {"ratios": (0.8, 0.1, 0.1), "scope": "global"}),  # §5.4, 8:1:1 by time
    "dtr": ("user_level", {"ratios": (0.8, 0.1, 0.1), "prefix": 0.5}),  # §4.4
}


def splitter_names() -> list[str]:
    return sorted(SPLITTERS) + sorted(PRESETS)


def get_splitter(name: str, **params: Any) -> Splitter:
    """A splitter by name or preset; ``params`` override the preset's. Unknown names or
    parameters raise ``ConfigError`` listing what is accepted."""
    base, preset = (name, {})
    if name in PRESETS:
        base, preset = PRESETS[name]
    if base not in SPLITTERS:
        raise ConfigError(f"unknown splitter {name!r}; known: {', '.join(splitter_names())}")
    cls = SPLITTERS[base]
    allowed = {f.name for f in dataclasses.fields(cls)}
    unknown = set(params) - allowed
    if unknown:
        raise ConfigError(
            f"splitter {base!r} has no parameter {sorted(unknown)}; accepted: {sorted(allowed)}"
        )
    return cls(**{**preset, **params})


__all__ = [
    "PRESETS",
    "SPLITTERS",
    "ChronoRatio",
    "LeaveLastOut",
    "RandomRatio",
    "Splitter",
    "UserLevel",
    "get_splitter",
    "parse_ratios",
    "ratio_counts",
    "splitter_names",
]
