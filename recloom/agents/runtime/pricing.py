"""Cost from a price table the user can extend.

Prices are US dollars per million tokens: ``{"model": {"input": x, "cached_input": y, "output": z}}``.
The built-in table (``prices.json``) lists a few OpenAI models at their published list prices; add
or override entries with a JSON file (``RuntimeConfig.prices_file`` / ``--prices``) or
``$RECLOOM_PRICES``. A model is matched exactly, else by the longest listed prefix (so dated
snapshots such as ``gpt-4o-mini-2024-07-18`` find ``gpt-4o-mini``). An unknown model's cost is
``None`` (reported as unknown, never as 0); non-LLM and self-hosted backends cost 0.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from recloom.agents.backends.base import Usage
from recloom.errors import ConfigError

BUILTIN_PRICES = Path(__file__).with_name("prices.json")
FREE_BACKENDS = frozenset({"local", "vllm", "vllm-server"})


class PriceTable:
    def __init__(self, prices: Mapping[str, Mapping[str, float]]) -> None:
        self._prices = {k: dict(v) for k, v in prices.items() if not k.startswith("_")}
        self._matched: dict[str, Mapping[str, float] | None] = {}  # model -> its entry (every call asks)

    @classmethod
    def load(cls, extra_file: str | Path | None = None) -> PriceTable:
        prices: dict[str, Mapping[str, float]] = dict(_read(BUILTIN_PRICES))
        for path in (os.environ.get("RECLOOM_PRICES"), extra_file):
            if path:
                prices.update(_read(Path(path)))
        return cls(prices)

    def price(self, model: str) -> Mapping[str, float] | None:
        try:
            return self._matched[model]
        except KeyError:
            pass
        if model in self._prices:
            entry: Mapping[str, float] | None = self._prices[model]
        else:
            matches = [name for name in self._prices if model.startswith(name)]
            entry = self._prices[max(matches, key=len)] if matches else None
        self._matched[model] = entry
        return entry

    def cost(self, backend: str, model: str, usage: Usage) -> float | None:
        if backend in FREE_BACKENDS:
            return 0.0
        price = self.price(model)
        if price is None:
            return None
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        fresh = usage.prompt_tokens - cached
        dollars = (
            fresh * price.get("input", 0.0)
            + cached * price.get("cached_input", price.get("input", 0.0))
            + usage.completion_tokens * price.get("output", 0.0)
        )
        return dollars / 1_000_000


def _read(path: Path) -> Mapping[str, Mapping[str, float]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"price table {path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"price table {path}: expected an object of model -> prices")
    for model, entry in data.items():
        if model.startswith("_"):
            continue
        if not isinstance(entry, dict) or not all(isinstance(v, int | float) for v in entry.values()):
            raise ConfigError(
                f"price table {path}: entry {model!r} must map input/cached_input/output to numbers"
            )
    return data
