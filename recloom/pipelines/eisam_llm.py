"""BIGRec-style LLM recommender on the EISAM protocol: Alpaca records from the protocol sequences,
LoRA training of a local HF causal LM through recloom's Trainer with any step rule, then
generation + grounding -> full ranking -> NDCG@10 / HR@10 overall, head / tail (and P×D cells).

    data = eisam_sequences(load_dataset("ml-1m"), max_train=65_536)
    report = bigrec_experiment("path/to/llama", data, "eisam", n_eval=2000)

CPU with a tiny model runs this in a test; a Llama-class model wants a GPU (``device="cuda"``).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from recloom.data import SequenceExamples
from recloom.errors import ConfigError
from recloom.llmrec.alpaca import records
from recloom.llmrec.bigrec import BIGRec, BIGRecConfig
from recloom.llmrec.data import RecordData, prompt_inputs
from recloom.llmrec.hf import load_causal_lm
from recloom.pipelines.eisam_data import EisamData, take
from recloom.pipelines.eisam_eval import (
    DEFAULT_RULE_PARAMS,
    StepTimer,
    group_metrics,
    groupings_for,
    make_step_rule,
    truth_matrix,
)
from recloom.recmodels.evaluation import EvalData
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything


def sequence_records(ex: SequenceExamples, titles: list[str]) -> list[dict[str, str]]:
    """One Alpaca record per sequence: history titles -> target title."""
    hist = [[titles[i] for i in h] for h in ex.histories()]
    return records(hist, [titles[int(t)] for t in ex.single_targets()])


def eval_subset(ex: SequenceExamples, n: int | None, seed: int) -> SequenceExamples:
    if n is None or n >= len(ex):
        return ex
    if n < 1:
        raise ConfigError(f"n_eval must be >= 1, got {n}")
    return take(ex, np.sort(np.random.default_rng(seed).choice(len(ex), size=n, replace=False)))


def bigrec_experiment(
    model_dir: str | Path,
    data: EisamData,
    rule: str = "plain",
    *,
    seed: int = 0,
    n_eval: int | None = 1000,
    train_config: TrainConfig | None = None,
    config: BIGRecConfig | None = None,
    rule_params: dict[str, Any] | None = None,
    cells: np.ndarray | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Train BIGRec (LoRA on the model at ``model_dir``) with ``rule``; evaluate on ``n_eval`` test
    sequences. Returns the report (metrics, per-epoch seconds, sample generations)."""
    cfg = train_config or TrainConfig(epochs=1, batch_size=16, lr=1e-3, patience=0, quiet=True)
    cfg = TrainConfig(**{**asdict(cfg), "seed": seed})
    seed_everything(seed)
    lm, tokenizer = load_causal_lm(model_dir)
    titles = data.titles()
    model = BIGRec(lm, tokenizer, titles, config).to(device)
    targets = data.train.single_targets()
    train = RecordData(
        tokenizer,
        sequence_records(data.train, titles),
        targets,
        cutoff=model.config.cutoff,
        train_on_inputs=model.config.train_on_inputs,
    )
    test_ex = eval_subset(data.test, n_eval, seed)
    test = EvalData(
        prompt_inputs(tokenizer, sequence_records(test_ex, titles), model.config.cutoff),
        truth_matrix(test_ex, data.n_items),
    )
    step = make_step_rule(rule, targets, data.n_items, **(rule_params or {}))
    started = time.perf_counter()
    timer = StepTimer(step)
    result = Trainer(model, train, cfg, step_rule=timer, callbacks=[timer]).fit()
    wall = time.perf_counter() - started
    metrics = group_metrics(model, test, groupings_for(data, cells), batch_size=model.config.gen_batch_size)
    return {
        "model": str(model_dir),
        "rule": rule,
        "seed": seed,
        "rule_params": {**DEFAULT_RULE_PARAMS.get(rule, {}), **(rule_params or {})},
        "train_sequences": len(train),
        "eval_sequences": len(test_ex),
        "losses": [round(e.loss, 5) for e in result.history],
        "seconds_per_epoch": [round(s, 3) for s in result.epoch_seconds],
        "cpu_seconds_per_epoch": [round(s, 3) for s in timer.cpu],
        "train_wall_seconds": round(wall, 2),
        "test": metrics,
        "sample_generations": model.last_generations[:5],
    }
