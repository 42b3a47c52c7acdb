"""RecBole parity and speed benchmark: recloom's MF-BPR and LightGCN against RecBole 1.2.1.

    python benchmarks/recbole_parity/run.py [--datasets ml-100k ml-1m] [--models bpr lightgcn]
                                            [--epochs N] [--repeats R] [--threads T] ...

Builds RecBole's throwaway venv if missing (``recbole_venv.py``), writes our MovieLens files as
atomic files into a temporary work directory, then for every dataset × model runs RecBole and
recloom one after the other, each in its own child process with the same thread count, seed,
split protocol (per-user random 8:1:1, full ranking) and hyperparameters, and writes
``benchmarks/results/recbole_parity.json`` plus a markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import parity_data as datasets
import parity_measure as measure
import parity_report as report
import recbole_venv

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "recbole_parity.json"
DEFAULT_TABLE = HERE / "README.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["ml-100k", "ml-1m"], choices=sorted(datasets.SOURCES))
    p.add_argument("--models", nargs="+", default=["bpr", "lightgcn"], choices=["bpr", "lightgcn"])
    p.add_argument("--epochs", type=int, default=40, help="maximum training epochs (both sides)")
    p.add_argument("--stopping-step", type=int, default=10,
                   help="RecBole's stopping_step: stop after this many + 1 validations without improvement")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--eval-batch-size", type=int, default=4096)
    p.add_argument("--embedding-dim", type=int, default=64)
    p.add_argument("--n-layers", type=int, default=2, help="LightGCN propagation layers")
    p.add_argument("--reg-weight", type=float, default=1e-5, help="LightGCN embedding L2 weight (RecBole's)")
    p.add_argument("--n-neg", type=int, default=1, help="uniform negatives per positive")
    p.add_argument("--min-rating", type=float, default=None,
                   help="keep ratings >= this on both sides (default: every rating is a positive)")
    p.add_argument("--shared-split-datasets", nargs="*", default=["ml-100k"],
                   choices=sorted(datasets.SOURCES),
                   help="datasets that also run the shared-split control, where RecBole reads recloom's "
                        "split (implementation parity without split noise); every dataset always runs "
                        "with each side drawing its own split (protocol parity)")
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument("--threads", type=int, default=1, help="torch/OMP threads of each side")
    p.add_argument("--repeats", type=int, default=1, help="training runs per side (timings pooled)")
    p.add_argument("--work-dir", type=Path, default=None, help="atomic files, logs, checkpoints (temp dir)")
    p.add_argument("--recloom-python", default=str(_default_recloom_python()))
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--table", type=Path, default=DEFAULT_TABLE,
                   help="README whose results table is rewritten")
    p.add_argument("--reuse", action="store_true",
                   help="take finished identical child results from --work-dir instead of training again")
    p.add_argument("--merge", action="store_true",
                   help="keep the runs of --out that this invocation does not redo (dataset/model/split)")
    p.add_argument("--no-table", dest="table", action="store_const", const=None,
                   help="leave the README alone (e.g. for extra seeds written to another --out)")
    args = p.parse_args(argv)
    for name in ("epochs", "repeats", "threads", "batch_size", "eval_batch_size", "embedding_dim", "n_neg"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


def _default_recloom_python() -> Path:
    venv_py = REPO / ".venv" / "bin" / "python"
    return venv_py if venv_py.exists() else Path(sys.executable)


def hparams(args: argparse.Namespace) -> dict[str, Any]:
    """The hyperparameters both sides share."""
    return {"epochs": args.epochs, "stopping_step": args.stopping_step, "lr": args.lr,
            "batch_size": args.batch_size, "eval_batch_size": args.eval_batch_size,
            "embedding_dim": args.embedding_dim, "n_layers": args.n_layers, "reg_weight": args.reg_weight,
            "n_neg": args.n_neg, "optimizer": "adam", "weight_decay": 0.0, "valid_metric": "ndcg@10"}


def _reusable(job: dict[str, Any], job_path: Path, out: Path) -> dict[str, Any] | None:
    """A finished result of exactly this job from an earlier (possibly interrupted) invocation."""
    if not (job_path.exists() and out.exists()) or json.loads(job_path.read_text()) != job:
        return None
    result = json.loads(out.read_text())
    result.setdefault("wall_seconds", None)
    result.setdefault("peak_rss_mib", None)  # not recorded when the parent died before saving it
    result["reused"] = True
    return result


def run_side(side: str, job: dict[str, Any], work: Path, python: str, threads: int,
             reuse: bool = False) -> dict[str, Any]:
    """One child run of ``side`` ("recbole" or "recloom"); with ``reuse``, a finished identical
    job's result in ``work`` is taken instead of training again."""
    tag = f"{side}-{job['dataset']}-{job['model']}-{job['split_source']}-r{job['repeat']}"
    job = {**job, "out": str(work / f"{tag}.json")}
    job_path = work / f"{tag}.job.json"
    if reuse and (old := _reusable(job, job_path, Path(job["out"]))) is not None:
        print(f"  {tag}: reusing {job['out']}", flush=True)
        return old
    job_path.write_text(json.dumps(job, indent=1))
    script = HERE / f"{side}_child.py"
    extra = recbole_venv.CHILD_ENV if side == "recbole" else {}
    print(f"  {tag} ...", end="", flush=True)
    result = measure.run_child([python, str(script), str(job_path)], measure.child_env(threads, extra),
                               work / f"{tag}.log", Path(job["out"]))
    print(f" {result['wall_seconds']:.0f}s, test ndcg@10 {result['test']['ndcg@10']:.4f}, "
          f"best epoch {result['best_epoch']}/{result['epochs_run']}", flush=True)
    Path(job["out"]).write_text(json.dumps(result, indent=1))  # with wall time and peak RSS
    return result


