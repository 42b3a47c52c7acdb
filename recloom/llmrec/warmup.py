"""The prior probe's format-only warm-up (EISAM seed 004 Sec. 4 step 2; methods.md §5.2, §5.6):
a lightweight LoRA fine-tune of the *base* LLM on synthetic records whose outputs are k distinct
titles drawn uniformly from the catalogue (so no popularity signal is injected), after which the
adapters are merged and the model is saved as a plain local HF model directory, ready to be
served (vLLM) or loaded (``--backend vllm --model DIR``) for ``recloom probe run`` and used as the
hidden-state grounding encoder (``recloom probe ground --encoder hidden --model DIR``).

The paper gives no size for the synthetic set; §5.6 proposes 64-256 examples, 1 epoch, the same
LoRA configuration as the recommender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recloom.errors import ArtifactError
from recloom.llmrec.alpaca import format_warmup_records
from recloom.llmrec.bigrec import BIGRec, BIGRecConfig
from recloom.llmrec.data import RecordData
from recloom.llmrec.hf import load_causal_lm
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything


@dataclass
class WarmupConfig:
    n_examples: int = 128
    k: int = 10
    history: int = 10
    seed: int = 0
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(epochs=1, batch_size=8, lr=1e-3, quiet=True)
    )
    model: BIGRecConfig = field(default_factory=BIGRecConfig)


def format_warmup(
    model_dir: str | Path, titles: Sequence[str], out_dir: str | Path, config: WarmupConfig | None = None
) -> dict[str, Any]:
    """LoRA-tune the model at ``model_dir`` on the synthetic format set, merge, save to ``out_dir``."""
    c = config or WarmupConfig()
    out = Path(out_dir)
    if (out / "config.json").exists():
        raise ArtifactError(f"{out} already holds a model; give a new directory")
    seed_everything(c.seed)
    lm, tokenizer = load_causal_lm(model_dir)
    recs = format_warmup_records(titles, c.n_examples, c.k, c.history, c.seed)
    model = BIGRec(lm, tokenizer, list(titles), c.model)
    data = RecordData(tokenizer, recs, np.zeros(len(recs), dtype=np.int64), cutoff=c.model.cutoff)
    result = Trainer(model, data, TrainConfig(**{**c.train.__dict__, "seed": c.seed})).fit()
    merged = model.lm.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {
        "base_model": str(model_dir),
        "out": str(out),
        "examples": len(recs),
        "k": c.k,
        "losses": [round(e.loss, 5) for e in result.history],
    }
