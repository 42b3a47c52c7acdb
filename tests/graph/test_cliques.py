"""LARMI behaviour cliques: neighbourhoods, synthetic users, item values, incidence matrix, checked
against a brute force over user pairs with exact (Fraction) similarities."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from recloom.errors import ConfigError, DataError
from recloom.graph.cliques import (
    CliqueConfig,
    build_cliques,
    choose_size,
    interaction_matrix,
    item_values,
    median_clique_sizes,
    neighbourhoods,
    synthetic_users,
)


def random_sequences(seed: int, m: int = 40, n: int = 30) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    # small catalogue + repeats + a few empty users, so ties and edge cases are common
    return [list(rng.integers(0, n, size=rng.integers(0, 7))) for _ in range(m)]


def brute_neighbours(seqs: list[list[int]], size: int, kind: str) -> list[list[int]]:
    sets = [set(s) for s in seqs]
    out = []
    for u, su in enumerate(sets):
        scored = []
        for v, sv in enumerate(sets):
            shared = len(su & sv)
            if v == u or shared == 0:
                continue
            sim = {"overlap": Fraction(shared),
                   "jaccard": Fraction(shared, len(su | sv)),
                   "cosine": Fraction(shared * shared, len(su) * len(sv))}[kind]
            scored.append((-sim, -shared, v))
        out.append([v for _, _, v in sorted(scored)[: size - 1]])
    return out


@pytest.mark.parametrize("kind", ["jaccard", "overlap", "cosine"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_neighbourhoods_match_brute_force(kind: str, seed: int) -> None:
    seqs = random_sequences(seed)
    x = interaction_matrix(seqs, 30)
    nb = neighbourhoods(x, size=6, similarity=kind, block_rows=7)  # several blocks
    expected = brute_neighbours(seqs, 6, kind)
    got = [[int(v) for v in row if v >= 0] for row in nb.neighbours]
    assert got == expected
    for u, row in enumerate(nb.neighbours):
        for rank, v in enumerate(row[row >= 0]):
            su, sv = set(seqs[u]), set(seqs[int(v)])
            exact = {"overlap": len(su & sv), "jaccard": len(su & sv) / len(su | sv),
                     "cosine": len(su & sv) / np.sqrt(len(su) * len(sv))}[kind]
            assert nb.similarity[u, rank] == pytest.approx(exact)
    assert np.all(np.isnan(nb.similarity[nb.neighbours < 0]))


@pytest.mark.parametrize("kind", ["jaccard", "overlap", "cosine"])
def test_dense_blocks_take_the_threshold_path_and_still_match(kind: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    seqs = [list(rng.choice(12, size=rng.integers(3, 8), replace=False)) for _ in range(50)]
    calls: list[int] = []
    real_partition = np.partition
    monkeypatch.setattr(np, "partition", lambda *a, **kw: calls.append(1) or real_partition(*a, **kw))
    nb = neighbourhoods(interaction_matrix(seqs, 12), size=4, similarity=kind, block_rows=16)
    assert calls, "the dense pre-filter was not used"
    assert [[int(v) for v in row if v >= 0] for row in nb.neighbours] == brute_neighbours(seqs, 4, kind)


def test_block_size_does_not_change_the_result_and_sizes_are_prefixes() -> None:
    x = interaction_matrix(random_sequences(3, m=60), 30)
    big = neighbourhoods(x, size=8, block_rows=1000)
    small = neighbourhoods(x, size=8, block_rows=1)
    np.testing.assert_array_equal(big.neighbours, small.neighbours)
    np.testing.assert_array_equal(neighbourhoods(x, size=4).neighbours, big.truncate(4).neighbours)
    assert big.truncate(1).neighbours.shape == (60, 0)


def test_synthetic_users_are_unions_of_the_neighbourhood_and_own_items() -> None:
    seqs = random_sequences(4)
    x = interaction_matrix(seqs, 30)
    cliques = build_cliques(x, CliqueConfig(size=4))
    nb = brute_neighbours(seqs, 4, "jaccard")
    a = cliques.incidence
    assert a.shape == (40, 30) and a.dtype == np.int8 and set(np.unique(a.data)) <= {1}
    for u in range(40):
        union = set(seqs[u]).union(*(set(seqs[v]) for v in nb[u]))
        assert cliques.items_of(u).tolist() == sorted(union)
        assert set(np.flatnonzero(a.toarray()[u])) == union


def test_item_values_follow_eq7() -> None:
    seqs = [[0, 1, 1], [1, 2], [], [1]]  # Σ|s(u)| = 6 (repeats count); item 1 in 3 users
    w = item_values(interaction_matrix(seqs, 4))
    np.testing.assert_allclose(w, [1 + 1 / 6, 1 + 3 / 6, 1 + 1 / 6, 1.0])
    np.testing.assert_allclose(item_values(np.zeros((2, 3))), np.ones(3))
    x = interaction_matrix(random_sequences(5), 30)
    w = item_values(x)
    assert np.all((w >= 1) & (w <= 2))


def test_hand_case_with_ties() -> None:
    # user 0 shares 1 item with users 1, 2 and 3; Jaccard ties between 1 and 2 go to more shared
    # items, then the lower index.
    x = np.array([[1, 1, 0, 0, 0],
                  [1, 0, 0, 0, 0],   # J(0,1) = 1/2, shared 1
                  [1, 1, 1, 1, 0],   # J(0,2) = 2/4 = 1/2, shared 2 -> ranked before user 1
                  [0, 1, 0, 0, 1],   # J(0,3) = 1/3
                  [0, 0, 0, 0, 0]])  # no items: no neighbours, nobody's neighbour
    nb = neighbourhoods(x, size=4)
    assert nb.neighbours[0].tolist() == [2, 1, 3]
    assert nb.neighbours[4].tolist() == [-1, -1, -1]
    a = synthetic_users(x, nb)
    assert a.toarray()[4].sum() == 0 and a.toarray()[0].tolist() == [1, 1, 1, 1, 1]
    assert neighbourhoods(x, size=4, similarity="overlap").neighbours[0].tolist() == [2, 1, 3]


def test_choose_size_hits_the_target_median() -> None:
    x = interaction_matrix(random_sequences(6, m=80, n=60), 60)
    medians = median_clique_sizes(x, neighbourhoods(x, 10))
    assert all(medians[g] <= medians[g + 1] for g in range(1, 10))
    g = choose_size(x, target=(15, 20), max_size=10)
    assert 15 <= medians[g] <= 20 and all(not 15 <= medians[h] <= 20 for h in range(1, g))


def test_real_data_cliques_on_movielens_100k() -> None:
    from recloom.data.loaders import load_dataset

    ds = load_dataset("ml-100k")
    x = ds.interactions.csr(ds.n_users, ds.n_items, values="binary")
    cliques = build_cliques(x, CliqueConfig(size=3, block_rows=256))
    a, xb = cliques.incidence, sp.csr_array(x)
    assert a.shape == x.shape
    own = (a.multiply(xb) != 0).sum(axis=1)  # every user's own items are in its clique
    np.testing.assert_array_equal(np.asarray(own).ravel(), np.diff(xb.indptr))
    assert np.all(np.diff(a.indptr) >= np.diff(xb.indptr))
    w = cliques.item_values
    assert w.shape == (ds.n_items,) and w.min() >= 1 and w.max() < 1.01


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"size": 0}, ConfigError), ({"similarity": "dice"}, ConfigError), ({"block_rows": 0}, ConfigError),
])
def test_bad_config(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match="clique"):
        CliqueConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_matrices_are_data_errors() -> None:
    with pytest.raises(DataError, match="non-negative"):
        neighbourhoods(np.array([[1, -1], [0, 1]]))
    with pytest.raises(DataError, match="0..2"):
        interaction_matrix([[0, 3]], 3)
    x = interaction_matrix([[0], [1]], 2)
    with pytest.raises(DataError, match="neighbourhoods are for 2 users"):
        synthetic_users(interaction_matrix([[0]], 2), neighbourhoods(x, 2))
