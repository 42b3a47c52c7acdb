"""Write recloom's split of a dataset as RecBole benchmark files (the shared-split control).

Usage: ``.venv/bin/python export_split.py JOB.json OUT_ROOT``. Writes
``OUT_ROOT/<rb>/<rb>.{train,valid,test}.inter`` (rb = ``datasets.recbole_name``) in raw MovieLens
ids, so that RecBole
(``benchmark_filename: [train, valid, test]``) trains and evaluates on exactly the interactions
recloom's ``random_ratio`` splitter gave its own run with the same seed. This removes split noise
from the comparison and isolates model, training loop and evaluation differences.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import parity_data as datasets
import recloom_child


def export(job: dict, out_root: Path) -> dict[str, int]:
    """Write the three files; return their sizes."""
    ds, split = recloom_child.load_split(job)
    rb = datasets.recbole_name(job["dataset"])
    folder = out_root / rb
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for part in ("train", "valid", "test"):
        inter = getattr(split, part)
        users = ds.user_ids.decode(inter.user)
        items = ds.item_ids.decode(inter.item)
        rating = inter.rating if inter.rating is not None else [1.0] * len(inter)
        table = zip(users, items, rating, inter.timestamp, strict=True)
        rows = [f"{u}\t{i}\t{r:g}\t{t}" for u, i, r, t in table]
        (folder / f"{rb}.{part}.inter").write_text("\n".join([datasets.ATOMIC_HEADER, *rows]) + "\n")
        sizes[part] = len(rows)
    return sizes


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: export_split.py JOB.json OUT_ROOT", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(export(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))))
