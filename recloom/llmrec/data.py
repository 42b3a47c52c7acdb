"""Token batches of the LLM recommender: training (Alpaca record + EOS, right-padded) and
evaluation prompts (left-padded, for generation).

A training batch follows the recmodels contract (``item`` = target item per sample) and carries
``input_ids``, ``attention_mask`` and ``loss_mask`` (LongTensor/BoolTensor[B, T]); the loss covers
prompt and response tokens (BIGRec's ``train_on_inputs``, methods.md §5.1 **[CODE]**), or only the
response with ``train_on_inputs=False``. An evaluation batch carries ``prompt_ids`` and
``prompt_mask`` [B, P]. Records are cut at ``cutoff`` tokens (512) keeping the beginning.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from recloom.errors import DataError
from recloom.llmrec.alpaca import full_text, prompt
from recloom.recmodels.base import Batch


def tokenize_records(
    tokenizer: Any, recs: Sequence[dict[str, str]], cutoff: int = 512, train_on_inputs: bool = True
) -> tuple[list[list[int]], list[int]]:
    """Token ids of prompt + response + EOS per record, and where the loss starts in each."""
    ids, starts = [], []
    for rec in recs:
        full = tokenizer(full_text(rec), add_special_tokens=True, truncation=True, max_length=cutoff - 1)[
            "input_ids"
        ]
        tokens = list(full) + [tokenizer.eos_token_id]
        start = 0
        if not train_on_inputs:
            start = min(len(tokenizer(prompt(rec), add_special_tokens=True)["input_ids"]), len(tokens) - 1)
        ids.append(tokens)
        starts.append(start)
    return ids, starts


def pad(rows: Sequence[Sequence[int]], pad_id: int, side: str = "right") -> tuple[torch.Tensor, torch.Tensor]:
    """(LongTensor[N, T] ids, LongTensor[N, T] attention mask) padded on ``side``."""
    width = max((len(r) for r in rows), default=0)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for k, row in enumerate(rows):
        n = len(row)
        cols = slice(0, n) if side == "right" else slice(width - n, width)
        ids[k, cols] = torch.tensor(list(row), dtype=torch.long)
        mask[k, cols] = 1
    return ids, mask


class RecordData:
    """Tokenised training records with their target items (and optional per-sample weights)."""

    def __init__(
        self,
        tokenizer: Any,
        recs: Sequence[dict[str, str]],
        items: np.ndarray,
        *,
        cutoff: int = 512,
        train_on_inputs: bool = True,
        weight: np.ndarray | None = None,
    ) -> None:
        self.item = np.asarray(items, dtype=np.int64)
        if len(self.item) != len(recs):
            raise DataError(f"{len(recs)} records but {len(self.item)} target items")
        self.ids, self.starts = tokenize_records(tokenizer, recs, cutoff, train_on_inputs)
        self.pad_id = int(tokenizer.pad_token_id)
        self.weight = None if weight is None else np.asarray(weight, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.item)

    def batch(self, idx: np.ndarray) -> Batch:
        ids, mask = pad([self.ids[i] for i in idx], self.pad_id, "right")
        loss_mask = mask.bool().clone()
        for row, i in enumerate(idx):
            loss_mask[row, : self.starts[i]] = False
        out: Batch = {
            "input_ids": ids,
            "attention_mask": mask,
            "loss_mask": loss_mask,
            "item": torch.from_numpy(self.item[idx]),
        }
        if self.weight is not None:
            out["weight"] = torch.from_numpy(self.weight[idx])
        return out

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(len(self.item))
        for start in range(0, len(order), batch_size):
            yield self.batch(order[start : start + batch_size])


def prompt_inputs(
    tokenizer: Any, recs: Sequence[dict[str, str]], cutoff: int = 512
) -> dict[str, torch.Tensor]:
    """Left-padded prompt tokens of evaluation records: ``prompt_ids``, ``prompt_mask``."""
    rows = [
        tokenizer(prompt(r), add_special_tokens=True, truncation=True, max_length=cutoff)["input_ids"]
        for r in recs
    ]
    ids, mask = pad(rows, int(tokenizer.pad_token_id), "left")
    return {"prompt_ids": ids, "prompt_mask": mask}
