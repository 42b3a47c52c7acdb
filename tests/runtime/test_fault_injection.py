"""A 1,000-input batch against the fault-injection server at a 20 % fault rate: every input is
accounted for, with exactly the expected outcome, attempt count and number of server requests."""

from __future__ import annotations

import json
from pathlib import Path

from recloom.agents.runtime import Runner, RuntimeConfig

from .fault_server import FaultServer, Reply
from .support import attempt_of, correct_answer, inputs, parse_user

N = 1000
MAX_TOKENS = 64
REASKS = 2
RETRIES = 3
TIMEOUT_S = 2.0
STALL_S = 4.0  # past the client's timeout
KINDS = ["429", "500-once", "stall", "garbage", "truncated", "schema-invalid", "500-always"]


def fault_of(input_id: str) -> str | None:
    i = int(input_id[1:])
    return None if i % 5 else KINDS[(i // 5) % len(KINDS)]


def plan(body: dict, seen: int) -> Reply:
    input_id, text = parse_user(body)
    kind, good = fault_of(input_id), Reply(content=correct_answer(text))
    if kind == "429" and seen == 0:
        return Reply(status=429, headers={"retry-after": "0"})
    if kind == "500-once" and seen == 0 or kind == "500-always":
        return Reply(status=500)
    if kind == "stall" and seen == 0:
        return Reply(content=correct_answer(text), stall_s=STALL_S)
    if kind == "garbage" and attempt_of(body) == 0:
        return Reply(content="Sure! Here is the label: <<w0>> ~~")
    if kind == "truncated" and body["max_tokens"] == MAX_TOKENS:
        return Reply(content=correct_answer(text)[:7], finish_reason="length")
    if kind == "schema-invalid":
        return Reply(content=json.dumps({"label": text.split()[0], "score": 99}))
    return good


def expected_requests(kind: str | None) -> int:
    return {None: 1, "schema-invalid": REASKS + 1, "500-always": RETRIES + 1}.get(kind, 2)


def config(url: str, tmp_path: Path) -> RuntimeConfig:
    return RuntimeConfig(
        backend="openai",
        model="fake",
        base_url=url,
        progress=False,
        cache_dir=str(tmp_path / "cache"),
        concurrency=16,
        max_reasks=REASKS,
        transport_retries=RETRIES,
        backoff_initial_s=0.001,
        backoff_max_s=0.005,
        request_timeout_s=TIMEOUT_S,
        max_tokens=MAX_TOKENS,
    )


def test_thousand_inputs_at_twenty_percent_faults_are_all_accounted_for(task, tmp_path: Path):
    rows = inputs(N)
    with FaultServer(plan) as server:
        result = Runner(config(server.url, tmp_path)).run(task, rows, run_dir=tmp_path / "run")
        served = server.requests

    kinds = [fault_of(r["id"]) for r in rows]
    assert sum(k is not None for k in kinds) == N // 5
    assert [o.input_id for o in result.outcomes] == [r["id"] for r in rows]
    for kind, outcome in zip(kinds, result.outcomes, strict=True):
        if kind == "schema-invalid":
            assert not outcome.ok and outcome.error_kind == "schema" and len(outcome.attempts) == REASKS + 1
            assert all("score" in a.error for a in outcome.attempts)
        elif kind == "500-always":
            assert not outcome.ok and outcome.error_kind == "transport" and "HTTP 500" in outcome.errors[-1]
        else:
            assert outcome.ok, (kind, outcome.errors)
            assert len(outcome.attempts) == (2 if kind in ("garbage", "truncated") else 1)
    counts = result.manifest["counts"]
    n_schema, n_transport = kinds.count("schema-invalid"), kinds.count("500-always")
    assert counts["ok"] == N - n_schema - n_transport and counts["failed"] == n_schema + n_transport
    assert counts["failures_by_kind"] == {"schema": n_schema, "transport": n_transport}
    assert counts["reasks"] == kinds.count("garbage") + kinds.count("truncated") + REASKS * n_schema
    # Every request the server saw is accounted for: one per attempt plus one per transport retry.
    # A loaded machine may add client-side timeouts (retried too; some never reach the server),
    # so the count is exact when the retries are exactly the planned ones, and bounded otherwise.
    retries = sum(o.transport_retries for o in result.outcomes)
    planned = kinds.count("429") + kinds.count("500-once") + kinds.count("stall") + RETRIES * n_transport
    sent = sum(len(o.attempts) for o in result.outcomes) + retries + n_transport
    assert retries >= planned and counts["transport_retries"] == retries
    if retries == planned:
        assert served == sent == sum(expected_requests(k) for k in kinds)
    else:
        assert sum(expected_requests(k) for k in kinds) <= served <= sent
    failures = (tmp_path / "run" / "failures.jsonl").read_text().splitlines()
    assert len(failures) == n_schema + n_transport
    # Transport errors are never shown to the model: no request ever carries an HTTP error text.
    assert not any("HTTP" in m["content"] for b in server.bodies for m in b["messages"])
