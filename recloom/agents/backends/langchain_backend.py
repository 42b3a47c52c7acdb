"""The ``langchain`` backend: any LangChain ``BaseChatModel`` through
``with_structured_output(schema, method="json_schema", include_raw=True)``.

recloom keeps the raw ``AIMessage`` text and does its own parsing and validation, so LangChain's
parse errors never hide the raw answer (langchain#32977, #29700). Without a model object, a
``ChatOpenAI`` is built from ``model`` / ``base_url`` with the key from the environment and its
retries off. With a model object, its own settings (temperature, ...) apply: give ``model`` a label
that names them, since the label is what the cache key sees. langchain is imported lazily.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.agents.backends.openai_backend import PLACEHOLDER_KEY, response_from_completion
from recloom.agents.backends.openai_errors import map_openai_error
from recloom.errors import BackendError, ConfigError, RecloomError, TransportError


class LangChainBackend:
    kind = "langchain"
    is_llm = True

    def __init__(
        self,
        chat_model: Any = None,
        *,
        model: str = "",
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
    ) -> None:
        if chat_model is None and not model:
            raise ConfigError("the langchain backend needs a chat model object or a model name (--model)")
        self._chat_model = chat_model
        self._owns_model = chat_model is None
        self.model = model or str(
            getattr(chat_model, "model_name", None)
            or getattr(chat_model, "model", None)
            or type(chat_model).__name__
        )
        self.base_url = base_url
        self._api_key_env = api_key_env
        self._timeout = timeout
        self._runnables: dict[tuple[str, str], Any] = {}

    def _model_for(self, request: LLMRequest) -> Any:
        """The user's model as given, or a ``ChatOpenAI`` built with the request's sampling."""
        if not self._owns_model:
            return self._chat_model
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise BackendError(
                "the langchain backend needs langchain-openai: pip install 'recloom[langchain]'"
            ) from exc
        key = os.environ.get(self._api_key_env) or (PLACEHOLDER_KEY if self.base_url else None)
        if key is None:
            raise BackendError(f"the langchain backend needs an API key in {self._api_key_env}")
        s = request.sampling
        return ChatOpenAI(
            model=self.model,
            base_url=self.base_url,
            api_key=key,
            max_retries=0,
            timeout=self._timeout,
            temperature=s.temperature,
            max_tokens=s.max_tokens,
            top_p=s.top_p,
            seed=s.seed,
        )

    def _runnable(self, request: LLMRequest) -> Any:
        sampling_id = repr(request.sampling) if self._owns_model else ""
        cache_id = (request.schema_name + json.dumps(request.json_schema, sort_keys=True), sampling_id)
        runnable = self._runnables.get(cache_id)
        if runnable is None:
            schema = {"title": request.schema_name, **dict(request.json_schema)}
            runnable = self._model_for(request).with_structured_output(
                schema, method="json_schema", include_raw=True, strict=True
            )
            self._runnables[cache_id] = runnable
        return runnable

    async def complete(self, request: LLMRequest) -> LLMResponse:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        messages = [kinds[m.role](content=m.content) for m in request.messages]
        where = f"langchain task {request.task!r} input {request.input_id!r}"
        started = time.perf_counter()
        try:
            out = await self._runnable(request).ainvoke(messages)
        except Exception as exc:
            return _from_exception(exc, where, time.perf_counter() - started, self.model)
        return _from_message(out["raw"], time.perf_counter() - started, self.model)

    async def aclose(self) -> None:
        self._runnables.clear()


def _from_message(raw: Any, latency_s: float, model: str) -> LLMResponse:
    content = raw.content
    if isinstance(content, list):
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    text = str(content or "")
    if not text and getattr(raw, "tool_calls", None):
        text = json.dumps(raw.tool_calls[0].get("args", {}))
    meta = getattr(raw, "response_metadata", {}) or {}
    um = getattr(raw, "usage_metadata", None) or {}
    details = um.get("input_token_details") or {}
    usage = Usage(
        int(um.get("input_tokens", 0)),
        int(um.get("output_tokens", 0)),
        int(details.get("cache_read", 0) or 0),
    )
    refusal = (getattr(raw, "additional_kwargs", {}) or {}).get("refusal")
    if refusal:
        return LLMResponse(str(refusal), "refusal", usage, latency_s, model)
    return LLMResponse(
        text, str(meta.get("finish_reason") or "stop"), usage, latency_s, str(meta.get("model_name") or model)
    )


def _from_exception(exc: BaseException, where: str, latency_s: float, model: str) -> LLMResponse:
    """Truncated / filtered completions come back as exceptions carrying the completion: return them
    as responses (judged by the runner); map everything else."""
    completion = getattr(exc, "completion", None)
    if completion is not None and type(exc).__name__ in (
        "LengthFinishReasonError",
        "ContentFilterFinishReasonError",
    ):
        return response_from_completion(completion, latency_s, model)
    if isinstance(exc, RecloomError):
        raise exc
    if type(exc).__module__.startswith("openai"):
        raise map_openai_error(exc, where) from exc
    if isinstance(exc, TimeoutError | ConnectionError):
        raise TransportError(f"{where}: {type(exc).__name__}: {exc}") from exc
    raise BackendError(f"{where}: {type(exc).__name__}: {exc}") from exc
