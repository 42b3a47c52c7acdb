"""Judging answers: finish reason first, JSON parse (with fenced/embedded extraction), schema,
semantics; and hypothesis-generated malformed outputs never crash the validator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recloom.agents.backends.base import LLMResponse, Usage
from recloom.agents.runtime.judge import judge, parse_json
from recloom.errors import (
    OutputError,
    ParseError,
    RefusalError,
    SchemaValidationError,
    SemanticValidationError,
    TruncatedOutputError,
)
from recloom.prompts import get_task

from .support import Label, LabelIn, label_task, write_templates

ITEM = get_task("item_tags")
ITEM_IN = ITEM.parse_input({"id": "1", "title": "Heat (1995)", "genres": ["Action", "Crime"]})


@pytest.fixture(scope="module")
def label(tmp_path_factory):
    return label_task(write_templates(Path(tmp_path_factory.mktemp("t")) / "label"))


def resp(text: str, finish: str = "stop") -> LLMResponse:
    return LLMResponse(text, finish, Usage(10, 5))


def test_valid_answer_is_accepted(label):
    out, repaired = judge(label, LabelIn(id="1", text="alpha beta"), resp('{"label": "alpha", "score": 3}'))
    assert out == Label(label="alpha", score=3) and not repaired


def test_truncation_is_checked_before_parsing_even_for_valid_json(label):
    with pytest.raises(TruncatedOutputError, match="5 completion tokens"):
        judge(label, LabelIn(id="1", text="alpha"), resp('{"label": "alpha", "score": 3}', "length"))


@pytest.mark.parametrize("finish", ["refusal", "content_filter"])
def test_refusals_are_their_own_error(label, finish):
    with pytest.raises(RefusalError):
        judge(label, LabelIn(id="1", text="alpha"), resp("I cannot help", finish))


def test_json_in_a_fence_or_in_prose_is_extracted_and_flagged(label):
    inp = LabelIn(id="1", text="alpha")
    for text in [
        'Here:\n```json\n{"label": "alpha", "score": 1}\n```',
        'Sure! {"label": "alpha", "score": 1} ok',
    ]:
        out, repaired = judge(label, inp, resp(text))
        assert out.label == "alpha" and repaired


def test_error_kinds_and_messages_name_the_problem(label):
    inp = LabelIn(id="1", text="alpha")
    with pytest.raises(ParseError, match="not valid JSON"):
        judge(label, inp, resp("{label: alpha"))
    with pytest.raises(ParseError, match="empty"):
        judge(label, inp, resp("   "))
    with pytest.raises(SchemaValidationError, match=r"score: Input should be less than or equal to 10"):
        judge(label, inp, resp('{"label": "alpha", "score": 11}'))
    with pytest.raises(SemanticValidationError, match="'beta' is not a word"):
        judge(label, inp, resp('{"label": "beta", "score": 1}'))


def test_item_tags_validator_normalises_and_checks_against_the_input():
    out, _ = judge(
        ITEM, ITEM_IN, resp(json.dumps({"tags": ["  Crime ", "Heist Thriller"], "summary": " A heist. "}))
    )
    assert out.tags == ["crime", "heist thriller"] and out.summary == "A heist."
    with pytest.raises(SemanticValidationError, match="genres"):
        judge(ITEM, ITEM_IN, resp(json.dumps({"tags": ["heist"], "summary": "x"})))
    with pytest.raises(SemanticValidationError, match="distinct"):
        judge(ITEM, ITEM_IN, resp(json.dumps({"tags": ["crime", "Crime"], "summary": "x"})))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
near_miss = st.fixed_dictionaries(
    {
        "tags": st.one_of(st.lists(st.text(max_size=50), max_size=10), json_values),
        "summary": st.one_of(st.text(max_size=250), json_values),
    }
)
texts = st.one_of(
    st.text(max_size=200),
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    near_miss.map(json.dumps),
    near_miss.map(lambda v: "```json\n" + json.dumps(v) + "\n```"),
    near_miss.map(lambda v: json.dumps(v)[: len(json.dumps(v)) // 2]),
    st.just("[" * 5000),
    st.just('{"tags": ' * 3000),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, finish=st.sampled_from(["stop", "length", "content_filter", "missing", "eos", ""]))
def test_malformed_outputs_never_crash_the_validator(text, finish):
    try:
        out, _ = judge(ITEM, ITEM_IN, resp(text, finish))
    except OutputError as exc:
        assert exc.kind in {"truncated", "refusal", "parse", "schema", "semantic"} and str(exc)
    else:
        assert finish not in ("length", "content_filter") and out.tags and len(out.tags) <= 8


@given(st.text(max_size=300))
def test_parse_json_returns_or_raises_parse_error(text):
    try:
        parse_json(text)
    except ParseError:
        pass
