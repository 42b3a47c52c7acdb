"""Item frequencies and weighting functions on hand-computed inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recloom.errors import ConfigError, DataError, RecloomError
from recloom.recmodels.optim.weights import (
    ItemWeights,
    f_eff,
    f_exp,
    f_norm,
    frequencies,
    item_counts,
)

TARGETS = [0, 0, 0, 1, 3]  # n = (3, 1, 0, 1, 0), N = 5, q = (.6, .2, 0, .2, 0)


def test_counts_and_frequencies() -> None:
    counts = item_counts(torch.tensor(TARGETS), 5)
    assert counts.tolist() == [3, 1, 0, 1, 0]
    np.testing.assert_allclose(frequencies(counts), [0.6, 0.2, 0.0, 0.2, 0.0])


def test_counts_reject_out_of_range_and_float_ids() -> None:
    with pytest.raises(DataError, match="5 is outside"):
        item_counts([0, 5], 5)
    with pytest.raises(DataError, match="integer"):
        item_counts(np.array([0.0, 1.0]), 5)
    with pytest.raises(DataError, match="no training targets"):
        frequencies(np.zeros(3, dtype=np.int64))


def test_weighting_functions_hand_values() -> None:
    np.testing.assert_allclose(f_norm(np.array([0.25, 0.5]), eps=0.25), [2.0, 4.0 / 3.0])
    # (1 - .5) / (1 - .5**1) = 1 ; (1 - .5) / (1 - .5**2) = 2/3
    np.testing.assert_allclose(f_eff(np.array([1.0, 2.0]), beta=0.5), [1.0, 2.0 / 3.0])
    # counts form: q = .2 of N = 5 is one sample -> (1 - b) / (1 - b) = 1
    np.testing.assert_allclose(f_eff(np.array([0.2]), beta=0.9, scale=5.0), [1.0])
    np.testing.assert_allclose(f_eff(np.array([0.3]), beta=0.0), [1.0])
    np.testing.assert_allclose(f_exp(np.array([0.6, 0.2]), gamma=2.0), [0.16, 0.64])


@pytest.mark.parametrize(
    ("fn", "params"),
    [("norm", {"eps": 1e-6}), ("eff", {"beta": 0.9}), ("eff", {"beta": 0.99, "scale": 1000.0}),
     ("exp", {"gamma": 50.0})],
)
def test_weights_decrease_with_frequency(fn: str, params: dict[str, float]) -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 200, size=50)
    w = ItemWeights.from_counts(counts, fn, **params).table.numpy()  # type: ignore[arg-type]
    order = np.argsort(counts, kind="stable")
    assert np.all(np.diff(w[order]) <= 1e-6)
    assert w[np.argmin(counts)] > w[np.argmax(counts)]


def test_exp_weights_normalised_to_mean_one_over_samples() -> None:
    weights = ItemWeights.from_targets(np.array(TARGETS), 5, "exp", gamma=2.0)
    # raw f = (.16, .64, -, .64, -); sample mean = (3*.16 + .64 + .64) / 5 = .352
    w = weights.table.numpy()
    np.testing.assert_allclose(w[[0, 1, 3]], [0.16 / 0.352, 0.64 / 0.352, 0.64 / 0.352], rtol=1e-6)
    assert np.isnan(w[[2, 4]]).all()
    np.testing.assert_allclose(np.nansum(w * weights.counts), 5.0, rtol=1e-6)


def test_item_balanced_weights_give_each_item_total_weight_proportional_to_f() -> None:
    weights = ItemWeights.from_targets(np.array(TARGETS), 5, "exp", item_balanced=True, gamma=2.0)
    # raw f/q = (.16/.6, .64/.2, .64/.2) = (4/15, 3.2, 3.2); sample mean = (.8 + 3.2 + 3.2) / 5 = 1.44
    w = weights.table.numpy()
    np.testing.assert_allclose(w[[0, 1]], [4 / 15 / 1.44, 3.2 / 1.44], rtol=1e-6)
    per_item = w[[0, 1, 3]] * weights.counts[[0, 1, 3]]
    np.testing.assert_allclose(per_item / per_item.sum(), np.array([0.16, 0.64, 0.64]) / 1.44, rtol=1e-6)


def test_group_weights_use_group_mean_frequency() -> None:
    groups = np.array([0, 0, 1, 1, 1])  # group means: q = .4 and .2 / 3
    weights = ItemWeights.from_targets(np.array(TARGETS), 5, "exp", groups=groups, gamma=1.0)
    w = weights.table.numpy()
    raw0, raw1 = 0.6, 1 - 0.2 / 3
    mean = (4 * raw0 + 1 * raw1) / 5
    np.testing.assert_allclose(w[[0, 1, 3]], [raw0 / mean, raw0 / mean, raw1 / mean], rtol=1e-6)


def test_for_items_looks_up_and_rejects_unseen_or_foreign_items() -> None:
    weights = ItemWeights.from_targets(np.array(TARGETS), 5, "exp", gamma=2.0)
    got = weights.for_items(torch.tensor([3, 0, 0]))
    torch.testing.assert_close(got, torch.tensor([0.64, 0.16, 0.16]) / 0.352)
    with pytest.raises(DataError, match="item 2"):
        weights.for_items(torch.tensor([0, 2]))
    with pytest.raises(DataError, match="outside"):
        weights.for_items(torch.tensor([7]))


def test_bad_weighting_options_are_config_errors() -> None:
    counts = np.array([2, 1])
    for fn, params in [("cubic", {}), ("exp", {"gamma": -1.0}), ("eff", {"beta": 1.0}),
                       ("norm", {"eps": 0.0}), ("exp", {"beta": 0.5})]:
        with pytest.raises(ConfigError):
            ItemWeights.from_counts(counts, fn, **params)  # type: ignore[arg-type]
    assert issubclass(ConfigError, RecloomError)

