"""The ``openai`` backend: ``AsyncOpenAI`` chat completions with strict JSON-schema output.

Works for OpenAI and for any OpenAI-compatible server through ``base_url``. The key is read from
the environment variable ``api_key_env`` (default ``OPENAI_API_KEY``) when the client is first
needed; against a custom ``base_url`` a missing key is replaced by a placeholder (local servers
ignore it). The SDK's own retries are off (``max_retries=0``): the runner owns the retry policy, so
retries never stack. ``openai`` is imported lazily.

Requests go through the SDK's generic ``client.post("/chat/completions", body=..., cast_to=object)``
with an already plain-JSON body: the same HTTP client, auth, timeouts and typed errors as
``chat.completions.create``, without the SDK's per-call recursive TypedDict transform of the
messages and schema (several ms of CPU per call on a large schema) or its response model build.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.agents.backends.openai_errors import map_openai_error
from recloom.errors import ConfigError, TransportError
from recloom.prompts.schema import openai_strict_subset

PLACEHOLDER_KEY = "not-needed"


class OpenAIBackend:
    kind = "openai"
    is_llm = True

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        prompt_cache_key: bool = True,
        extra_body: Mapping[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        if not model:
            raise ConfigError(f"the {self.kind} backend needs a model name (--model)")
        self.model = model
        self.base_url = base_url
        self._api_key_env = api_key_env
        self._timeout = timeout
        self._prompt_cache_key = prompt_cache_key
        self._extra_body = dict(extra_body or {})
        self._client = client
        self._schemas: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        if client is None and base_url is None and not os.environ.get(api_key_env):
            raise ConfigError(
                f"the {self.kind} backend needs an API key in the environment variable {api_key_env}"
            )

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError as exc:
                raise ConfigError(
                    f"the {self.kind} backend needs the openai package: pip install 'recloom[openai]'"
                ) from exc
            key = os.environ.get(self._api_key_env) or PLACEHOLDER_KEY
            self._client = openai.AsyncOpenAI(
                api_key=key, base_url=self.base_url, max_retries=0, timeout=self._timeout
            )
        return self._client

    def request_body(self, request: LLMRequest) -> dict[str, Any]:
        """The JSON body of ``POST /chat/completions`` for ``request``."""
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": s.temperature,
            "top_p": s.top_p,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": self._schema_for(request.json_schema),
                    "strict": True,
                },
            },
        }
        body["max_tokens" if self.base_url else "max_completion_tokens"] = s.max_tokens
        if s.seed is not None:
            body["seed"] = s.seed
        if self._prompt_cache_key and request.prefix_key and self.base_url is None:
            body["prompt_cache_key"] = request.prefix_key
        body.update(self._extra_body)
        return body

    def _schema_for(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """The schema as sent: OpenAI itself gets the strict subset it accepts (no string length
        bounds); compatible servers get it whole. Memoised per schema object."""
        memo = self._schemas.get(id(schema))
        if memo is None or memo[0] is not schema:
            sent = dict(schema) if self.base_url else openai_strict_subset(dict(schema))
            memo = self._schemas[id(schema)] = (schema, sent)
        return memo[1]

    async def complete(self, request: LLMRequest) -> LLMResponse:
        client = self._get_client()
        body = self.request_body(request)
        where = f"{self.kind} task {request.task!r} input {request.input_id!r}"
        started = time.perf_counter()
        try:
            data = await client.post("/chat/completions", body=body, cast_to=object)
        except Exception as exc:  # mapped: transient -> TransportError, other -> BackendError
            raise map_openai_error(exc, where) from exc
        if not isinstance(data, dict):
            raise TransportError(f"{where}: malformed response from the server (not a JSON object)")
        return response_from_json(data, time.perf_counter() - started, self.model)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def response_from_completion(completion: Any, latency_s: float, model: str) -> LLMResponse:
    """An ``LLMResponse`` from an openai ``ChatCompletion`` (refusals become finish_reason
    ``refusal`` with the refusal text, so they are judged, not parsed)."""
    usage = usage_from(getattr(completion, "usage", None))
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return LLMResponse("", "missing", usage, latency_s, getattr(completion, "model", None) or model)
    choice = choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None)
    if refusal:
        return LLMResponse(str(refusal), "refusal", usage, latency_s, completion.model or model)
    return LLMResponse(
        message.content or "",
        str(choice.finish_reason or "unknown"),
        usage,
        latency_s,
        getattr(completion, "model", None) or model,
    )


def response_from_json(data: dict[str, Any], latency_s: float, model: str) -> LLMResponse:
    """An ``LLMResponse`` from a chat-completion JSON body."""
    usage = usage_from_json(data.get("usage"))
    served = str(data.get("model") or model)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return LLMResponse("", "missing", usage, latency_s, served)
    message = choices[0].get("message") or {}
    if message.get("refusal"):
        return LLMResponse(str(message["refusal"]), "refusal", usage, latency_s, served)
    return LLMResponse(
        str(message.get("content") or ""),
        str(choices[0].get("finish_reason") or "unknown"),
        usage,
        latency_s,
        served,
    )


def usage_from_json(usage: Any) -> Usage:
    if not isinstance(usage, dict):
        return Usage()
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage(
        int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), int(cached or 0)
    )


def usage_from(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0), int(cached or 0))
