"""LARMI on Amazon Industrial & Scientific with the local (non-LLM) clustering backend, against MIND,
ComiRec-SA and the ablations, mean ± std over seeds; the max-coverage solvers on the real incidence
matrix; LLM-call counts of stage A and stage B. Everything goes through ``recloom.pipelines.larmi``
(the code path of ``recloom larmi run``).

Protocol (methods.md §2.3, REMI): sequences truncated to the 20 most recent items, per-user
chronological 6:2:2 split, Recall / NDCG / HR @20 and @50 over all items, history masked. Training:
Adam, batch 128, d = 64, K = 4, tau = 0.1, lambda = 0.01 (contrastive every 100 batches), lr 1e-2
(from the paper's grid; the fastest to converge for MIND on validation in a 10-epoch check), at most
``--epochs`` epochs with early stopping on validation Recall@20 (patience 2), best weights restored.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/larmi_scientific.py [--seeds 0 1 2 --epochs 6]

Writes ``benchmarks/results/larmi_scientific.json`` and ``.md``; the run directory (default
``runs/bench/larmi-scientific``, with a fresh LLM cache so call counts are real) is not committed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from recloom.agents.artifacts import read_json  # noqa: E402
from recloom.agents.larmi import context_id  # noqa: E402
from recloom.agents.runtime import Runner, RuntimeConfig  # noqa: E402
from recloom.pipelines.larmi_data import DataConfig  # noqa: E402
from recloom.pipelines.larmi_run import COLUMNS, aggregate, label, results_table, run_workflow  # noqa: E402
from recloom.pipelines.larmi_select import SelectConfig  # noqa: E402
from recloom.pipelines.larmi_train import TrainSettings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = ["larmi", "mind", "comirec", "wo_sem", "wo_col", "wo_rep", "l_gre"]


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", type=Path, default=Path("runs/bench/larmi-scientific"))
    p.add_argument("--embedding-cache", type=Path, default=Path(".cache/embeddings"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--variants", nargs="+", default=VARIANTS)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--patience", type=int, default=2)
    p.add_argument("--threshold", type=float, default=0.7)
    p.add_argument("--exact-seconds", type=float, default=120.0)
    p.add_argument("--users", type=int, default=None, help="first N users only (a quick check)")
    p.add_argument("--keep", action="store_true", help="resume an existing run directory")
    p.add_argument("--out", default="larmi_scientific", help="results file stem")
    return p.parse_args()


def stage_calls(stages: dict[str, Any]) -> dict[str, Any]:
    """Prompts and backend calls of stage A and of each stage-B7 selection."""
    out = {}
    for name, facts in stages.items():
        if name == "cluster" or name.startswith("select/"):
            out[name] = {k: facts.get(k) for k in ("prompts", "backend_calls", "cached", "wall_s")}
            out[name]["clusters_per_user"] = facts["clusters"]["clusters_mean"]
            out[name]["capped_prompts"] = facts["clusters"]["capped"]
    return out


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        f"# LARMI on Amazon Industrial & Scientific ({doc['when']})",
        "",
        f"Data: {doc['data']['users']} users, {doc['data']['items']} items; split sizes "
        f"{ {k: doc['data'][k] for k in ('train', 'valid', 'test')} }. Stage A/B clustering: local "
        "non-LLM baseline (agglomerative MiniLM clusters). Seeds: " + ", ".join(map(str, doc["seeds"])),
        "",
        "## Test metrics (mean ± std over seeds)",
        "",
        doc["table"],
        "",
        "## Max coverage on the real incidence matrix",
        "",
        "| solver | objective | vs greedy | seconds | proven optimal | bound |",
        "|---|---|---|---|---|---|",
    ]
    for r in doc["mcp"]:
        bound = "-" if r["bound"] is None else f"{r['bound']:.2f}"
        lines.append(
            f"| {r['solver']} | {r['objective']:.2f} | {r['vs_greedy']:.4f} | {r['seconds']:.1f} | "
            f"{r['proven_optimal']} | {bound} |"
        )
    lines += [
        "",
        "## LLM calls (fresh cache)",
        "",
        "| stage | prompts | backend calls | clusters/user | capped |",
        "|---|---|---|---|---|",
    ]
    for name, c in doc["llm_calls"].items():
        lines.append(
            f"| {name} | {c['prompts']} | {c['backend_calls']} | {c['clusters_per_user']} | "
            f"{c['capped_prompts']} |"
        )
    lines += [
        "",
        f"Wall {doc['wall_s'] / 60:.1f} min, process CPU {doc['cpu_s'] / 60:.1f} min "
        f"(load average at the end {doc['load_average']}).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = arguments()
    torch.set_num_threads(1)
    if args.run_dir.exists() and not args.keep:
        shutil.rmtree(args.run_dir)
    start, cpu0 = time.perf_counter(), time.process_time()
    context = {"cluster_threshold": args.threshold, "embedding_cache_dir": str(args.embedding_cache)}
    runner = Runner(
        RuntimeConfig(
            backend="local",
            cache_dir=str(args.run_dir / ".cache"),
            progress=False,
            local_context_id=context_id(args.threshold),
            backend_options={"context": context},
        )
    )
    select = SelectConfig(exact_time_limit=args.exact_seconds)
    settings = TrainSettings(epochs=args.epochs, lr=args.lr, patience=args.patience)
    summary = run_workflow(
        args.run_dir,
        DataConfig(users=args.users),
        runner,
        context,
        select,
        args.variants,
        args.seeds,
        settings,
    )
    records = read_json(args.run_dir / "train" / "results.json")
    agg = aggregate(records)
    doc = {
        "when": time.strftime("%Y-%m-%d"),
        "seeds": args.seeds,
        "data": summary["data"],
        "settings": {**vars(settings), "threshold": args.threshold},
        "metrics": {
            v: {label(c): {"mean": m[0], "std": m[1], "n": m[2]} for c, m in cols.items()}
            for v, cols in agg.items()
        },
        "table": results_table(records, COLUMNS),
        "mcp": read_json(args.run_dir / "select" / "compare.json"),
        "cliques": summary["stages"]["cliques"],
        "llm_calls": stage_calls(summary["stages"]),
        "runs": [
            {
                k: r[k]
                for k in (
                    "variant",
                    "seed",
                    "best_epoch",
                    "epochs_run",
                    "train_seconds",
                    "seconds_per_epoch",
                    "aux_updates",
                    "test",
                )
            }
            for r in records
        ],
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(time.process_time() - cpu0, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cpus": os.cpu_count(),
            "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{args.out}.md").write_text(markdown(doc), encoding="utf-8")
    print(markdown(doc))


if __name__ == "__main__":
    main()
