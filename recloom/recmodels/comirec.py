"""ComiRec-SA: Controllable Multi-Interest framework, self-attentive variant (Cen et al., KDD 2020,
arXiv:2005.09347).

K attention heads over the (position-augmented) history give K interests,
V_u = softmax(W2 tanh(W1 H^T)) H (:class:`~recloom.recmodels.layers.self_attentive.SelfAttentiveInterests`,
d_a = 4d). Training uses ComiRec's hard readout (``train_readout="target"``: the interest with the
largest inner product with the target item scores the candidates) with the full softmax of
:mod:`recloom.recmodels.multi_interest` instead of ComiRec's sampled softmax (the item sets used
here are small enough for a full softmax). Retrieval scores items by max over interests (λ = 0
aggregation, the same as Eq. 11).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from recloom.recmodels.base import Batch
from recloom.recmodels.layers.self_attentive import SelfAttentiveInterests
from recloom.recmodels.multi_interest import MultiInterestConfig, MultiInterestRecommender, Readout


@dataclass
class ComiRecSAConfig(MultiInterestConfig):
    """ComiRec-SA hyperparameters (paper: d = 64, K = 4, d_a = 4d, position embeddings on)."""

    attn_hidden: int | None = None  # d_a; None = 4 * dim
    add_pos: bool = True  # learned position embeddings added before the attention
    train_readout: Readout = "target"


class ComiRecSA(MultiInterestRecommender):
    """Self-attentive multi-interest model."""

    config_class = ComiRecSAConfig

    def __init__(self, n_users: int, n_items: int, config: ComiRecSAConfig | None = None) -> None:
        config = config or ComiRecSAConfig()
        super().__init__(n_users, n_items, config)
        self.extractor = SelfAttentiveInterests(
            config.dim, config.n_interests, config.attn_hidden, config.max_len if config.add_pos else 0
        )

    def interests(self, batch: Batch) -> tuple[Tensor, Tensor | None]:
        seq_emb, mask = self.history(batch)
        return self.extractor(seq_emb, mask), None
