"""BIGRec-style LLM recommender over any local Hugging Face causal LM with LoRA.

Paper: K. Bao, J. Zhang, W. Wang, Y. Zhang, Z. Yang, Y. Luo, C. Chen, F. Feng, Q. Tian, "A Bi-Step
Grounding Paradigm for Large Language Models in Recommendation Systems", 2023 — the LRS backbone of
EISAM (seed 004; methods.md §5.1-5.3). Step 1: the LLM, instruction-tuned with LoRA on Alpaca
records, *generates* a title for a history; step 2: the generated text is *grounded* to the
catalogue by the L2 distance between last-token last-layer hidden states of the generation and of
every item title (the same, adapted model), which gives a full ranking.

As a :class:`~recloom.recmodels.base.Recommender` it trains through recloom's ``Trainer`` and any
``StepRule`` (plain, SAM, EISAM, GroupSAM, RW):
- ``per_sample_loss``: mean token cross-entropy of each record (labels = input ids, shifted; the
  loss mask of :mod:`recloom.llmrec.data` selects the tokens), Tensor[B];
- ``full_scores``: greedy generation (``max_new_tokens``), then -L2 distance to every item title
  embedding (cached until the next training step), Tensor[B, n_items].
On CPU with a tiny model this runs in a test; with a Llama-class model it is the GPU path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from recloom.errors import ConfigError
from recloom.llmrec.grounding import last_token_states
from recloom.llmrec.hf import LoraSettings, add_lora
from recloom.recmodels.base import Batch, Recommender


@dataclass
class BIGRecConfig:
    """Hyperparameters (paper/release values in methods.md §5.3; generation max 128 tokens there)."""

    lora: LoraSettings = field(default_factory=LoraSettings)
    cutoff: int = 512  # tokens per training record
    train_on_inputs: bool = True  # loss over prompt and response tokens (release)
    max_new_tokens: int = 64  # greedy generation length
    gen_batch_size: int = 16  # prompts generated at once
    embed_batch_size: int = 64  # titles / generations embedded at once
    title_max_length: int = 64  # tokens kept of a title or a generation when embedding


class BIGRec(Recommender):
    """Generate-then-ground recommender; ``lm`` is a causal LM (LoRA is added unless it has it)."""

    def __init__(
        self,
        lm: Any,
        tokenizer: Any,
        item_titles: Sequence[str],
        config: BIGRecConfig | None = None,
        *,
        add_adapters: bool = True,
    ) -> None:
        super().__init__(1, len(item_titles))
        self.config = config or BIGRecConfig()
        self.lm = add_lora(lm, self.config.lora) if add_adapters else lm
        self.tokenizer = tokenizer
        self.item_titles = list(item_titles)
        self._item_states: Tensor | None = None
        self.last_generations: list[str] = []
        if not any(p.requires_grad for p in self.lm.parameters()):
            raise ConfigError("the language model has no trainable parameter (LoRA adapters missing)")

    def invalidate_cache(self) -> None:
        self._item_states = None

    def per_sample_loss(self, batch: Batch) -> Tensor:
        ids, mask = batch["input_ids"], batch["attention_mask"]
        self._item_states = None  # the weights are about to change
        logits = self.lm(input_ids=ids, attention_mask=mask).logits[:, :-1, :]
        targets = ids[:, 1:]
        keep = batch["loss_mask"][:, 1:].to(logits.dtype)
        token_ce = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction="none"
        ).view_as(keep)
        return (token_ce * keep).sum(1) / keep.sum(1).clamp_min(1.0)

    @torch.no_grad()
    def generate(self, prompt_ids: Tensor, prompt_mask: Tensor) -> list[str]:
        """Greedy continuations of left-padded prompts, decoded and stripped."""
        out: list[str] = []
        tok = self.tokenizer
        for start in range(0, len(prompt_ids), self.config.gen_batch_size):
            ids = prompt_ids[start : start + self.config.gen_batch_size]
            mask = prompt_mask[start : start + self.config.gen_batch_size]
            gen = self.lm.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=self.config.max_new_tokens,
                do_sample=False,
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
            )
            new = gen[:, ids.shape[1] :]
            out.extend(t.strip() for t in tok.batch_decode(new, skip_special_tokens=True))
        return out

    def embed(self, texts: Sequence[str]) -> Tensor:
        c = self.config
        return last_token_states(self.lm, self.tokenizer, texts, c.embed_batch_size, c.title_max_length)

    def item_states(self) -> Tensor:
        if self._item_states is None:
            self._item_states = self.embed(self.item_titles)
        return self._item_states

    @torch.no_grad()
    def full_scores(self, batch: Batch) -> Tensor:
        texts = self.generate(batch["prompt_ids"], batch["prompt_mask"])
        self.last_generations = texts
        queries = self.embed(texts)
        return -torch.cdist(queries, self.item_states(), p=2)
