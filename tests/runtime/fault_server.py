"""A fault-injecting OpenAI-compatible server on 127.0.0.1 for tests (asyncio, in its own thread).

``POST /v1/chat/completions`` answers what ``plan(body, seen)`` returns, where ``seen`` counts how
often this exact request body arrived before. A ``Reply`` can be a normal completion, an HTTP error
with headers (429 + Retry-After), a stall (bounded), a truncated answer with
``finish_reason="length"``, or a garbage body. Loopback only; every loop is bounded; ``stop()``
closes everything. The server records request bodies, headers and the number of TCP connections.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_STALL_S = 5.0
MAX_HEADER_LINES = 100


@dataclass
class Reply:
    content: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0
    raw_body: bytes | None = None
    usage: tuple[int, int, int] = (20, 10, 0)  # prompt, completion, cached


Plan = Callable[[dict[str, Any], int], Reply]


def completion_json(reply: Reply, model: str) -> bytes:
    p, c, cached = reply.usage
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                    "message": {"role": "assistant", "content": reply.content, "refusal": None},
                }
            ],
            "usage": {
                "prompt_tokens": p,
                "completion_tokens": c,
                "total_tokens": p + c,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }
    ).encode()


class FaultServer:
    def __init__(self, plan: Plan, *, latency_s: float = 0.0) -> None:
        self.plan = plan
        self.latency_s = latency_s
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.connections = 0
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self.bodies)

    def start(self) -> FaultServer:
        self._thread = threading.Thread(target=self._run, name="fault-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            while True:  # keep-alive: one request per iteration, ends when the client closes
                line = await reader.readline()
                if not line:
                    return
                headers = await self._read_headers(reader)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                await self._respond(line.decode("latin-1"), headers, body, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            writer.close()

    async def _read_headers(self, reader: asyncio.StreamReader) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            line = (await reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    async def _respond(
        self, request_line: str, headers: dict[str, str], raw: bytes, writer: asyncio.StreamWriter
    ) -> None:
        if " /v1/chat/completions" not in request_line:
            await self._write(writer, 404, b'{"error": {"message": "not found"}}', {})
            return
        body = json.loads(raw)
        canonical = json.dumps(body, sort_keys=True)
        with self._lock:
            seen = self._seen[canonical]
            self._seen[canonical] += 1
            self.bodies.append(body)
            self.headers.append(headers)
        reply = self.plan(body, seen)
        delay = min(MAX_STALL_S, self.latency_s + reply.stall_s)
        if delay:
            await asyncio.sleep(delay)
        if reply.raw_body is not None:
            await self._write(writer, reply.status, reply.raw_body, reply.headers)
        elif reply.status != 200:
            payload = json.dumps(
                {"error": {"message": f"injected HTTP {reply.status}", "type": "test"}}
            ).encode()
            await self._write(writer, reply.status, payload, reply.headers)
        else:
            await self._write(writer, 200, completion_json(reply, str(body.get("model", ""))), reply.headers)

    async def _write(
        self, writer: asyncio.StreamWriter, status: int, payload: bytes, headers: dict[str, str]
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} X",
            "content-type: application/json",
            f"content-length: {len(payload)}",
            "connection: keep-alive",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()
