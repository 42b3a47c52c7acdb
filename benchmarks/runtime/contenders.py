"""The contenders: each does ``job``'s N structured-output calls at a given concurrency and counts
the answers that validated. Clients are built (and warmed) outside the measured part.

* ``openai.post``: ``AsyncOpenAI.post("/chat/completions")`` with a plain body + pydantic: the SDK
  call recloom itself makes, i.e. the transport floor under recloom;
* ``openai.create``: ``chat.completions.create(response_format=json_schema)`` + ``model_validate_json``:
  the lean hand-written raw-SDK job (the baseline the overheads are taken against);
* ``openai.parse``: ``chat.completions.parse(response_format=Tags)`` (the SDK's own structured path);
* ``langchain``: ``ChatOpenAI.with_structured_output(Tags, method="json_schema").abatch``;
* ``instructor``: ``instructor.from_openai(AsyncOpenAI, mode=JSON_SCHEMA)`` with ``response_model``;
* ``recloom.off`` / ``recloom.rw``: ``Runner.arun`` with the cache off / read-write on a fresh
  (cold) directory, progress bar off.

The peers bound concurrency with a pool of ``concurrency`` workers (the scheduling recloom's executor
uses); LangChain with ``max_concurrency``. Their usually documented pattern, ``asyncio.Semaphore``
around ``gather`` of all N calls, cost 1.3 ms more client CPU per call here (openai.post, 2,048
calls at concurrency 64, 4 alternating rounds: 4.2-5.3 vs 3.0-3.5 ms), so the peers are measured at
their best. The SDK's own retries are off everywhere (``max_retries=0``).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import job

API_KEY = "bench-key"
MAX_TOKENS = 256


class Contender(Protocol):
    async def run(self, rows: list[dict[str, str]], concurrency: int) -> int: ...

    async def close(self) -> None: ...


async def bounded(calls: list[Callable[[], Awaitable[bool]]], concurrency: int) -> int:
    """Run ``calls`` with at most ``concurrency`` in flight (a pool of that many workers taking the
    next call, as recloom's executor does); the number that returned True."""
    pending = iter(calls)
    ok = 0

    async def worker() -> None:
        nonlocal ok
        for call in pending:
            passed = await call()
            ok += passed

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok


def _openai_client(base_url: str) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=60.0)


def _response_format() -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "Tags", "schema": job.strict_schema(), "strict": True},
    }


class OpenAIPost:
    def __init__(self, base_url: str) -> None:
        self.client, self.system, self.fmt = _openai_client(base_url), job.system_prompt(), _response_format()

    async def call(self, row: dict[str, str]) -> bool:
        body = {
            "model": job.MODEL,
            "messages": job.messages(self.system, row),
            "temperature": 0.0,
            "max_tokens": MAX_TOKENS,
            "response_format": self.fmt,
        }
        data = await self.client.post("/chat/completions", body=body, cast_to=object)
        choice = data["choices"][0]
        job.Tags.model_validate_json(choice["message"]["content"])
        return choice["finish_reason"] == "stop"

    async def run(self, rows: list[dict[str, str]], concurrency: int) -> int:
        return await bounded([lambda r=r: self.call(r) for r in rows], concurrency)

    async def close(self) -> None:
        await self.client.close()


class OpenAICreate(OpenAIPost):
    async def call(self, row: dict[str, str]) -> bool:
        completion = await self.client.chat.completions.create(
            model=job.MODEL,
            messages=job.messages(self.system, row),
            temperature=0.0,
            max_tokens=MAX_TOKENS,
            response_format=self.fmt,
        )
        choice = completion.choices[0]
        job.Tags.model_validate_json(choice.message.content or "")
        return choice.finish_reason == "stop"


class OpenAIParse(OpenAIPost):
    async def call(self, row: dict[str, str]) -> bool:
        completion = await self.client.chat.completions.parse(
            model=job.MODEL,
            messages=job.messages(self.system, row),
            temperature=0.0,
            max_tokens=MAX_TOKENS,
            response_format=job.Tags,
        )
        return isinstance(completion.choices[0].message.parsed, job.Tags)


class Instructor(OpenAIPost):
    def __init__(self, base_url: str) -> None:
        import instructor

        super().__init__(base_url)
        self.patched = instructor.from_openai(self.client, mode=instructor.Mode.JSON_SCHEMA)

    async def call(self, row: dict[str, str]) -> bool:
        out = await self.patched.chat.completions.create(
            model=job.MODEL,
            messages=job.messages(self.system, row),
            response_model=job.Tags,
            max_retries=1,  # instructor counts attempts: 1 = no re-ask
            temperature=0.0,
            max_tokens=MAX_TOKENS,
        )
        return isinstance(out, job.Tags)


class LangChain:
    def __init__(self, base_url: str) -> None:
        from langchain_openai import ChatOpenAI

        self.chat = ChatOpenAI(
            model=job.MODEL,
            base_url=base_url,
            api_key=API_KEY,
            max_retries=0,
            temperature=0.0,
            max_tokens=MAX_TOKENS,
        )
        self.chain = self.chat.with_structured_output(job.Tags, method="json_schema")
        self.system = job.system_prompt()

    async def run(self, rows: list[dict[str, str]], concurrency: int) -> int:
        prompts = [[("system", self.system), ("user", job.user_prompt(r))] for r in rows]
        outs = await self.chain.abatch(prompts, config={"max_concurrency": concurrency})
        return sum(isinstance(o, job.Tags) for o in outs)

    async def close(self) -> None:
        await self.chat.async_client._client.close()


class Recloom:
    """``Runner.arun`` over one prebuilt openai backend (connections stay warm across runs); a new
    runner per run, so ``rw`` starts from an empty cache directory every time."""

    def __init__(self, base_url: str, cache_mode: str) -> None:
        from recloom.agents.backends.factory import make_backend

        self.base_url, self.cache_mode = base_url, cache_mode
        self.backend = make_backend("openai", model=job.MODEL, base_url=base_url)
        self.task = job.recloom_task()
        self.tmp = tempfile.TemporaryDirectory(prefix="recloom-bench-")
        self.runs = 0
        self.runner: Any = None

    def prepare(self, concurrency: int) -> None:
        """Build the runner (and open its cache) before the clock starts."""
        from recloom.agents.runtime import Runner, RuntimeConfig

        self.runs += 1
        config = RuntimeConfig(
            backend="openai",
            model=job.MODEL,
            base_url=self.base_url,
            cache_mode=self.cache_mode,
            cache_dir=f"{self.tmp.name}/run{self.runs}",
            concurrency=concurrency,
            progress=False,
        )
        self.runner = Runner(config, backend=self.backend)

    async def run(self, rows: list[dict[str, str]], concurrency: int) -> int:
        result = await self.runner.arun(self.task, rows)
        return sum(o.ok for o in result.outcomes)

    def finish(self) -> None:
        if self.runner is not None and self.runner.engine.cache is not None:
            self.runner.engine.cache.close()
        self.runner = None

    async def close(self) -> None:
        self.finish()
        await self.backend.aclose()
        self.tmp.cleanup()


PEERS: dict[str, Callable[[str], Any]] = {
    "openai.post": OpenAIPost,
    "openai.create": OpenAICreate,
    "openai.parse": OpenAIParse,
    "langchain": LangChain,
    "instructor": Instructor,
    "recloom.off": lambda url: Recloom(url, "off"),
    "recloom.rw": lambda url: Recloom(url, "rw"),
}
