"""The batch runner's GC pacing: the first threshold is raised while a batch runs and restored
after, also when batches nest or overlap, when the batch fails, and never over an application's
own choice (collector disabled, a higher threshold, a change made during the batch)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.agents.runtime.gc_batch import BATCH_GEN0_THRESHOLD, batch_gc

from .support import inputs, label_task, write_templates


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_threshold_is_raised_inside_and_restored_after() -> None:
    with batch_gc():
        assert gc.get_threshold() == (BATCH_GEN0_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_batches_restore_only_when_the_last_one_ends() -> None:
    with batch_gc():
        with batch_gc():
            assert gc.get_threshold()[0] == BATCH_GEN0_THRESHOLD
        assert gc.get_threshold()[0] == BATCH_GEN0_THRESHOLD
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_the_batch_raises() -> None:
    with pytest.raises(RuntimeError), batch_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("threshold", [(0, 10, 10), (BATCH_GEN0_THRESHOLD * 2, 5, 5)])
def test_application_settings_are_left_alone(threshold: tuple[int, int, int]) -> None:
    gc.set_threshold(*threshold)
    with batch_gc():
        assert gc.get_threshold() == threshold
    assert gc.get_threshold() == threshold


def test_a_change_made_during_the_batch_is_kept() -> None:
    with batch_gc():
        gc.set_threshold(1234, 10, 10)
    assert gc.get_threshold() == (1234, 10, 10)


def test_overlapping_runs_on_one_loop_restore_the_threshold(tmp_path: Path) -> None:
    task = label_task(write_templates(tmp_path / "label"))
    seen: list[int] = []

    async def main() -> None:
        runner = Runner(RuntimeConfig(backend="local", cache_mode="off", progress=False))
        original = runner.engine.call

        async def spy(*args: object, **kwargs: object) -> object:
            seen.append(gc.get_threshold()[0])
            await asyncio.sleep(0)
            return await original(*args, **kwargs)  # type: ignore[arg-type]

        runner.engine.call = spy  # type: ignore[method-assign]
        a, b = await asyncio.gather(runner.arun(task, inputs(30)), runner.arun(task, inputs(20)))
        assert all(o.ok for o in a.outcomes + b.outcomes)
        await runner.aclose()

    asyncio.run(main())
    assert len(seen) == 50 and set(seen) == {BATCH_GEN0_THRESHOLD}
    assert gc.get_threshold() == (700, 10, 10)
