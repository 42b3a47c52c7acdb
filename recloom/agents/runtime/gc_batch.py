"""Garbage-collector pacing while a batch runs.

A batch keeps everything it makes (inputs, rendered prompts, key material, outcomes): about twenty
long-lived container objects per input, and almost no garbage cycles. With CPython's default first
threshold (700) the collector runs every few dozen inputs, and every tenth young collection may
trigger a full one that traverses the whole heap again: 20-30 % of the CPU of a strict replay of
20,000 cached results (benchmarks/runtime). ``batch_gc()`` raises the first threshold to
``BATCH_GEN0_THRESHOLD`` while at least one batch runs in the process and restores the previous
setting when the last one ends. Collection still happens (cycles are freed, just in larger
steps); a disabled collector (threshold 0) or a higher threshold set by the application is left
alone, and a threshold the application changes during a batch is not overwritten on exit.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_GEN0_THRESHOLD = 50_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def batch_gc() -> Iterator[None]:
    """Raise the collector's first threshold for the duration of a batch (re-entrant, thread-safe)."""
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            current = gc.get_threshold()
            if 0 < current[0] < BATCH_GEN0_THRESHOLD:
                _saved = current
                gc.set_threshold(BATCH_GEN0_THRESHOLD, *current[1:])
        _depth += 1


def _leave() -> None:
    global _depth, _saved
    with _lock:
        _depth -= 1
        if _depth == 0 and _saved is not None:
            if gc.get_threshold()[0] == BATCH_GEN0_THRESHOLD:  # unchanged by the application meanwhile
                gc.set_threshold(*_saved)
            _saved = None
