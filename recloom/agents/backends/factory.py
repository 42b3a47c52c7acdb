"""``make_backend(kind, model=..., base_url=..., **options)``: the one place backends are built.

Kinds: ``local`` (embedded non-LLM baseline, the default), ``openai``, ``vllm-server``, ``vllm``
(offline ``vllm.LLM``; ``model`` is the model path), ``langchain``. Backend modules are imported
lazily here, so importing the factory costs nothing and pulls in no openai/vllm/langchain.
``generation_extra`` gives the backend options that shape the output and therefore belong in the
cache key; it needs no backend instance (replay never builds one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recloom.agents.backends.base import Backend
from recloom.errors import ConfigError

BACKEND_KINDS = ("local", "openai", "vllm-server", "vllm", "langchain")
_ALIASES = {"vllm_server": "vllm-server", "vllm-offline": "vllm", "vllm_offline": "vllm", "lc": "langchain"}


def normalize_kind(kind: str) -> str:
    kind = _ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if kind not in BACKEND_KINDS:
        raise ConfigError(f"unknown backend {kind!r}; choose one of: {', '.join(BACKEND_KINDS)}")
    return kind


def make_backend(kind: str, *, model: str = "", base_url: str | None = None, **options: Any) -> Backend:
    """Build a backend. ``options`` go to the backend's constructor (e.g. ``context`` for local,
    ``chat_model`` for langchain, ``structured_outputs`` for vllm-server, ``engine_kwargs`` for vllm)."""
    kind = normalize_kind(kind)
    try:
        return _build(kind, model, base_url, options)
    except TypeError as exc:
        raise ConfigError(f"backend {kind!r}: bad option: {exc}") from exc


def _build(kind: str, model: str, base_url: str | None, options: dict[str, Any]) -> Backend:
    if kind == "local":
        if base_url:
            raise ConfigError("the local backend takes no --base-url")
        from recloom.agents.backends.local import LocalBackend

        return LocalBackend(model or "baseline", **options)
    if kind == "openai":
        from recloom.agents.backends.openai_backend import OpenAIBackend

        return OpenAIBackend(model, base_url=base_url, **options)
    if kind == "vllm-server":
        from recloom.agents.backends.vllm_server import VLLMServerBackend

        return VLLMServerBackend(model, base_url=base_url, **options)
    if kind == "langchain":
        from recloom.agents.backends.langchain_backend import LangChainBackend

        return LangChainBackend(options.pop("chat_model", None), model=model, base_url=base_url, **options)
    if base_url:
        raise ConfigError(
            "the offline vllm backend takes a model path, not --base-url (use vllm-server for a server)"
        )
    if not model:
        raise ConfigError("the vllm backend needs --model (a local model directory)")
    from recloom.agents.backends.vllm_offline import VLLMOfflineBackend

    return VLLMOfflineBackend(model, **options)


def generation_extra(
    kind: str, options: Mapping[str, Any], *, solver_identity: str | None = None, context_id: str = ""
) -> dict[str, Any]:
    """Backend options that change what is generated, for the cache key (never credentials)."""
    kind = normalize_kind(kind)
    if kind == "local":
        return {"solver": solver_identity or "none", "context": context_id}
    if kind == "vllm-server" and options.get("structured_outputs"):
        return {"structured_outputs": dict(options["structured_outputs"])}
    if kind == "vllm" and options.get("engine_kwargs", {}).get("structured_outputs_config"):
        return {"structured_outputs_config": dict(options["engine_kwargs"]["structured_outputs_config"])}
    return {}
