"""A tiny OpenAI-compatible loopback server for the runtime benchmark (stdlib only, one process).

``POST <prefix>/v1/chat/completions`` answers one fixed, pre-serialised chat completion whose
content is ``job.ANSWER``; a prefix ``/l<ms>`` holds the answer ``ms`` milliseconds first (a timer,
no coroutine per request), so one server serves the zero- and the fixed-latency runs alike.
``GET /stats`` returns the request and connection counts (the driver checks that a replay made
zero requests). HTTP/1.1 keep-alive, bodies by Content-Length; the request body is never parsed:
the server does the least work possible so that client costs dominate what is measured, and it
does the same work for every contender.

    python server.py [--port 0]        # prints "PORT <n>", serves until stdin closes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading

from job import ANSWER, MODEL

USAGE = {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340}


def completion_body() -> bytes:
    choice = {
        "index": 0,
        "finish_reason": "stop",
        "logprobs": None,
        "message": {"role": "assistant", "content": ANSWER, "refusal": None},
    }
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [choice],
        "usage": {**USAGE, "prompt_tokens_details": {"cached_tokens": 0}},
    }
    return json.dumps(body).encode()


def http_response(status: str, payload: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\nconnection: keep-alive\r\n\r\n"
    )
    return head.encode("latin-1") + payload


class Stats:
    requests = 0
    connections = 0


COMPLETION = http_response("200 OK", completion_body())
NOT_FOUND = http_response("404 Not Found", b'{"error": {"message": "not found"}}')


def latency_of(path: bytes) -> float:
    """Seconds of delay asked for by a ``/l<ms>`` path prefix (0 without one)."""
    if path.startswith(b"/l"):
        ms = path[2:].split(b"/", 1)[0]
        if ms.isdigit():
            return int(ms) / 1000.0
    return 0.0


class Handler(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        Stats.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = _content_length(head)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        assert self.transport is not None
        method, path = head.split(b" ", 2)[:2]
        if method == b"GET" and path == b"/stats":
            stats = json.dumps({"requests": Stats.requests, "connections": Stats.connections}).encode()
            self.transport.write(http_response("200 OK", stats))
        elif method == b"POST" and path.endswith(b"/v1/chat/completions"):
            Stats.requests += 1
            delay = latency_of(path)
            if delay > 0:
                asyncio.get_running_loop().call_later(delay, self._write, COMPLETION)
            else:
                self.transport.write(COMPLETION)
        else:
            self.transport.write(NOT_FOUND)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


def _content_length(head: bytes) -> int:
    lower = head.lower()
    at = lower.find(b"content-length:")
    if at < 0:
        return 0
    end = lower.find(b"\r\n", at)
    return int(lower[at + 15 : end if end >= 0 else None])


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Handler, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True
    ).start()
    async with server:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))
