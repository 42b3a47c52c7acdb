"""One recloom training run, the counterpart of ``recbole_child.py``; run with the project venv.

Usage: ``.venv/bin/python recloom_child.py JOB.json`` (same job format as the RecBole child).
Protocol as RecBole's: recloom's ``random_ratio`` 0.8/0.1/0.1 per-user split (RecBole's rounding),
uniform negatives that avoid the user's training items, full ranking with training items masked
for validation and training + validation items masked for test, early stopping on valid NDCG@10.
Models: MF-BPR (Xavier-normal init, no L2, like RecBole's BPR) and LightGCN (Xavier-uniform init,
RecBole's unsquared embedding L2 on the batch's ego embeddings, layer mean).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np
import torch

from recloom.data.filters import implicit
from recloom.data.loaders import load_dataset
from recloom.data.splitters import get_splitter
from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate
from recloom.recmodels.registry import get_model
from recloom.recmodels.sampling import PairwiseData, interaction_matrix
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything

METRICS = ("recall@10", "recall@20", "ndcg@10", "ndcg@20")


def model_hparams(job: dict[str, Any]) -> dict[str, Any]:
    """recloom's model hyperparameters mirroring RecBole's BPR / LightGCN."""
    hp = job["hparams"]
    if job["model"] == "bpr":
        return {"embedding_dim": hp["embedding_dim"], "reg_weight": 0.0, "init": "xavier_normal"}
    return {"embedding_dim": hp["embedding_dim"], "n_layers": hp["n_layers"], "reg_weight": hp["reg_weight"],
            "reg_norm": "unsquared", "init": "xavier"}


def train_config(job: dict[str, Any]) -> TrainConfig:
    """The loop's settings. RecBole stops after ``stopping_step + 1`` evaluations without
    improvement; recloom's ``patience`` counts them directly, hence the + 1."""
    hp = job["hparams"]
    return TrainConfig(epochs=hp["epochs"], batch_size=hp["batch_size"], lr=hp["lr"], weight_decay=0.0,
                       optimizer="adam", seed=job["seed"], eval_every=1, monitor="ndcg@10",
                       patience=hp["stopping_step"] + 1, restore_best=True, quiet=True)


def load_split(job: dict[str, Any]) -> tuple[Any, Any]:
    """The dataset (optionally thresholded) and its per-user random 8:1:1 split."""
    ds = load_dataset(job["dataset"])
    if job.get("min_rating") is not None:
        ds = ds.with_interactions(implicit(ds.interactions, job["min_rating"])).compact()
    # min_interactions=1: RecBole splits every user by its rounding rule, however short.
    splitter = get_splitter("random_ratio", ratios=(0.8, 0.1, 0.1), seed=job["seed"], min_interactions=1)
    return ds, splitter.split(ds.interactions, ds.n_users, ds.n_items)


def _csr(inter: Any, n_users: int, n_items: int) -> Any:
    return interaction_matrix(inter.user, inter.item, n_users, n_items)


def _track_cpu(trainer: Trainer) -> list[float]:
    """Log the process CPU seconds of every ``train_epoch`` call (robust to a shared CPU)."""
    sink: list[float] = []
    train_epoch = trainer.train_epoch

    def timed() -> tuple[float, int]:
        cpu = time.process_time()
        out = train_epoch()
        sink.append(time.process_time() - cpu)
        return out

    trainer.train_epoch = timed  # type: ignore[method-assign]
    return sink


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Train and test one model; return the result document (same keys as the RecBole child)."""
    torch.set_num_threads(job["threads"])
    hp = job["hparams"]
    t0 = time.perf_counter()
    ds, split = load_split(job)
    nu, ni = ds.n_users, ds.n_items
    train = PairwiseData(split.train.user, split.train.item, nu, ni, n_neg=hp["n_neg"])
    valid_truth, test_truth = _csr(split.valid, nu, ni), _csr(split.test, nu, ni)
    valid = EvalData.for_users(valid_truth, exclude=train.matrix)
    test = EvalData.for_users(test_truth, exclude=(train.matrix + valid_truth).sign())
    prep_seconds = time.perf_counter() - t0
    spec = EvalSpec(ks=(10, 20), metrics=("recall", "ndcg"), batch_size=hp["eval_batch_size"])
    seed_everything(job["seed"])
    model = get_model(job["model"], nu, ni, interactions=train.matrix, **model_hparams(job))
    trainer = Trainer(model, train, train_config(job), valid=valid, eval_spec=spec)
    train_cpu = _track_cpu(trainer)
    result = trainer.fit()
    test_start = time.perf_counter()
    test_metrics = evaluate(model, test, spec)
    test_seconds = time.perf_counter() - test_start
    n_batches = -(-len(train) // hp["batch_size"])
    return {
        "side": "recloom", "model": job["model"], "dataset": job["dataset"],
        "valid": {k: float(result.best_metrics[k]) for k in METRICS},
        "test": {k: float(test_metrics[k]) for k in METRICS},
        "best_valid_ndcg@10": float(result.best_metrics["ndcg@10"]),
        "best_epoch": result.best_epoch, "epochs_run": len(result.history),
        "train_seconds": [e.train_seconds for e in result.history], "train_cpu_seconds": train_cpu,
        "valid_seconds": [e.eval_seconds for e in result.history],
        "test_seconds": test_seconds, "prep_seconds": prep_seconds,
        # Summed over batches, as RecBole reports it (recloom's trainer logs the mean).
        "train_loss": [e.loss * n_batches for e in result.history],
        "valid_curve": [float(e.metrics.get("ndcg@10", float("nan"))) for e in result.history],
        "n_users": int(nu), "n_items": int(ni),
        "sizes": {k: int(v) for k, v in split.sizes().items()}, "n_batches": n_batches,
    }


def _versions() -> dict[str, str]:
    import scipy
    return {"torch": torch.__version__, "numpy": np.__version__, "scipy": scipy.__version__}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: recloom_child.py JOB.json", file=sys.stderr)
        return 2
    with open(argv[1]) as fh:
        job = json.load(fh)
    result = run(job)
    result["versions"] = _versions()
    with open(job["out"], "w") as fh:
        json.dump(result, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
