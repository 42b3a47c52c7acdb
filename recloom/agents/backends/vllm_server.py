"""The ``vllm-server`` backend: the OpenAI client against ``vllm serve`` (vLLM 0.33 API).

The schema goes in vLLM's own request field ``structured_outputs: {"json": schema}`` (a top-level
body field), not OpenAI's strict rewriting. The removed ``guided_*`` fields are refused: vLLM
≥ 0.12 accepts them as unknown extras and answers HTTP 200 with *unconstrained* text
(vllm-project/vllm#53975). Engine-level settings such as ``disable_any_whitespace`` belong on the
server command line (``--structured-outputs-config``); per-request ones go in ``structured_outputs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recloom.agents.backends.base import LLMRequest
from recloom.agents.backends.openai_backend import OpenAIBackend
from recloom.errors import ConfigError

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
_STRUCTURED_OPTIONS = frozenset(
    {"whitespace_pattern", "disable_any_whitespace", "disable_additional_properties"}
)


def refuse_guided_fields(options: Mapping[str, Any], where: str) -> None:
    """Raise ``ConfigError`` if ``options`` uses a removed ``guided_*`` field."""
    for name in options:
        if name.startswith("guided_") or name == "guided_decoding":
            raise ConfigError(
                f"{where}: {name!r} was removed from vLLM (0.12+) and is silently ignored by the "
                "server, which then returns unconstrained text; use structured_outputs instead"
            )


class VLLMServerBackend(OpenAIBackend):
    kind = "vllm-server"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "VLLM_API_KEY",
        timeout: float = 120.0,
        structured_outputs: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        extra = dict(extra_body or {})
        refuse_guided_fields(extra, "vllm-server extra_body")
        if "structured_outputs" in extra:
            raise ConfigError(
                "vllm-server: pass per-request schema options as structured_outputs=..., not in extra_body"
            )
        options = dict(structured_outputs or {})
        unknown = set(options) - _STRUCTURED_OPTIONS
        if unknown:
            raise ConfigError(
                f"vllm-server: unknown structured_outputs options {sorted(unknown)}; "
                f"allowed: {sorted(_STRUCTURED_OPTIONS)}"
            )
        self.structured_options = options
        super().__init__(
            model,
            base_url=base_url or DEFAULT_BASE_URL,
            api_key_env=api_key_env,
            timeout=timeout,
            prompt_cache_key=False,
            extra_body=extra,
            client=client,
        )

    def request_body(self, request: LLMRequest) -> dict[str, Any]:
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
        }
        if s.seed is not None:
            body["seed"] = s.seed
        body.update(self._extra_body)
        body["structured_outputs"] = {"json": dict(request.json_schema), **self.structured_options}
        return body
