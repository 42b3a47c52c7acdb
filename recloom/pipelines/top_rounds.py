"""ToP-Rec augmentation rounds inside backbone training (methods.md §1.2 S5–S9), as one trainer callback.

Schedule: after epoch ``e`` (1-based) with ``e > warmup`` and ``e % gap == 0`` (at most
``max_rounds`` times; 150 epochs, gap 40 → rounds after epochs 40, 80, 120) a round runs:

1. group influence (:class:`~recloom.recmodels.influence.InfluenceTracker`) picks the top group,
   without users augmented before (``selection="random"`` draws as many random users instead:
   the "w/o US" ablation);
2. the :class:`~recloom.pipelines.augment.Augmenter` turns those users into synthetic edges
   (LLM reasoning + item selection; artifacts under ``round-<k>/``);
3. the new edges (minus pairs already present) are appended to the training data — the BPR
   sampler and, through ``Trainer.replace_train_data``, the graph — and training continues;
4. the groups are re-drawn and the accumulated influence is reset.

Evaluation masks are never touched here: the masked items stay the *original* training items
(§1.3), so synthetic items remain rankable.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from recloom.agents.artifacts import write_json
from recloom.errors import ConfigError
from recloom.pipelines.augment import (
    SYNTHETIC_FILE,
    Augmenter,
    SyntheticEdges,
    augmented_train_data,
    new_edges,
)
from recloom.recmodels.callbacks import Callback, EpochLog
from recloom.recmodels.influence import InfluenceConfig, InfluenceTracker
from recloom.recmodels.sampling import PairwiseData
from recloom.recmodels.trainer import Trainer

log = logging.getLogger(__name__)


@dataclass
class RoundsConfig:
    """When rounds happen and how users are chosen."""

    warmup: int = 10  # no round before this many epochs
    gap: int = 40  # a round after every epoch that is a multiple of gap
    max_rounds: int = 3
    selection: Literal["influence", "random"] = "influence"
    window: Literal["since_round", "last_k"] = "since_round"  # which epochs are tracked
    influence: InfluenceConfig = field(default_factory=InfluenceConfig)

    def __post_init__(self) -> None:
        if self.warmup < 0 or self.gap < 1 or self.max_rounds < 0:
            raise ConfigError(f"rounds: need warmup >= 0, gap >= 1, max_rounds >= 0; got "
                              f"warmup={self.warmup}, gap={self.gap}, max_rounds={self.max_rounds}")
        if self.selection not in ("influence", "random"):
            raise ConfigError(f"rounds selection must be 'influence' or 'random', got {self.selection!r}")
        if self.window not in ("since_round", "last_k"):
            raise ConfigError(f"rounds window must be 'since_round' or 'last_k', got {self.window!r}")

    def round_epochs(self, epochs: int) -> list[int]:
        """1-based epochs after which a round runs, for a run of ``epochs`` epochs."""
        due = [e for e in range(1, epochs + 1) if e > self.warmup and e % self.gap == 0]
        return due[: self.max_rounds]


@dataclass
class RoundRecord:
    """What one round did (also written as ``round-<k>/round.json``)."""

    index: int
    epoch: int
    group: int
    users: list[int]
    group_scores: list[float]
    n_edges: int
    n_dropped: int
    select_seconds: float  # choosing the users (the influence itself is computed during training)
    augment_seconds: float  # reasoning + item selection


class ToPRounds(Callback):
    """The augmentation rounds; ``graph_at(epoch)`` is the training matrix an epoch trained on."""

    def __init__(self, base: PairwiseData, augmenter: Augmenter, config: RoundsConfig | None = None, *,
                 total_epochs: int, out_dir: str | Path | None = None, seed: int = 0) -> None:
        self.base = base
        self.augmenter = augmenter
        self.config = config or RoundsConfig()
        self.rounds_at = self.config.round_epochs(total_epochs)
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.tracker = InfluenceTracker(base.n_users, self.config.influence)
        self.rng = np.random.default_rng(seed)
        self.augmented: set[int] = set()
        self.edges: list[SyntheticEdges] = []
        self.records: list[RoundRecord] = []
        self.versions: list[tuple[int, sp.csr_matrix]] = [(0, base.matrix)]  # (first epoch, matrix)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, trainer: Trainer) -> None:
        if self.config.selection == "influence":
            self.tracker.on_train_begin(trainer)

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self.tracker.enabled = self._tracking(epoch + 1)
        self.tracker.on_epoch_begin(trainer, epoch)

    def on_epoch_end(self, trainer: Trainer, entry: EpochLog) -> None:
        self.tracker.on_epoch_end(trainer, entry)
        if entry.epoch + 1 in self.rounds_at:
            self.run_round(trainer, entry.epoch + 1)

    def _tracking(self, epoch: int) -> bool:
        if self.config.selection != "influence":
            return False
        upcoming = [r for r in self.rounds_at if r >= epoch]
        if not upcoming:
            return False
        return self.config.window == "since_round" or upcoming[0] - epoch < self.config.influence.k_epochs

    # ------------------------------------------------------------------ a round
    def select_users(self) -> tuple[int, np.ndarray]:
        """(group or -1 for random, users) of the next round."""
        if self.config.selection == "influence":
            return self.tracker.select_users(self.augmented)
        pool = np.setdiff1d(np.arange(self.base.n_users), np.fromiter(self.augmented, dtype=np.int64))
        size = int(np.ceil(self.base.n_users / self.config.influence.n_groups))
        return -1, np.sort(self.rng.choice(pool, size=min(size, len(pool)), replace=False))

    def run_round(self, trainer: Trainer, epoch: int) -> RoundRecord:
        index = len(self.records)
        start = time.perf_counter()
        scores = self.tracker.scores().tolist()
        group, users = self.select_users()
        picked = time.perf_counter()
        round_dir = None if self.out_dir is None else self.out_dir / f"round-{index}"
        if round_dir is not None:
            round_dir.mkdir(parents=True, exist_ok=True)
        proposed = self.augmenter.augment([int(u) for u in users], index, round_dir) if len(users) else \
            SyntheticEdges.empty()
        done = time.perf_counter()
        added, dropped = new_edges(trainer.train_data.matrix, proposed)  # type: ignore[attr-defined]
        self.edges.append(added)
        self.augmented.update(int(u) for u in users)
        trainer.replace_train_data(augmented_train_data(self.base, SyntheticEdges.concat(self.edges)))
        self.versions.append((epoch, trainer.train_data.matrix))  # type: ignore[attr-defined]
        self.tracker.new_round()
        record = RoundRecord(index, epoch, group, [int(u) for u in users], scores, len(added), dropped,
                             picked - start, done - picked)
        self.records.append(record)
        if round_dir is not None:
            added.write(round_dir / SYNTHETIC_FILE)
            write_json(round_dir / "round.json", asdict(record))
        log.info("ToP round %d after epoch %d: group %d, %d users, %d new edges (%d dropped)", index, epoch,
                 group, len(users), len(added), dropped)
        return record

    # ------------------------------------------------------------------ results
    def all_edges(self) -> SyntheticEdges:
        return SyntheticEdges.concat(self.edges)

    def graph_at(self, epoch: int) -> sp.csr_matrix:
        """The training matrix epoch ``epoch`` (0-based) trained on."""
        matrix = self.versions[0][1]
        for first_epoch, version in self.versions:
            if first_epoch <= epoch:
                matrix = version
        return matrix

    def summary(self) -> dict[str, Any]:
        return {"rounds_at": self.rounds_at, "influence_seconds": self.tracker.seconds,
                "influence_steps": self.tracker.total_steps, "rounds": [asdict(r) for r in self.records],
                "augmented_users": len(self.augmented), "synthetic_edges": len(self.all_edges()),
                "config": asdict(self.config)}
