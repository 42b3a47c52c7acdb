"""Runner behaviour with the local backend and scripted backends: order, ids, failures, manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.agents.backends.local import NON_LLM_LABEL
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.errors import DataError, SemanticValidationError, UnknownTaskError

from .support import Label, ScriptedBackend, correct_answer, inputs, label_task, ok_response, write_templates


def config(tmp_path: Path, **kw) -> RuntimeConfig:
    kw.setdefault("cache_dir", str(tmp_path / "cache"))
    return RuntimeConfig(progress=False, backoff_initial_s=0.001, backoff_max_s=0.002, **kw)


def test_local_backend_results_match_inputs_in_order_and_are_labelled(task, tmp_path):
    rows = inputs(30)[::-1]
    result = Runner(config(tmp_path)).run(task, rows, run_dir=tmp_path / "run")
    assert [o.input_id for o in result.outcomes] == [r["id"] for r in rows]
    for row, outcome in zip(rows, result.outcomes, strict=True):
        assert outcome.ok and outcome.result == Label(
            label=row["text"].split()[0], score=len(row["text"]) % 11
        )
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["backend"] == {
        "kind": "local",
        "model": "baseline",
        "is_llm": False,
        "label": NON_LLM_LABEL,
    }
    assert manifest["counts"]["ok"] == 30 and manifest["task"]["version"] == task.version
    lines = (tmp_path / "run" / "outputs.jsonl").read_text().splitlines()
    assert [json.loads(line)["input_id"] for line in lines] == [r["id"] for r in rows]
    assert (tmp_path / "run" / "failures.jsonl").read_text() == ""


def test_duplicate_input_ids_are_refused_with_positions(task, tmp_path):
    rows = inputs(3) + [inputs(3)[1]]
    with pytest.raises(DataError, match=r"'x1' appears twice \(inputs #1 and #3\)"):
        Runner(config(tmp_path)).run(task, rows)


def test_invalid_input_names_task_and_position(task, tmp_path):
    with pytest.raises(DataError, match=r"task 'label': invalid input #1"):
        Runner(config(tmp_path)).run(task, [inputs(1)[0], {"id": "y"}])


def test_local_backend_without_solver_raises_unknown_task(task, tmp_path):
    bare = task.with_local_solver(None)  # type: ignore[arg-type]
    with pytest.raises(UnknownTaskError, match="no solver for task 'label'"):
        Runner(config(tmp_path)).run(bare, inputs(2))


def test_unknown_task_name_is_a_clear_error(tmp_path):
    with pytest.raises(UnknownTaskError, match="unknown task 'nope'.*item_tags"):
        Runner(config(tmp_path)).run("nope", [])


def test_a_validator_crash_is_a_failure_record_not_a_stopped_batch(task, tmp_path):
    def fragile(out, inp):
        if inp.id == "x3":
            raise KeyError("boom")

    broken = type(task)(
        name="label",
        input_model=task.input_model,
        output_model=task.output_model,
        template=task.template,
        validator=fragile,
        local_solver=task.local_solver,
    )
    result = Runner(config(tmp_path)).run(broken, inputs(6))
    assert [o.ok for o in result.outcomes] == [True, True, True, False, True, True]
    assert result.outcomes[3].error_kind == "internal" and "KeyError" in result.outcomes[3].errors[0]


def test_reask_shows_previous_answer_and_exact_error_and_is_replayed_from_cache(task, tmp_path):
    def script(request: LLMRequest) -> LLMResponse:
        if request.attempt == 0:
            return LLMResponse('{"label": "nope", "score": 3}', "stop", Usage(30, 8))
        return ok_response(request)

    backend = ScriptedBackend(script)
    first = Runner(config(tmp_path), backend=backend).run(task, inputs(4))
    assert all(o.ok and len(o.attempts) == 2 for o in first.outcomes)
    reask = backend.requests[-1]
    assert (
        reask.messages[-2].role == "assistant"
        and reask.messages[-2].content == '{"label": "nope", "score": 3}'
    )
    assert (
        "semantic error" in reask.messages[-1].content
        and "'nope' is not a word" in reask.messages[-1].content
    )
    assert first.outcomes[0].attempts[0].key != first.outcomes[0].attempts[1].key
    replay = Runner(config(tmp_path, backend="openai", model="gpt-4o-mini", cache_mode="replay")).run(
        task, inputs(4)
    )
    assert [o.result for o in replay.outcomes] == [o.result for o in first.outcomes]
    assert all(o.cached and len(o.attempts) == 2 for o in replay.outcomes)
    assert replay.manifest["counts"]["backend_calls"] == 0 and replay.manifest["counts"]["reasks"] == 4


def test_truncation_is_never_success_and_retries_with_a_larger_budget(task, tmp_path):
    seen: list[int] = []

    def script(request: LLMRequest) -> LLMResponse:
        seen.append(request.sampling.max_tokens)
        if request.sampling.max_tokens < 200:  # valid JSON, but cut by the limit: must not count
            return LLMResponse(
                correct_answer(request.messages[1].content.split("TEXT: ")[1]), "length", Usage(30, 100)
            )
        return ok_response(request)

    result = Runner(config(tmp_path, max_tokens=100), backend=ScriptedBackend(script)).run(task, inputs(1))
    assert seen == [100, 200] and result.outcomes[0].ok
    assert result.outcomes[0].attempts[0].error_kind == "truncated"
    assert len(result.outcomes[0].attempts[1].text) > 0


def test_truncation_at_the_cap_fails_with_kind_truncated(task, tmp_path):
    def script(request: LLMRequest) -> LLMResponse:
        return LLMResponse('{"label": "w0", "sc', "length", Usage(30, 100))

    result = Runner(
        config(tmp_path, max_tokens=100, max_tokens_cap=100), backend=ScriptedBackend(script)
    ).run(task, inputs(1))
    assert not result.outcomes[0].ok and result.outcomes[0].error_kind == "truncated"
    assert len(result.outcomes[0].attempts) == 1


def test_failure_record_keeps_every_raw_attempt(task, tmp_path):
    answers = ["not json", '{"label": 5}', '{"label": "zzz", "score": 1}']

    def script(request: LLMRequest) -> LLMResponse:
        return LLMResponse(answers[request.attempt], "stop", Usage(10, 5))

    result = Runner(config(tmp_path, max_reasks=2), backend=ScriptedBackend(script)).run(
        task, inputs(1), run_dir=tmp_path / "r"
    )
    record = json.loads((tmp_path / "r" / "failures.jsonl").read_text())
    assert [a["text"] for a in record["attempts"]] == answers
    assert [a["error_kind"] for a in record["attempts"]] == ["parse", "schema", "semantic"]
    assert record["error_kind"] == "semantic" and len(record["errors"]) == 3
    assert result.manifest["counts"]["failures_by_kind"] == {"semantic": 1}


def test_usage_cost_and_cached_tokens_are_recorded(task, tmp_path):
    backend = ScriptedBackend(
        lambda r: ok_response(r, Usage(1_000_000, 1_000_000, 400_000)), model="gpt-4o-mini"
    )
    result = Runner(config(tmp_path), backend=backend).run(task, inputs(1))
    # gpt-4o-mini: 0.6M fresh input x 0.15 + 0.4M cached x 0.075 + 1M output x 0.60 (USD per 1M tokens)
    assert result.outcomes[0].cost_usd == pytest.approx(0.6 * 0.15 + 0.4 * 0.075 + 0.60)
    assert result.manifest["tokens"]["this_run"]["cached_tokens"] == 400_000
    assert result.manifest["tokens"]["cached_prompt_share"] == pytest.approx(0.4)


def test_requests_are_submitted_grouped_by_prompt_prefix(tmp_path):
    from .support import label_task, write_templates

    shared = label_task(
        write_templates(
            tmp_path / "t", user="CONTEXT: {{ text.split()[1] }}\nID: {{ id }}\nTEXT: {{ text }}\n"
        )
    )
    rows = [{"id": f"i{i}", "text": f"w{i} {'ctxA' if i % 2 else 'ctxB'} z"} for i in range(10)]
    backend = ScriptedBackend(
        lambda r: LLMResponse(correct_answer(r.messages[1].content.split("TEXT: ")[1]), "stop")
    )
    result = Runner(config(tmp_path, concurrency=1), backend=backend).run(shared, rows)
    contexts = [r.messages[1].content.split("\n")[0] for r in backend.requests]
    assert contexts == ["CONTEXT: ctxA"] * 5 + ["CONTEXT: ctxB"] * 5
    assert [o.input_id for o in result.outcomes] == [r["id"] for r in rows]


def test_refresh_regenerates_and_overwrites_and_off_touches_no_cache(task, tmp_path):
    def script(request: LLMRequest) -> LLMResponse:
        return LLMResponse(json.dumps({"label": "w0", "score": len(backend.requests)}), "stop", Usage(5, 5))

    backend = ScriptedBackend(script)
    Runner(config(tmp_path), backend=backend).run(task, inputs(1))
    refreshed = Runner(config(tmp_path, cache_mode="refresh"), backend=backend).run(task, inputs(1))
    assert len(backend.requests) == 2 and refreshed.outcomes[0].result.score == 2
    replay = Runner(config(tmp_path, backend="openai", model="gpt-4o-mini", cache_mode="replay")).run(
        task, inputs(1)
    )
    assert replay.outcomes[0].result.score == 2
    off = Runner(config(tmp_path, cache_mode="off", cache_dir=str(tmp_path / "never")), backend=backend)
    assert off.run(task, inputs(1)).outcomes[0].result.score == 3 and len(backend.requests) == 3
    assert not (tmp_path / "never").exists()


def test_concurrency_bound_holds(task, tmp_path):
    import asyncio

    state = {"now": 0, "max": 0}

    class Slow(ScriptedBackend):
        async def complete(self, request):
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
            await asyncio.sleep(0.002)
            state["now"] -= 1
            return ok_response(request)

    result = Runner(config(tmp_path, concurrency=3, cache_mode="off"), backend=Slow(ok_response)).run(
        task, inputs(20)
    )
    assert state["max"] == 3 and all(o.ok for o in result.outcomes)


def test_runs_dir_gives_every_run_a_directory(task, tmp_path):
    result = Runner(config(tmp_path, runs_dir=str(tmp_path / "runs"))).run(task, inputs(2))
    assert result.run_dir == tmp_path / "runs" / result.manifest["run_id"]
    assert (result.run_dir / "manifest.json").exists()


def test_a_distributed_style_executor_can_replace_the_local_one(task, tmp_path):
    """An executor that ignores the local closure and rebuilds engines from the plain-data spec
    (what a Ray executor does on its workers) gives the same outcomes in input order."""
    import asyncio

    from recloom.agents.runtime import CallEngine
    from recloom.agents.runtime.executor import Job, RunSpec

    class ShardedExecutor:
        engines = 0

        async def map(self, run_job, jobs: list[Job], *, concurrency: int, spec: RunSpec):
            async def shard(part: list[Job]):
                engine = CallEngine(spec.config)  # a worker's own engine, built from the config only
                engine.prepare(spec.task)
                type(self).engines += 1
                outs = [await engine.call(spec.task, j.inp, j.input_id, j.messages) for j in part]
                await engine.aclose()
                return outs

            halves = await asyncio.gather(shard(list(jobs[::2])), shard(list(jobs[1::2])))
            merged = {
                id(j): o
                for part, outs in zip((jobs[::2], jobs[1::2]), halves, strict=True)
                for j, o in zip(part, outs, strict=True)
            }
            for j in jobs:
                spec.on_outcome(merged[id(j)])
            return [merged[id(j)] for j in jobs]

    rows = inputs(9)[::-1]
    result = Runner(config(tmp_path), executor=ShardedExecutor()).run(task, rows)
    assert ShardedExecutor.engines == 2
    assert [o.input_id for o in result.outcomes] == [r["id"] for r in rows] and all(
        o.ok for o in result.outcomes
    )
    replay = Runner(config(tmp_path, cache_mode="replay")).run(task, rows)
    assert all(o.cached for o in replay.outcomes)


def test_a_validator_change_revalidates_stored_answers_instead_of_regenerating(task, tmp_path):
    """Generation and parsing are split: the same prompt under a task version that differs only in
    its validator reuses the stored raw answer and judges it again; only answers the new validator
    rejects cost a (re-ask) call."""
    backend = ScriptedBackend(ok_response)
    first = Runner(config(tmp_path), backend=backend).run(task, inputs(6))
    assert len(backend.requests) == 6

    def stricter(out, inp):
        if inp.id == "x2":
            raise SemanticValidationError("x2 needs a second look")

    changed = type(task)(
        name="label",
        input_model=task.input_model,
        output_model=task.output_model,
        template=task.template,
        validator=stricter,
        validator_version="2",
    )
    assert changed.version != task.version and changed.prompt_version == task.prompt_version
    second = Runner(config(tmp_path), backend=backend).run(changed, inputs(6))
    assert len(backend.requests) == 6 + 2  # only x2's two re-asks reach the backend
    assert "x2 needs a second look" in backend.requests[-1].messages[-1].content
    assert second.manifest["counts"]["revalidated"] == 6
    assert [o.ok for o in second.outcomes] == [True, True, False, True, True, True]
    kept = [i for i in range(6) if i != 2]
    assert [second.outcomes[i].result for i in kept] == [first.outcomes[i].result for i in kept]
    replay = Runner(config(tmp_path, backend="openai", model="gpt-4o-mini", cache_mode="replay")).run(
        changed, inputs(6)
    )
    assert replay.manifest["counts"]["revalidated"] == 0 and all(o.cached for o in replay.outcomes)
    other_template = label_task(write_templates(tmp_path / "t2", user="ID: {{ id }}\nTEXT: {{ text }}\n!"))
    third = Runner(config(tmp_path), backend=backend).run(other_template, inputs(6))
    assert third.manifest["counts"]["revalidated"] == 0 and len(backend.requests) == 8 + 6
