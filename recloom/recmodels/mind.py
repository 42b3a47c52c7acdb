"""MIND: Multi-Interest Network with Dynamic routing (Li et al., CIKM 2019, arXiv:1904.08030).

Behaviour-to-interest capsule routing over the item-ID embeddings of the history (shared bilinear
map W, 3 iterations, squash; :class:`~recloom.recmodels.layers.capsule.CapsuleRouting`), followed
as in the paper by a ReLU layer on every capsule (``relu_layer``; ComiRec's MIND baseline does the
same). Trained with the full-softmax loss of :mod:`recloom.recmodels.multi_interest`; the default
``train_readout="target"`` is MIND's hard variant of label-aware attention (p -> inf): the interest
nearest the target item scores every candidate. Serves as LARMI's main baseline (methods.md §2.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from recloom.recmodels.base import Batch
from recloom.recmodels.layers.capsule import CapsuleRouting
from recloom.recmodels.multi_interest import MultiInterestConfig, MultiInterestRecommender, Readout


@dataclass
class MINDConfig(MultiInterestConfig):
    """MIND hyperparameters (d = 64, K = 4 as in LARMI's comparison)."""

    n_iters: int = 3  # routing iterations
    relu_layer: bool = True  # dense d -> d + ReLU on each capsule
    train_readout: Readout = "target"


class MIND(MultiInterestRecommender):
    """Capsule-only multi-interest model: interests = [ReLU(Dense)](squash(routing(history)))."""

    config_class = MINDConfig

    def __init__(self, n_users: int, n_items: int, config: MINDConfig | None = None) -> None:
        config = config or MINDConfig()
        super().__init__(n_users, n_items, config)
        self.routing = CapsuleRouting(config.dim, config.n_interests, config.n_iters, config.max_len)
        self.head = nn.Sequential(nn.Linear(config.dim, config.dim), nn.ReLU()) if config.relu_layer else None

    def interests(self, batch: Batch) -> tuple[Tensor, Tensor | None]:
        seq_emb, mask = self.history(batch)
        capsules = self.routing(seq_emb, mask)
        return (self.head(capsules) if self.head is not None else capsules), None
