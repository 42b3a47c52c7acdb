"""The ``vllm`` backend: offline ``vllm.LLM`` in this process, with concurrent calls micro-batched.

vLLM's offline engine reaches its throughput when many prompts go into one ``LLM.chat`` call, while
recloom's runtime issues one ``complete()`` per task input, concurrently. The backend therefore
queues pending calls, gathers them for a short window (or until ``max_batch`` are waiting), runs one
blocking ``LLM.chat`` in a dedicated worker thread and resolves each caller's future with its own
output. Each request keeps its own ``SamplingParams`` and JSON schema
(``structured_outputs=StructuredOutputsParams(json=schema)``).

vLLM is imported lazily (first call) and is not a dependency of the project venv: on CPU it lives in
the engine venv built by ``tests/llm_engine/setup_engine.sh``; on GPU install ``recloom[vllm]``.
Scripts that use this backend need an ``if __name__ == "__main__":`` guard (vLLM spawns processes
that re-import the main module).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.errors import BackendError, ConfigError

# Engine-level structured-output settings. `disable_any_whitespace` is what keeps small models from
# looping on the whitespace a JSON grammar allows; it needs a named backend (`auto` rejects it).
DEFAULT_STRUCTURED_OUTPUTS = {"backend": "guidance", "disable_any_whitespace": True}


@dataclass
class _Pending:
    request: LLMRequest
    future: asyncio.Future[LLMResponse]
    queued_at: float = field(default_factory=time.perf_counter)


class VLLMOfflineBackend:
    """``Backend`` over an in-process ``vllm.LLM``.

    ``model`` is a local model directory or name; ``engine_kwargs`` go to ``vllm.LLM`` (e.g.
    ``dtype``, ``max_model_len``, ``enforce_eager``, ``kv_cache_memory_bytes``). ``llm`` injects an
    already built engine (or any object with the same ``chat`` method).
    """

    kind = "vllm"
    is_llm = True

    def __init__(
        self,
        model: str | Path,
        *,
        served_name: str | None = None,
        max_batch: int = 64,
        batch_window_s: float = 0.02,
        engine_kwargs: Mapping[str, Any] | None = None,
        llm: Any = None,
    ) -> None:
        if max_batch < 1:
            raise ConfigError(f"vllm backend: max_batch must be >= 1, got {max_batch}")
        if batch_window_s < 0:
            raise ConfigError(f"vllm backend: batch_window_s must be >= 0, got {batch_window_s}")
        self.model = served_name or str(model)
        self._model_path = str(model)
        self._engine_kwargs = dict(engine_kwargs or {})
        self._max_batch = max_batch
        self._window_s = batch_window_s
        self._llm = llm
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recloom-vllm")
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self._ready_at: float | None = None  # when the engine finished starting (perf_counter)
        self.engine_start_s: float | None = None
        self.batch_sizes: list[int] = []  # one entry per batch, for tests and reports

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if self._closed:
            raise BackendError("vllm backend: complete() called after aclose()")
        loop = asyncio.get_running_loop()
        pending = _Pending(request, loop.create_future())
        self._ensure_worker().put_nowait(pending)
        return await pending.future

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        self._fail_queued(BackendError("vllm backend closed while the request was queued"))
        await asyncio.get_running_loop().run_in_executor(self._executor, self._shutdown_engine)
        self._executor.shutdown(wait=False)

    # --- micro-batching (event loop side) ------------------------------------------------------

    def _ensure_worker(self) -> asyncio.Queue[_Pending]:
        """One queue and one worker task per event loop (a new loop gets a fresh pair)."""
        loop = asyncio.get_running_loop()
        if (
            self._queue is None
            or self._worker is None
            or self._worker.done()
            or self._worker.get_loop() is not loop
        ):
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._drain(self._queue), name="recloom-vllm-batcher")
        return self._queue

    async def _drain(self, queue: asyncio.Queue[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather(queue)
            live = [p for p in batch if not p.future.done()]  # callers may have been cancelled
            if not live:
                continue
            try:
                results = await loop.run_in_executor(
                    self._executor, self._run_batch, [p.request for p in live]
                )
            except asyncio.CancelledError:
                for p in live:
                    p.future.cancel()
                raise
            except Exception as exc:  # every waiting caller must hear about it
                error = _as_backend_error(exc)
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(error)
                continue
            for p, result in zip(live, results, strict=True):
                if p.future.done():
                    continue
                if isinstance(result, BaseException):
                    p.future.set_exception(result)
                else:
                    # Queue wait plus generation; the one-off engine start is not charged to a request.
                    result.latency_s = time.perf_counter() - max(p.queued_at, self._ready_at or 0.0)
                    p.future.set_result(result)

    async def _gather(self, queue: asyncio.Queue[_Pending]) -> list[_Pending]:
        """Wait for one request, then collect more until the window closes or the batch is full."""
        batch = [await queue.get()]
        deadline = asyncio.get_running_loop().time() + self._window_s
        while len(batch) < self._max_batch:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        while len(batch) < self._max_batch and not queue.empty():
            batch.append(queue.get_nowait())
        return batch

    def _fail_queued(self, error: BackendError) -> None:
        while self._queue is not None and not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(error)

    # --- engine side (worker thread only) ------------------------------------------------------

    def _run_batch(self, requests: Sequence[LLMRequest]) -> list[LLMResponse | BackendError]:
        """One ``LLM.chat`` over the batch. If vLLM rejects the batch, each request is retried on
        its own so that one bad request (e.g. a schema the grammar compiler refuses) fails alone."""
        llm = self._engine()
        self.batch_sizes.append(len(requests))
        started = time.perf_counter()
        try:
            outputs = self._chat(llm, requests)
        except Exception as exc:
            if len(requests) == 1:
                return [_request_error(requests[0], exc)]
            return [self._run_one(llm, request) for request in requests]
        seconds = time.perf_counter() - started
        return [self._response(out, len(requests), seconds) for out in outputs]

    def _run_one(self, llm: Any, request: LLMRequest) -> LLMResponse | BackendError:
        started = time.perf_counter()
        try:
            (output,) = self._chat(llm, [request])
        except Exception as exc:
            return _request_error(request, exc)
        return self._response(output, 1, time.perf_counter() - started)

    def _chat(self, llm: Any, requests: Sequence[LLMRequest]) -> list[Any]:
        conversations = [[{"role": m.role, "content": m.content} for m in r.messages] for r in requests]
        params = [sampling_params_for(r) for r in requests]
        outputs = list(llm.chat(conversations, sampling_params=params, use_tqdm=False))
        if len(outputs) != len(requests):
            raise BackendError(
                f"vllm backend: LLM.chat returned {len(outputs)} outputs for {len(requests)} requests"
            )
        return outputs

    def _response(self, output: Any, batch_size: int, batch_seconds: float) -> LLMResponse:
        completion = output.outputs[0]
        usage = Usage(
            prompt_tokens=len(output.prompt_token_ids or ()),
            completion_tokens=len(completion.token_ids or ()),
            cached_tokens=int(output.num_cached_tokens or 0),
        )
        raw = {
            "request_id": str(output.request_id),
            "batch_size": batch_size,
            "batch_seconds": round(batch_seconds, 6),
            "stop_reason": completion.stop_reason,
        }
        return LLMResponse(
            text=completion.text,
            finish_reason=str(completion.finish_reason or "unknown"),
            usage=usage,
            model=self.model,
            raw=raw,
        )

    def _engine(self) -> Any:
        if self._llm is None:
            started = time.perf_counter()
            vllm = _import_vllm()
            kwargs: dict[str, Any] = {"structured_outputs_config": dict(DEFAULT_STRUCTURED_OUTPUTS)}
            kwargs.update(self._engine_kwargs)
            try:
                self._llm = vllm.LLM(model=self._model_path, **kwargs)
            except Exception as exc:
                raise BackendError(
                    f"vllm backend: could not start vllm.LLM for {self._model_path!r}: {exc}"
                ) from exc
            self._ready_at = time.perf_counter()
            self.engine_start_s = self._ready_at - started
        elif self._ready_at is None:  # an injected engine is ready from the start
            self._ready_at = time.perf_counter()
        return self._llm

    def _shutdown_engine(self) -> None:
        llm, self._llm = self._llm, None
        engine = getattr(llm, "llm_engine", None)
        shutdown = getattr(getattr(engine, "engine_core", None), "shutdown", None)
        if callable(shutdown):
            shutdown()


def sampling_params_for(request: LLMRequest) -> Any:
    """vLLM ``SamplingParams`` for one request: its sampling settings and its JSON schema."""
    vllm = _import_vllm()
    from vllm.sampling_params import StructuredOutputsParams

    s = request.sampling
    structured = StructuredOutputsParams(json=dict(request.json_schema)) if request.json_schema else None
    return vllm.SamplingParams(
        temperature=s.temperature,
        top_p=s.top_p,
        max_tokens=s.max_tokens,
        seed=s.seed,
        structured_outputs=structured,
    )


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise BackendError(
            "the 'vllm' backend needs vLLM in this Python: install recloom[vllm] (GPU) or run inside "
            "the CPU engine venv built by tests/llm_engine/setup_engine.sh (`make engine`)"
        ) from exc
    return vllm


def _request_error(request: LLMRequest, exc: BaseException) -> BackendError:
    where = f"task {request.task!r} input {request.input_id!r}"
    return BackendError(f"vllm backend: vLLM rejected the request for {where}: {exc}")


def _as_backend_error(exc: Exception) -> BackendError:
    if isinstance(exc, BackendError):
        return exc
    return BackendError(f"vllm backend: batch failed: {type(exc).__name__}: {exc}")
