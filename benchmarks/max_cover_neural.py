"""CardNN-GS on LARMI's real max-coverage instance, against greedy / exact / random in the same run,
and the cost of one Gumbel-Sinkhorn soft top-k call, fixed point vs 100 unrolled iterations.

Instance: Amazon Industrial & Scientific, the LARMI split (chronological 6:2:2, length <= 20); cliques
of the training parts with Jaccard neighbourhoods sized so that the median |c(u')| is 30..60 (§2.6);
budget Z = 2 % of the users. The exact MILP runs under a time limit (it may not prove optimality).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/max_cover_neural.py [--steps 400 --samples 50]

Writes ``benchmarks/results/max_cover_neural.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from recloom.data.loaders import load_dataset  # noqa: E402
from recloom.data.splitters import get_splitter  # noqa: E402
from recloom.graph.cliques import CliqueConfig, build_cliques, choose_size, interaction_matrix  # noqa: E402
from recloom.graph.max_cover import Selection, coverage_objective, get_max_cover_solver  # noqa: E402
from recloom.recmodels.layers.gumbel_sinkhorn import gumbel_sinkhorn_topk  # noqa: E402

RESULT = Path(__file__).resolve().parent / "results" / "max_cover_neural.json"


def record(sel: Selection) -> dict[str, Any]:
    return {"objective": round(sel.objective, 4), "seconds": round(sel.seconds, 2),
            "proven_optimal": sel.proven_optimal, "bound": None if sel.bound is None else round(sel.bound, 4)}


def sinkhorn_cost(n: int, k: int, samples: int, repeats: int = 5) -> dict[str, float]:
    """Median seconds of forward + backward of one soft top-k call per method, interleaved."""
    scores = torch.rand(n, requires_grad=True)
    times: dict[str, list[float]] = {"fixed_point": [], "unrolled": []}
    for _ in range(repeats):
        for method in times:
            start = time.perf_counter()
            gumbel_sinkhorn_topk(torch.sigmoid(scores), k, n_samples=samples, method=method).sum().backward()
            times[method].append(time.perf_counter() - start)
    out = {m: round(statistics.median(t), 4) for m, t in times.items()}
    out["unrolled_over_fixed_point"] = round(out["unrolled"] / out["fixed_point"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--exact-seconds", type=float, default=120.0)
    args = parser.parse_args()
    ds = load_dataset("amazon-scientific")
    split = get_splitter("larmi").split(ds.interactions, ds.n_users, ds.n_items)
    counts = interaction_matrix(split.train.sequences(split.n_users), split.n_items)
    size = choose_size(counts)
    cliques = build_cliques(counts, CliqueConfig(size=size))
    a, w = cliques.incidence, cliques.item_values
    k = max(1, round(0.02 * a.shape[0]))
    rng = torch.Generator().manual_seed(0)
    pick = torch.randperm(a.shape[0], generator=rng)[:k].sort().values.numpy()
    neural = get_max_cover_solver("neural", opt_steps=args.steps, opt_samples=args.samples)
    exact = get_max_cover_solver("exact", time_limit=args.exact_seconds, fallback=None)
    solvers = {"random": Selection(pick, coverage_objective(a, w, pick), 0.0, "random"),
               "greedy": get_max_cover_solver("greedy").solve(a, w, k),
               "neural": neural.solve(a, w, k),
               "exact": exact.solve(a, w, k)}
    result = {
        "instance": {"dataset": "amazon-scientific", "split": "larmi", "sets": a.shape[0],
                     "items": a.shape[1], "nnz": int(a.nnz), "clique_size": size, "budget": k},
        "solvers": {name: record(sel) for name, sel in solvers.items()},
        "neural_over_greedy": round(solvers["neural"].objective / solvers["greedy"].objective, 5),
        "neural_options": {"opt_steps": args.steps, "opt_samples": args.samples},
        "neural_best_step": neural.last_result.best_step if neural.last_result else None,
        "soft_topk_call_seconds": sinkhorn_cost(a.shape[0], k, args.samples),
        "machine": platform.machine(), "torch": torch.__version__, "threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=2))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
