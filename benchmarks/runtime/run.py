"""Runtime benchmark (issue 2): recloom's per-call overhead against raw ``AsyncOpenAI``, LangChain
``abatch`` and instructor; throughput as a fraction of concurrency/latency; strict-replay rate.

One loopback server process (``server.py``) and one process per contender (``child.py``), all in
``benchmarks/.venv-runtime`` (built by ``bench_venv.py``). Contenders take turns batch by batch, in a
rotated order each repeat, so load from other processes hits all of them alike; medians are kept.
Per-call overhead is reported as client CPU per call (``process_time`` of the contender's process:
robust on a shared machine) and as wall time per call, each minus the same figure of the lean raw
SDK job (``openai.create``); recloom's own work is also shown against ``openai.post`` (the SDK call
recloom makes). Writes ``benchmarks/results/runtime.json``.

    python benchmarks/runtime/run.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_venv import ensure_venv  # noqa: E402
from report import machine, summarize, table  # noqa: E402

RESULT = HERE.parent / "results" / "runtime.json"
CONTENDERS = (
    "openai.post",
    "openai.create",
    "openai.parse",
    "langchain",
    "instructor",
    "recloom.off",
    "recloom.rw",
)


class Proc:
    """A child process speaking the line protocol of ``child.py``."""

    def __init__(self, cmd: list[str]) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
        self.p = subprocess.Popen(
            cmd, cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def line(self, prefix: str) -> str:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise RuntimeError(f"{self.p.args} ended without a {prefix!r} line (exit {self.p.wait()})")

    def ask(self, **cmd: Any) -> dict[str, Any]:
        assert self.p.stdin is not None
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        result = json.loads(self.line("RESULT "))
        if "error" in result:
            raise RuntimeError(f"{self.p.args[2:]}: {cmd}: {result['error']}")
        return result

    def close(self) -> None:
        if self.p.poll() is None:
            try:
                assert self.p.stdin is not None
                self.p.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.p.stdin.close()
                self.p.wait(60)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()


def stats(server: str) -> dict[str, int]:
    from urllib.request import urlopen

    with urlopen(f"{server}/stats", timeout=10) as response:
        return json.loads(response.read())


def measured(proc: Proc, **cmd: Any) -> dict[str, Any]:
    load = os.getloadavg()[0]
    result = proc.ask(**cmd)
    result["load1"] = round((load + os.getloadavg()[0]) / 2, 2)
    if result["ok"] != result["n"]:
        raise RuntimeError(f"{cmd}: only {result['ok']} of {result['n']} answers validated")
    return result


def rounds(children: dict[str, Proc], repeats: int, **cmd: Any) -> dict[str, list[dict[str, Any]]]:
    names = list(children)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for rep in range(repeats):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            out[name].append(measured(children[name], **cmd))
            r = out[name][-1]
            where = f"[{cmd['latency_ms']} ms] {name:14s}"
            print(f"  {where} wall {r['wall_s']:.3f}s cpu {r['cpu_s']:.3f}s load {r['load1']}", flush=True)
    return out


def replay_runs(proc: Proc, server: str, args: argparse.Namespace) -> dict[str, Any]:
    fill = measured(proc, cmd="fill", n=args.replay_n, concurrency=args.concurrency)
    print(f"  filled {args.replay_n} entries in {fill['wall_s']:.1f}s", flush=True)
    runs = []
    for _ in range(args.replay_repeats):
        before = stats(server)["requests"]
        r = measured(proc, cmd="replay", n=args.replay_n, concurrency=args.concurrency)
        r["server_requests"] = stats(server)["requests"] - before
        if r["server_requests"] or r["backends_built"] or r["cached"] != r["n"]:
            raise RuntimeError(f"strict replay touched the backend: {r}")
        runs.append(r)
        print(
            f"  replay {r['n']} in {r['wall_s']:.3f}s (cpu {r['cpu_s']:.3f}s) load {r['load1']}", flush=True
        )
    return {"fill": fill, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="calls per batch (a multiple of --concurrency)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5, help="batches per contender at zero latency")
    parser.add_argument("--latency-repeats", type=int, default=3)
    parser.add_argument("--replay-n", type=int, default=20000)
    parser.add_argument("--replay-repeats", type=int, default=5)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS))
    parser.add_argument("--python", help="interpreter to use (default: build/reuse benchmarks/.venv-runtime)")
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--quick", action="store_true", help="small smoke run (not for the results file)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeats, args.latency_repeats, args.replay_n, args.replay_repeats = 256, 1, 1, 2000, 1
    py = str(Path(args.python).absolute()) if args.python else str(ensure_venv())
    started = time.time()
    server_proc = Proc([py, "server.py"])
    server = f"http://127.0.0.1:{server_proc.line('PORT ')}"
    children = {
        name: Proc([py, "child.py", "--contender", name, "--server", server]) for name in args.contenders
    }
    replayer = Proc([py, "child.py", "--contender", "recloom.replay", "--server", server])
    try:
        versions = replayer.ask(cmd="versions")
        print(f"zero latency: {args.repeats} x {args.n} calls, concurrency {args.concurrency}", flush=True)
        zero = rounds(children, args.repeats, cmd="run", n=args.n, concurrency=args.concurrency, latency_ms=0)
        print(f"{args.latency_ms} ms latency: {args.latency_repeats} x {args.n} calls", flush=True)
        slow = rounds(
            children,
            args.latency_repeats,
            cmd="run",
            n=args.n,
            concurrency=args.concurrency,
            latency_ms=args.latency_ms,
        )
        print(f"strict replay: {args.replay_repeats} x {args.replay_n} cached inputs", flush=True)
        replay = replay_runs(replayer, server, args)
    finally:
        for proc in [*children.values(), replayer, server_proc]:
            proc.close()
    result = summarize(args, zero, slow, replay)
    result.update(machine=machine(), versions=versions, wall_s=round(time.time() - started, 1))
    print(table(result))
    if not args.quick or args.out != RESULT:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
