"""LARMI: LLM-driven Adaptive and Representative Multi-Interest modeling (Wang et al., ACL Findings
2026; arXiv predecessor 2507.10917; seed 001). Model side, methods.md §2.2 stage C:

    m_1..m_K = CapsuleNet(v_1..v_L)                       (C1, Eqs. 14-15; squashed capsules)
    h_f = sum_{j in C_f} softmax_j(w^T v_j + b) v_j       (C2, Eq. 2; one per LLM cluster)
    z_k = sum_f softmax_f(m_k^T tanh(W1 h_f)) h_f         (C3; absent clusters masked)
    o_k = m_k + z_k                                       (C4, Eq. 4)
    f(u, v) = max_k o_k^T v                               (C5, Eq. 11)
    L = L_rec (Eq. 12, full softmax) + lambda * L_cst     (C6-C8; L_cst via PeriodicAuxiliaryStep)

Inputs: sequential batches plus ``cluster_mask`` bool[B, F, L] (the user's LLM clusters over the
history positions, built by :class:`~recloom.recmodels.larmi_clusters.ClusterTable`). The selected
synthetic users' clusters (:meth:`LARMI.set_synthetic_clusters`) feed :meth:`auxiliary_loss`.

Ablations (Table 5): ``use_semantic=False`` is w/o-sem (h_f = 0, so o_k = m_k);
``use_capsules=False`` is w/o-col (o_k = h_k: the user's present clusters are the interests, a user
with no cluster in view gets one cluster = its whole history). w/o-rep / L-gre / w/o-com decide
which synthetic users (if any) are handed to :meth:`LARMI.set_synthetic_clusters`: pipeline knobs
(``recloom.pipelines.larmi_select``: selection "random" / "greedy"; no synthetic users).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recloom.errors import ConfigError, DataError
from recloom.recmodels.auxiliary import AuxiliaryLossMixin
from recloom.recmodels.base import Batch
from recloom.recmodels.contrastive import Reduction, cluster_contrastive_loss
from recloom.recmodels.layers.capsule import CapsuleRouting
from recloom.recmodels.layers.cluster_attention import ClusterAlignment, ClusterAttentionPooling
from recloom.recmodels.multi_interest import MultiInterestConfig, MultiInterestRecommender, require


@dataclass
class LARMIConfig(MultiInterestConfig):
    """LARMI hyperparameters (appendix C.1: d = 64, K = 4, tau = 0.1, lambda = 0.01)."""

    n_iters: int = 3  # capsule routing iterations (§2.6)
    use_semantic: bool = True  # False = w/o-sem
    use_capsules: bool = True  # False = w/o-col
    cst_tau: float = 0.1  # contrastive temperature
    cst_normalize: bool = True  # L2-normalise embeddings inside L_cst (§2.6 flag)
    cst_reduction: Reduction = "sum"  # "sum" over anchors x positives (paper) or per-user "mean"
    cst_users_per_update: int | None = None  # random subset of synthetic users per update; None = all

    def validate(self) -> None:
        super().validate()
        if not (self.use_semantic or self.use_capsules):
            raise ConfigError("LARMIConfig: use_semantic and use_capsules cannot both be False")
        if self.cst_tau <= 0:
            raise ConfigError(f"LARMIConfig.cst_tau must be positive, got {self.cst_tau}")


class LARMI(AuxiliaryLossMixin, MultiInterestRecommender):
    """Hybrid capsule + LLM-cluster interests with the synthetic-user contrastive term."""

    config_class = LARMIConfig

    def __init__(self, n_users: int, n_items: int, config: LARMIConfig | None = None) -> None:
        config = config or LARMIConfig()
        super().__init__(n_users, n_items, config)
        self.config: LARMIConfig = config
        self.routing = (CapsuleRouting(config.dim, config.n_interests, config.n_iters, config.max_len)
                        if config.use_capsules else None)
        self.pooling = ClusterAttentionPooling(config.dim) if config.use_semantic else None
        self.alignment = ClusterAlignment(config.dim) if config.use_semantic and config.use_capsules else None
        # training data, not weights: kept out of state_dict so checkpoints load with or without them
        self.register_buffer("syn_items", torch.zeros(0, 0, dtype=torch.long), persistent=False)
        self.register_buffer("syn_membership", torch.zeros(0, 0, 0, dtype=torch.bool), persistent=False)

    def set_synthetic_clusters(self, items: np.ndarray | Tensor, membership: np.ndarray | Tensor) -> None:
        """Selected synthetic users' clusters, as built by ``larmi_clusters.pad_synthetic``."""
        items_t = torch.as_tensor(items, dtype=torch.long, device=self.device)
        member_t = torch.as_tensor(membership, dtype=torch.bool, device=self.device)
        if member_t.dim() != 3 or items_t.shape != member_t.shape[:2]:
            raise DataError(
                f"synthetic clusters: items {tuple(items_t.shape)} vs membership {tuple(member_t.shape)}"
            )
        if items_t.numel() and (int(items_t.min()) < 0 or int(items_t.max()) >= self.n_items):
            raise DataError(f"synthetic clusters: item ids outside 0..{self.n_items - 1}")
        self.syn_items, self.syn_membership = items_t, member_t

    def cluster_mask(self, batch: Batch, mask: Tensor) -> Tensor:
        """The batch's cluster memberships bool[B, F, L], restricted to the used history positions."""
        cm = require(batch, "cluster_mask", "LARMI (build batches with a ClusterTable)").bool()
        if "window" in batch and cm.shape[0] == batch["item_seq"].shape[0]:
            cm = cm[batch["window"]]
        if cm.dim() != 3 or cm.shape[0] != mask.shape[0] or cm.shape[2] != mask.shape[1]:
            raise DataError(f"LARMI: cluster_mask has shape {tuple(cm.shape)}, histories {tuple(mask.shape)}")
        return cm & mask.unsqueeze(1)

    def interests(self, batch: Batch) -> tuple[Tensor, Tensor | None]:
        seq_emb, mask = self.history(batch)
        if self.pooling is None:  # w/o-sem
            return self.routing(seq_emb, mask), None  # type: ignore[misc]
        cm = self.cluster_mask(batch, mask)
        if self.routing is None:  # w/o-col
            if cm.shape[1] == 0:
                cm = mask.new_zeros(mask.shape[0], 1, mask.shape[1])
            none = ~cm.any(dim=(1, 2))
            cm = cm.clone()
            cm[none, 0] = mask[none]
            return self.pooling(seq_emb, cm), cm.any(-1)
        capsules = self.routing(seq_emb, mask)
        clusters = self.pooling(seq_emb, cm)
        return capsules + self.alignment(capsules, clusters, cm.any(-1)), None  # type: ignore[misc]

    def auxiliary_loss(self) -> Tensor | None:
        """L_cst over the selected synthetic users (a random subset when ``cst_users_per_update``)."""
        n = self.syn_items.shape[0]
        if n == 0:
            return None
        items, member = self.syn_items, self.syn_membership
        take = self.config.cst_users_per_update
        if take is not None and take < n:
            pick = torch.randperm(n, device=items.device)[:take]
            items, member = items[pick], member[pick]
        return cluster_contrastive_loss(self.item_vectors, items, member, self.config.cst_tau,
                                        self.config.cst_normalize, self.config.cst_reduction)
