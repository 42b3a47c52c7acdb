"""Models by name: ``get_model("lightgcn", n_users, n_items, interactions=train, n_layers=2)``."""

from __future__ import annotations

import dataclasses
from typing import Any

import scipy.sparse as sp

from recloom.errors import ConfigError
from recloom.recmodels.base import Recommender
from recloom.recmodels.comirec import ComiRecSA
from recloom.recmodels.lightgcn import LightGCN
from recloom.recmodels.mind import MIND
from recloom.recmodels.mf import MF
from recloom.recmodels.ngcf import NGCF
from recloom.recmodels.sasrec import SASRec

MODELS: dict[str, type[Recommender]] = {"mf": MF, "bpr": MF, "lightgcn": LightGCN, "ngcf": NGCF,
                                        "sasrec": SASRec, "mind": MIND, "comirec": ComiRecSA}
SEQUENTIAL = frozenset({"sasrec", "mind", "comirec"})
GRAPH = frozenset({"lightgcn", "ngcf"})


def model_class(name: str) -> type[Recommender]:
    """The class registered under ``name`` (case-insensitive)."""
    key = name.lower()
    if key not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return MODELS[key]


def make_config(name: str, **hparams: Any) -> Any:
    """The model's hyperparameter dataclass with ``hparams`` over its defaults (unknown keys fail)."""
    cls = model_class(name)
    config_cls = cls.config_class  # type: ignore[attr-defined]
    known = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(hparams) - known)
    if unknown:
        raise ConfigError(f"model {name!r} has no hyperparameter {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(known))}")
    return config_cls(**hparams)


def get_model(name: str, n_users: int, n_items: int, *, interactions: sp.spmatrix | None = None,
              **hparams: Any) -> Recommender:
    """Build a model; graph models need ``interactions`` (the user×item training matrix)."""
    cls = model_class(name)
    config = make_config(name, **hparams)
    if name.lower() in GRAPH:
        if interactions is None:
            raise ConfigError(f"model {name!r} is a graph model: pass interactions=<train matrix>")
        return cls(n_users, n_items, config, interactions=interactions)  # type: ignore[call-arg]
    return cls(n_users, n_items, config)  # type: ignore[call-arg]