def check_same_data(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Both sides must have seen the same users, items and split sizes."""
    for key in ("n_users", "n_items", "sizes"):
        if a[key] != b[key]:
            raise SystemExit(f"data mismatch on {a['dataset']}: {key} RecBole {a[key]} vs recloom {b[key]}")


def export_shared_split(dataset: str, args: argparse.Namespace, work: Path) -> Path:
    """Write recloom's split of ``dataset`` as RecBole benchmark files; return their data_path."""
    root = work / "atomic-shared"
    job = {"dataset": dataset, "seed": args.seed, "min_rating": args.min_rating}
    job_path = work / f"export-{dataset}.job.json"
    job_path.write_text(json.dumps(job))
    proc = subprocess.run([args.recloom_python, str(HERE / "export_split.py"), str(job_path), str(root)],
                          env=measure.child_env(args.threads), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"exporting recloom's split of {dataset} failed:\n{proc.stderr[-3000:]}")
    return root


def bench_one(dataset: str, model: str, split: str, args: argparse.Namespace, work: Path,
              rb_python: str) -> dict[str, Any]:
    """All repeats of one dataset × model × split source on both sides, summarised with ratios."""
    sides: dict[str, list[dict[str, Any]]] = {"recbole": [], "recloom": []}
    data_path = work / ("atomic-shared" if split == "shared" else "atomic")
    base = {"dataset": dataset, "model": model, "seed": args.seed, "threads": args.threads,
            "min_rating": args.min_rating, "hparams": hparams(args), "data_path": str(data_path),
            "split_source": split, "checkpoint_dir": str(work / "checkpoints"),
            "recbole_dataset": datasets.recbole_name(dataset)}
    for r in range(args.repeats):
        order = ("recbole", "recloom") if r % 2 == 0 else ("recloom", "recbole")
        for side in order:
            py = rb_python if side == "recbole" else args.recloom_python
            sides[side].append(run_side(side, {**base, "repeat": r}, work, py, args.threads, args.reuse))
    check_same_data(sides["recbole"][0], sides["recloom"][0])
    summary = {s: report.summarize_side(v) for s, v in sides.items()}
    rat = report.ratios(summary["recloom"], summary["recbole"])
    first = sides["recbole"][0]
    return {"dataset": dataset, "dataset_label": datasets.LABELS[dataset], "model": model, "split": split,
            "hparams": hparams(args), "seed": args.seed, "repeats": args.repeats,
            "data": {k: first[k] for k in ("n_users", "n_items", "sizes", "n_batches")},
            **summary, "ratios": rat, "targets_met": report.verdict(rat), "raw": sides}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rb_python = str(recbole_venv.ensure_venv())
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="recbole_parity_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}", flush=True)
    started = time.time()
    runs = []
    for name in args.datasets:
        data = datasets.load(name, args.min_rating)
        datasets.write_atomic(data, work / "atomic")
        print(f"{name}: {len(data)} interactions, {data.n_users} users, {data.n_items} items", flush=True)
        splits = ["own"]
        if name in args.shared_split_datasets:
            export_shared_split(name, args, work)
            splits.append("shared")
        for split in splits:
            for model in args.models:
                runs.append(bench_one(name, model, split, args, work, rb_python))
    if args.merge and args.out.exists():
        runs = merge_runs(json.loads(args.out.read_text())["runs"], runs)
    doc = build_document(args, runs, rb_python, time.time() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    text = report.table(runs)
    print("\n" + text + f"\n\nwrote {args.out}")
    if args.table:
        write_table(args.table, text)
    return 0


def merge_runs(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``old`` runs not redone by ``new`` (keyed by dataset, model, split), then ``new``."""
    redone = {(r["dataset"], r["model"], r["split"]) for r in new}
    return [r for r in old if (r["dataset"], r["model"], r["split"]) not in redone] + new


def build_document(args: argparse.Namespace, runs: list[dict[str, Any]], rb_python: str,
                   seconds: float) -> dict[str, Any]:
    """The results JSON: machine, versions, protocol, hyperparameters, every number."""
    rb_versions = runs[0]["raw"]["recbole"][0]["versions"] if runs else {}
    ours_versions = runs[0]["raw"]["recloom"][0]["versions"] if runs else {}
    return {
        "benchmark": "recbole_parity",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": "python benchmarks/recbole_parity/run.py " + " ".join(sys.argv[1:]),
        "total_seconds": round(seconds, 1),
        "machine": measure.machine_info(),
        "threads_per_side": args.threads,
        "versions": {"recloom_side": ours_versions, "recbole_side": rb_versions,
                     "recbole_venv_pins": list(recbole_venv.PINS)},
        "protocol": {
            "split": "per-user random 8:1:1 (RecBole RS [0.8,0.1,0.1], order RO, group_by user; "
                     "recloom random_ratio with RecBole's rounding). split=own: each side draws its own "
                     "split; split=shared: RecBole reads recloom's split (benchmark_filename)",
            "filtering": "none: every rating is an implicit positive (RecBole's ml-100k default)"
                         if args.min_rating is None else f"rating >= {args.min_rating}",
            "evaluation": "full ranking over all items; valid masks train items, test masks train+valid",
            "early_stopping": f"valid NDCG@10 every epoch, stop after {args.stopping_step + 1} "
                              "validations without improvement, test with the best valid epoch",
            "timing": "training seconds per epoch (incl. negative sampling, excl. validation), "
                      "median over all epochs; peak RSS of each child via wait4",
        },
        "hparams_note": "each run carries its own hparams / seed / repeats (runs may be merged from "
                        "several invocations, e.g. fewer epochs for ML-1M LightGCN)",
        "targets": {"metric_tolerance": report.METRIC_TOLERANCE, "min_speedup": report.MIN_SPEEDUP},
        "runs": runs,
    }


def write_table(readme: Path, text: str) -> None:
    """Replace the block between the table markers of ``readme`` (created if missing)."""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    body = readme.read_text() if readme.exists() else f"# RecBole parity\n\n{start}\n{end}\n"
    if start not in body or end not in body:
        body += f"\n{start}\n{end}\n"
    head, rest = body.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    sys.exit(main())
