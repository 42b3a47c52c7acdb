"""Retries of transient transport failures (tenacity): exponential backoff with jitter, honouring
``Retry-After``. Only ``TransportError`` is retried; output errors go to the re-ask loop instead and
transport errors are never shown to the model (instructor#1907). A Retry-After longer than
``max_retry_after_s`` ends the retries at once (waiting that long inside a batch is worse than
recording the failure and resuming later), as openai-python does past 120 s.
"""

from __future__ import annotations

from collections.abc import Callable

import tenacity
from tenacity import RetryCallState

from recloom.errors import TransportError


class _Wait(tenacity.wait.wait_base):
    def __init__(self, initial_s: float, max_s: float, max_retry_after_s: float) -> None:
        self._backoff = tenacity.wait_exponential_jitter(multiplier=initial_s, max=max_s, jitter=initial_s)
        self._max_retry_after_s = max_retry_after_s

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        after = getattr(exc, "retry_after", None)
        if after is not None:
            return min(float(after), self._max_retry_after_s)
        return float(self._backoff(retry_state))


def _retry_after_too_long(limit_s: float) -> Callable[[RetryCallState], bool]:
    def stop(retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        after = getattr(exc, "retry_after", None)
        return after is not None and after > limit_s

    return stop


def transport_retrying(
    *,
    retries: int,
    initial_s: float,
    max_s: float,
    max_retry_after_s: float,
    on_retry_after: Callable[[float], None] | None = None,
) -> tenacity.AsyncRetrying:
    """An ``AsyncRetrying`` for one backend call (copy it per call: ``retrying.copy()``)."""

    def before_sleep(retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        after = getattr(exc, "retry_after", None)
        if on_retry_after is not None and after is not None:
            on_retry_after(min(float(after), max_retry_after_s))

    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(retries + 1) | _retry_after_too_long(max_retry_after_s),
        wait=_Wait(initial_s, max_s, max_retry_after_s),
        retry=tenacity.retry_if_exception_type(TransportError),
        before_sleep=before_sleep,
        reraise=True,
    )
