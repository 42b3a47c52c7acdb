"""One task call: render -> cache lookup -> backend (limiter, retries, timeout) -> judge -> re-ask.

``CallEngine.call`` returns an ``Outcome`` for every input and raises only for configuration errors
(which would fail every input alike). Each attempt of a re-ask chain is its own cache entry, so a
replay reproduces the chain. Re-asks show the model its previous answer and the exact error; a
truncated answer is retried with twice the token budget (up to ``max_tokens_cap``), never re-asked
with the same limit. Replay mode never builds a backend: a miss is recorded with an explanation
naming the task, the input and the key fields that differ from the nearest stored entry.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from recloom.agents.backends.base import Backend, LLMRequest, LLMResponse, SamplingParams
from recloom.agents.backends.factory import generation_extra, make_backend, normalize_kind
from recloom.agents.runtime.config import RuntimeConfig
from recloom.agents.runtime.judge import judge
from recloom.agents.runtime.outcome import Attempt, Outcome
from recloom.agents.runtime.pricing import PriceTable
from recloom.agents.runtime.transport import Transport
from recloom.cache.canonical import sha256_hex
from recloom.cache.keys import KeyMaterial
from recloom.cache.modes import CacheMode
from recloom.cache.store import CacheStore
from recloom.errors import (
    BackendError,
    CacheMissError,
    ConfigError,
    OutputError,
    RecloomError,
    TransportError,
    TruncatedOutputError,
    UnknownTaskError,
)
from recloom.prompts.messages import Message
from recloom.prompts.task import Task

log = logging.getLogger(__name__)
DEFAULT_MAX_TOKENS = 1024


class CallEngine:
    def __init__(
        self, config: RuntimeConfig, *, backend: Backend | None = None, cache: CacheStore | None = None
    ) -> None:
        self.config = config
        self.mode = config.mode
        self.kind = normalize_kind(backend.kind if backend is not None else config.backend)
        self.model = (backend.model if backend is not None else config.model) or (
            "baseline" if self.kind == "local" else ""
        )
        self.is_llm = self.kind != "local"
        self._backend = backend
        self._owns_backend = backend is None
        self.backends_built = 0
        self.cache = (
            None if self.mode is CacheMode.OFF else (cache or CacheStore(config.resolved_cache_dir()))
        )
        self.transport = Transport(config)
        self.prices = PriceTable.load(config.prices_file)
        self._schemas_stored: set[str] = set()
        self._prefix_keys: dict[str, str] = {}
        self._extras: dict[str, dict[str, Any]] = {}
        self._prefetched: dict[str, dict[str, Any]] = {}

    # --- backend lifecycle -------------------------------------------------------------------------

    def backend(self) -> Backend:
        if self.mode is CacheMode.REPLAY:
            raise ConfigError("replay mode never builds a backend (internal error: a backend was requested)")
        if self._backend is None:
            options = dict(self.config.backend_options)
            if self.kind in ("openai", "vllm-server", "langchain"):
                options.setdefault("timeout", self.config.request_timeout_s)
            self._backend = make_backend(
                self.kind, model=self.config.model, base_url=self.config.base_url, **options
            )
            self.backends_built += 1
        return self._backend

    def prepare(self, task: Task[Any, Any]) -> None:
        """Check the task can run here before any input is sent (fails fast on config errors)."""
        if self.kind in ("vllm", "vllm-server"):
            for warning in task.schema_warnings:
                log.warning("task %s: output schema %s", task.name, warning)
        if self.mode is not CacheMode.REPLAY:
            backend = self.backend()
            use_task = getattr(backend, "use_task", None)
            if use_task is not None:
                use_task(task)
        elif not self.is_llm and task.local_solver is None:
            raise UnknownTaskError(f"the local backend has no solver for task {task.name!r}")

    async def flush(self) -> None:
        """Wait (off the event loop) until every cache entry of this engine is committed."""
        if self.cache is not None:
            await asyncio.to_thread(self.cache.flush)

    async def aclose(self) -> None:
        await self.flush()
        if self._backend is not None and self._owns_backend:
            await self._backend.aclose()
            self._backend = None

    # --- keys ----------------------------------------------------------------------------------------

    def sampling_for(self, task: Task[Any, Any]) -> SamplingParams:
        c = self.config
        return SamplingParams(
            temperature=c.temperature,
            max_tokens=c.max_tokens or task.max_tokens or DEFAULT_MAX_TOKENS,
            top_p=c.top_p,
            seed=c.seed,
        )

    def key_material(
        self, task: Task[Any, Any], messages: tuple[Message, ...], sampling: SamplingParams
    ) -> KeyMaterial:
        extra = self._extras.get(task.name)
        if extra is None:
            solver = (
                task.local_solver.identity if (not self.is_llm and task.local_solver is not None) else None
            )
            extra = self._extras[task.name] = generation_extra(
                self.kind,
                self.config.backend_options,
                solver_identity=solver,
                context_id=self.config.local_context_id,
            )
        return KeyMaterial(
            backend=self.kind,
            model=self.model,
            task=task.name,
            task_version=task.version,
            schema_sha256=task.schema_sha256,
            messages=tuple((m.role, m.content) for m in messages),
            sampling=sampling.as_dict(),
            extra=extra,
            prompt_version=task.prompt_version,
        )

    # --- one input -----------------------------------------------------------------------------------

    def prefetch(self, materials: list[KeyMaterial]) -> None:
        """Read the stored entries of these keys in bulk (replay / resume of a whole batch)."""
        if self.cache is not None and self.mode.reads:
            self._prefetched.update(self.cache.get_many([m.key for m in materials]))

    async def call(
        self,
        task: Task[Any, Any],
        inp: BaseModel,
        input_id: str,
        messages: tuple[Message, ...] | None = None,
        material: KeyMaterial | None = None,
    ) -> Outcome:
        """One input through the whole chain; ``material`` is the first attempt's key material
        when the caller already computed it (it must match ``messages``)."""
        outcome = Outcome(input_id=input_id, task=task.name, ok=False)
        try:
            await self._chain(task, inp, messages or task.render(inp), outcome, material)
        except ConfigError:
            raise
        except CacheMissError as exc:
            _fail(outcome, "cache_miss", str(exc))
        except TransportError as exc:
            _fail(outcome, "transport", str(exc))
        except BackendError as exc:
            _fail(outcome, "backend", str(exc))
        except RecloomError as exc:
            _fail(outcome, "error", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug in a validator or solver must not stop the batch
            log.exception("task %s input %s: unexpected error", task.name, input_id)
            _fail(outcome, "internal", f"{type(exc).__name__}: {exc}")
        outcome.cost_usd = self._cost(outcome)
        return outcome

    async def _chain(
        self,
        task: Task[Any, Any],
        inp: BaseModel,
        messages: tuple[Message, ...],
        outcome: Outcome,
        first: KeyMaterial | None = None,
    ) -> None:
        sampling = self.sampling_for(task)
        max_reasks = self.config.max_reasks if self.is_llm else 0
        for n in range(max_reasks + 1):
            material = first if n == 0 and first is not None else self.key_material(task, messages, sampling)
            response, source = await self._response(task, material, messages, sampling, inp, outcome, n)
            attempt = Attempt(
                n,
                material.key,
                source != "live",
                response.text,
                response.finish_reason,
                response.usage,
                response.latency_s,
                sampling.max_tokens,
                revalidated=source == "revalidated",
            )
            outcome.attempts.append(attempt)
            try:
                outcome.result, attempt.repaired = judge(task, inp, response)
                outcome.ok, outcome.error_kind = True, None
                return
            except OutputError as exc:
                attempt.error_kind, attempt.error = exc.kind, str(exc)
                outcome.error_kind = exc.kind
                outcome.errors.append(f"attempt {n}: {exc.kind}: {exc}")
                if isinstance(exc, TruncatedOutputError):
                    if sampling.max_tokens >= self.config.max_tokens_cap:
                        return
                    sampling = replace(
                        sampling, max_tokens=min(2 * sampling.max_tokens, self.config.max_tokens_cap)
                    )
                else:
                    messages = (
                        *messages,
                        Message("assistant", response.text),
                        task.reask_message(exc.kind, str(exc)),
                    )

    async def _response(
        self,
        task: Task[Any, Any],
        material: KeyMaterial,
        messages: tuple[Message, ...],
        sampling: SamplingParams,
        inp: BaseModel,
        outcome: Outcome,
        attempt: int,
    ) -> tuple[LLMResponse, str]:
        """The response and where it came from: "hit" (this key), "revalidated" (the same prompt
        under a task version that differs only in its validator) or "live" (the backend)."""
        cache, input_id = self.cache, outcome.input_id
        if cache is not None and self.mode.reads:
            record = self._prefetched.pop(material.key, None) or cache.get(material.key)
            if record is not None:
                return LLMResponse.from_record(record["response"]), "hit"
            equivalent = cache.get_equivalent(material)
            if equivalent is not None:
                response = LLMResponse.from_record(equivalent[1]["response"])
                if self.mode.writes:
                    cache.put_later(material, response.to_record(), input_id=input_id)
                return response, "revalidated"
        if self.mode is CacheMode.REPLAY:
            assert cache is not None
            raise CacheMissError(cache.explain_miss(material, input_id))
        request = LLMRequest(
            task.name,
            task.version,
            messages,
            task.json_schema,
            task.schema_name,
            sampling,
            input_id,
            attempt,
            payload=inp,
            prefix_key=self._prefix_key(task, messages),
        )
        response = await self._generate(request, outcome)
        if cache is not None and self.mode.writes:
            schema = None if task.schema_sha256 in self._schemas_stored else task.json_schema
            cache.put_later(material, response.to_record(), input_id=input_id, schema=schema)
            self._schemas_stored.add(task.schema_sha256)
        return response, "live"

    async def _generate(self, request: LLMRequest, outcome: Outcome) -> LLMResponse:
        def count_retry() -> None:
            outcome.transport_retries += 1

        return await self.transport.send(self.backend(), request, count_retry)

    def _prefix_key(self, task: Task[Any, Any], messages: tuple[Message, ...]) -> str:
        system = messages[0].content if messages else ""
        key = self._prefix_keys.get(system)
        if key is None:
            key = self._prefix_keys[system] = f"recloom-{task.name}-{sha256_hex(system)[:16]}"
        return key

    def _cost(self, outcome: Outcome) -> float | None:
        total = 0.0
        for a in outcome.attempts:
            if a.cached:
                continue
            cost = self.prices.cost(self.kind, self.model, a.usage)
            if cost is None:
                return None
            total += cost
        return total


def _fail(outcome: Outcome, kind: str, message: str) -> None:
    outcome.ok, outcome.result, outcome.error_kind = False, None, kind
    outcome.errors.append(message)
