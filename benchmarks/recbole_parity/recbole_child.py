"""One RecBole 1.2.1 training run; executed by ``run.py`` with the RecBole venv's python.

Usage: ``<venv-recbole>/bin/python recbole_child.py JOB.json``. The job names the dataset (an
atomic-file directory written by ``datasets.write_atomic``), the model (BPR or LightGCN) and the
shared hyperparameters; the result JSON (``job["out"]``) holds valid/test metrics of the best
valid epoch, per-epoch training and validation seconds, losses and split sizes.

This file imports only RecBole's public API (Config, create_dataset, data_preparation,
get_model, get_trainer) and replicates ``run_recbole`` minus its FLOPs profiling; per-epoch times
are taken by wrapping the trainer's ``_train_epoch`` / ``_valid_epoch`` (the epoch of RecBole
includes its negative sampling, which happens while the train loader is iterated).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

MODEL_NAMES = {"bpr": "BPR", "lightgcn": "LightGCN"}


def recbole_config(job: dict[str, Any]) -> dict[str, Any]:
    """RecBole's config dict for the job: RS 8:1:1, RO, group_by user, full ranking."""
    hp = job["hparams"]
    cfg: dict[str, Any] = {
        "data_path": job["data_path"],
        "checkpoint_dir": job["checkpoint_dir"],
        "USER_ID_FIELD": "user_id", "ITEM_ID_FIELD": "item_id",
        "RATING_FIELD": "rating", "TIME_FIELD": "timestamp",
        "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]},
        "val_interval": None,  # filtering happened when the atomic file was written
        "user_inter_num_interval": "[0,inf)", "item_inter_num_interval": "[0,inf)",
        "eval_args": {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "group_by": "user", "mode": "full"},
        "metrics": ["Recall", "NDCG"], "topk": [10, 20], "valid_metric": "NDCG@10",
        "epochs": hp["epochs"], "stopping_step": hp["stopping_step"], "eval_step": 1,
        "train_batch_size": hp["batch_size"], "eval_batch_size": hp["eval_batch_size"],
        "learner": "adam", "learning_rate": hp["lr"], "weight_decay": 0.0,
        "train_neg_sample_args": {"distribution": "uniform", "sample_num": hp["n_neg"], "alpha": 1.0,
                                  "dynamic": False, "candidate_num": 0},
        "embedding_size": hp["embedding_dim"],
        "seed": job["seed"], "reproducibility": True,
        "use_gpu": False, "device": "cpu", "worker": 0, "show_progress": False,
        "state": "WARNING", "log_wandb": False, "metric_decimal_place": 6,
    }
    if job.get("split_source") == "shared":
        # recloom's split, written by export_split.py: RecBole skips its own RS split.
        cfg["benchmark_filename"] = ["train", "valid", "test"]
    if job["model"] == "lightgcn":
        cfg.update({"n_layers": hp["n_layers"], "reg_weight": hp["reg_weight"], "require_pow": False})
    return cfg


def _timed(method: Any, sink: list[float], outputs: list[Any] | None = None,
           cpu_sink: list[float] | None = None) -> Any:
    """Wrap ``method`` to log its wall seconds (and process CPU seconds, robust to a shared CPU)."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        out = method(*args, **kwargs)
        sink.append(time.perf_counter() - start)
        if cpu_sink is not None:
            cpu_sink.append(time.process_time() - cpu)
        if outputs is not None:
            outputs.append(out)
        return out
    return wrapper


def _metrics(result: dict[str, float] | None) -> dict[str, float]:
    return {k.lower(): float(v) for k, v in (result or {}).items()}


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Train and test one model; return the result document."""
    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_logger, init_seed

    torch.set_num_threads(job["threads"])
    name = MODEL_NAMES[job["model"]]
    t0 = time.perf_counter()
    config = Config(model=name, dataset=job["recbole_dataset"], config_dict=recbole_config(job))
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    prep_seconds = time.perf_counter() - t0
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(name)(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], name)(config, model)
    train_s: list[float] = []
    valid_s: list[float] = []
    valid_out: list[Any] = []
    train_cpu: list[float] = []
    trainer._train_epoch = _timed(trainer._train_epoch, train_s, cpu_sink=train_cpu)
    trainer._valid_epoch = _timed(trainer._valid_epoch, valid_s, valid_out)
    best_score, best_valid = trainer.fit(train_data, valid_data, verbose=False, saved=True)
    test_start = time.perf_counter()
    test_result = trainer.evaluate(test_data, load_best_model=True)
    test_seconds = time.perf_counter() - test_start
    sizes = {"train": len(train_data._dataset), "valid": len(valid_data._dataset),
             "test": len(test_data._dataset)}
    losses = [float(trainer.train_loss_dict[e]) for e in sorted(trainer.train_loss_dict)]
    return {
        "side": "recbole", "model": job["model"], "dataset": job["dataset"],
        "valid": _metrics(best_valid), "test": _metrics(test_result),
        "best_valid_ndcg@10": float(best_score),
        "best_epoch": len(valid_s) - 1 - trainer.cur_step, "epochs_run": len(train_s),
        "train_seconds": train_s, "train_cpu_seconds": train_cpu, "valid_seconds": valid_s,
        "test_seconds": test_seconds,
        "prep_seconds": prep_seconds, "train_loss": losses,
        "valid_curve": [float(score) for score, _ in valid_out],
        # RecBole counts the [PAD] id in user_num / item_num; report the real counts.
        "n_users": int(dataset.user_num) - 1, "n_items": int(dataset.item_num) - 1, "sizes": sizes,
        "n_batches": len(train_data),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: recbole_child.py JOB.json", file=sys.stderr)
        return 2
    with open(argv[1]) as fh:
        job = json.load(fh)
    result = run(job)
    result["versions"] = _versions()
    with open(job["out"], "w") as fh:
        json.dump(result, fh, indent=1)
    return 0


def _versions() -> dict[str, str]:
    import numpy
    import recbole
    import scipy
    import torch
    return {"recbole": recbole.__version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__}


if __name__ == "__main__":
    sys.exit(main(sys.argv))
