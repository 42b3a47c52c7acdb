"""The ``larmi.cluster`` task: group one user's (or synthetic user's) item titles into interests
(LARMI stage A, Eq. 1, and stage B7, Eq. 9; seed 001; prompt and validation of methods.md §2.5).

Input: the distinct item titles, oldest first, numbered 1..L in the prompt, and whether the user is
an ``individual`` (real user: every item in exactly one cluster) or ``synthetic`` (a clique: items
may sit in several clusters, every item at least once). Answer::

    {"clusters": [{"name": "...", "description": "...", "items": [1, 4]}, ...]}

The schema the model is shown asks for integer item numbers; titles or numeric strings are still
accepted by the output model so that :func:`check_clusters` can map them back (§2.5). The validator
returns the normalised answer (integers only, repaired per ``recloom.agents.larmi.repair``) with the
list of repairs in ``repairs`` (not part of the schema the model sees).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from recloom.agents.larmi.repair import drop_repeated_clusters, keep_first, missing_indices, resolve_clusters
from recloom.errors import SemanticValidationError

MAX_TITLES = 80  # longest title list a prompt carries (synthetic users are capped to it, §2.5)
TITLE_CHARS = 120  # titles are cut to this many characters in the prompt
NAME_CHARS, DESCRIPTION_CHARS = 60, 160
Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_CHARS)]
Entry = int | str
ITEMS_SCHEMA = {
    "type": "array",
    "items": {"type": "integer"},
    "minItems": 1,
    "description": "item numbers from the list",
}


class ClusterInput(BaseModel):
    id: str
    kind: Literal["individual", "synthetic"] = "individual"
    domain: str = Field(default="Industrial & Scientific", min_length=1)
    titles: list[Title] = Field(
        min_length=1, max_length=MAX_TITLES, description="distinct items, oldest first"
    )


class Cluster(BaseModel):
    name: str = Field(max_length=NAME_CHARS, description="short name of the interest")
    description: str = Field(max_length=DESCRIPTION_CHARS, description="one short sentence")
    items: Annotated[list[Entry], WithJsonSchema(ITEMS_SCHEMA)] = Field(min_length=1)


class ClusterOutput(BaseModel):
    clusters: list[Cluster] = Field(min_length=1)
    repairs: SkipJsonSchema[list[str]] = Field(default_factory=list)

    def index_lists(self) -> list[list[int]]:
        """The clusters' 1-based indices (after :func:`check_clusters`, all integers)."""
        return [[int(i) for i in c.items] for c in self.clusters]


def check_clusters(output: ClusterOutput, inp: ClusterInput) -> ClusterOutput:
    """Reject what cannot be repaired; otherwise the repaired answer with its repairs recorded."""
    clusters = output.clusters
    resolved = resolve_clusters([c.items for c in clusters], inp.titles, [c.name for c in clusters])
    repairs = resolved.repairs
    indices, positions = resolved.clusters, list(range(len(clusters)))
    if inp.kind == "individual":
        indices, positions = keep_first(indices, repairs)
    else:
        indices, positions = drop_repeated_clusters(indices, repairs)
    out = [
        Cluster(name=clusters[p].name, description=clusters[p].description, items=list(c))
        for c, p in zip(indices, positions, strict=True)
    ]
    missing = missing_indices(indices, len(inp.titles))
    if missing:
        repairs.append(f"item(s) {missing} in no cluster: added as singleton clusters")
        out += [
            Cluster(name=inp.titles[i - 1][:NAME_CHARS], description="(singleton added by repair)", items=[i])
            for i in missing
        ]
    if len(out) > len(inp.titles):
        raise SemanticValidationError(
            f"{len(out) - len(missing)} clusters cover only {len(inp.titles) - len(missing)} of the "
            f"{len(inp.titles)} items; put every item in a cluster and use at most {len(inp.titles)} clusters"
        )
    return ClusterOutput(clusters=out, repairs=repairs)
