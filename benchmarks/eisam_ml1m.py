"""SASRec + {plain, RW, SAM, GroupSAM, EISAM} on MovieLens-1M with the EISAM protocol (seed 004
Table 2/3; methods.md §5.3-5.5, §5.7), several seeds, plus the prior probe's P×D cells.

Data: ML-1M **users 1-2999 only** (the shared copy holds partial ratings; see data README), items
with < 5 interactions removed, one sequence per interaction with a full 10-item history, 8:1:1 by
target time. To fit the shared 2-core machine the training sequences are capped (``--max-train``,
uniform sample, seed 0; §5.7 makes the cap a config value) and every rule trains a fixed number of
epochs (best validation epoch restored); validation uses a capped sample, test the full test split.

The probe runs on the local backend: a popularity-blind nearest-title generator (a pipeline check,
NOT an LLM's prior), grounded with MiniLM; its P×D cells are evaluated anyway so that the whole
chain is exercised, and labelled as such in the outputs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/eisam_ml1m.py [--seeds 0 1 2] [--max-train 16384]

Writes ``benchmarks/results/eisam_ml1m.json``, ``eisam_ml1m.md`` and ``eisam_ml1m_cells.png``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from recloom.agents.artifacts import write_json  # noqa: E402
from recloom.agents.probe import LOCAL_GENERATOR_NOTE  # noqa: E402
from recloom.agents.runtime import RuntimeConfig  # noqa: E402
from recloom.data.loaders import load_dataset  # noqa: E402
from recloom.pipelines.eisam_chart import cell_chart, markdown_table  # noqa: E402
from recloom.pipelines.eisam_data import eisam_sequences  # noqa: E402
from recloom.pipelines.eisam_eval import RULES, sasrec_experiment  # noqa: E402
from recloom.pipelines.probe import ProbeSpec, ground_probe, probe_groups, run_probe  # noqa: E402
from recloom.recmodels.trainer import TrainConfig  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ["ndcg@10", "hr@10", "ndcg@10/head", "hr@10/head", "ndcg@10/tail", "hr@10/tail"]
CELLS = ["ndcg@10/ph_dh", "ndcg@10/ph_dt", "ndcg@10/pt_dh", "ndcg@10/pt_dt"]


def args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--rules", nargs="+", default=list(RULES), choices=RULES)
    p.add_argument("--max-train", type=int, default=16384)
    p.add_argument("--max-valid", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--probe-sequences", type=int, default=1000)
    p.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "recloom-eisam-bench"))
    p.add_argument("--out", default=str(RESULTS / "eisam_ml1m.json"))
    return p.parse_args()


def probe_cells(a: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Run -> ground -> groups on the local backend; returns (cells, summary)."""
    out = Path(tempfile.mkdtemp(prefix="eisam-probe-"))
    spec = ProbeSpec(n_sequences=a.probe_sequences, k=10, max_train=a.max_train, seed=0)
    config = RuntimeConfig(backend="local", cache_dir=str(Path(a.cache_dir) / "llm"), progress=False)
    started = time.perf_counter()
    run = run_probe(config, spec, out / "probe")
    grounding = ground_probe(out / "probe")
    groups = probe_groups(out / "probe")
    summary = {
        "generator": LOCAL_GENERATOR_NOTE,
        "spec": spec.__dict__,
        "counts": run.manifest["counts"],
        "grounding": grounding.stats,
        "prior": groups.summary(),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    return groups.cell, summary


def aggregate(runs: list[dict[str, Any]], rules: list[str]) -> list[dict[str, Any]]:
    rows = []
    for rule in rules:
        mine = [r for r in runs if r["rule"] == rule]
        row: dict[str, Any] = {"rule": rule, "seeds": len(mine)}
        for key in METRICS + CELLS:
            values = [r["test"].get(key, float("nan")) for r in mine]
            row[key] = statistics.fmean(values)
            row[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        row["sec_per_epoch"] = statistics.median(s for r in mine for s in r["seconds_per_epoch"])
        row["cpu_sec_per_epoch"] = statistics.median(s for r in mine for s in r["cpu_seconds_per_epoch"])
        rows.append(row)
    sam = next((r for r in rows if r["rule"] == "sam"), None)
    for row in rows:
        row["cpu_vs_sam"] = row["cpu_sec_per_epoch"] / sam["cpu_sec_per_epoch"] if sam else float("nan")
    return rows


def table(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    cols = [
        ("rule", "rule"),
        ("NDCG@10", "ndcg@10"),
        ("HR@10", "hr@10"),
        ("head NDCG@10", "ndcg@10/head"),
        ("head HR@10", "hr@10/head"),
        ("tail NDCG@10", "ndcg@10/tail"),
        ("tail HR@10", "hr@10/tail"),
        ("s/epoch (wall)", "sec_per_epoch"),
        ("CPU s/epoch (step rule)", "cpu_sec_per_epoch"),
        ("CPU × SAM", "cpu_vs_sam"),
    ]
    cells = [("rule", "rule"), *[(k.split("/")[1], k) for k in CELLS]]
    return (
        "\n\n".join(
            [
                f"# SASRec + step rules on ML-1M (users 1-2999), mean of {info['seeds']} seeds",
                f"Train sequences {info['train']} (cap), valid {info['valid']} (cap), test {info['test']} "
                f"(full); {info['epochs']} epochs, batch {info['batch_size']}, lr {info['lr']}; "
                f"total wall {info['wall_min']:.1f} min.",
                markdown_table(rows, cols),
                "NDCG@10 per prior×data cell (prior from the LOCAL non-LLM nearest-title generator: "
                "a pipeline check, not an LLM's prior):",
                markdown_table(rows, cells),
            ]
        )
        + "\n"
    )


def main() -> None:
    a = args()
    started = time.perf_counter()
    data = eisam_sequences(load_dataset("ml-1m"), max_train=a.max_train, max_valid=a.max_valid, seed=0)
    cells, probe = probe_cells(a)
    config = TrainConfig(epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, patience=0, quiet=True)
    runs = []
    for seed in a.seeds:
        for rule in a.rules:
            report = sasrec_experiment(data, rule, seed=seed, train_config=config, cells=cells)
            runs.append(report)
            print(
                f"seed {seed} {rule:9s} ndcg@10 {report['test']['ndcg@10']:.4f} tail "
                f"{report['test'].get('ndcg@10/tail', 0):.4f} cpu/epoch {report['cpu_seconds_per_epoch']}",
                flush=True,
            )
    rows = aggregate(runs, a.rules)
    info = {
        "seeds": len(a.seeds),
        "train": len(data.train),
        "valid": len(data.valid),
        "test": len(data.test),
        "epochs": a.epochs,
        "batch_size": a.batch_size,
        "lr": a.lr,
        "wall_min": (time.perf_counter() - started) / 60,
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    png = cell_chart(
        {r["rule"]: r for r in rows},
        out.with_name(out.stem + "_cells.png"),
        title="SASRec NDCG@10 per P×D cell (P from the local non-LLM probe)",
    )
    write_json(
        out,
        {
            "protocol": data.info,
            "settings": vars(a),
            "info": info,
            "probe": probe,
            "summary": rows,
            "runs": runs,
            "chart": png.name,
            "machine": {
                "platform": platform.platform(),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "load_avg": os.getloadavg(),
            },
        },
    )
    out.with_suffix(".md").write_text(table(rows, info), encoding="utf-8")
    print(table(rows, info))


if __name__ == "__main__":
    main()
