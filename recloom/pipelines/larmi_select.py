"""LARMI stage B (seed 001 Eqs. 5-8, 16; methods.md §2.2 B1-B7, §2.6): cliques of the real users'
training parts, the incidence matrix A and item values w, selection of Z synthetic users by weighted
max coverage, and the prompt inputs of the selected synthetic users.

Selection rules (interchangeable, same :class:`~recloom.graph.max_cover.Selection` result):
``neural`` (CardNN-GS, LARMI's solver), ``greedy`` (L-gre), ``exact`` (HiGHS MILP with a time limit;
an unproven result worse than greedy is replaced by greedy, reported as ``exact+greedy``) and
``random`` (the w/o-rep ablation: Z synthetic users drawn uniformly, seeded).

Defaults of the gaps (§2.6): Jaccard neighbourhoods whose size is chosen so that the median
|c(u')| lies in 30..60 titles (``clique_size=None``), budget Z = 2 % of the users, prompts capped at
80 titles (the most frequent items of the clique, recorded per synthetic user).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recloom.agents.larmi.inputs import ClusterRequest, synthetic_request
from recloom.errors import ArtifactError, ConfigError
from recloom.graph.cliques import CliqueConfig, CliqueSet, Neighbourhoods, binary, build_cliques, choose_size
from recloom.graph.max_cover import Selection, coverage_objective, solve_max_cover

SELECTORS = ("neural", "greedy", "exact", "random")
CLIQUES_FILE = "cliques.npz"


@dataclass(frozen=True)
class SelectConfig:
    clique_size: int | None = None  # |N(u)| incl. u; None = smallest with median |c(u')| in 30..60
    similarity: str = "jaccard"
    budget_share: float = 0.02  # Z = round(share * M) (§2.6)
    budget: int | None = None  # Z directly (overrides the share)
    solver: str = "neural"
    exact_time_limit: float = 60.0
    neural_options: dict[str, Any] = field(default_factory=dict)
    title_cap: int = 80
    seed: int = 0

    def __post_init__(self) -> None:
        if self.solver not in SELECTORS:
            raise ConfigError(f"larmi selection: solver must be one of {SELECTORS}, got {self.solver!r}")
        if not 0 < self.budget_share <= 1:
            raise ConfigError(f"larmi selection: budget_share must be in (0, 1], got {self.budget_share}")
        if self.budget is not None and self.budget < 1:
            raise ConfigError(f"larmi selection: budget must be >= 1, got {self.budget}")

    def budget_for(self, n_users: int) -> int:
        z = self.budget if self.budget is not None else round(self.budget_share * n_users)
        return int(min(max(1, z), n_users))


def clique_set(counts: sp.spmatrix, config: SelectConfig) -> CliqueSet:
    """B1-B4: neighbourhoods, synthetic users c(u'), item values w and incidence A."""
    size = config.clique_size
    if size is None:
        size = choose_size(counts, similarity=config.similarity)  # type: ignore[arg-type]
    return build_cliques(counts, CliqueConfig(size=size, similarity=config.similarity))  # type: ignore[arg-type]


def select_users(
    cliques: CliqueSet,
    k: int,
    solver: str,
    *,
    seed: int = 0,
    exact_time_limit: float = 60.0,
    neural_options: Mapping[str, Any] | None = None,
    exact_fallback: str | None = "greedy",
) -> Selection:
    """B5: the Z synthetic users (row indices of A) chosen by ``solver``."""
    a, w = cliques.incidence, cliques.item_values
    if solver == "random":
        import time

        start = time.perf_counter()
        pick = np.sort(np.random.default_rng(seed).choice(a.shape[0], size=min(k, a.shape[0]), replace=False))
        return Selection(
            pick.astype(np.int64), coverage_objective(a, w, pick), time.perf_counter() - start, "random"
        )
    if solver == "exact":
        return solve_max_cover(a, w, k, solver="exact", time_limit=exact_time_limit, fallback=exact_fallback)
    if solver == "neural":
        return solve_max_cover(a, w, k, solver="neural", **{"seed": seed, **dict(neural_options or {})})
    if solver == "greedy":
        return solve_max_cover(a, w, k, solver="greedy")
    raise ConfigError(f"larmi selection: unknown solver {solver!r}; known: {SELECTORS}")


def selection_record(sel: Selection, cliques: CliqueSet, k: int) -> dict[str, Any]:
    """JSON-ready summary of one selection."""
    a = cliques.incidence
    covered = (
        np.unique(np.concatenate([cliques.items_of(int(i)) for i in sel.indices])) if len(sel.indices) else []
    )
    return {
        "solver": sel.solver,
        "budget": k,
        "selected": len(sel.indices),
        "objective": sel.objective,
        "seconds": round(sel.seconds, 4),
        "proven_optimal": sel.proven_optimal,
        "bound": sel.bound,
        "items_covered": len(covered),
        "items_total": int(a.shape[1]),
        "indices": [int(i) for i in sel.indices],
    }


def clique_frequency(cliques: CliqueSet, counts: sp.spmatrix) -> sp.csr_array:
    """``F[i, j]`` = members of N(u_i) (u_i included) whose training part holds item j."""
    return sp.csr_array(cliques.neighbourhoods.members().astype(np.int64) @ binary(sp.csr_array(counts)))


def synthetic_requests(
    cliques: CliqueSet,
    selected: Sequence[int],
    counts: sp.spmatrix,
    titles: Sequence[str],
    cap: int = 80,
    domain: str = "Industrial & Scientific",
) -> list[ClusterRequest]:
    """B7 inputs: one request per selected synthetic user, id = its row of A (its real user's index)."""
    freq = clique_frequency(cliques, counts)
    popularity = np.asarray(binary(sp.csr_array(counts)).sum(axis=0)).ravel()
    out = []
    for i in selected:
        row = freq[[int(i)]]
        items, values = row.indices.astype(np.int64), row.data
        out.append(synthetic_request(str(int(i)), items, values, popularity, titles, cap=cap, domain=domain))
    return out


def save_cliques(path: str | Path, cliques: CliqueSet) -> Path:
    a = cliques.incidence
    nb = cliques.neighbourhoods
    np.savez_compressed(
        path,
        indptr=a.indptr,
        indices=a.indices,
        shape=np.asarray(a.shape),
        item_values=cliques.item_values,
        neighbours=nb.neighbours,
        similarity=nb.similarity,
    )
    return Path(path)


def load_cliques(path: str | Path) -> CliqueSet:
    try:
        with np.load(path) as z:
            shape = tuple(int(s) for s in z["shape"])
            a = sp.csr_array(
                (np.ones(len(z["indices"]), dtype=np.int8), z["indices"], z["indptr"]), shape=shape
            )
            return CliqueSet(Neighbourhoods(z["neighbours"], z["similarity"]), a, z["item_values"])
    except (OSError, KeyError, ValueError) as exc:
        raise ArtifactError(f"{path}: not a cliques file written by `recloom larmi cliques` ({exc})") from exc


def clique_summary(cliques: CliqueSet) -> dict[str, Any]:
    sizes = np.diff(cliques.incidence.indptr)
    return {
        "synthetic_users": int(cliques.incidence.shape[0]),
        "items": int(cliques.incidence.shape[1]),
        "clique_size": cliques.neighbourhoods.size,
        "incidence_nnz": int(cliques.incidence.nnz),
        "items_per_synthetic_user": {
            "median": float(np.median(sizes)),
            "mean": round(float(sizes.mean()), 4),
            "max": int(sizes.max(initial=0)),
        },
        "item_values": {"min": float(cliques.item_values.min()), "max": float(cliques.item_values.max())},
    }


def config_dict(config: SelectConfig) -> dict[str, Any]:
    return asdict(config)
