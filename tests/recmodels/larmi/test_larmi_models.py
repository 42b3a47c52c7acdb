"""MIND, ComiRec-SA and LARMI: loss = manual log-softmax, readouts, masking, ablations, aux step."""

from __future__ import annotations

import pytest
import torch

from recloom.errors import ConfigError, DataError
from recloom.recmodels.auxiliary import PeriodicAuxiliaryStep
from recloom.recmodels.comirec import ComiRecSA, ComiRecSAConfig
from recloom.recmodels.larmi import LARMI, LARMIConfig
from recloom.recmodels.larmi_clusters import ClusterTable, pad_synthetic
from recloom.recmodels.mind import MIND, MINDConfig
from recloom.recmodels.optim.factory import get_step_rule

N_ITEMS = 12
SEQ_RIGHT = torch.tensor([[1, 2, 3, 4, 0, 0], [5, 6, 7, 0, 0, 0], [8, 9, 10, 11, 12, 1]])
SEQ_LEFT = torch.tensor([[0, 0, 1, 2, 3, 4], [0, 0, 0, 5, 6, 7], [8, 9, 10, 11, 12, 1]])
USERS = torch.tensor([0, 1, 2])
TABLE = ClusterTable([[[0, 1], [2, 3]], [[4, 6], [5]], [[7, 8, 9], [10, 11], [0]]], N_ITEMS)


def batch(seq: torch.Tensor) -> dict[str, torch.Tensor]:
    mask = torch.from_numpy(TABLE.masks(USERS.numpy(), seq.numpy()))
    return {"item_seq": seq, "item": torch.tensor([4, 7, 2]), "user": USERS, "cluster_mask": mask}


def models() -> list[torch.nn.Module]:
    torch.manual_seed(0)
    return [
        MIND(3, N_ITEMS, MINDConfig(dim=8, max_len=10)),
        ComiRecSA(3, N_ITEMS, ComiRecSAConfig(dim=8, max_len=10)),
        LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10)),
        LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10, use_semantic=False)),
        LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10, use_capsules=False)),
    ]


@pytest.mark.parametrize("model", models(), ids=["mind", "comirec", "larmi", "wo_sem", "wo_col"])
def test_padding_side_does_not_change_scores(model: torch.nn.Module) -> None:
    model.eval()
    right, left = model.full_scores(batch(SEQ_RIGHT)), model.full_scores(batch(SEQ_LEFT))
    assert right.shape == (3, N_ITEMS)
    assert torch.allclose(right, left, atol=1e-5)


def test_info_nce_equals_manual_log_softmax_with_max_readout() -> None:
    torch.manual_seed(1)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    b = batch(SEQ_RIGHT)
    o = model.user_interests(b).detach()  # [B, K, d]
    items = model.item_emb.weight[1:].detach()
    f = torch.tensor([[max(float(o[u, k] @ items[v]) for k in range(4)) for v in range(N_ITEMS)]
                      for u in range(3)])
    manual = -(f - torch.logsumexp(f, dim=1, keepdim=True))[torch.arange(3), b["item"]]
    assert torch.allclose(model.per_sample_loss(b), manual, atol=1e-5)
    assert torch.allclose(model.full_scores(b), f, atol=1e-5)
    assert float(manual[0]) != pytest.approx(float(manual[1]))  # rows differ
    assert torch.allclose(model.loss(b), manual.mean(), atol=1e-5)


def test_target_readout_uses_interest_closest_to_target() -> None:
    torch.manual_seed(2)
    model = MIND(3, N_ITEMS, MINDConfig(dim=8, max_len=10))
    b = batch(SEQ_RIGHT)
    o, items = model.user_interests(b), model.item_emb.weight[1:]
    rows = []
    for u in range(3):
        k = int(torch.argmax(o[u] @ items[b["item"][u]]))
        rows.append(o[u, k] @ items.t())
    logits = torch.stack(rows)
    manual = -torch.log_softmax(logits, dim=1)[torch.arange(3), b["item"]]
    assert torch.allclose(model.per_sample_loss(b), manual, atol=1e-5)


def test_windowed_batches_match_prefix_batches() -> None:
    torch.manual_seed(3)
    model = ComiRecSA(3, N_ITEMS, ComiRecSAConfig(dim=8, max_len=10))
    windowed = {"item_seq": SEQ_RIGHT[:1], "window": torch.tensor([0, 0]), "pos": torch.tensor([1, 3]),
                "item": torch.tensor([2, 4])}
    prefixes = {"item_seq": torch.tensor([[1, 2, 0, 0], [1, 2, 3, 4]]), "item": torch.tensor([2, 4])}
    assert torch.allclose(model.per_sample_loss(windowed), model.per_sample_loss(prefixes), atol=1e-6)


def test_larmi_hybrid_is_capsules_plus_aligned_clusters() -> None:
    torch.manual_seed(4)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    b = batch(SEQ_RIGHT)
    emb, mask = model.history(b)
    m = model.routing(emb, mask)
    cm = b["cluster_mask"] & mask[:, None, :]
    h = model.pooling(emb, cm)
    z = model.alignment(m, h, cm.any(-1))
    assert torch.allclose(model.user_interests(b), m + z, atol=1e-6)
    # ablations: w/o-sem is the capsules alone
    wo_sem = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10, use_semantic=False))
    wo_sem.load_state_dict(model.state_dict(), strict=False)
    assert torch.allclose(wo_sem.user_interests(b), m, atol=1e-6)


