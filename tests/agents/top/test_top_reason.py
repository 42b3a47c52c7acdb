"""Preference reasoning: one test per validation rule, the recorded count repairs of §1.5 item 4,
the local history + exploration solver, and the step with an LLM-like backend (repairs, fallback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from top_agents_support import BagEmbedder, ScriptedLLM, llm_runner, local_runner, two_level_tree

from recloom.agents.backends.base import LLMRequest
from recloom.agents.top.config import ReasonConfig
from recloom.agents.top.items import ItemTable, UserRecord
from recloom.agents.top.reason import read_user_leaves, reason_users, tree_outline
from recloom.agents.top.reason_local import history_and_exploration
from recloom.agents.top.reason_task import (
    ChosenLeaf,
    HistoryItem,
    ReasonInput,
    ReasonLeaf,
    ReasonOutput,
    check_reasoning,
    path_key,
    repair_count,
)
from recloom.errors import SemanticValidationError

LEAVES = [
    ReasonLeaf(id=3, name="Car chases", path="Films > Action > Car chases"),
    ReasonLeaf(id=4, name="Martial arts", path="Films > Action > Martial arts"),
    ReasonLeaf(id=6, name="Courtroom", path="Films > Drama > Courtroom"),
    ReasonLeaf(id=7, name="War stories", path="Films > Drama > War stories"),
    ReasonLeaf(id=8, name="Family", path="Films > Drama > Family"),
]


def reason_input(
    n: int = 3, history: list[HistoryItem] | None = None, profile: str = "likes fast cars"
) -> ReasonInput:
    return ReasonInput(
        id="u1",
        tree="...",
        leaves=LEAVES,
        n=n,
        n_unobserved=1,
        profile=profile,
        history=history
        if history is not None
        else [
            HistoryItem(title="racing cars chase", leaf_id=3),
            HistoryItem(title="car chase night", leaf_id=3),
            HistoryItem(title="kung fu karate", leaf_id=4),
        ],
    )


def chosen(leaf_id: int, name: str, path: str, reason: str = "fits", observed: bool = True) -> ChosenLeaf:
    return ChosenLeaf(leaf_id=leaf_id, name=name, path=path, observed=observed, reason=reason)


def test_valid_answer_gets_the_tree_names_and_paths() -> None:
    out = ReasonOutput(leaves=[chosen(3, "car CHASES", "films>action >  car chases")])
    (c,) = check_reasoning(out, reason_input()).leaves
    assert (c.name, c.path) == ("Car chases", "Films > Action > Car chases")
    assert path_key("A>B") == path_key(" a  >  b ")


def test_rule_leaf_exists() -> None:
    with pytest.raises(SemanticValidationError, match="leaf id 2 is not a leaf"):
        check_reasoning(ReasonOutput(leaves=[chosen(2, "Action", "Films > Action")]), reason_input())


def test_rule_name_matches_the_id() -> None:
    with pytest.raises(SemanticValidationError, match="is named 'Car chases', not 'Courtroom'"):
        check_reasoning(
            ReasonOutput(leaves=[chosen(3, "Courtroom", "Films > Action > Car chases")]), reason_input()
        )


def test_rule_path_consistent_with_the_tree() -> None:
    with pytest.raises(SemanticValidationError, match="the path of leaf 3 is 'Films > Action > Car chases'"):
        check_reasoning(
            ReasonOutput(leaves=[chosen(3, "Car chases", "Films > Drama > Car chases")]), reason_input()
        )


def test_rule_reason_non_empty() -> None:
    with pytest.raises(SemanticValidationError, match="the reason is empty"):
        check_reasoning(
            ReasonOutput(leaves=[chosen(3, "Car chases", "Films > Action > Car chases", "  ")]),
            reason_input(),
        )


def test_rule_at_least_one_leaf() -> None:
    with pytest.raises(SemanticValidationError, match="no leaves were chosen"):
        check_reasoning(ReasonOutput(leaves=[]), reason_input())


def as_chosen(leaf: ReasonLeaf, observed: bool = True) -> ChosenLeaf:
    return chosen(leaf.id, leaf.name, leaf.path, observed=observed)


def test_repair_drops_duplicates_and_tops_up_from_the_ranking() -> None:
    a, b = as_chosen(LEAVES[0]), as_chosen(LEAVES[2])
    fixed, repairs = repair_count([a, a, b], 4, ranked=[LEAVES[2], LEAVES[4], LEAVES[1]])
    assert [c.leaf_id for c in fixed] == [3, 6, 8, 4]
    assert repairs == [
        "dropped 1 duplicate leaf choice(s)",
        "topped up 2 leaf choice(s) by profile similarity",
    ]
    assert not fixed[2].observed and "validator" in fixed[2].reason


def test_repair_cuts_extras_keeping_observed_first() -> None:
    picks = [
        as_chosen(LEAVES[0], False),
        as_chosen(LEAVES[1], True),
        as_chosen(LEAVES[2], False),
        as_chosen(LEAVES[3], True),
    ]
    fixed, repairs = repair_count(picks, 3, ranked=[])
    assert [c.leaf_id for c in fixed] == [
        3,
        4,
        7,
    ]  # both observed kept, then the first unobserved; order kept
    assert repairs == ["cut 1 leaf choice(s) beyond n=3 (observed ones kept first)"]
    assert repair_count(picks[:3], 3, ranked=LEAVES) == (picks[:3], [])


def test_local_solver_mixes_history_and_exploration() -> None:
    out = history_and_exploration.solve(reason_input(n=3), {"embedder": BagEmbedder()})
    check_reasoning(out, reason_input(n=3))
    ids = [c.leaf_id for c in out.leaves]
    assert ids[:2] == [3, 4]  # history leaves, most frequent first
    assert ids[2] not in (3, 4) and not out.leaves[2].observed  # one exploration leaf (n_unobserved = 1)
    assert len(set(ids)) == 3
    cold = history_and_exploration.solve(
        reason_input(n=4, history=[], profile=""), {"embedder": BagEmbedder()}
    )
    assert len({c.leaf_id for c in cold.leaves}) == 4 and not any(c.observed for c in cold.leaves)


def users_and_items() -> tuple[list[UserRecord], ItemTable]:
    texts = {10: "racing car chase", 11: "kung fu karate", 12: "court jury trial", 13: "war battle soldiers"}
    ids = tuple(texts)
    items = ItemTable(ids, tuple(texts[i] for i in ids), tuple(texts[i] for i in ids), ("Films",) * 4)
    return [UserRecord(1, "likes fast cars", (10, 11)), UserRecord(2, "a lawyer", (12,))], items


def assigned_tree():  # noqa: ANN201
    tree = two_level_tree()
    tree.assign_many({10: 3, 11: 4, 12: 6, 13: 7})
    return tree


def test_step_records_leaves_reasons_and_history_flags(tmp_path: Path) -> None:
    users, items = users_and_items()
    tree = assigned_tree()
    result = reason_users(
        local_runner(embedder=BagEmbedder()),
        tree,
        users,
        items,
        config=ReasonConfig(n_leaves=3),
        out_dir=tmp_path / "r",
        embedder=BagEmbedder(),
    )
    first = result.users[0]
    assert first.source == "local" and len(first.leaf_ids) == 3 and len(set(first.leaf_ids)) == 3
    assert [c["in_history"] for c in first.leaves][:2] == [True, True] and all(
        c["reason"] for c in first.leaves
    )
    assert read_user_leaves(tmp_path / "r") == result.users
    assert "[3] (leaf) Car chases" in tree_outline(tree)


def test_step_repairs_llm_answers_and_falls_back_for_failures(tmp_path: Path) -> None:
    users, items = users_and_items()
    tree = assigned_tree()

    def answer(request: LLMRequest) -> dict:
        if request.payload.id == "2":
            return {"leaves": [{"leaf_id": 99, "name": "x", "path": "x", "observed": False, "reason": "r"}]}
        leaf = {
            "leaf_id": 3,
            "name": "Car chases",
            "path": "Films > Action > Car chases",
            "observed": True,
            "reason": "chases",
        }
        return {"leaves": [leaf, leaf]}

    result = reason_users(
        llm_runner(ScriptedLLM(answer)),
        tree,
        users,
        items,
        config=ReasonConfig(n_leaves=2),
        embedder=BagEmbedder(),
    )
    repaired, failed = result.users
    assert repaired.source == "llm" and repaired.leaf_ids[0] == 3 and len(set(repaired.leaf_ids)) == 2
    assert repaired.repairs == [
        "dropped 1 duplicate leaf choice(s)",
        "topped up 1 leaf choice(s) by profile similarity",
    ]
    assert (
        failed.source == "fallback"
        and "leaf id 99" in (failed.error or "")
        and len(set(failed.leaf_ids)) == 2
    )
    assert result.manifest["counts"]["by_source"] == {"llm": 1, "fallback": 1}
