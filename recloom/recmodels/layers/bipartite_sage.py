"""Tiny bipartite GraphSAGE score head of the CardNN max-coverage solver (methods.md §2.2 B5).

Set nodes (feature 1) and element nodes (feature w_j) exchange messages over the incidence matrix
A [M, N] in both directions for ``n_layers`` rounds (mean aggregation, hidden ``hidden``, ReLU):

    set_h  <- ReLU(W_s set_h  + U_s mean_{j in set i}     elem_h_j)
    elem_h <- ReLU(W_e elem_h + U_e mean_{i containing j} set_h_i)

and a linear head with a sigmoid gives each set a latent score in (0, 1).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def mean_operators(incidence: Tensor) -> tuple[Tensor, Tensor]:
    """Row-normalised sparse (sets <- elements) [M, N] and (elements <- sets) [N, M] operators."""
    a = incidence.coalesce()
    rows, cols = a.indices()
    m, n = a.shape
    ones = torch.ones(rows.shape[0], dtype=torch.float32, device=a.device)
    set_deg = torch.zeros(m, device=a.device).index_add_(0, rows, ones).clamp(min=1)
    elem_deg = torch.zeros(n, device=a.device).index_add_(0, cols, ones).clamp(min=1)
    to_sets = torch.sparse_coo_tensor(a.indices(), ones / set_deg[rows], (m, n),
                                      check_invariants=True).coalesce()
    to_elems = torch.sparse_coo_tensor(torch.stack([cols, rows]), ones / elem_deg[cols], (n, m),
                                       check_invariants=True).coalesce()
    return to_sets, to_elems


class BipartiteSAGE(nn.Module):
    """Latent selection scores (M,) in (0, 1) of the sets of a weighted max-coverage instance."""

    def __init__(self, hidden: int = 16, n_layers: int = 3) -> None:
        super().__init__()
        pairs = [(1, hidden)] + [(hidden, hidden)] * (n_layers - 1)
        self.set_self = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
        self.set_nb = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in pairs)
        self.elem_self = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
        self.elem_nb = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in pairs)
        self.head = nn.Linear(hidden, 1)

    def forward(self, incidence: Tensor, weights: Tensor) -> Tensor:
        """``incidence`` sparse [M, N], ``weights`` [N] -> scores [M]."""
        to_sets, to_elems = mean_operators(incidence)
        set_h = torch.ones(incidence.shape[0], 1, device=weights.device)
        elem_h = weights.to(torch.float32).unsqueeze(1)
        for s_self, s_nb, e_self, e_nb in zip(self.set_self, self.set_nb, self.elem_self, self.elem_nb,
                                              strict=True):
            new_set = torch.relu(s_self(set_h) + s_nb(torch.sparse.mm(to_sets, elem_h)))
            elem_h = torch.relu(e_self(elem_h) + e_nb(torch.sparse.mm(to_elems, set_h)))
            set_h = new_set
        return torch.sigmoid(self.head(set_h)).squeeze(1)
