"""The probe task ``probe.recommend`` (templates under ``recloom/prompts/templates/probe/``),
registered in the default task registry on import, with its local nearest-neighbour solver."""

from __future__ import annotations

from recloom.agents.probe.local import nearest_title_generator
from recloom.agents.probe.task import ProbeInput, ProbeOutput, check_probe
from recloom.prompts.registry import default_registry
from recloom.prompts.task import Task
from recloom.prompts.templates import BUILTIN_TEMPLATES, PromptTemplate

RECOMMEND: Task[ProbeInput, ProbeOutput] = Task(
    name="probe.recommend",
    input_model=ProbeInput,
    output_model=ProbeOutput,
    template=PromptTemplate.from_dir(BUILTIN_TEMPLATES / "probe" / "recommend"),
    validator=check_probe,
    description="prior long-tail probe: k distinct new items for a history of titles (EISAM Sec. 4)",
    max_tokens=512,
    local_solver=nearest_title_generator,
)


def register() -> None:
    """Put the probe task in the default registry (idempotent)."""
    default_registry().register(RECOMMEND)


register()
