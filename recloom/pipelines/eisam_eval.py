"""Training with a step rule and the EISAM evaluation (seed 004 Sec. 6; methods.md §5.3-5.4):
NDCG@10 / HR@10 overall, on data-head and data-tail targets, and on the 2×2 P×D cells of a probe.

- :func:`make_step_rule`: plain | rw | sam | groupsam | eisam from flat options, with item weights
  and head/tail groups built from the training targets (RW re-weights the data head/tail *groups*
  by inverse group frequency, as the paper's group re-weighting baseline; EISAM uses f_exp).
- :func:`group_metrics`: one full ranking per evaluation row, metrics for every grouping from it.
- :func:`sasrec_experiment`: SASRec on the protocol sequences (history 10) trained with a rule,
  early-stopped on validation NDCG@10, evaluated on test; per-epoch training seconds recorded.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from recloom.agents.probe.prior import CELL_KEYS, top_share_groups
from recloom.data import SequenceExamples
from recloom.pipelines.eisam_data import EisamData
from recloom.recmodels.base import Recommender
from recloom.recmodels.callbacks import Callback, EpochLog
from recloom.recmodels.evaluation import EvalData, EvalSpec, metrics_from_topk, rank_topk
from recloom.recmodels.optim import StepRule, get_step_rule
from recloom.recmodels.sasrec import SASRec, SASRecConfig
from recloom.recmodels.sequences import SequenceData, pad_histories
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything

RULES = ("plain", "rw", "sam", "groupsam", "eisam")
DEFAULT_RULE_PARAMS: dict[str, dict[str, Any]] = {
    "plain": {},
    "rw": {"weight_fn": "norm"},  # + groups = data head/tail
    "sam": {"rho": 0.05},
    "groupsam": {"rho": 0.05},
    "eisam": {"rho": 0.05, "lam": 0.5, "weight_fn": "exp", "gamma": 50.0},
}
HEAD_TAIL = {0: "head", 1: "tail"}


def data_groups(train_items: np.ndarray, n_items: int, share: float = 0.2) -> np.ndarray:
    """D-Head (0) / D-Tail (1) by training target frequency, ties by item id."""
    return top_share_groups(np.bincount(np.asarray(train_items, dtype=np.int64), minlength=n_items), share)


def make_step_rule(name: str, train_items: np.ndarray, n_items: int, **params: Any) -> StepRule:
    """The step rule ``name`` with its defaults (``DEFAULT_RULE_PARAMS``) under ``params``."""
    key = name.strip().lower()
    options = {**DEFAULT_RULE_PARAMS.get(key, {}), **params}
    if key in ("rw", "eisam") and "weights" not in options:
        options.update(train_items=np.asarray(train_items), n_items=n_items)
        if key == "rw" and "groups" not in options:
            options["groups"] = data_groups(train_items, n_items)
    if key == "groupsam" and "item_groups" not in options:
        options["item_groups"] = data_groups(train_items, n_items)
    return get_step_rule(key, **options)


class StepTimer(Callback):
    """Wraps a step rule and sums the process CPU seconds of its steps per epoch (``cpu``): the
    optimiser's cost without data loading or validation, and far less sensitive than wall time to
    other processes on a shared machine."""

    def __init__(self, rule: StepRule) -> None:
        self.rule = rule
        self.cpu: list[float] = []
        self._acc = 0.0

    def step(self, model: Recommender, batch: dict[str, Any], optimizer: torch.optim.Optimizer) -> float:
        started = time.process_time()
        loss = self.rule.step(model, batch, optimizer)
        self._acc += time.process_time() - started
        return loss

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self._acc = 0.0

    def on_epoch_end(self, trainer: Trainer, log: EpochLog) -> None:
        self.cpu.append(self._acc)


def truth_matrix(ex: SequenceExamples, n_items: int) -> sp.csr_matrix:
    targets = ex.single_targets()
    data = np.ones(len(targets), dtype=np.float32)
    return sp.csr_matrix((data, (np.arange(len(targets)), targets)), shape=(len(targets), n_items))


def sequence_eval(ex: SequenceExamples, n_items: int, maxlen: int) -> EvalData:
    item_seq, seq_len = pad_histories(ex.histories(), maxlen)
    return EvalData.for_sequences(item_seq, seq_len, truth_matrix(ex, n_items))


def group_metrics(
    model: Recommender,
    data: EvalData,
    groupings: dict[str, tuple[np.ndarray, dict[int, str]]],
    ks: tuple[int, ...] = (10,),
    metrics: tuple[str, ...] = ("ndcg", "hr"),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Overall metrics plus, per grouping (item -> group, group names), metrics on its groups'
    targets (suffix ``/name``); the ranking is computed once."""
    topk, valid = rank_topk(model, data, max(ks), batch_size)
    out = metrics_from_topk(topk, valid, data.truth, EvalSpec(ks=ks, metrics=metrics), model.n_items)
    for item_group, names in groupings.values():
        spec = EvalSpec(ks=ks, metrics=metrics, item_group=item_group, group_names=names)
        out.update(
            {
                k: v
                for k, v in metrics_from_topk(topk, valid, data.truth, spec, model.n_items).items()
                if "/" in k
            }
        )
    return out


def groupings_for(data: EisamData, cells: np.ndarray | None) -> dict[str, tuple[np.ndarray, dict[int, str]]]:
    out = {"data": (data_groups(data.train.single_targets(), data.n_items), HEAD_TAIL)}
    if cells is not None:
        if len(cells) != data.n_items:
            raise ValueError(f"probe cells cover {len(cells)} items, the data has {data.n_items}")
        out["cells"] = (np.asarray(cells), dict(CELL_KEYS))
    return out


def sasrec_experiment(
    data: EisamData,
    rule: str,
    *,
    seed: int = 0,
    train_config: TrainConfig | None = None,
    hparams: dict[str, Any] | None = None,
    rule_params: dict[str, Any] | None = None,
    cells: np.ndarray | None = None,
) -> dict[str, Any]:
    """Train SASRec with ``rule`` on ``data``; test metrics overall / head / tail (/ cells)."""
    cfg = train_config or TrainConfig(epochs=20, batch_size=256, patience=3, quiet=True)
    cfg = TrainConfig(**{**asdict(cfg), "seed": seed})
    seed_everything(seed)
    sas = SASRecConfig(**{"maxlen": 10, **(hparams or {})})
    targets = data.train.single_targets()
    train = SequenceData.from_examples(data.train.histories(), targets, data.n_items, sas.maxlen)
    valid = sequence_eval(data.valid, data.n_items, sas.maxlen)
    test = sequence_eval(data.test, data.n_items, sas.maxlen)
    model = SASRec(1, data.n_items, sas)
    timer = StepTimer(make_step_rule(rule, targets, data.n_items, **(rule_params or {})))
    spec = EvalSpec(ks=(10,), metrics=("ndcg", "hr"))
    started = time.perf_counter()
    result = Trainer(model, train, cfg, valid=valid, eval_spec=spec, step_rule=timer, callbacks=[timer]).fit()
    wall = time.perf_counter() - started
    metrics = group_metrics(model, test, groupings_for(data, cells))
    return {
        "rule": rule,
        "seed": seed,
        "rule_params": {**DEFAULT_RULE_PARAMS.get(rule, {}), **(rule_params or {})},
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "seconds_per_epoch": [round(s, 3) for s in result.epoch_seconds],
        "cpu_seconds_per_epoch": [round(s, 3) for s in timer.cpu],
        "train_wall_seconds": round(wall, 2),
        "valid": result.best_metrics,
        "test": metrics,
    }
