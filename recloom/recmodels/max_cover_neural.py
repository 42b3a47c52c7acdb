"""One-shot neural weighted max-coverage solver: CardNN-GS (Wang, Jia, Yan et al., ICLR 2023,
"Towards One-shot Neural Combinatorial Solvers: Theoretical and Empirical Notes on the
Cardinality-Constrained Case"), LARMI's stage-B5 solver (methods.md §2.2 B5, §2.6).

max_x sum_j w_j 1[sum_i x_i A_ij >= 1]  s.t. x in {0,1}^M, |x| <= k.

1. A bipartite GraphSAGE head (:class:`~recloom.recmodels.layers.bipartite_sage.BipartiteSAGE`)
   maps the instance to latent set scores s in (0, 1). It is trained (Adam, lr 1e-4) on random
   instances shaped like the given one, maximising the expected soft objective below over Gumbel
   samples (§2.6: a handful of instances is enough; the test-time search does most of the work).
2. Gumbel-Sinkhorn soft top-k of s gives per-sample selection probabilities p
   (:func:`~recloom.recmodels.layers.gumbel_sinkhorn.gumbel_sinkhorn_topk`).
3. Differentiable objective sum_j w_j min(1, sum_i p_i A_ij).
4. Test time: latent variables l of *this* instance, initialised by the head's scores, are
   optimised directly with Adam (lr 0.1), the soft top-k acting on sigmoid(l) (as in the solver
   repository, which keeps the scores in (0, 1) so that the Gumbel noise keeps exploring); every
   step's Gumbel samples are rounded to hard top-k solutions, whose exact objective is evaluated,
   and the best hard solution seen is returned.

:class:`NeuralMaxCoverSolver` plugs this into :mod:`recloom.graph.max_cover`
(``get_max_cover_solver("neural", **NeuralMaxCoverConfig fields)``).

Defaults: tau = 0.05, noise 0.15 (the rand500 config), Sinkhorn solved to its fixed point with
implicit gradients (``sinkhorn="unrolled"`` runs the repository's 100 iterations); the test-time
budget is the solver repository's large real-instance (Twitch) budget, 400 steps x 50 samples,
instead of rand500's 1000 x 1000, which is impractical on CPU for thousands of sets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from recloom.errors import ConfigError, DataError
from recloom.graph.max_cover import Selection, check_instance, coverage_objective
from recloom.recmodels.layers.bipartite_sage import BipartiteSAGE
from recloom.recmodels.layers.gumbel_sinkhorn import SinkhornMethod, gumbel_sinkhorn_topk


@dataclass
class NeuralMaxCoverConfig:
    """CardNN-GS hyperparameters."""

    hidden: int = 16  # GraphSAGE width
    n_layers: int = 3  # message-passing rounds
    tau: float = 0.05  # Sinkhorn temperature
    sinkhorn_iters: int = 100  # used by sinkhorn="unrolled"
    sinkhorn: SinkhornMethod = "fixed_point"  # or "unrolled" (see layers.gumbel_sinkhorn)
    noise: float = 0.15  # Gumbel noise factor sigma
    train_instances: int = 4  # random instances the head is trained on
    train_max_sets: int = 300  # cap on their number of sets (the head is size-agnostic)
    train_epochs: int = 100
    train_lr: float = 1e-4
    train_samples: int = 10  # Gumbel samples per training step
    opt_steps: int = 400  # test-time latent optimisation steps
    opt_lr: float = 0.1
    opt_samples: int = 50  # Gumbel samples per test-time step
    seed: int = 0

    def validate(self) -> None:
        positive = ("hidden", "n_layers", "sinkhorn_iters", "train_samples", "opt_samples", "train_max_sets",
                    "tau", "opt_lr", "train_lr")
        bad = [n for n in positive if getattr(self, n) <= 0]
        bad += [n for n in ("train_instances", "train_epochs", "opt_steps", "noise") if getattr(self, n) < 0]
        if bad:
            raise ConfigError(f"NeuralMaxCoverConfig: invalid {', '.join(bad)} in {self}")


@dataclass
class NeuralResult:
    """Best hard solution found: sorted set indices, its objective, and how the search went."""

    indices: np.ndarray
    objective: float
    best_step: int  # -1 = the rounding of the initial head scores
    seconds: float
    trace: list[float] = field(default_factory=list)  # best objective after each step


class CoverInstance:
    """A weighted max-coverage instance as torch tensors (sparse incidence, item weights)."""

    def __init__(self, incidence: sp.spmatrix | np.ndarray, weights: np.ndarray) -> None:
        a = sp.coo_matrix(incidence)
        w = np.asarray(weights, dtype=np.float64).ravel()
        if a.shape[1] != len(w):
            raise DataError(f"max cover: incidence has {a.shape[1]} items but {len(w)} weights")
        if len(w) and (not np.all(np.isfinite(w)) or w.min() < 0):
            raise DataError("max cover: item weights must be finite and non-negative")
        a = sp.coo_matrix((np.ones(a.nnz), (a.row, a.col)), shape=a.shape).tocsr().tocoo()  # binary
        idx = torch.from_numpy(np.vstack([a.row, a.col]).astype(np.int64))
        ones = torch.ones(a.nnz, dtype=torch.float32)
        self.n_sets, self.n_items = a.shape
        self.A = torch.sparse_coo_tensor(idx, ones, a.shape, check_invariants=True).coalesce()
        shape_t = (a.shape[1], a.shape[0])
        self.At = torch.sparse_coo_tensor(idx.flip(0), ones, shape_t, check_invariants=True).coalesce()
        self.w = torch.from_numpy(w.astype(np.float32))

    def soft_objective(self, probs: Tensor) -> Tensor:
        """sum_j w_j min(1, sum_i p_i A_ij) for each row of probs [S, M] -> [S]."""
        cover = torch.sparse.mm(self.At, probs.t())  # [N, S]
        return (self.w[:, None] * cover.clamp(max=1.0)).sum(0)

    def hard_objective(self, chosen: Tensor) -> Tensor:
        """Exact objective of each row of chosen set indices [S, k] -> [S]."""
        x = torch.zeros(chosen.shape[0], self.n_sets).scatter_(1, chosen, 1.0)
        cover = torch.sparse.mm(self.At, x.t())
        return (self.w[:, None] * (cover > 0)).sum(0)


def random_instances_like(incidence: sp.spmatrix, weights: np.ndarray, n: int, max_sets: int,
                          rng: np.random.Generator) -> list[CoverInstance]:
    """``n`` random instances with the set sizes, item popularity and weights of the given one."""
    a = sp.csr_matrix(incidence)
    m, n_items = a.shape
    sizes = np.diff(a.indptr)
    pop = np.asarray((a > 0).sum(axis=0)).ravel().astype(np.float64) + 1.0
    m_new = min(m, max_sets)
    n_new = max(2, int(round(n_items * m_new / m)))
    out = []
    for _ in range(n):
        items = rng.choice(n_items, size=min(n_new, n_items), replace=False)
        prob = pop[items] / pop[items].sum()
        rows, cols = [], []
        for i, size in enumerate(rng.choice(sizes, size=m_new)):
            pick = rng.choice(len(items), size=max(1, min(int(size), len(items))), replace=False, p=prob)
            rows.append(np.full(len(pick), i))
            cols.append(pick)
        mat = sp.csr_matrix((np.ones(sum(map(len, rows))), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(m_new, len(items)))
        out.append(CoverInstance(mat, np.asarray(weights, dtype=np.float64)[items]))
    return out


def _soft_topk(scores: Tensor, k: int, config: NeuralMaxCoverConfig, n_samples: int,
               generator: torch.Generator) -> Tensor:
    return gumbel_sinkhorn_topk(scores, k, tau=config.tau, n_iters=config.sinkhorn_iters, noise=config.noise,
                                n_samples=n_samples, generator=generator, method=config.sinkhorn)


def train_head(instances: list[CoverInstance], budgets: list[int],
               config: NeuralMaxCoverConfig) -> BipartiteSAGE:
    """Train the score head on instances (budget k each) by maximising the mean soft objective."""
    torch.manual_seed(config.seed)
    head = BipartiteSAGE(config.hidden, config.n_layers)
    opt = torch.optim.Adam(head.parameters(), lr=config.train_lr)
    gen = torch.Generator().manual_seed(config.seed)
    for _ in range(config.train_epochs):
        for inst, k in zip(instances, budgets, strict=True):
            if not 0 < k < inst.n_sets:
                continue
            probs = _soft_topk(head(inst.A, inst.w), k, config, config.train_samples, gen)
            loss = -inst.soft_objective(probs).mean() / inst.w.sum().clamp(min=1e-9)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return head.eval()


def optimise_latent(inst: CoverInstance, k: int, init: Tensor, config: NeuralMaxCoverConfig) -> NeuralResult:
    """Test-time search: Adam on latent variables l (initialised by the head, scores sigmoid(l) in
    (0, 1) as in the solver repository), keeping the best rounded Gumbel sample."""
    start = time.perf_counter()
    gen = torch.Generator().manual_seed(config.seed)
    latent = init.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([latent], lr=config.opt_lr)
    best_idx = torch.topk(latent.detach(), k).indices
    best_val, best_step = float(inst.hard_objective(best_idx[None])[0]), -1
    trace = []
    for step in range(config.opt_steps):
        probs = _soft_topk(torch.sigmoid(latent), k, config, config.opt_samples, gen)
        opt.zero_grad()
        (-inst.soft_objective(probs).mean()).backward()
        opt.step()
        with torch.no_grad():
            chosen = torch.topk(probs, k, dim=1).indices
            values = inst.hard_objective(chosen)
            i = int(values.argmax())
            if float(values[i]) > best_val:
                best_val, best_idx, best_step = float(values[i]), chosen[i], step
        trace.append(best_val)
    indices = np.sort(best_idx.numpy().astype(np.int64))
    return NeuralResult(indices, best_val, best_step, time.perf_counter() - start, trace)


def _head_for(incidence: sp.spmatrix | np.ndarray, weights: np.ndarray, k: int,
              config: NeuralMaxCoverConfig) -> BipartiteSAGE:
    """A head trained on random instances shaped like the given one (budget scaled to their size)."""
    rng = np.random.default_rng(config.seed)
    a = sp.csr_matrix(incidence)
    train = random_instances_like(a, weights, config.train_instances, config.train_max_sets, rng)
    budgets = [max(1, round(k * t.n_sets / a.shape[0])) for t in train]
    return train_head(train, budgets, config)


def solve_neural(incidence: sp.spmatrix | np.ndarray, weights: np.ndarray, k: int,
                 config: NeuralMaxCoverConfig | None = None,
                 head: BipartiteSAGE | None = None) -> NeuralResult:
    """CardNN-GS on one instance; trains a head on look-alike random instances when none is given."""
    config = config or NeuralMaxCoverConfig()
    config.validate()
    start = time.perf_counter()
    inst = CoverInstance(incidence, weights)
    if k <= 0:
        raise ConfigError(f"max cover: budget k must be positive, got {k}")
    if k >= inst.n_sets:
        everything = np.arange(inst.n_sets, dtype=np.int64)
        value = float(inst.hard_objective(torch.from_numpy(everything)[None])[0]) if inst.n_sets else 0.0
        return NeuralResult(everything, value, -1, time.perf_counter() - start)
    if head is None:
        head = _head_for(incidence, weights, k, config)
    with torch.no_grad():
        init = head(inst.A, inst.w)
    result = optimise_latent(inst, k, init, config)
    result.seconds = time.perf_counter() - start
    return result


class NeuralMaxCoverSolver:
    """The ``"neural"`` solver of :mod:`recloom.graph.max_cover`; options = NeuralMaxCoverConfig fields.

    The score head is trained on the first instance solved (look-alike random instances) and reused
    for later calls; pass ``head`` to use a trained one.
    """

    name = "neural"

    def __init__(self, head: BipartiteSAGE | None = None, **options: object) -> None:
        try:
            self.config = NeuralMaxCoverConfig(**options)  # type: ignore[arg-type]
        except TypeError as exc:
            raise ConfigError(f"neural max-cover solver: {exc}") from exc
        self.config.validate()
        self.head = head
        self.last_result: NeuralResult | None = None

    def solve(self, a: object, w: object, k: int) -> Selection:
        start = time.perf_counter()
        mat, weights, budget = check_instance(a, w, k)
        if budget == 0:
            return Selection(np.zeros(0, dtype=np.int64), 0.0, time.perf_counter() - start, self.name)
        if self.head is None and budget < mat.shape[0]:
            self.head = _head_for(mat, weights, budget, self.config)
        result = solve_neural(mat, weights, budget, self.config, self.head)
        self.last_result = result
        objective = coverage_objective(mat, weights, result.indices)
        return Selection(result.indices, objective, time.perf_counter() - start, self.name)
