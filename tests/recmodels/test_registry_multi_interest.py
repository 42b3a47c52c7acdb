"""MIND and ComiRec-SA are reachable by name (so ``recloom train mind|comirec`` works)."""

from __future__ import annotations

import pytest

from recloom.errors import ConfigError
from recloom.recmodels.comirec import ComiRecSA
from recloom.recmodels.mind import MIND
from recloom.recmodels.registry import SEQUENTIAL, get_model


@pytest.mark.parametrize(("name", "cls"), [("mind", MIND), ("comirec", ComiRecSA)])
def test_multi_interest_models_are_registered_as_sequential(name: str, cls: type) -> None:
    model = get_model(name, 5, 12)
    assert isinstance(model, cls)
    assert name in SEQUENTIAL


def test_unknown_multi_interest_hyperparameter_is_named() -> None:
    with pytest.raises(ConfigError, match="no_such_knob"):
        get_model("mind", 5, 12, no_such_knob=1)
