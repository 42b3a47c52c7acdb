"""BIGRec-style LLM recommender on a tiny Llama built locally in the test (no hub): records,
per-sample loss against Hugging Face's own loss, padding invariance of loss and grounding vectors,
LoRA-only updates through the Trainer with plain and EISAM steps, and end-to-end evaluation on
real MovieLens-1M protocol sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_llama import build_tiny_llama

from recloom.agents.probe import TextEncoder, ground
from recloom.data.loaders import load_dataset
from recloom.llmrec.alpaca import format_warmup_records, full_text, prompt, record
from recloom.llmrec.bigrec import BIGRec, BIGRecConfig
from recloom.llmrec.data import RecordData
from recloom.llmrec.grounding import HiddenStateEncoder, last_token_states
from recloom.llmrec.hf import LoraSettings, load_causal_lm
from recloom.pipelines.eisam_data import EisamData, eisam_sequences
from recloom.pipelines.eisam_eval import make_step_rule
from recloom.pipelines.eisam_llm import bigrec_experiment, sequence_records
from recloom.recmodels.trainer import TrainConfig, Trainer

# peft still calls transformers' deprecated is_gradient_checkpointing (a FutureWarning, not ours)
pytestmark = pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
SMALL = BIGRecConfig(lora=LoraSettings(r=4, alpha=8, dropout=0.0), max_new_tokens=12, embed_batch_size=256)


@pytest.fixture(scope="module")
def data() -> EisamData:
    return eisam_sequences(load_dataset("ml-1m"), max_train=48, max_test=200, seed=0)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, data: EisamData) -> Path:
    titles = data.titles()
    corpus = titles + [full_text(r) for r in sequence_records(data.train, titles)[:20]]
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), corpus)


def test_alpaca_records() -> None:
    rec = record(["Heat (1995)", "Heat (1995)"], "Casino (1995)")
    assert rec["input"].endswith('"Heat (1995)", "Heat (1995)"')  # quoted, duplicates kept
    assert rec["output"] == "Casino (1995)"
    assert prompt(rec).endswith("### Response:\n") and "### Input:\n" in prompt(rec)
    assert full_text(rec) == prompt(rec) + "Casino (1995)"
    titles = [f"T{i}" for i in range(40)]
    for warm in format_warmup_records(titles, 5, k=10, seed=1):
        lines = warm["output"].splitlines()
        assert [line.split(". ", 1)[0] for line in lines] == [str(j) for j in range(1, 11)]
        picked = {line.split(". ", 1)[1] for line in lines}
        assert len(picked) == 10 and not any(f'"{t}"' in warm["input"] for t in picked)


def test_per_sample_loss_is_the_mean_token_cross_entropy_and_ignores_padding(
    model_dir: Path, data: EisamData
) -> None:
    lm, tok = load_causal_lm(model_dir)
    model = BIGRec(lm, tok, data.titles(), SMALL).eval()
    recs = sequence_records(data.train, data.titles())[:3]
    batch_data = RecordData(tok, recs, data.train.single_targets()[:3])
    together = model.per_sample_loss(batch_data.batch(np.arange(3)))
    for k in range(3):
        alone = batch_data.batch(np.array([k]))
        reference = lm(input_ids=alone["input_ids"], labels=alone["input_ids"]).loss  # HF: mean token CE
        torch.testing.assert_close(model.per_sample_loss(alone)[0], reference, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(together[k], reference, atol=1e-4, rtol=1e-4)
    response_only = RecordData(tok, recs, data.train.single_targets()[:3], train_on_inputs=False).batch(
        np.arange(3)
    )
    assert response_only["loss_mask"].sum() < batch_data.batch(np.arange(3))["loss_mask"].sum()


def test_grounding_vectors_use_the_last_real_token_under_left_padding(model_dir: Path) -> None:
    lm, tok = load_causal_lm(model_dir)
    texts = ["Heat (1995)", "Star Wars: Episode IV - A New Hope (1977)"]
    batched = last_token_states(lm, tok, texts, batch_size=2)
    alone = torch.cat([last_token_states(lm, tok, [t]) for t in texts])
    torch.testing.assert_close(batched, alone, atol=1e-4, rtol=1e-4)
    encoder = HiddenStateEncoder(lm, tok)
    assert isinstance(encoder, TextEncoder)
    result = ground([["Heat (1995)", "heat"]], ["Casino (1995)", "Heat (1995)", "Fargo (1996)"], encoder)
    assert result.sequences[0].items[0] == 1 and result.sequences[0].distances[0] == pytest.approx(
        0.0, abs=1e-4
    )
    assert len(set(result.sequences[0].items)) == 2


@pytest.mark.parametrize("rule", ["plain", "eisam"])
def test_lora_steps_change_only_adapters_and_fit_the_records(
    model_dir: Path, data: EisamData, rule: str
) -> None:
    lm, tok = load_causal_lm(model_dir)
    torch.manual_seed(0)
    model = BIGRec(lm, tok, data.titles(), SMALL)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    targets = data.train.single_targets()[:16]
    train = RecordData(tok, sequence_records(data.train, data.titles())[:16], targets)
    step = make_step_rule(rule, targets, data.n_items)
    result = Trainer(
        model, train, TrainConfig(epochs=3, batch_size=8, lr=5e-3, quiet=True, seed=0), step_rule=step
    ).fit()
    losses = [e.loss for e in result.history]
    assert losses[-1] < losses[0]
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and changed <= trainable


def test_bigrec_trains_and_evaluates_end_to_end(model_dir: Path, data: EisamData) -> None:
    cells = np.arange(data.n_items) % 4  # any item -> cell map: the cell metrics must appear
    report = bigrec_experiment(
        model_dir,
        data,
        "eisam",
        n_eval=12,
        config=SMALL,
        cells=cells,
        train_config=TrainConfig(epochs=1, batch_size=16, lr=1e-3, quiet=True),
    )
    test = report["test"]
    assert report["train_sequences"] == 48 and report["eval_sequences"] == 12
    assert 0.0 <= test["ndcg@10"] <= test["hr@10"] <= 1.0 and test["n_rows"] == 12
    # every test target lies in exactly one data group and one cell
    assert test.get("n_rows/head", 0) + test.get("n_rows/tail", 0) == 12
    assert sum(test.get(f"n_rows/{c}", 0) for c in ("ph_dh", "ph_dt", "pt_dh", "pt_dt")) == 12
    assert all(0.0 <= v <= 1.0 for k, v in test.items() if k.startswith(("ndcg@10/", "hr@10/")))
    assert len(report["seconds_per_epoch"]) == 1 and report["sample_generations"]


def test_format_warmup_merges_adapters_into_a_loadable_model(
    model_dir: Path, data: EisamData, tmp_path: Path
) -> None:
    from recloom.llmrec.warmup import WarmupConfig, format_warmup

    config = WarmupConfig(
        n_examples=8,
        k=3,
        history=3,
        model=SMALL,
        train=TrainConfig(epochs=1, batch_size=4, lr=1e-2, quiet=True),
    )
    report = format_warmup(model_dir, data.titles()[:200], tmp_path / "warm", config)
    assert report["examples"] == 8 and len(report["losses"]) == 1
    base, _ = load_causal_lm(model_dir)
    warm, tok = load_causal_lm(tmp_path / "warm")
    names = dict(warm.named_parameters())
    assert not any("lora" in n for n in names)
    changed = [n for n, p in base.named_parameters() if not torch.equal(p, names[n])]
    assert changed and all(n.endswith(("q_proj.weight", "v_proj.weight")) for n in changed)
    assert tok.eos_token_id is not None
