"""LARMI's data protocol (methods.md §2.3, REMI): per user, the sequence truncated to its 20 most
recent items and cut chronologically 6:2:2 (splitter preset ``larmi``); train on the first 60 %,
validate on (train part -> next 20 %), test on (train + valid parts -> last 20 %); Recall / NDCG /
HR @20 and @50 over all items with the history masked (§2.6).

Stage A clusters the *training* part of each real user (§2.6: the same clusters serve validation and
test); stage B builds cliques from the same training parts. ``users`` keeps only the first N users
(then unused items are dropped and ids renumbered) for small runs and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from recloom.data import Dataset, Split
from recloom.data.loaders import load_dataset
from recloom.data.splitters import get_splitter
from recloom.errors import ConfigError, DataError
from recloom.recmodels.evaluation import EvalData, EvalSpec
from recloom.recmodels.larmi_clusters import ClusterTable
from recloom.recmodels.larmi_data import PrefixSequenceData, sequence_eval_data

KS = (20, 50)
METRICS = ("recall", "ndcg", "hr")
MONITOR = "recall@20"


@dataclass(frozen=True)
class DataConfig:
    """Which data and protocol; recorded in every run directory so later stages rebuild the same."""

    dataset: str = "amazon-scientific"
    data_dir: str | None = None
    split: str = "larmi"
    users: int | None = None  # keep only the first N users (small runs); None = all
    max_len: int = 20

    def __post_init__(self) -> None:
        if self.users is not None and self.users < 2:
            raise ConfigError(f"larmi data: users must be >= 2 when given, got {self.users}")
        if self.max_len < 1:
            raise ConfigError(f"larmi data: max_len must be >= 1, got {self.max_len}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "data_dir": self.data_dir,
            "split": self.split,
            "users": self.users,
            "max_len": self.max_len,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> DataConfig:
        return cls(**{k: doc[k] for k in ("dataset", "data_dir", "split", "users", "max_len") if k in doc})


@dataclass
class LarmiData:
    """The dataset, its split and the per-user training sequences (chronological)."""

    config: DataConfig
    dataset: Dataset
    split: Split

    @property
    def n_users(self) -> int:
        return self.split.n_users

    @property
    def n_items(self) -> int:
        return self.split.n_items

    @cached_property
    def titles(self) -> list[str]:
        if self.dataset.items is None:
            raise DataError(f"dataset {self.dataset.name!r} has no item titles; LARMI clusters titles")
        return list(self.dataset.items.titles)

    @cached_property
    def train_sequences(self) -> list[np.ndarray]:
        """Per user index, the training items oldest first."""
        return self.split.train.sequences(self.n_users)

    def train_counts(self) -> sp.csr_matrix:
        """User × item counts of the training parts (the input of the cliques, Eqs. 5 and 7)."""
        return self.split.train.csr(self.n_users, self.n_items, values="count")

    def spec(self) -> EvalSpec:
        return EvalSpec(ks=KS, metrics=METRICS)

    def train_data(self, clusters: ClusterTable | None = None) -> PrefixSequenceData:
        return PrefixSequenceData(self.train_sequences, self.n_items, self.config.max_len, clusters=clusters)

    def eval_data(self, part: str, clusters: ClusterTable | None = None) -> EvalData:
        examples = {"valid": self.split.valid_examples, "test": self.split.test_examples}.get(part)
        if examples is None:
            raise ConfigError(f"larmi data: split {self.config.split!r} has no {part!r} examples")
        return sequence_eval_data(examples, self.n_items, self.config.max_len, clusters=clusters)

    def summary(self) -> dict[str, Any]:
        lengths = np.array([len(s) for s in self.train_sequences])
        return {
            "users": self.n_users,
            "items": self.n_items,
            **self.split.sizes(),
            "train_len_mean": round(float(lengths.mean()), 4) if len(lengths) else 0.0,
            "split_info": self.split.info,
        }


def first_users(dataset: Dataset, n: int) -> Dataset:
    """The dataset restricted to users 0..n-1, compacted (items nobody kept are dropped)."""
    keep = dataset.interactions.user < n
    return dataset.with_interactions(dataset.interactions.subset(keep), first_users=n).compact()


def load_larmi_data(config: DataConfig | None = None) -> LarmiData:
    """Load, optionally slice, and split the dataset as ``config`` says."""
    config = config or DataConfig()
    dataset = load_dataset(config.dataset, config.data_dir)
    if config.users is not None and config.users < dataset.n_users:
        dataset = first_users(dataset, config.users)
    split = get_splitter(config.split).split(dataset.interactions, dataset.n_users, dataset.n_items)
    return LarmiData(config, dataset, split)


def cluster_table(clusters: Mapping[int, Sequence[Sequence[int]]], n_items: int) -> ClusterTable:
    """Stage-A clusters (user index -> item-id clusters) as the model's lookup table."""
    return ClusterTable(dict(clusters), n_items)
