"""``RuntimeConfig``: every knob of a run, as plain data (so a distributed executor can ship it).

Secrets never live here: API keys come from the environment when a backend builds its client.
``public_dict`` is what manifests record (credentials in URLs stripped, non-JSON options named only).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from recloom.cache.modes import CacheMode
from recloom.errors import ConfigError


def default_cache_dir() -> Path:
    """``$RECLOOM_CACHE_DIR``, else ``.cache/recloom`` under the current directory."""
    return Path(os.environ.get("RECLOOM_CACHE_DIR") or Path.cwd() / ".cache" / "recloom")


@dataclass
class RuntimeConfig:
    backend: str = "local"
    model: str = ""
    base_url: str | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    cache_dir: str | None = None
    cache_mode: str = "rw"
    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    max_reasks: int = 2
    transport_retries: int = 6
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 120.0
    request_timeout_s: float = 120.0
    temperature: float = 0.0
    max_tokens: int | None = None
    max_tokens_cap: int = 8192
    top_p: float = 1.0
    seed: int | None = 0
    prices_file: str | None = None
    progress: bool = True
    local_context_id: str = ""
    on_replay_miss: str = "raise"
    runs_dir: str | None = None  # when set, every run without an explicit run_dir writes runs_dir/<run id>

    def __post_init__(self) -> None:
        self.cache_mode = CacheMode.parse(self.cache_mode).value
        checks = {
            "concurrency": self.concurrency >= 1,
            "max_reasks": self.max_reasks >= 0,
            "transport_retries": self.transport_retries >= 0,
            "request_timeout_s": self.request_timeout_s > 0,
            "max_tokens": self.max_tokens is None or self.max_tokens >= 1,
            "rpm": self.rpm is None or self.rpm > 0,
            "tpm": self.tpm is None or self.tpm > 0,
            "on_replay_miss": self.on_replay_miss in ("raise", "record"),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(
                f"invalid runtime option(s): {', '.join(f'{b}={getattr(self, b)!r}' for b in bad)}"
            )

    @property
    def mode(self) -> CacheMode:
        return CacheMode(self.cache_mode)

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def public_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "backend_options"}
        data["base_url"] = redact_url(self.base_url)
        data["backend_options"] = {
            k: f"<{type(v).__name__}>" if k in _OBJECT_OPTIONS else _jsonable(v)
            for k, v in self.backend_options.items()
        }
        return data


# Options that carry objects (a catalogue, a chat model, an engine): named in manifests, never copied.
_OBJECT_OPTIONS = frozenset({"context", "chat_model", "client", "llm"})


def redact_url(url: str | None) -> str | None:
    """``url`` without user:password and without a query string (where tokens hide)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return f"<{type(value).__name__}>"
