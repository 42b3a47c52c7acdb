"""The user-item bipartite graph as a torch sparse matrix, for LightGCN and NGCF propagation."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

Init = Literal["normal", "xavier", "xavier_normal"]


def normalized_adjacency(train: sp.spmatrix) -> Tensor:
    """``D^-1/2 A D^-1/2`` of ``A = [[0, R], [R^T, 0]]`` (users first), as coalesced sparse COO.

    ``R`` is the binary user×item training matrix; isolated nodes get a zero row.
    """
    r = sp.csr_matrix(train, dtype=np.float32)
    r.data[:] = 1.0
    n_users, n_items = r.shape
    adj = sp.bmat([[None, r], [r.T, None]], format="coo", dtype=np.float32)
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv_sqrt = np.zeros_like(deg)
    np.power(deg, -0.5, out=inv_sqrt, where=deg > 0)
    values = inv_sqrt[adj.row] * adj.data * inv_sqrt[adj.col]
    index = torch.from_numpy(np.vstack([adj.row, adj.col]).astype(np.int64))
    size = (n_users + n_items, n_users + n_items)
    return torch.sparse_coo_tensor(index, torch.from_numpy(values.astype(np.float32)), size,
                                   check_invariants=True).coalesce()


def edge_dropout(adj: Tensor, p: float) -> Tensor:
    """Drop each nonzero of a coalesced sparse matrix with probability ``p``; rescale the rest."""
    if p <= 0.0:
        return adj
    keep = torch.rand(adj._nnz()) >= p
    values = adj.values()[keep] / (1.0 - p)
    return torch.sparse_coo_tensor(adj.indices()[:, keep], values, adj.shape, check_invariants=False).coalesce()


def init_embedding(weight: Tensor, init: Init, std: float) -> None:
    """Normal(0, std) (LightGCN authors' code), Xavier-uniform (RecBole LightGCN/NGCF) or
    Xavier-normal (RecBole BPR) initialisation."""
    if init == "normal":
        nn.init.normal_(weight, std=std)
    elif init == "xavier":
        nn.init.xavier_uniform_(weight)
    elif init == "xavier_normal":
        nn.init.xavier_normal_(weight)
    else:
        raise ValueError(f"init must be 'normal', 'xavier' or 'xavier_normal', got {init!r}")
