"""One backend call as the transport layer sees it: the token-aware rate limiter, a hard timeout and
tenacity retries of transient failures (``TransportError``: 408/409/429/5xx, timeouts, resets).

The first attempt runs outside tenacity (the common case costs nothing extra); a failure is handed
to tenacity as its first attempt, so backoff, Retry-After and the retry budget apply uniformly. A
429's Retry-After pauses every caller through the limiter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from recloom.agents.backends.base import Backend, LLMRequest, LLMResponse
from recloom.agents.runtime.config import RuntimeConfig
from recloom.agents.runtime.limiter import RateLimiter
from recloom.agents.runtime.retry import transport_retrying
from recloom.errors import TransportError


class Transport:
    def __init__(self, config: RuntimeConfig) -> None:
        self.limiter = RateLimiter(config.rpm, config.tpm)
        self._timeout = config.request_timeout_s
        self._retrying = transport_retrying(
            retries=config.transport_retries,
            initial_s=config.backoff_initial_s,
            max_s=config.backoff_max_s,
            max_retry_after_s=config.max_retry_after_s,
            on_retry_after=self.limiter.pause,
        )
        self._completion_estimate = 256.0

    async def send(
        self, backend: Backend, request: LLMRequest, on_retry: Callable[[], None] = lambda: None
    ) -> LLMResponse:
        """The backend's answer to ``request``; ``on_retry`` is called before every retry."""
        estimate = self._estimate_tokens(request)
        try:
            response = await self._attempt(backend, request, estimate)
        except TransportError as exc:
            first: TransportError | None = exc

            async def again() -> LLMResponse:
                nonlocal first
                if first is not None:
                    error, first = first, None
                    raise error
                on_retry()
                return await self._attempt(backend, request, estimate)

            response = await self._retrying.copy()(again)
        self._completion_estimate = 0.9 * self._completion_estimate + 0.1 * response.usage.completion_tokens
        return response

    async def _attempt(self, backend: Backend, request: LLMRequest, estimate: int) -> LLMResponse:
        await self.limiter.acquire(estimate)
        actual = estimate
        try:
            async with asyncio.timeout(self._timeout):
                response = await backend.complete(request)
            actual = response.usage.total_tokens or estimate
            return response
        except TimeoutError as exc:
            where = f"task {request.task!r} input {request.input_id!r}"
            raise TransportError(f"{where}: no answer in {self._timeout:g} s") from exc
        finally:
            self.limiter.settle(estimate, actual)

    def _estimate_tokens(self, request: LLMRequest) -> int:
        """Prompt characters / 4 plus a moving average of completion tokens (0 when unlimited)."""
        if not self.limiter.enabled:
            return 0
        chars = sum(len(m.content) for m in request.messages)
        return int(chars / 4 + min(self._completion_estimate, request.sampling.max_tokens))
