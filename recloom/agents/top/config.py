"""Hyperparameters of the ToP agent steps (methods.md §1.2 S1–S8, §1.6), one frozen dataclass per step.

Defaults follow the official code where the paper is silent (10 k-means clusters and 140 sampled
items per category, thresholds 0.5×/1.5× the mean leaf load, ≤ 10 history items in the reasoning
prompt) and the paper where it says something (at most 10 refinement operations). Every check
raises :class:`~recloom.errors.ConfigError` naming the option.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recloom.errors import ConfigError


def _require(where: str, **checks: bool) -> None:
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise ConfigError(f"{where}: invalid option(s) {', '.join(bad)}")


@dataclass(frozen=True)
class SampleConfig:
    """S1: k-means sample of item texts per category (official code: c = 10, 140 per category).

    Categories with fewer than ``min_category_items`` items are pooled into one ``other_name``
    group (a subtree for a 1-item category cannot satisfy the construction rules)."""

    n_clusters: int = 10
    per_category: int = 140
    min_category_items: int = 30
    other_name: str = "Other categories"
    seed: int = 0

    def __post_init__(self) -> None:
        _require(
            "SampleConfig",
            n_clusters=self.n_clusters >= 1,
            per_category=self.per_category >= 2,
            min_category_items=self.min_category_items >= 0,
            other_name=bool(self.other_name.strip()),
        )


@dataclass(frozen=True)
class BuildConfig:
    """S2: the structural rules every constructed subtree must meet (§1.5 item 1). Depth counts
    levels including the subtree root; leaf bounds are lowered for small samples (see
    ``construct_task.constraints_for``)."""

    sample: SampleConfig = field(default_factory=SampleConfig)
    min_depth: int = 3
    max_depth: int = 6
    min_leaves: int = 8
    max_leaves: int = 40
    min_children: int = 2
    max_children: int = 6
    max_item_chars: int = 200

    def __post_init__(self) -> None:
        _require(
            "BuildConfig",
            min_depth=2 <= self.min_depth <= self.max_depth,
            min_leaves=2 <= self.min_leaves <= self.max_leaves,
            max_leaves=self.max_leaves >= self.min_depth,
            min_children=self.min_children >= 2,
            max_children=self.max_children >= max(self.min_children, 3),
            max_item_chars=self.max_item_chars >= 20,
        )


@dataclass(frozen=True)
class MatchConfig:
    """S3: item matching. A call holds at most ``max_items_per_call`` items and at most
    ``char_budget`` prompt characters (tree + items); failed batches are halved and retried down
    to single items (``halve_failed``), then items fall back to the nearest leaf by embedding."""

    max_items_per_call: int = 20
    char_budget: int = 16000
    max_item_chars: int = 300
    halve_failed: bool = True

    def __post_init__(self) -> None:
        _require(
            "MatchConfig",
            max_items_per_call=self.max_items_per_call >= 1,
            char_budget=self.char_budget >= 500,
            max_item_chars=self.max_item_chars >= 20,
        )


@dataclass(frozen=True)
class RefineConfig:
    """S4: split leaves with load > ``upper``·mean, merge sibling leaves with load < ``lower``·mean,
    at most ``max_ops`` operations (paper: 10). A split asks for ``split_children`` finer
    preferences from at most ``max_split_items`` sampled items of the leaf."""

    lower: float = 0.5
    upper: float = 1.5
    max_ops: int = 10
    split_children: int = 2
    max_split_items: int = 100
    max_merge_items: int = 60
    seed: int = 0

    def __post_init__(self) -> None:
        _require(
            "RefineConfig",
            lower=0.0 <= self.lower < 1.0,
            upper=self.upper > 1.0,
            max_ops=self.max_ops >= 0,
            split_children=2 <= self.split_children <= 6,
            max_split_items=self.max_split_items >= 2,
            max_merge_items=self.max_merge_items >= 2,
        )


@dataclass(frozen=True)
class ReasonConfig:
    """S7: ``n_leaves`` leaves per user (paper searches 4..7), at least ``unobserved_share``·n of
    them asked to be unobserved preferences, ≤ ``history_cap`` history items in the prompt."""

    n_leaves: int = 5
    unobserved_share: float = 0.4
    history_cap: int = 10
    max_title_chars: int = 120

    def __post_init__(self) -> None:
        _require(
            "ReasonConfig",
            n_leaves=self.n_leaves >= 1,
            unobserved_share=0.0 <= self.unobserved_share <= 1.0,
            history_cap=self.history_cap >= 0,
            max_title_chars=self.max_title_chars >= 10,
        )

    @property
    def n_unobserved(self) -> int:
        return int(round(self.unobserved_share * self.n_leaves))


@dataclass(frozen=True)
class SelectConfig:
    """S8: s(u,i) = (1−ω)·s_rel + ω·s_div (both min–max normalised over u's candidates, §1.6); the
    top ``n_aug`` candidates per user, only those with s ≥ ``min_score`` when it is set. The
    history count c_u in s_div is per leaf, or per category subtree with ``diversity_level =
    "category"`` (closer to the official code, §1.6)."""

    omega: float = 0.4
    n_aug: int = 3
    min_score: float | None = None
    diversity_level: str = "leaf"

    def __post_init__(self) -> None:
        _require(
            "SelectConfig",
            omega=0.0 <= self.omega <= 1.0,
            n_aug=self.n_aug >= 1,
            diversity_level=self.diversity_level in ("leaf", "category"),
        )
