from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recloom.prompts import Task

from .fault_server import FaultServer, Reply
from .support import Label, LabelIn, correct_answer, label_task, parse_user, write_templates


@pytest.fixture
def task(tmp_path: Path) -> Task[LabelIn, Label]:
    return label_task(write_templates(tmp_path / "templates" / "label"))


@pytest.fixture
def good_server() -> Iterator[FaultServer]:
    def plan(body: dict, seen: int) -> Reply:
        return Reply(content=correct_answer(parse_user(body)[1]))

    with FaultServer(plan) as server:
        yield server
