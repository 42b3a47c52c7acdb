"""Run inputs and outputs of ``recloom train``: dataset + split resolution, report and checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from recloom.data import Dataset, Split
from recloom.errors import ArtifactError, ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.registry import make_config, model_class

CHECKPOINT = "model.pt"
REPORT = "report.json"


def load_split_and_dataset(data: str, split: str, split_params: dict[str, Any], seed: int,
                           min_rating: float | None, data_dir: Path | None) -> tuple[Dataset, Split]:
    """Load the dataset, optionally binarise ratings, then load a saved split or make a named one."""
    from recloom.data.filters import implicit
    from recloom.data.loaders import load_dataset
    from recloom.data.splitters import get_splitter

    dataset = load_dataset(data, data_dir)
    if min_rating is not None:
        if dataset.interactions.rating is None:
            raise ConfigError(f"--min-rating: dataset {dataset.name!r} has no ratings")
        dataset = dataset.with_interactions(implicit(dataset.interactions, min_rating), min_rating=min_rating)
    if (Path(split) / "split.json").is_file():
        loaded = Split.load(split)
        if (loaded.n_users, loaded.n_items) != (dataset.n_users, dataset.n_items):
            raise ArtifactError(f"{split}: split has {loaded.n_users} users / {loaded.n_items} items, "
                                f"dataset {dataset.name!r} has {dataset.n_users} / {dataset.n_items}")
        return dataset, loaded
    params = dict(split_params)
    params.setdefault("seed", seed)
    try:
        splitter = get_splitter(split, **params)
    except ConfigError:
        if "seed" in split_params:
            raise
        params.pop("seed")  # deterministic splitters (leave-last-out) take no seed
        splitter = get_splitter(split, **params)
    return dataset, splitter.split(dataset.interactions, dataset.n_users, dataset.n_items)


def save_run(out: Path, model: Recommender, report: dict[str, Any], dataset: Dataset | None) -> None:
    """Write ``report.json`` and ``model.pt`` (weights, hyperparameters, sizes, raw id maps)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    payload = {
        "model": report["model"], "hparams": report["hparams"],
        "n_users": model.n_users, "n_items": model.n_items, "state_dict": model.state_dict(),
        "user_ids": dataset.user_ids.to_list() if dataset is not None else None,
        "item_ids": dataset.item_ids.to_list() if dataset is not None else None,
    }
    torch.save(payload, out / CHECKPOINT)


def load_model(path: str | Path, interactions: Any = None) -> tuple[Recommender, dict[str, Any]]:
    """Rebuild a model from ``model.pt``; graph models need their training matrix again."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise ArtifactError(f"{path}: no checkpoint")
    payload = torch.load(path, map_location="cpu", weights_only=False)
    cls = model_class(payload["model"])
    config = make_config(payload["model"], **payload["hparams"])
    kwargs = {"interactions": interactions} if interactions is not None else {}
    model = cls(payload["n_users"], payload["n_items"], config, **kwargs)  # type: ignore[call-arg]
    model.load_state_dict(payload["state_dict"])
    return model, payload
