"""Profile recloom's hot paths against the loopback server (cProfile, in-process).

    python profile_runtime.py call   [--n 2048]   # Runner.arun, cache off, zero latency
    python profile_runtime.py rw     [--n 2048]   # Runner.arun, cache rw (cold)
    python profile_runtime.py replay [--n 20000]  # strict replay of a warm cache

Prints the functions with the most own time and the most cumulative time. For a sampling view of a
whole benchmark child, attach py-spy (installed in the benchmark venv): ``py-spy top --pid PID``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import job  # noqa: E402
from contenders import Recloom  # noqa: E402
from replay import ReplayBench  # noqa: E402


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "server.py"], cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().split()[1]
    return proc, f"http://127.0.0.1:{port}"


async def profile_calls(server: str, mode: str, n: int, profiler: cProfile.Profile) -> float:
    inst = Recloom(f"{server}/v1", mode)
    for _ in range(2):
        inst.prepare(64)
        await inst.run(job.inputs(128, prefix="warm"), 64)
        inst.finish()
    inst.prepare(64)
    rows = job.inputs(n)
    start = time.process_time()
    profiler.enable()
    ok = await inst.run(rows, 64)
    profiler.disable()
    cpu = time.process_time() - start
    inst.finish()
    await inst.close()
    assert ok == n, ok
    return cpu


async def profile_replay(server: str, n: int, profiler: cProfile.Profile) -> float:
    bench = ReplayBench(f"{server}/v1")
    await bench.fill(n, 64)
    await bench.replay(n, 64)  # warm
    profiler.enable()
    result = await bench.replay(n, 64)
    profiler.disable()
    bench.close()
    return float(result["cpu_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["call", "rw", "replay"])
    parser.add_argument("--n", type=int)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    proc, server = start_server()
    profiler = cProfile.Profile(time.process_time)  # CPU time: wall time is noise on a shared machine
    try:
        if args.what == "replay":
            n = args.n or 20000
            cpu = asyncio.run(profile_replay(server, n, profiler))
        else:
            n = args.n or 2048
            cpu = asyncio.run(profile_calls(server, "off" if args.what == "call" else "rw", n, profiler))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)
    print(f"{args.what}: {n} calls, {1e6 * cpu / n:.1f} us CPU per call (under the profiler)")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
