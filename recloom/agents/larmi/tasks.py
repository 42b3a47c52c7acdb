"""The ``larmi.cluster`` task (templates under ``recloom/prompts/templates/larmi/cluster/``),
registered in the default task registry on import, with its local agglomerative solver."""

from __future__ import annotations

from recloom.agents.larmi.local import agglomerative_clusters
from recloom.agents.larmi.task import ClusterInput, ClusterOutput, check_clusters
from recloom.prompts.registry import default_registry
from recloom.prompts.task import Task
from recloom.prompts.templates import BUILTIN_TEMPLATES, PromptTemplate

CLUSTER: Task[ClusterInput, ClusterOutput] = Task(
    name="larmi.cluster",
    input_model=ClusterInput,
    output_model=ClusterOutput,
    template=PromptTemplate.from_dir(BUILTIN_TEMPLATES / "larmi" / "cluster"),
    validator=check_clusters,
    description="LARMI interest clustering of one (synthetic) user's item titles (Eqs. 1 and 9)",
    max_tokens=2048,
    local_solver=agglomerative_clusters,
)


def register() -> None:
    """Put the LARMI task in the default registry (idempotent)."""
    default_registry().register(CLUSTER)


register()
