"""Alpaca-format instruction records of the LLM recommenders (BIGRec / TALLRec style; methods.md §5.1)
and the synthetic format warm-up set of the prior probe (§5.6). No torch.

A record has three strings: ``instruction`` (one fixed sentence per domain asking for one new
item), ``input`` (a fixed lead-in, then the <= 10 history titles in double quotes, comma-separated,
duplicates kept) and ``output`` (the target title). It is rendered with the standard Alpaca
template; training appends the tokenizer's EOS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recloom.errors import ConfigError

ALPACA_HEADER = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
)


@dataclass(frozen=True)
class Domain:
    """The domain's fixed sentences: one item, many items, and the input lead-in."""

    instruction: str
    probe_instruction: str
    lead_in: str


DOMAINS = {
    "movies": Domain(
        instruction=(
            "Given a list of movies the user has watched before, recommend one new movie that the user "
            "will like."
        ),
        probe_instruction=(
            "Given the movies the user has watched, recommend exactly {k} different new movies the user "
            "would like. Answer with one title per line, numbered 1-{k}, titles only."
        ),
        lead_in="The user has watched the following movies before: ",
    ),
}


def domain(name: str) -> Domain:
    if name not in DOMAINS:
        raise ConfigError(f"unknown record domain {name!r}; known: {', '.join(sorted(DOMAINS))}")
    return DOMAINS[name]


def history_input(titles: Sequence[str], name: str = "movies") -> str:
    return domain(name).lead_in + ", ".join(f'"{t}"' for t in titles)


def record(history: Sequence[str], target: str, name: str = "movies") -> dict[str, str]:
    """One BIGRec training record."""
    return {"instruction": domain(name).instruction, "input": history_input(history, name), "output": target}


def records(
    histories: Sequence[Sequence[str]], targets: Sequence[str], name: str = "movies"
) -> list[dict[str, str]]:
    if len(histories) != len(targets):
        raise ConfigError(f"{len(histories)} histories but {len(targets)} targets")
    return [record(h, t, name) for h, t in zip(histories, targets, strict=True)]


def prompt(rec: dict[str, str]) -> str:
    """The Alpaca prompt up to and including "### Response:\\n" (what generation continues)."""
    body = f"### Instruction:\n{rec['instruction']}\n\n"
    if rec.get("input"):
        body += f"### Input:\n{rec['input']}\n\n"
    return ALPACA_HEADER + body + "### Response:\n"


def full_text(rec: dict[str, str]) -> str:
    """Prompt and response (the EOS token is appended at tokenisation)."""
    return prompt(rec) + rec["output"]


def format_warmup_records(
    titles: Sequence[str], n: int, k: int = 10, history: int = 10, seed: int = 0, name: str = "movies"
) -> list[dict[str, str]]:
    """The probe's format-only warm-up set (§5.6): random histories and, as output, k distinct titles
    drawn uniformly from the catalogue, numbered one per line (no popularity signal is injected)."""
    if len(titles) < k + history:
        raise ConfigError(
            f"need at least k + history = {k + history} titles, the catalogue has {len(titles)}"
        )
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        picked = rng.choice(len(titles), size=k + int(rng.integers(1, history + 1)), replace=False)
        hist, recs = picked[k:], picked[:k]
        listing = "\n".join(f"{j}. {titles[i]}" for j, i in enumerate(recs, 1))
        out.append(
            {
                "instruction": domain(name).probe_instruction.format(k=k),
                "input": history_input([titles[i] for i in hist], name),
                "output": listing,
            }
        )
    return out
