"""Run one side of the benchmark in its own child process and measure its peak memory.

Each side (RecBole or recloom) trains in a fresh subprocess so that the peak resident set size
of exactly that run can be read back with ``os.wait4`` (per-child ``ru_maxrss``), and so that
both sides start from the same cold state. Children are always run one after the other, never in
parallel, so their timings are comparable.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class ChildRunError(RuntimeError):
    """A benchmark child process failed; the message carries the tail of its log."""


def child_env(threads: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: pinned thread counts, offline hubs, plus ``extra``."""
    env = dict(os.environ)
    env.update({k: str(threads) for k in THREAD_ENV})
    env.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def run_child(cmd: list[str], env: dict[str, str], log_path: Path, result_path: Path) -> dict[str, Any]:
    """Run ``cmd``; return the JSON it wrote to ``result_path`` plus wall time and peak RSS (MiB)."""
    result_path.unlink(missing_ok=True)
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0 or not result_path.exists():
        tail = log_path.read_text(errors="replace")[-4000:]
        raise ChildRunError(f"{' '.join(cmd[:3])} ... exited {code}; log {log_path}:\n{tail}")
    result = json.loads(result_path.read_text())
    result["wall_seconds"] = round(wall, 2)
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024.0, 1)  # Linux reports KiB
    # The machine is shared: the 1-minute load average around the run says how contended it was.
    result["loadavg_1min"] = [round(load_start, 2), round(os.getloadavg()[0], 2)]
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (falls back to platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """CPU model, logical cores, memory and Python of the machine running the benchmark."""
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024**2, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
