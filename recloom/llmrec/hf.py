"""Loading a local Hugging Face causal LM (never from a hub) and wrapping it with LoRA (peft).

``transformers`` and ``peft`` come with the ``llm`` extra (``pip install 'recloom[llm]'``); they are
imported inside the functions, with a clear error when missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recloom.errors import ConfigError


@dataclass
class LoraSettings:
    """LoRA of the EISAM paper and release (methods.md §5.3): r 8, alpha 16, dropout 0.05, q/v."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = field(default=("q_proj", "v_proj"))


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise ConfigError(f"the LLM recommender needs {module}: pip install 'recloom[llm]'") from exc


def load_causal_lm(path: str | Path, dtype: str = "float32") -> tuple[Any, Any]:
    """(model, tokenizer) from a local directory, offline. The tokenizer gets a pad token (its EOS
    when it has none)."""
    _require("transformers")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = Path(path)
    if not (directory / "config.json").is_file():
        raise ConfigError(f"{directory}: not a local Hugging Face model directory (no config.json)")
    torch_dtype = getattr(torch, dtype, None)
    if not isinstance(torch_dtype, torch.dtype):
        raise ConfigError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True, dtype=torch_dtype)
    prepare_tokenizer(tokenizer)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def prepare_tokenizer(tokenizer: Any) -> Any:
    if tokenizer.eos_token_id is None:
        raise ConfigError("the tokenizer has no EOS token; records need one to end the response")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def add_lora(model: Any, settings: LoraSettings | None = None) -> Any:
    """``model`` with LoRA adapters on ``target_modules``; only the adapters are trainable."""
    _require("peft")
    from peft import LoraConfig, get_peft_model

    s = settings or LoraSettings()
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in s.target_modules if m not in names]
    if missing:
        raise ConfigError(f"LoRA target modules {missing} do not exist in {type(model).__name__}")
    config = LoraConfig(
        r=s.r, lora_alpha=s.alpha, lora_dropout=s.dropout, target_modules=list(s.target_modules),
        bias="none", task_type="CAUSAL_LM",
    )  # fmt: skip
    return get_peft_model(model, config)
