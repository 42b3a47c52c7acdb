"""Medians, overheads, ratios and targets of a runtime benchmark run, and its Markdown table."""

from __future__ import annotations

import os
import platform
import statistics
from typing import Any

BASELINE = "openai.create"  # the lean raw-SDK job: overheads are taken against it
FLOOR = "openai.post"  # the SDK call recloom makes: recloom's own work is taken against it
PEERS = ("langchain", "instructor")
TARGETS = {"overhead_ms": 0.2, "throughput_fraction": 0.95, "replay_per_s": 10_000}


def _median(runs: list[dict[str, Any]], key: str, scale: float = 1.0) -> float:
    return statistics.median(r[key] * scale / r["n"] for r in runs)


def per_call(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Median client CPU and wall per call (ms) of every contender, and the median load."""
    return {
        name: {
            "cpu_ms_per_call": round(_median(rs, "cpu_s", 1000.0), 4),
            "wall_ms_per_call": round(_median(rs, "wall_s", 1000.0), 4),
            "cpu_ms_per_call_runs": [round(r["cpu_s"] * 1000.0 / r["n"], 4) for r in rs],
            "wall_ms_per_call_runs": [round(r["wall_s"] * 1000.0 / r["n"], 4) for r in rs],
            "load1_median": statistics.median(r["load1"] for r in rs),
        }
        for name, rs in runs.items()
    }


def overheads(calls: dict[str, dict[str, Any]], against: str) -> dict[str, dict[str, float]]:
    if against not in calls:
        return {}
    base = calls[against]
    return {
        name: {
            "cpu_ms": round(c["cpu_ms_per_call"] - base["cpu_ms_per_call"], 4),
            "wall_ms": round(c["wall_ms_per_call"] - base["wall_ms_per_call"], 4),
            "cpu_ratio": round(c["cpu_ms_per_call"] / base["cpu_ms_per_call"], 3),
        }
        for name, c in calls.items()
        if name != against
    }


def throughput(runs: dict[str, list[dict[str, Any]]], concurrency: int, latency_ms: int) -> dict[str, Any]:
    ideal = concurrency / (latency_ms / 1000.0)
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        rates = [r["n"] / r["wall_s"] for r in rs]
        out[name] = {
            "calls_per_s": round(statistics.median(rates), 2),
            "fraction_of_ideal": round(statistics.median(rates) / ideal, 4),
            "fraction_runs": [round(x / ideal, 4) for x in rates],
            "cpu_ms_per_call": round(_median(rs, "cpu_s", 1000.0), 4),
            "load1_median": statistics.median(r["load1"] for r in rs),
        }
    return {"ideal_calls_per_s": ideal, "contenders": out}


def replay_summary(replay: dict[str, Any]) -> dict[str, Any]:
    runs = replay["runs"]
    n = runs[0]["n"]
    return {
        "entries": n,
        "fill": {k: replay["fill"][k] for k in ("n", "wall_s", "cpu_s", "load1")},
        "results_per_s_wall": round(statistics.median(n / r["wall_s"] for r in runs), 1),
        "results_per_s_cpu": round(statistics.median(n / r["cpu_s"] for r in runs), 1),
        "us_per_result_cpu": round(statistics.median(r["cpu_s"] * 1e6 / n for r in runs), 2),
        "server_requests_during_replay": sum(r["server_requests"] for r in runs),
        "runs": [{k: r[k] for k in ("wall_s", "cpu_s", "load1", "ok", "cached")} for r in runs],
    }


def targets(zero: dict[str, Any], slow: dict[str, Any], replay: dict[str, Any]) -> dict[str, Any]:
    over = zero["overhead_vs_" + BASELINE]
    own = zero["overhead_vs_" + FLOOR]
    frac = slow["contenders"]
    out: dict[str, Any] = {}
    for name in ("recloom.off", "recloom.rw"):
        if name not in over:
            continue
        mine = over[name]["cpu_ms"]
        out[name] = {
            "overhead_cpu_ms_vs_openai_create": mine,
            "own_cpu_ms_vs_openai_post": own.get(name, {}).get("cpu_ms"),
            "overhead_le_0.2ms": mine <= TARGETS["overhead_ms"],
            "below_peers": all(mine < over[p]["cpu_ms"] for p in PEERS if p in over),
            "throughput_fraction": frac.get(name, {}).get("fraction_of_ideal"),
            "throughput_ge_0.95": frac.get(name, {}).get("fraction_of_ideal", 0)
            >= TARGETS["throughput_fraction"],
        }
    out["replay_ge_10000_per_s_wall"] = replay["results_per_s_wall"] >= TARGETS["replay_per_s"]
    out["replay_ge_10000_per_s_cpu"] = replay["results_per_s_cpu"] >= TARGETS["replay_per_s"]
    return out


def summarize(
    args: Any, zero: dict[str, Any], slow: dict[str, Any], replay: dict[str, Any]
) -> dict[str, Any]:
    calls = per_call(zero)
    z = {
        "calls_per_batch": args.n,
        "concurrency": args.concurrency,
        "repeats": args.repeats,
        "per_call": calls,
        "overhead_vs_" + BASELINE: overheads(calls, BASELINE),
        "overhead_vs_" + FLOOR: overheads(calls, FLOOR),
    }
    s = {
        "latency_ms": args.latency_ms,
        "calls_per_batch": args.n,
        "concurrency": args.concurrency,
        "repeats": args.latency_repeats,
        **throughput(slow, args.concurrency, args.latency_ms),
    }
    r = replay_summary(replay)
    return {
        "benchmark": "runtime",
        "method": (
            "loopback OpenAI-compatible server in its own process; one process per contender; contenders "
            "interleaved batch by batch; medians over repeats; CPU = process_time of the client process"
        ),
        "targets": TARGETS,
        "zero_latency": z,
        "fixed_latency": s,
        "replay": r,
        "verdict": targets(z, s, r),
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cores": os.cpu_count(),
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "caveat": "cores shared with other jobs; CPU time per call is the robust figure, wall time is noisy",
    }


def table(result: dict[str, Any]) -> str:
    """The Markdown table of the README: CPU and wall per call, overheads, throughput fraction."""
    z, s = result["zero_latency"], result["fixed_latency"]
    over = z["overhead_vs_" + BASELINE]
    lines = [
        f"| contender | CPU ms/call (0 ms) | overhead vs {BASELINE} | wall ms/call (0 ms) "
        f"| throughput at {s['latency_ms']} ms, c={s['concurrency']} |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, c in z["per_call"].items():
        o = over.get(name)
        ostr = "(baseline)" if o is None else f"{o['cpu_ms']:+.3f} ms ({o['cpu_ratio']:.2f}x)"
        t = s["contenders"].get(name, {}).get("fraction_of_ideal")
        tstr = "" if t is None else f"{100 * t:.1f} %"
        lines.append(
            f"| {name} | {c['cpu_ms_per_call']:.3f} | {ostr} | {c['wall_ms_per_call']:.3f} | {tstr} |"
        )
    base = z["per_call"].get("recloom.off", {}).get("cpu_ms_per_call")
    if base:
        ratios = ", ".join(
            f"{name} {c['cpu_ms_per_call'] / base:.2f}x"
            for name, c in z["per_call"].items()
            if not name.startswith("recloom")
        )
        lines += ["", f"Client CPU per call relative to recloom (cache off): {ratios}."]
    r = result["replay"]
    lines.append("")
    lines.append(
        f"Strict replay of {r['entries']:,} cached results: "
        f"{r['results_per_s_wall']:,.0f} validated results/s "
        f"(wall), {r['results_per_s_cpu']:,.0f}/s (CPU), {r['us_per_result_cpu']} µs CPU per result."
    )
    return "\n".join(lines)


if __name__ == "__main__":  # print the table of a results file: python report.py results/runtime.json
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as fh:
        print(table(json.load(fh)))
