"""Datasets: typed containers, loaders for the shared datasets, filters and splitters. No torch.

Public API (import from here)::

    from recloom.data import Dataset, Interactions, ItemCatalog, UserProfiles, IdMap
    from recloom.data import Split, SequenceExamples
"""

from recloom.data.containers import IdMap, Interactions, ItemCatalog, UserProfiles
from recloom.data.dataset import Dataset
from recloom.data.split import SequenceExamples, Split

__all__ = [
    "Dataset",
    "IdMap",
    "Interactions",
    "ItemCatalog",
    "SequenceExamples",
    "Split",
    "UserProfiles",
]
