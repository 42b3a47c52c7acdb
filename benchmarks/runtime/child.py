"""One contender in its own process, driven by ``run.py`` over stdin/stdout (one JSON command per
line in, one ``RESULT {json}`` line out), so each contender imports only its own libraries and the
driver can interleave contenders repeat by repeat.

Commands: ``{"cmd": "run", "n", "concurrency", "latency_ms"}`` (one measured batch),
``{"cmd": "fill", "n", "concurrency"}`` / ``{"cmd": "replay", "n", "concurrency"}`` (the
``recloom.replay`` contender), ``{"cmd": "versions"}``, ``{"cmd": "quit"}``. A measured batch
reports wall time (``perf_counter``) and the CPU time of this whole process (``process_time``: all
its threads, e.g. recloom's cache writer), with the server in another process.

    python child.py --contender openai.create --server http://127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from importlib import metadata
from typing import Any

import job
from contenders import PEERS
from replay import ReplayBench

WARMUP_CALLS = 128
PACKAGES = (
    "recloom",
    "openai",
    "httpx",
    "httpx2",
    "httpcore2",
    "pydantic",
    "langchain-core",
    "langchain-openai",
    "instructor",
    "diskcache",
)


def base_url(server: str, latency_ms: int) -> str:
    return f"{server}/l{latency_ms}/v1" if latency_ms else f"{server}/v1"


class Child:
    def __init__(self, contender: str, server: str) -> None:
        self.name, self.server = contender, server
        self.instances: dict[int, Any] = {}
        self.replay: ReplayBench | None = None
        self.batches = 0

    async def instance(self, latency_ms: int, concurrency: int) -> Any:
        """The contender for this latency, built and warmed (pool opened) on first use."""
        if latency_ms not in self.instances:
            inst = PEERS[self.name](base_url(self.server, latency_ms))
            for _ in range(2):
                await self._batch(inst, job.inputs(WARMUP_CALLS, prefix="warm"), concurrency)
            self.instances[latency_ms] = inst
        return self.instances[latency_ms]

    async def _batch(self, inst: Any, rows: list[dict[str, str]], concurrency: int) -> dict[str, Any]:
        prepare, finish = getattr(inst, "prepare", None), getattr(inst, "finish", None)
        if prepare is not None:
            prepare(concurrency)
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        ok = await inst.run(rows, concurrency)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if finish is not None:
            finish()
        return {"n": len(rows), "ok": ok, "wall_s": wall, "cpu_s": cpu}

    async def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        kind = cmd["cmd"]
        if kind == "versions":
            return versions()
        if kind == "run":
            inst = await self.instance(cmd["latency_ms"], cmd["concurrency"])
            self.batches += 1
            rows = job.inputs(cmd["n"], prefix=f"b{self.batches}_")
            return await self._batch(inst, rows, cmd["concurrency"])
        if self.replay is None:
            self.replay = ReplayBench(base_url(self.server, 0))
        if kind == "fill":
            return await self.replay.fill(cmd["n"], cmd["concurrency"])
        if kind == "replay":
            return await self.replay.replay(cmd["n"], cmd["concurrency"])
        raise ValueError(f"unknown command {kind!r}")

    async def close(self) -> None:
        for inst in self.instances.values():
            await inst.close()
        if self.replay is not None:
            self.replay.close()


def versions() -> dict[str, Any]:
    out: dict[str, Any] = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contender", required=True, choices=[*PEERS, "recloom.replay"])
    parser.add_argument("--server", required=True)
    args = parser.parse_args()
    child = Child(args.contender, args.server)
    loop = asyncio.new_event_loop()
    try:
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                break
            try:
                result = loop.run_until_complete(child.handle(cmd))
            except Exception as exc:  # reported to the driver, which stops the benchmark
                result = {"error": f"{type(exc).__name__}: {exc}"}
            print("RESULT " + json.dumps(result), flush=True)
    finally:
        loop.run_until_complete(child.close())
        loop.close()


if __name__ == "__main__":
    main()
