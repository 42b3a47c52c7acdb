"""``recloom train``: train and evaluate one recommender, write a JSON report and the checkpoint.

    recloom train lightgcn --data ml-100k --split recbole --epochs 200 --out runs/lightgcn-ml100k
    recloom train sasrec --data ml-1m --split sasrec --hp maxlen=50 --hp loss=ce --out runs/sasrec
    recloom train mf --data runs/my-dataset --split runs/splits/my-split --out runs/mf
    recloom train sasrec --data ml-1m --split sasrec --optimizer eisam --opt rho=0.05 --opt gamma=50
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recloom.cli.data_cmd import parse_param
from recloom.errors import ConfigError


def _int_list(text: str, option: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: expected comma-separated integers") from exc
    if not values or min(values) < 1:
        raise ConfigError(f"{option} {text!r}: expected positive integers")
    return values


def train(
    model: Annotated[str, typer.Argument(help="mf (bpr), lightgcn, ngcf or sasrec.")],
    data: Annotated[str, typer.Option("--data", help="Dataset name (ml-100k, ml-1m, amazon-scientific) "
                                      "or a directory written by Dataset.save.")],
    split: Annotated[str, typer.Option("--split", help="Splitter or preset name (see `recloom data list`), "
                                       "or a saved split directory.")],
    out: Annotated[Path, typer.Option(help="Output directory: report.json, model.pt.")] = Path("runs/train"),
    epochs: Annotated[int, typer.Option(help="Maximum number of epochs.")] = 300,
    batch_size: Annotated[int, typer.Option(help="Training samples per batch.")] = 2048,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-3,
    seed: Annotated[int, typer.Option(help="Seed of init, sampling, dropout and the split.")] = 2020,
    patience: Annotated[int, typer.Option(help="Validations without gain before stopping (0: never).")] = 10,
    monitor: Annotated[str, typer.Option(help="Validation metric for early stopping.")] = "ndcg@10",
    ks: Annotated[str, typer.Option(help="Cutoffs, comma-separated.")] = "10,20",
    n_neg: Annotated[int, typer.Option(help="Negatives per positive (pairwise models, SASRec BCE).")] = 1,
    hp: Annotated[list[str] | None, typer.Option(help="Model hyperparameter key=value (repeat).")] = None,
    split_param: Annotated[list[str] | None, typer.Option(help="Splitter parameter key=value.")] = None,
    min_rating: Annotated[float | None, typer.Option(help="Keep ratings >= this as positives.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (else $RECLOOM_DATA).")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    optimizer: Annotated[str, typer.Option(help="Step rule: plain, sam, eisam, groupsam or rw (weights and "
                                           "head/tail groups from the training targets).")] = "plain",
    opt: Annotated[list[str] | None, typer.Option(help="Step-rule option key=value (repeat), e.g. rho=0.05, "
                                                  "lam=0.5, gamma=50, code_variant=true.")] = None,
) -> None:
    """Train MODEL on a dataset split, evaluate on its test part, write report.json and model.pt."""
    import numpy as np

    from recloom.pipelines.eisam_eval import RULES, make_step_rule
    from recloom.recmodels.checkpoint import load_split_and_dataset, save_run
    from recloom.recmodels.experiment import run_experiment
    from recloom.recmodels.registry import model_class
    from recloom.recmodels.trainer import TrainConfig

    model_class(model)  # fail on an unknown name before loading data
    if optimizer not in RULES:
        raise ConfigError(f"--optimizer {optimizer!r}: choose one of {', '.join(RULES)}")
    rule_params = dict(parse_param(p) for p in opt or [])
    make_step_rule(optimizer, np.arange(10), 10, **rule_params)  # bad options fail before loading data
    cutoffs = _int_list(ks, "--ks")
    hparams = dict(parse_param(p) for p in hp or [])
    split_params = dict(parse_param(p) for p in split_param or [])
    dataset, the_split = load_split_and_dataset(data, split, split_params, seed, min_rating, data_dir)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience,
                         monitor=monitor, quiet=quiet)
    trained, report = run_experiment(model, the_split, dataset=dataset, hparams=hparams, train_config=config,
                                     ks=cutoffs, n_neg=n_neg, step_rule=lambda data: make_step_rule(
                                         optimizer, data.item, the_split.n_items, **rule_params))
    report["optimizer"] = {"rule": optimizer, "options": rule_params}
    save_run(out, trained, report, dataset)
    summary = {k: round(v, 4) for k, v in report["test_metrics"].items() if "/" not in k and "@" in k}
    typer.echo(json.dumps({"out": str(out), "best_epoch": report["best_epoch"], "test": summary}))
