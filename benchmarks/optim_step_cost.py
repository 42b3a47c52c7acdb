"""Per-epoch training time of each step rule relative to SAM, measured in one run (EISAM Table 3).

The paper reports EISAM at 1.01-1.14x SAM per epoch and GroupSAM (head/tail) at 3.8-4.2x. Here every
rule trains the same model on ml-100k; rules take turns epoch by epoch (round robin), so load from
other processes hits all of them alike, and the median epoch time after a warm-up round is kept.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/optim_step_cost.py [--models mf lightgcn sasrec]

Writes ``benchmarks/results/optim_step_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from recloom.data.loaders import load_dataset  # noqa: E402
from recloom.recmodels.optim import get_step_rule  # noqa: E402
from recloom.recmodels.registry import get_model  # noqa: E402
from recloom.recmodels.sampling import PairwiseData  # noqa: E402
from recloom.recmodels.sequences import SequenceData  # noqa: E402
from recloom.recmodels.trainer import TrainConfig, Trainer  # noqa: E402

RESULT = Path(__file__).resolve().parent / "results" / "optim_step_cost.json"
RULES: dict[str, dict[str, Any]] = {
    "plain": {},
    "rw": {"weights": True},
    "sam": {"rho": 0.05},
    "eisam": {"rho": 0.05, "lam": 0.5, "weights": True},
    "eisam_code": {"rho": 0.05, "lam": 0.5, "code_variant": True, "weights": True},
    "groupsam": {"rho": 0.05, "weights": True},
}


def _data(ds: Any, model: str) -> PairwiseData | SequenceData:
    if model == "sasrec":
        seqs = ds.interactions.sequences(n_users=ds.n_users)
        return SequenceData.from_sequences(seqs, ds.n_items, maxlen=50)
    return PairwiseData(ds.interactions.user, ds.interactions.item, ds.n_users, ds.n_items)


def _trainer(ds: Any, model: str, rule: str, data: PairwiseData | SequenceData, batch: int) -> Trainer:
    torch.manual_seed(0)
    extra = {"interactions": data.matrix} if model == "lightgcn" else {}  # type: ignore[union-attr]
    net = get_model(model, ds.n_users, ds.n_items, **extra)
    options = dict(RULES[rule])
    if options.pop("weights", False):
        options.update(train_items=data.item, n_items=ds.n_items)
    step = get_step_rule(rule.removesuffix("_code"), **options)
    config = TrainConfig(epochs=1, batch_size=batch, lr=1e-3, quiet=True, seed=0)
    return Trainer(net, data, config, step_rule=step)


def measure(model: str, rounds: int, batch: int) -> dict[str, Any]:
    ds = load_dataset("ml-100k")
    data = _data(ds, model)
    trainers = {rule: _trainer(ds, model, rule, data, batch) for rule in RULES}
    times: dict[str, list[float]] = {rule: [] for rule in RULES}
    for _ in range(rounds + 1):
        for rule, trainer in trainers.items():
            start = time.perf_counter()
            trainer.train_epoch()
            times[rule].append(time.perf_counter() - start)
    median = {rule: statistics.median(t[1:]) for rule, t in times.items()}
    return {
        "samples_per_epoch": len(data),
        "batch_size": batch,
        "epoch_seconds": {r: round(s, 3) for r, s in median.items()},
        "ratio_to_sam": {r: round(s / median["sam"], 3) for r, s in median.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["mf", "lightgcn", "sasrec"])
    parser.add_argument("--rounds", type=int, default=3, help="timed epochs per rule after one warm-up")
    parser.add_argument("--batch-size", type=int, default=2048)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for model in args.models:  # saved model by model: a long run keeps what it measured
        result = measure(model, args.rounds, args.batch_size)
        _save(model, {**result, "rounds": args.rounds})
        print(model, json.dumps(result, indent=2), flush=True)


def _save(model: str, result: dict[str, Any]) -> None:
    doc = json.loads(RESULT.read_text()) if RESULT.exists() else {}
    doc.update({
        "benchmark": "optim_step_cost",
        "dataset": "ml-100k",
        "paper_ratio_to_sam": {"eisam": [1.01, 1.14], "groupsam": [3.82, 4.16]},
        "torch": torch.__version__,
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
    })
    doc.setdefault("results", {})[model] = result
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
