"""The probe task: title clean-up, the validator on every kind of bad answer, the runtime's re-ask on
a shortfall and the recorded deficit when the re-asks run out."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.agents.probe import RECOMMEND, ProbeInput, ProbeOutput, check_probe, generate, salvage
from recloom.agents.probe.titles import clean_title, title_key
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.agents.runtime.judge import judge
from recloom.errors import ParseError, SchemaValidationError, SemanticValidationError, TruncatedOutputError

HISTORY = ["Toy Story (1995)", "Matrix, The (1999)", "Heat (1995)"]
GOOD = ["Casino (1995)", "Se7en (1995)", "Fargo (1996)"]


def inp(k: int = 3, history: Sequence[str] = HISTORY) -> ProbeInput:
    return ProbeInput(id="s1", history=list(history), k=k)


def answer(titles: list[str]) -> ProbeOutput:
    return ProbeOutput(titles=titles)


@pytest.mark.parametrize(
    ("raw", "clean", "key"),
    [
        ('3. "Matrix, The (1999)"', "Matrix, The (1999)", "the matrix"),
        ("- **Toy Story (1995)**", "Toy Story (1995)", "toy story"),
        ("(10) Alien", "Alien", "alien"),
        ("'burbs, The (1989)", "'burbs, The (1989)", "the 'burbs"),
        ("2001: A Space Odyssey (1968)", "2001: A Space Odyssey (1968)", "2001: a space odyssey"),
        ("Misérables, Les (1995)", "Misérables, Les (1995)", "les misérables"),
    ],
)
def test_clean_title_and_key(raw: str, clean: str, key: str) -> None:
    assert clean_title(raw) == clean
    assert title_key(raw) == key


def test_validator_accepts_exactly_k_and_returns_them_cleaned() -> None:
    out = check_probe(
        answer(["1. Casino (1995)", '2. "Se7en (1995)"', "3) Fargo (1996)", "Clerks (1994)"]), inp()
    )
    assert out.titles == GOOD  # cleaned, truncated to k


def test_validator_expands_a_whole_list_written_into_one_string() -> None:
    out = check_probe(answer(["1. Casino (1995)\n2. Se7en (1995)\n3. Fargo (1996)"]), inp())
    assert out.titles == GOOD


@pytest.mark.parametrize(
    ("titles", "usable"),
    [
        (GOOD[:2], 2),  # too few
        (["Casino (1995)", "CASINO", "casino (1995)", "Fargo (1996)"], 2),  # case-insensitive duplicates
        (
            ["The Matrix", "Toy Story", "HEAT (1995)", "Casino (1995)", "Fargo (1996)"],
            2,
        ),  # repeats the history
        (["", "  ", "1.", '""', "Casino (1995)"], 1),  # empty after clean-up
        ([], 0),
    ],
)
def test_validator_rejects_shortfalls_naming_the_count(titles: list[str], usable: int) -> None:
    with pytest.raises(SemanticValidationError, match=f"only {usable} of the {len(titles)} given are usable"):
        check_probe(answer(titles), inp())


def test_years_tell_same_named_titles_apart() -> None:
    out = check_probe(answer(["Hamlet (1990)", "Hamlet (1996)", "Heat (1986)"]), inp(history=["Heat (1995)"]))
    assert out.titles == ["Hamlet (1990)", "Hamlet (1996)", "Heat (1986)"]
    with pytest.raises(SemanticValidationError, match="1 in history"):
        check_probe(answer(["Hamlet (1990)", "Hamlet (1996)", "Heat"]), inp(history=["Heat (1995)"]))


def response(text: str, finish: str = "stop") -> LLMResponse:
    return LLMResponse(text=text, finish_reason=finish, usage=Usage(10, 10))


def test_judge_rejects_non_json_wrong_schema_and_truncation() -> None:
    with pytest.raises(ParseError):
        judge(RECOMMEND, inp(), response("1. Casino\n2. Fargo"))
    with pytest.raises(SchemaValidationError):
        judge(RECOMMEND, inp(), response(json.dumps({"items": GOOD})))
    with pytest.raises(SchemaValidationError):
        judge(RECOMMEND, inp(), response(json.dumps({"titles": "Casino, Se7en, Fargo"})))
    with pytest.raises(TruncatedOutputError):
        judge(RECOMMEND, inp(), response(json.dumps({"titles": GOOD}), finish="length"))
    result, _ = judge(RECOMMEND, inp(), response(json.dumps({"titles": GOOD})))
    assert result == answer(GOOD)


def test_salvage_keeps_the_best_usable_titles_of_json_or_free_text() -> None:
    assert salvage(["not json at all", json.dumps({"titles": ["Casino (1995)", "casino"]})], inp()) == [
        "Casino (1995)"
    ]
    assert salvage(["1. Casino (1995)\n2. Toy Story\n3. Fargo (1996)"], inp()) == [
        "Casino (1995)",
        "Fargo (1996)",
    ]
    assert salvage([], inp()) == []


class ScriptedBackend:
    """An 'LLM' that answers the n-th attempt of every input with ``script[n]`` (last one repeats)."""

    kind, model, is_llm = "openai", "scripted", True

    def __init__(self, script: list[list[str] | str]) -> None:
        self.script = script
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        step = self.script[min(request.attempt, len(self.script) - 1)]
        text = step if isinstance(step, str) else json.dumps({"titles": step})
        return response(text)

    async def aclose(self) -> None:
        return None


def run_scripted(script: list[list[str] | str], max_reasks: int = 2) -> tuple[ScriptedBackend, list]:
    backend = ScriptedBackend(script)
    config = RuntimeConfig(
        backend="openai", model="scripted", cache_mode="off", max_reasks=max_reasks, progress=False
    )
    run = generate(Runner(config, backend=backend), [inp()])
    return backend, run.records


def test_a_shortfall_is_reasked_with_the_exact_error_and_then_accepted() -> None:
    backend, records = run_scripted([GOOD[:1], GOOD])
    assert [r.attempt for r in backend.requests] == [0, 1]
    reask = backend.requests[1].messages[-1].content
    assert "need exactly 3 distinct new titles, but only 1" in reask
    assert backend.requests[1].messages[-2].role == "assistant"
    assert records[0].titles == GOOD and records[0].deficit == 0 and records[0].source == "llm"


def test_when_reasks_run_out_the_usable_titles_are_kept_and_the_deficit_recorded() -> None:
    backend, records = run_scripted(
        [["Casino (1995)", "Toy Story"], "1. Fargo (1996)\n2. Casino (1995)", ["x"]]
    )
    assert len(backend.requests) == 3
    record = records[0]
    assert record.source == "salvaged" and record.error is not None and "semantic" in record.error
    assert record.titles == ["Fargo (1996)", "Casino (1995)"]  # the best of the three answers
    assert record.deficit == 1
