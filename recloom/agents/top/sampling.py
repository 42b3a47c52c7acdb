"""S1 — item sampling for tree construction (ToP-Rec appendix A.2; methods.md §1.2 S1).

Items are grouped by predefined category (one subtree per group, as the official code does; small
categories pooled, see ``SampleConfig``), then per group: k-means (scikit-learn) on the sentence
embeddings of the item texts and a random draw from every cluster, so the sample covers the
semantic range without near-duplicates. The official code takes 140 items over c = 10 clusters (14
each, the remainder spread over the first clusters); here a cluster smaller than its quota gives
its shortfall to the next clusters that still have items, so the sample has the requested size
whenever the group does. Groups with at most ``per_category`` items are used whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from recloom.agents.top.config import SampleConfig
from recloom.agents.top.items import ItemTable

ALL_ITEMS = "All items"


@dataclass(frozen=True)
class CategoryGroup:
    """Items that share one subtree: ``name`` is the subtree root's name; ``categories`` the
    predefined categories pooled into it (empty when the data has none)."""

    name: str
    categories: tuple[str, ...]
    items: tuple[int, ...]

    @property
    def note(self) -> str | None:
        """For a pooled group, the predefined categories it holds (shown to the LLM)."""
        if len(self.categories) <= 1 and self.categories == (self.name,) or not self.categories:
            return None
        return f"pools the categories {', '.join(self.categories)}"


def category_groups(items: ItemTable, config: SampleConfig | None = None) -> list[CategoryGroup]:
    """Groups sorted by size (largest first, ties by name); items without a category and categories
    smaller than ``min_category_items`` go to the ``other_name`` group."""
    config = config or SampleConfig()
    if all(c is None for c in items.categories):
        return [CategoryGroup(ALL_ITEMS, (), items.ids)]
    sizes = Counter(c for c in items.categories if c is not None)
    big = {c for c, n in sizes.items() if n >= config.min_category_items}
    other = config.other_name if config.other_name not in big else f"{config.other_name} (pooled)"
    members: dict[str, list[int]] = {}
    pooled: set[str] = set()
    for item, cat in zip(items.ids, items.categories, strict=True):
        if cat in big:
            members.setdefault(cat, []).append(item)
        else:
            members.setdefault(other, []).append(item)
            if cat is not None:
                pooled.add(cat)
    groups = [
        CategoryGroup(name, (name,) if name in big else tuple(sorted(pooled)), tuple(ids))
        for name, ids in members.items()
    ]
    return sorted(groups, key=lambda g: (-len(g.items), g.name))


def cluster_quotas(sizes: list[int], total: int) -> list[int]:
    """Items to draw per cluster: ``total // c`` each, the remainder to the first clusters, then any
    shortfall of small clusters moved to the next clusters with items left."""
    c = len(sizes)
    quota = [total // c + (1 if k < total % c else 0) for k in range(c)]
    take = [min(q, s) for q, s in zip(quota, sizes, strict=True)]
    short = min(total, sum(sizes)) - sum(take)
    k = 0
    while short > 0:
        if take[k % c] < sizes[k % c]:
            take[k % c] += 1
            short -= 1
        k += 1
    return take


def kmeans_sample(item_ids: tuple[int, ...], vectors: np.ndarray, config: SampleConfig) -> list[int]:
    """The sampled item ids of one group (sorted), drawn per k-means cluster with ``config.seed``."""
    if len(item_ids) <= config.per_category:
        return sorted(item_ids)
    from sklearn.cluster import KMeans

    k = min(config.n_clusters, len(item_ids))
    labels = KMeans(n_clusters=k, n_init=4, random_state=config.seed).fit_predict(vectors)
    clusters = [np.flatnonzero(labels == j) for j in range(k)]
    clusters.sort(key=lambda rows: (-len(rows), int(rows[0]) if len(rows) else 0))
    rng = np.random.default_rng(config.seed)
    chosen: list[int] = []
    for rows, n in zip(
        clusters, cluster_quotas([len(r) for r in clusters], config.per_category), strict=True
    ):
        chosen.extend(int(item_ids[r]) for r in rng.choice(rows, size=n, replace=False))
    return sorted(chosen)


def sample_groups(
    items: ItemTable, vectors: np.ndarray, config: SampleConfig | None = None
) -> list[tuple[CategoryGroup, list[int]]]:
    """(group, sampled item ids) for every category group; ``vectors`` are the rows of ``items``."""
    config = config or SampleConfig()
    pos = items.position()
    out = []
    for group in category_groups(items, config):
        rows = [pos[i] for i in group.items]
        out.append((group, kmeans_sample(group.items, vectors[rows], config)))
    return out
