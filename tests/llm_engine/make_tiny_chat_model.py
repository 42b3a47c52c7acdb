"""Build a tiny Llama chat model for recloom's real-engine tests, fully offline (no hub, no weights).

Steps:
1. a byte-level BPE tokenizer (2k tokens) is trained with ``tokenizers`` on this Python's own
   standard-library sources plus some JSON, with all 256 bytes in the alphabet so any text encodes;
2. it is wrapped as a ``transformers`` fast tokenizer with a small chat template
   (``<|system|>``/``<|user|>``/``<|assistant|>`` ... ``<|end|>``);
3. a random 2-layer Llama is built (hidden 128, 4 heads: head_dim 32, the smallest size vLLM's CPU
   attention supports);
4. it is trained for a few hundred steps on chats whose answers are short JSON objects, so that under
   any JSON-schema grammar it closes its strings and stops (an untrained model rambles to max_tokens).

The content it writes is meaningless; the tests assert validity, finish reasons, usage and caching.
Runs in the engine venv (torch, transformers, tokenizers come with vLLM):
    python make_tiny_chat_model.py OUT_DIR [--train-steps 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<|endoftext|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
VOCAB = (
    "movie book item user genre drama comedy action sci-fi romance thriller history music art "
    "sport travel food game red blue fast slow old new good bad yes no ok long short fan kid"
).split()
KEYS = VOCAB[:12] + ["name", "title", "score", "tags", "ids", "reason", "label", "count", "items", "id"]


def tokenizer_corpus(max_chars: int = 3_000_000) -> Iterator[str]:
    """Standard-library Python sources (plenty of quotes, brackets, digits) and some JSON."""
    total = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        yield text
        total += len(text)
        if total >= max_chars:
            break
    rng = random.Random(1)
    for _ in range(2000):
        yield json.dumps(random_object(rng)) + " " + " ".join(rng.choices(VOCAB, k=8))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return " ".join(rng.choices(VOCAB, k=rng.randint(1, 3)))
    if roll < 0.60:
        return rng.randint(0, 100)
    if roll < 0.67:
        return round(rng.uniform(0, 10), 2)
    if roll < 0.75:
        return rng.random() < 0.5
    if roll < 0.78:
        return None
    if roll < 0.92 and depth < 2:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2:
        return random_object(rng, depth + 1)
    return rng.choice(VOCAB)


def random_object(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    return {rng.choice(KEYS): random_value(rng, depth) for _ in range(rng.randint(1, 4))}


def training_text(tok: PreTrainedTokenizerFast, rng: random.Random) -> str:
    """One chat (optional system turn, a short user turn) followed by a compact JSON answer."""
    messages = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": "Answer in JSON. " + " ".join(rng.choices(VOCAB, k=4))})
    messages.append({"role": "user", "content": " ".join(rng.choices(VOCAB, k=rng.randint(2, 10)))})
    prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    separators = (",", ":") if rng.random() < 0.6 else (", ", ": ")
    return prompt + json.dumps(random_object(rng), separators=separators) + tok.eos_token


def build_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(tokenizer_corpus(), trainer=trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|endoftext|>",
        eos_token="<|end|>",
        pad_token="<|endoftext|>",
        model_max_length=2048,
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def build_model(tok: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config)


def train(model: LlamaForCausalLM, tok: PreTrainedTokenizerFast, steps: int, rng: random.Random) -> float:
    """Next-token training on whole chats; returns the last batch loss."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        batch = tok(
            [training_text(tok, rng) for _ in range(32)],
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=160,
            add_special_tokens=False,
        )
        labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    return float(loss.item())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    tok = build_tokenizer(args.vocab)
    model = build_model(tok)
    final_loss = train(model, tok, args.train_steps, rng) if args.train_steps else float("nan")
    args.out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(args.out)
    model.generation_config.update(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    model.save_pretrained(args.out, safe_serialization=True)
    summary = {
        "out": str(args.out),
        "vocab": len(tok),
        "params": sum(p.numel() for p in model.parameters()),
        "train_steps": args.train_steps,
        "final_loss": round(final_loss, 3),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
