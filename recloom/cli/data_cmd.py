"""``recloom data``: dataset statistics and saved splits.

    recloom data info ml-100k [--data DIR] [--json]
    recloom data split ml-1m --split larmi [--param max_length=50] --out runs/splits/ml1m-larmi
    recloom data list
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from recloom.errors import ConfigError

app = typer.Typer(help="Datasets: statistics, splits.", no_args_is_help=True)

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Data directory (else $RECLOOM_DATA, ../shared/data).")
]


def _info(name: str, data: Path | None, download: bool) -> dict[str, Any]:
    from recloom.data.loaders import load_dataset

    ds = load_dataset(name, data, download=download)
    out = ds.stats()
    if ds.items is not None:
        counts = Counter(c for cats in ds.items.categories for c in cats)
        out["top_categories"] = [[c, n] for c, n in counts.most_common(5)]
        out["items_without_category"] = sum(1 for c in ds.items.categories if not c)
    if ds.users is not None and ds.users.attributes:
        out["user_attributes"] = sorted(ds.users.attributes[0])
    if ds.meta.get("note"):
        out["note"] = ds.meta["note"]
    return out


@app.command("info")
def info(
    name: Annotated[str, typer.Argument(help="ml-100k, ml-1m, amazon-scientific, or a saved dataset dir.")],
    data: DataOpt = None,
    download: Annotated[bool, typer.Option(help="Fetch MovieLens from GroupLens if missing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print users, items, interactions, density and categories of a dataset."""
    out = _info(name, data, download)
    if as_json:
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for key, value in out.items():
        if key == "density":
            value = f"{100 * value:.3f}%"
        elif key == "mean_user_interactions":
            value = f"{value:.2f}"
        elif key == "top_categories":
            value = ", ".join(f"{c} ({n})" for c, n in value)
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        typer.echo(f"{key:<24} {value}")


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` with value parsed as int, float, true/false/none, else kept as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"--param {text!r}: expected key=value")
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return key, lowered == "true"
    if lowered == "none":
        return key, None
    for conv in (int, float):
        try:
            return key, conv(raw)
        except ValueError:
            pass
    return key, raw


@app.command("split")
def split(
    name: Annotated[str, typer.Argument(help="Dataset name or saved dataset dir.")],
    splitter: Annotated[str, typer.Option("--split", help="Splitter or preset (see `recloom data list`).")],
    out: Annotated[Path, typer.Option(help="Directory for split.npz / split.json.")],
    param: Annotated[
        list[str] | None, typer.Option(help="Splitter parameter key=value (repeatable).")
    ] = None,
    data: DataOpt = None,
) -> None:
    """Split a dataset with a named splitter and save the split."""
    from recloom.data.loaders import load_dataset
    from recloom.data.splitters import get_splitter

    ds = load_dataset(name, data)
    params = dict(parse_param(p) for p in param or [])
    result = get_splitter(splitter, **params).split(ds.interactions, ds.n_users, ds.n_items)
    result.save(out)
    typer.echo(json.dumps({"dataset": ds.name, "split": result.name, "params": result.params,
                           "sizes": result.sizes(), "info": result.info, "out": str(out)}))


@app.command("list")
def list_names() -> None:
    """List dataset names, splitters and presets."""
    from recloom.data.loaders import dataset_names
    from recloom.data.splitters import PRESETS, SPLITTERS

    typer.echo("datasets:  " + ", ".join(dataset_names()))
    typer.echo("splitters: " + ", ".join(sorted(SPLITTERS)))
    for preset, (base, params) in sorted(PRESETS.items()):
        typer.echo(f"preset {preset:<8} = {base} {params}")
