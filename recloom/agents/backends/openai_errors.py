"""Map openai-python (3.x) exceptions onto recloom's: transient ones become ``TransportError``
(retried by the runner, honouring Retry-After), the rest ``BackendError``. Never includes the
request headers (the API key) in a message."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from recloom.errors import BackendError, RecloomError, TransportError

TRANSIENT_STATUS = frozenset({408, 409, 429})


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``retry-after-ms`` first, then ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def is_transient_status(status: int) -> bool:
    return status in TRANSIENT_STATUS or status >= 500


def map_openai_error(exc: BaseException, where: str) -> RecloomError:
    """Translate an exception raised by an ``openai`` client call made for ``where``."""
    import openai

    if isinstance(exc, RecloomError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return TransportError(f"{where}: request timed out")
    if isinstance(exc, openai.APIConnectionError):
        return TransportError(f"{where}: connection failed: {type(exc.__cause__ or exc).__name__}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = _short_message(exc.body) or exc.message
        if is_transient_status(status):
            return TransportError(
                f"{where}: HTTP {status}: {message}",
                status=status,
                retry_after=retry_after_seconds(_headers(exc)),
            )
        return BackendError(f"{where}: HTTP {status}: {message}")
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        return TransportError(f"{where}: malformed response from the server: {type(exc).__name__}")
    return BackendError(f"{where}: {type(exc).__name__}: {exc}")


def _headers(exc: Any) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None)


def _short_message(body: object) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("message", ""))[:300]
        return str(error)[:300]
    return "" if body is None else str(body)[:300]
