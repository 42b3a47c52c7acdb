"""The one exception hierarchy of recloom: every error a user can cause derives from RecloomError.

Messages name *what* went wrong and *where* (file and line, task and input id, config key).
"""

from __future__ import annotations

from pathlib import Path


class RecloomError(Exception):
    """Base class of every error raised on purpose by recloom."""


class ConfigError(RecloomError):
    """A bad option, config value or combination of options."""


class UnknownTaskError(ConfigError):
    """A task name that no registry knows (or that a backend has no solver for)."""


class DataError(RecloomError):
    """Bad or missing input data. Carries the file and line when known."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")


class ArtifactError(RecloomError):
    """A run directory or artifact that is missing, corrupt or of the wrong kind."""


class BackendError(RecloomError):
    """A backend could not be built or used (missing extra, bad URL, server refused)."""


class TransportError(BackendError):
    """A transient transport failure (408/409/429/5xx, timeout, reset). Retried, never re-asked."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class OutputError(RecloomError):
    """An LLM answer that cannot be accepted. Fed back to the model in a re-ask."""

    kind = "output"


class TruncatedOutputError(OutputError):
    """The model stopped on a length limit (finish_reason == "length"); never parsed as success."""

    kind = "truncated"


class RefusalError(OutputError):
    """The model refused, or a content filter stopped the answer (finish_reason == "content_filter")."""

    kind = "refusal"


class ParseError(OutputError):
    """The answer is not valid JSON."""

    kind = "parse"


class SchemaValidationError(OutputError):
    """The JSON does not match the task's output model."""

    kind = "schema"


class SemanticValidationError(OutputError):
    """The answer is well-formed but wrong for its input (unknown leaf id, missing item, ...)."""

    kind = "semantic"


class CacheMissError(RecloomError):
    """Strict replay asked for an entry the cache does not hold."""


class CacheError(RecloomError):
    """A cache directory or cache file that cannot be used (corrupt, tampered, wrong format)."""


class TreeError(RecloomError):
    """A Tree of Preferences operation that would break the tree (unknown id, non-sibling merge,
    an item in two leaves, ...). Names the node or item ids involved."""
