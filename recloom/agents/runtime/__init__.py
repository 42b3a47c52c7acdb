"""The LLM runtime: task calls (render, cache, backend, judge, re-ask), the batch runner, the rate
limiter, retries, pricing and run manifests.

Public API::

    from recloom.agents.runtime import Runner, RuntimeConfig, run, Outcome, RunResult
"""

from recloom.agents.runtime.calls import CallEngine
from recloom.agents.runtime.config import RuntimeConfig, default_cache_dir
from recloom.agents.runtime.executor import Executor, LocalExecutor
from recloom.agents.runtime.limiter import RateLimiter
from recloom.agents.runtime.outcome import Attempt, Outcome
from recloom.agents.runtime.pricing import PriceTable
from recloom.agents.runtime.runner import Runner, RunResult, run

__all__ = [
    "Attempt",
    "CallEngine",
    "Executor",
    "LocalExecutor",
    "Outcome",
    "PriceTable",
    "RateLimiter",
    "RunResult",
    "Runner",
    "RuntimeConfig",
    "default_cache_dir",
    "run",
]
