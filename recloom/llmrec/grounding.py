"""BIGRec's grounding encoder: the last-layer hidden state of the final token of a text, from a
causal LM (Bao et al., "A Bi-Step Grounding Paradigm for Large Language Models in Recommendation
Systems", 2023; methods.md §5.2 "BIGRec grounding details").

Texts are tokenised in batches with **left padding**, so position -1 is always the text's last
real token (with right padding it would be a pad token). Vectors are compared by L2 distance
(``torch.cdist(p=2)``). :class:`HiddenStateEncoder` satisfies the probe's ``TextEncoder``
protocol (``name`` + ``encode(texts) -> float32[n, d]``), so it is interchangeable with MiniLM.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from recloom.errors import ConfigError


@torch.no_grad()
def last_token_states(
    model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 32, max_length: int = 128
) -> Tensor:
    """float32[len(texts), hidden]: ``hidden_states[-1][:, -1, :]`` with left padding."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    was_training = model.training
    model.eval()
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    filler = tokenizer.eos_token or " "
    texts = [t if t.strip() else filler for t in texts]  # an empty text has no last token
    out: list[Tensor] = []
    try:
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(
                list(texts[start : start + batch_size]),
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=max_length,
                add_special_tokens=False,
            )
            hidden = model(
                input_ids=enc["input_ids"].to(device),
                attention_mask=enc["attention_mask"].to(device),
                output_hidden_states=True,
            ).hidden_states[-1]
            out.append(hidden[:, -1, :].float().cpu())
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    if not out:
        return torch.zeros((0, int(model.config.hidden_size)))
    return torch.cat(out)


class HiddenStateEncoder:
    """Texts -> last-token last-layer hidden states of a (possibly LoRA-adapted) causal LM."""

    def __init__(
        self, model: Any, tokenizer: Any, *, name: str = "hidden", batch_size: int = 32, max_length: int = 128
    ) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.name, self.batch_size, self.max_length = name, batch_size, max_length

    @classmethod
    def from_pretrained(
        cls, path: str | Path, *, batch_size: int = 32, dtype: str = "float32"
    ) -> HiddenStateEncoder:
        from recloom.llmrec.hf import load_causal_lm

        model, tokenizer = load_causal_lm(path, dtype)
        return cls(model, tokenizer, name=f"hidden:{Path(path).name}", batch_size=batch_size)

    def encode_tensor(self, texts: Sequence[str]) -> Tensor:
        return last_token_states(self.model, self.tokenizer, texts, self.batch_size, self.max_length)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_tensor(texts).numpy().astype(np.float32)
