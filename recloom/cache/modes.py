"""Cache modes: ``rw`` (default), ``replay`` (strict, never calls a backend), ``refresh``, ``off``."""

from __future__ import annotations

from enum import Enum

from recloom.errors import ConfigError


class CacheMode(str, Enum):  # noqa: UP042  (str mixin: plain strings compare equal)
    RW = "rw"
    REPLAY = "replay"
    REFRESH = "refresh"
    OFF = "off"

    @property
    def reads(self) -> bool:
        return self in (CacheMode.RW, CacheMode.REPLAY)

    @property
    def writes(self) -> bool:
        return self in (CacheMode.RW, CacheMode.REFRESH)

    @classmethod
    def parse(cls, value: str | CacheMode) -> CacheMode:
        if isinstance(value, CacheMode):
            return value
        try:
            return cls(value)
        except ValueError:
            options = ", ".join(m.value for m in cls)
            raise ConfigError(f"unknown cache mode {value!r}; choose one of: {options}") from None
