"""Gradient-dimension reduction for group influence: the direction ``v`` with ``<g|R, dθ|R> = <g, v>``.

Both reductions of ToP-Rec's influence (methods.md §1.2 S6, §1.6) are inner products that can be
written as ``<g, v(dθ)>`` for a vector ``v`` built from the update alone, so the per-group inner
products become directional derivatives along ``v`` (no per-group gradient is ever materialised):

- ``topk`` (the released code): per parameter tensor keep the ``D`` coordinates with the largest
  ``|dθ|``; ``<g|mask, dθ|mask> = <g, mask ⊙ dθ>``, so ``v = mask ⊙ dθ``.
- ``sketch`` (LESS-style random projection, Xia et al. 2024): a count sketch ``P`` (D × n, one
  ±1 per column at a hashed row) over all parameters; ``<P g, P dθ> = <g, Pᵀ P dθ>``, so
  ``v = Pᵀ P dθ``, computed in O(n) from the hash and sign of every coordinate. A count sketch is a
  Johnson–Lindenstrauss projection (unbiased inner products); the dense Gaussian projection of LESS
  would need a D × n matrix, far too large on CPU for embedding tables.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from recloom.errors import ConfigError

Params = Mapping[str, Tensor]


def topk_mask_direction(delta: Params, per_tensor: int) -> dict[str, Tensor]:
    """``mask ⊙ dθ`` with the mask keeping each tensor's ``per_tensor`` largest ``|dθ|`` entries
    (ties broken by ``torch.topk``; a tensor with at most ``per_tensor`` entries is kept whole)."""
    if per_tensor < 1:
        raise ConfigError(f"influence topk dimension must be >= 1, got {per_tensor}")
    out: dict[str, Tensor] = {}
    for name, d in delta.items():
        flat = d.reshape(-1)
        if flat.numel() <= per_tensor:
            out[name] = d.clone()
            continue
        keep = torch.topk(flat.abs(), per_tensor, sorted=False).indices
        masked = torch.zeros_like(flat)
        masked[keep] = flat[keep]
        out[name] = masked.reshape(d.shape)
    return out


class CountSketch:
    """A seeded count-sketch projection ``P: R^n -> R^D`` over a fixed set of named tensors."""

    def __init__(self, shapes: Mapping[str, torch.Size], dim: int, seed: int = 0) -> None:
        if dim < 1:
            raise ConfigError(f"influence sketch dimension must be >= 1, got {dim}")
        self.dim = dim
        gen = torch.Generator().manual_seed(seed)
        self.bucket: dict[str, Tensor] = {}
        self.sign: dict[str, Tensor] = {}
        for name in sorted(shapes):
            n = int(torch.Size(shapes[name]).numel())
            self.bucket[name] = torch.randint(0, dim, (n,), generator=gen)
            self.sign[name] = torch.randint(0, 2, (n,), generator=gen).to(torch.float64) * 2 - 1

    def project(self, tensors: Params) -> Tensor:
        """``P x`` as float64[D] (the sum over all named tensors)."""
        out = torch.zeros(self.dim, dtype=torch.float64)
        for name, x in tensors.items():
            self._check(name, x)
            out.index_add_(0, self.bucket[name], self.sign[name] * x.detach().reshape(-1).to(torch.float64))
        return out

    def direction(self, delta: Params) -> dict[str, Tensor]:
        """``Pᵀ P dθ`` split back into the named tensors (each in its own dtype and shape)."""
        sketch = self.project(delta)
        return {name: (self.sign[name] * sketch[self.bucket[name]]).to(d.dtype).reshape(d.shape)
                for name, d in delta.items()}

    def dense(self) -> dict[str, Tensor]:
        """The explicit matrix ``P`` per tensor, float64[D, numel] (for tests on tiny models)."""
        out = {}
        for name, bucket in self.bucket.items():
            mat = torch.zeros(self.dim, len(bucket), dtype=torch.float64)
            mat[bucket, torch.arange(len(bucket))] = self.sign[name]
            out[name] = mat
        return out

    def _check(self, name: str, x: Tensor) -> None:
        if name not in self.bucket:
            raise ConfigError(f"count sketch has no tensor {name!r} (known: {', '.join(self.bucket)})")
        if x.numel() != len(self.bucket[name]):
            raise ConfigError(f"tensor {name!r} has {x.numel()} entries, the sketch was built for "
                              f"{len(self.bucket[name])}")
