"""Training smoke on a micro dataset with planted interests: every model learns, LARMI with its
LLM-style clusters, synthetic-user contrastive term and the periodic auxiliary step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recloom.data.split import SequenceExamples
from recloom.recmodels.auxiliary import PeriodicAuxiliaryStep
from recloom.recmodels.comirec import ComiRecSA, ComiRecSAConfig
from recloom.recmodels.evaluation import EvalSpec, evaluate
from recloom.recmodels.larmi import LARMI, LARMIConfig
from recloom.recmodels.larmi_clusters import ClusterTable, pad_synthetic
from recloom.recmodels.larmi_data import PrefixSequenceData, sequence_eval_data
from recloom.recmodels.mind import MIND, MINDConfig
from recloom.recmodels.trainer import TrainConfig, Trainer, seed_everything

N_TOPICS, PER_TOPIC, N_USERS = 4, 10, 60
N_ITEMS = N_TOPICS * PER_TOPIC


def micro_dataset() -> tuple[list[np.ndarray], SequenceExamples, list[list[list[int]]]]:
    """Each user likes two topics (items t*10 .. t*10+9) and alternates between them at random."""
    rng = np.random.default_rng(0)
    train, hist, targets, clusters = [], [], [], []
    for _ in range(N_USERS):
        topics = rng.choice(N_TOPICS, size=2, replace=False)
        seq = [int(rng.choice(PER_TOPIC) + PER_TOPIC * rng.choice(topics)) for _ in range(12)]
        train.append(np.array(seq[:10]))
        hist.append(np.array(seq[:10]))
        targets.append(np.array(sorted(set(seq[10:]) - set(seq[:10])), dtype=np.int64))
        clusters.append([[i for i in set(seq[:10]) if i // PER_TOPIC == t] for t in topics])  # the "LLM"
    return train, SequenceExamples.from_lists(np.arange(N_USERS), hist, targets), clusters


@pytest.mark.parametrize("name", ["mind", "comirec", "larmi"])
def test_models_learn_planted_interests(name: str) -> None:
    train, test_ex, clusters = micro_dataset()
    table = ClusterTable(clusters, N_ITEMS)
    seed_everything(0)
    rule = None
    if name == "mind":
        model = MIND(N_USERS, N_ITEMS, MINDConfig(dim=16, n_interests=2, max_len=20))
    elif name == "comirec":
        model = ComiRecSA(N_USERS, N_ITEMS, ComiRecSAConfig(dim=16, n_interests=2, max_len=20))
    else:
        model = LARMI(N_USERS, N_ITEMS, LARMIConfig(dim=16, n_interests=2, max_len=20))
        topic = [list(range(t * PER_TOPIC, (t + 1) * PER_TOPIC)) for t in range(N_TOPICS)]
        synthetic = [[topic[0], topic[1]], [topic[2], topic[3]]]
        model.set_synthetic_clusters(*pad_synthetic(synthetic, N_ITEMS))
        rule = PeriodicAuxiliaryStep(lam=0.2)
    data = PrefixSequenceData(train, N_ITEMS, max_len=20, clusters=table)
    test = sequence_eval_data(test_ex, N_ITEMS, max_len=20, clusters=table)
    spec = EvalSpec(ks=(10,), metrics=("recall",))
    before = evaluate(model, test, spec)["recall@10"]
    cfg = TrainConfig(epochs=30, batch_size=64, lr=1e-2, patience=0, quiet=True, seed=0)
    result = Trainer(model, data, cfg, step_rule=rule).fit()
    after = evaluate(model, test, spec)["recall@10"]
    assert result.history[-1].loss < result.history[0].loss
    # random ranking over the ~32 unseen items finds about 10/32 of the targets
    assert after >= 0.6 > before
    if rule is not None:
        assert rule.n_aux_updates >= 1 and model.last_auxiliary_loss is not None
        emb = torch.nn.functional.normalize(model.item_vectors.detach(), dim=-1)
        same = (emb[:PER_TOPIC] @ emb[:PER_TOPIC].T).mean()
        across = (emb[:PER_TOPIC] @ emb[PER_TOPIC : 2 * PER_TOPIC].T).mean()
        assert same > across  # the contrastive term separates the clusters of synthetic user 0
