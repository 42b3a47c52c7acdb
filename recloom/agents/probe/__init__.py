"""The prior long-tail probe of EISAM (seed 004 Sec. 4; methods.md §5.2, §5.6): ask a model for k
distinct new items per history, ground the strings to the catalogue, count how often each item is
recommended (c_prior) and cross prior head/tail with data head/tail. No torch here.

Public API::

    from recloom.agents.probe import (ProbeInput, ProbeOutput, check_probe, RECOMMEND,   # the task
                                      TitleIndex, LOCAL_GENERATOR_NOTE,                  # local solver
                                      agenerate, generate, load_records, ProbeRecord,    # generation step
                                      ground, SentenceEncoder, TextEncoder, Grounding,   # grounding
                                      PriorGroups, CELL_NAMES)                           # prior + groups
"""

from recloom.agents.probe.generate import ProbeRecord, ProbeRun, agenerate, generate, load_records
from recloom.agents.probe.grounding import GroundedSequence, Grounding, SentenceEncoder, TextEncoder, ground
from recloom.agents.probe.local import INDEX_KEY, LOCAL_GENERATOR_NOTE, TitleIndex, nearest_titles
from recloom.agents.probe.prior import (
    CELL_KEYS,
    CELL_NAMES,
    HEAD,
    TAIL,
    PriorGroups,
    prior_counts,
    top_share_groups,
)
from recloom.agents.probe.task import ProbeInput, ProbeOutput, check_probe, salvage
from recloom.agents.probe.tasks import RECOMMEND

__all__ = [
    "CELL_KEYS",
    "CELL_NAMES",
    "HEAD",
    "INDEX_KEY",
    "LOCAL_GENERATOR_NOTE",
    "RECOMMEND",
    "TAIL",
    "GroundedSequence",
    "Grounding",
    "PriorGroups",
    "ProbeInput",
    "ProbeOutput",
    "ProbeRecord",
    "ProbeRun",
    "SentenceEncoder",
    "TextEncoder",
    "TitleIndex",
    "agenerate",
    "check_probe",
    "generate",
    "ground",
    "load_records",
    "nearest_titles",
    "prior_counts",
    "salvage",
    "top_share_groups",
]
