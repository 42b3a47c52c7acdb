"""Gradient and weight-perturbation plumbing shared by the SAM-family step rules.

Gradients are taken with ``torch.autograd.grad`` over the optimiser's trainable parameters, so the
ascent passes never touch ``.grad``; only the final update gradient is written there before
``optimizer.step()``. Perturbations are applied in a context manager that copies the saved weights
back on exit (also on error), so no perturbation is ever left in the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

Grads = list[Tensor]

NORM_EPS = 1e-12  # added to the gradient norm, as in SAM and the EISAM release


def trainable_params(optimizer: torch.optim.Optimizer) -> list[nn.Parameter]:
    """Parameters the optimiser updates that require a gradient, in order, without duplicates."""
    seen: set[int] = set()
    params: list[nn.Parameter] = []
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


def grads_of(loss: Tensor, params: Sequence[nn.Parameter], *, retain_graph: bool = False) -> Grads:
    """d loss / d params (zeros for parameters the loss does not depend on)."""
    return list(
        torch.autograd.grad(loss, list(params), retain_graph=retain_graph, allow_unused=True,
                            materialize_grads=True)
    )


def global_norm(grads: Sequence[Tensor]) -> Tensor:
    """L2 norm of all gradients jointly (sparse gradients are coalesced first)."""
    parts = [_values(g).pow(2).sum() for g in grads]
    if not parts:
        return torch.zeros((), dtype=torch.float64)
    return torch.stack([p.to(parts[0].device, torch.float64) for p in parts]).sum().sqrt()


def _values(g: Tensor) -> Tensor:
    v = (g.coalesce().values() if g.is_sparse else g).detach()
    return v.float() if v.dtype in (torch.float16, torch.bfloat16) else v


def combine(terms: Sequence[tuple[float, Grads]]) -> Grads:
    """sum_j c_j * g_j, parameter by parameter; the first term's tensors are reused (overwritten)."""
    out: Grads = []
    for per_param in zip(*(g for _, g in terms), strict=True):
        acc = per_param[0].mul_(terms[0][0])
        for (c, _), g in zip(terms[1:], per_param[1:], strict=True):
            acc = acc + c * g if acc.is_sparse and not g.is_sparse else acc.add_(g, alpha=c)
        out.append(acc)
    return out


@contextmanager
def perturbed(params: Sequence[nn.Parameter], direction: Grads, rho: float) -> Iterator[None]:
    """Within the block the weights are w + rho * d / (||d|| + 1e-12); the saved w is restored after."""
    saved = [p.detach().clone() for p in params]
    scale = rho / (float(global_norm(direction)) + NORM_EPS)
    try:
        with torch.no_grad():
            for p, d in zip(params, direction, strict=True):
                p.add_(d.to(p.dtype), alpha=scale)
        yield
    finally:
        with torch.no_grad():
            for p, w in zip(params, saved, strict=True):
                p.copy_(w)


def apply_update(
    params: Sequence[nn.Parameter],
    grads: Grads,
    optimizer: torch.optim.Optimizer,
    max_grad_norm: float | None = None,
) -> None:
    """Write ``grads`` into ``.grad`` (replacing whatever was there), clip if asked, optimizer.step()."""
    optimizer.zero_grad(set_to_none=True)
    for p, g in zip(params, grads, strict=True):
        p.grad = g.detach().to(p.dtype)
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optimizer.step()
