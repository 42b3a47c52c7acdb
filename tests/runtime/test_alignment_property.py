"""Row alignment as a property: whatever the order, size, concurrency and mix of failures, outcome
i belongs to input i (matched by id, never by completion order)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.errors import BackendError, TransportError

from .support import ScriptedBackend, correct_answer, label_task, write_templates

FATES = ["ok", "bad-json", "semantic", "transport", "backend"]
TEMPLATES = Path(tempfile.mkdtemp(prefix="recloom-align-")) / "label"
TASK = label_task(write_templates(TEMPLATES))


class FatefulBackend(ScriptedBackend):
    def __init__(self, fates: dict[str, str]) -> None:
        super().__init__(lambda r: LLMResponse("", "stop"))
        self.fates = fates

    async def complete(self, request: LLMRequest) -> LLMResponse:
        user = request.messages[1].content
        input_id, text = user.split("ID: ")[1].split("\n")[0], user.split("TEXT: ")[1]
        await asyncio.sleep(0.0005 * (hash(input_id) % 4))  # completions arrive out of order
        fate = self.fates[input_id]
        if fate == "transport":
            raise TransportError("reset")
        if fate == "backend":
            raise BackendError("HTTP 400")
        if fate == "bad-json":
            return LLMResponse("{nope", "stop", Usage(1, 1))
        if fate == "semantic":
            return LLMResponse(json.dumps({"label": "zzz", "score": 1}), "stop", Usage(1, 1))
        return LLMResponse(correct_answer(text), "stop", Usage(1, 1))


@settings(max_examples=25, deadline=None)
@given(
    fates=st.lists(st.sampled_from(FATES), min_size=0, max_size=40),
    concurrency=st.integers(1, 8),
    seed=st.randoms(use_true_random=False),
)
def test_outcomes_align_with_inputs_whatever_happens(fates, concurrency, seed):
    rows = [{"id": f"r{i}", "text": f"t{i} {'x' * (i % 3)}"} for i in range(len(fates))]
    seed.shuffle(rows)
    fate_of = {r["id"]: fates[i] for i, r in enumerate(rows)}
    config = RuntimeConfig(
        backend="openai",
        model="m",
        cache_mode="off",
        progress=False,
        concurrency=concurrency,
        transport_retries=1,
        backoff_initial_s=0.0001,
        backoff_max_s=0.0002,
        max_reasks=1,
    )
    result = Runner(config, backend=FatefulBackend(fate_of)).run(TASK, rows)
    assert [o.input_id for o in result.outcomes] == [r["id"] for r in rows]
    for row, outcome in zip(rows, result.outcomes, strict=True):
        fate = fate_of[row["id"]]
        assert outcome.ok == (fate == "ok")
        if fate == "ok":
            assert outcome.result.label == row["text"].split()[0]
        else:
            expected = {
                "bad-json": "parse",
                "semantic": "semantic",
                "transport": "transport",
                "backend": "backend",
            }
            assert outcome.error_kind == expected[fate]
