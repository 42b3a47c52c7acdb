"""``get_step_rule(name, **params)``: build a step rule from flat config values.

Names: "plain" | "sam" | "eisam" | "groupsam" | "rw". Every rule takes ``max_grad_norm``; SAM-family
rules take ``rho``; EISAM ``lam`` and ``code_variant``; GroupSAM ``balance``.

Item weights (EISAM, RW): pass ``weights=ItemWeights`` or the training targets as ``train_items``
plus ``n_items``, with ``weight_fn`` ("exp" default, "norm", "eff"), its parameter (``gamma``
default 50 per methods.md §5.7, ``beta``/``scale``, ``eps``), ``item_balanced`` and RW's ``groups``.
Item groups (GroupSAM): pass ``item_groups`` or ``train_items`` plus ``n_items`` for the data
head/tail split (``head_share``, default 0.2).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from recloom.errors import ConfigError
from recloom.recmodels.groups import head_tail_groups
from recloom.recmodels.optim.base import PlainStep, StepRule
from recloom.recmodels.optim.eisam import EISAM
from recloom.recmodels.optim.groupsam import GroupSAM
from recloom.recmodels.optim.reweight import ReWeight
from recloom.recmodels.optim.sam import SAM
from recloom.recmodels.optim.weights import ItemWeights, item_counts

STEP_RULES = ("plain", "sam", "eisam", "groupsam", "rw")
DEFAULT_GAMMA = 50.0
_WEIGHT_KEYS = ("weight_fn", "gamma", "beta", "scale", "eps", "item_balanced", "groups")


def get_step_rule(name: str, **params: Any) -> StepRule:
    """The step rule ``name`` built from ``params``; unknown names or options raise ConfigError."""
    builders: dict[str, Callable[[dict[str, Any]], StepRule]] = {
        "plain": lambda p: _construct(PlainStep, "plain", p),
        "sam": lambda p: _construct(SAM, "sam", p),
        "eisam": lambda p: _construct(EISAM, "eisam", {"weights": _weights_from("eisam", p), **p}),
        "groupsam": lambda p: _construct(GroupSAM, "groupsam", {"item_groups": _groups_from(p), **p}),
        "rw": lambda p: _construct(ReWeight, "rw", {"weights": _weights_from("rw", p), **p}),
    }
    key = name.strip().lower()
    if key not in builders:
        raise ConfigError(f"unknown step rule {name!r}; choose one of {', '.join(STEP_RULES)}")
    return builders[key](dict(params))


def _construct(cls: type, name: str, params: dict[str, Any]) -> StepRule:
    accepted = set(inspect.signature(cls).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ConfigError(
            f"step rule {name!r} does not take option(s) {unknown}; it takes {sorted(accepted)}"
        )
    return cls(**params)  # type: ignore[no-any-return]


def _pop_targets(name: str, params: dict[str, Any], what: str) -> tuple[Any, int]:
    if "train_items" not in params or "n_items" not in params:
        raise ConfigError(f"step rule {name!r} needs {what}, or train_items= (training target item ids) "
                          "and n_items=")
    return params.pop("train_items"), int(params.pop("n_items"))


def _weights_from(name: str, params: dict[str, Any]) -> ItemWeights:
    given = params.pop("weights", None)
    options = {k: params.pop(k) for k in _WEIGHT_KEYS if k in params}
    if given is not None:
        if options or "train_items" in params:
            raise ConfigError(f"step rule {name!r}: give weights= or the options to build them, not both")
        return given  # type: ignore[no-any-return]
    targets, n_items = _pop_targets(name, params, "weights=ItemWeights")
    fn = options.pop("weight_fn", "exp")
    if fn == "exp":
        options.setdefault("gamma", DEFAULT_GAMMA)
    return ItemWeights.from_targets(targets, n_items, fn, **options)


def _groups_from(params: dict[str, Any]) -> Any:
    if "item_groups" in params:
        return params.pop("item_groups")
    targets, n_items = _pop_targets("groupsam", params, "item_groups=")
    share = float(params.pop("head_share", 0.2))
    if not 0.0 < share < 1.0:
        raise ConfigError(f"step rule 'groupsam': head_share must be in (0, 1), got {share}")
    return head_tail_groups(item_counts(targets, n_items), share)