def test_larmi_extra_absent_clusters_do_not_matter() -> None:
    torch.manual_seed(5)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    b = batch(SEQ_RIGHT)
    padded = dict(b, cluster_mask=torch.cat([b["cluster_mask"], torch.zeros(3, 4, 6, dtype=torch.bool)], 1))
    assert torch.allclose(model.full_scores(b), model.full_scores(padded), atol=1e-6)
    # clusters pointing at padded positions are ignored too
    noisy = b["cluster_mask"].clone()
    noisy[1, 0, 3:] = True  # user 1 has 3 real items; positions 3.. are padding
    assert torch.allclose(model.full_scores(b), model.full_scores(dict(b, cluster_mask=noisy)), atol=1e-6)


def test_wo_col_interests_are_the_present_clusters() -> None:
    torch.manual_seed(6)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10, use_capsules=False))
    b = batch(SEQ_RIGHT)
    interests, present = model.interests(b)
    assert present.tolist() == [[True, True, False], [True, True, False], [True, True, True]]
    emb = model.item_emb.weight
    assert torch.allclose(interests[1, 1], emb[6], atol=1e-6)  # cluster {5} of user 1 = item 5 (id 6)
    # a user whose history has no clustered item falls back to one cluster = the whole history
    empty = dict(b, cluster_mask=torch.zeros_like(b["cluster_mask"]))
    _, present = model.interests(empty)
    assert present[:, 0].all() and not present[:, 1:].any()
    _, present = model.interests(dict(b, cluster_mask=torch.zeros(3, 0, 6, dtype=torch.bool)))
    assert present.shape == (3, 1) and present.all()


def test_larmi_needs_cluster_mask_and_valid_config() -> None:
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    with pytest.raises(DataError, match="cluster_mask"):
        model.full_scores({"item_seq": SEQ_RIGHT})
    with pytest.raises(ConfigError, match="both be False"):
        LARMI(3, N_ITEMS, LARMIConfig(use_semantic=False, use_capsules=False))
    with pytest.raises(DataError, match="item_seq ids"):
        model.full_scores(dict(batch(SEQ_RIGHT), item_seq=SEQ_RIGHT + 5))


def test_periodic_auxiliary_step_triggers_every_period() -> None:
    torch.manual_seed(7)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    model.set_synthetic_clusters(*pad_synthetic([[[0, 1, 2], [3, 4]], [[5, 6], [6, 7, 8]]], N_ITEMS))
    rule = PeriodicAuxiliaryStep(lam=0.25)
    assert rule.period == 4 and rule.weight == pytest.approx(1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    b = batch(SEQ_RIGHT)
    plain = float(model.loss(b).detach())
    seen = []
    for _ in range(8):
        trigger = rule.is_trigger()
        value = rule.step(model, b, opt)
        seen.append(trigger)
        assert value == pytest.approx(plain, abs=1e-5)  # the logged loss is L_rec
        if trigger:
            assert rule.last_aux_loss == pytest.approx(float(model.auxiliary_loss().detach()), abs=1e-5)
    assert seen == [False, False, False, True] * 2 and rule.n_aux_updates == 2
    # the update itself did include the auxiliary term: with lr > 0 a trigger step moves the
    # synthetic users' item embeddings differently from a plain step
    moved = []
    for with_aux in (False, True):
        m = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
        m.load_state_dict(model.state_dict())
        m.set_synthetic_clusters(model.syn_items, model.syn_membership)
        r = PeriodicAuxiliaryStep(lam=1.0 if with_aux else 0.5, period=1 if with_aux else 2)
        r.step(m, b, torch.optim.SGD(m.parameters(), lr=0.1))
        moved.append(m.item_emb.weight.detach().clone())
    assert not torch.allclose(moved[0], moved[1])
    assert model._aux_weight == 0.0


def test_periodic_auxiliary_step_wraps_sam() -> None:
    torch.manual_seed(9)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    model.set_synthetic_clusters(*pad_synthetic([[[0, 1, 2], [3, 4]]], N_ITEMS))
    b = batch(SEQ_RIGHT)
    plain = float(model.loss(b).detach())
    aux = float(model.auxiliary_loss().detach())
    rule = PeriodicAuxiliaryStep(lam=1.0, inner=get_step_rule("sam", rho=0.05))
    value = rule.step(model, b, torch.optim.SGD(model.parameters(), lr=0.0))
    assert value == pytest.approx(plain, abs=1e-5) and rule.last_aux_loss == pytest.approx(aux, abs=1e-5)
    assert model.auxiliary_values is None and model._aux_weight == 0.0


def test_auxiliary_loss_reaches_item_embeddings_only_through_synthetic_items() -> None:
    torch.manual_seed(8)
    model = LARMI(3, N_ITEMS, LARMIConfig(dim=8, max_len=10))
    assert model.auxiliary_loss() is None
    model.set_synthetic_clusters(*pad_synthetic([[[0, 1], [2, 3]]], N_ITEMS))
    model.auxiliary_loss().backward()
    touched = model.item_emb.weight.grad.abs().sum(-1).nonzero().flatten().tolist()
    assert touched == [1, 2, 3, 4]  # items 0..3 shifted by +1


def test_rule_rejects_model_without_auxiliary_loss() -> None:
    model = MIND(3, N_ITEMS, MINDConfig(dim=8))
    with pytest.raises(ConfigError, match="auxiliary"):
        PeriodicAuxiliaryStep(lam=1.0).step(model, batch(SEQ_RIGHT), torch.optim.SGD(model.parameters()))
    with pytest.raises(ConfigError, match="lambda"):
        PeriodicAuxiliaryStep(lam=0.0)
