"""Datasets: typed containers, loaders for the shared datasets, filters and splitters. No torch.

Public API::

    from recloom.data import Dataset, Interactions, ItemCatalog, UserProfiles, IdMap
    from recloom.data import Split, SequenceExamples
    from recloom.data.loaders import load_dataset            # "ml-100k", "ml-1m", "amazon-scientific"
    from recloom.data.splitters import get_splitter          # random_ratio, chrono_ratio, ... presets
    from recloom.data.filters import implicit, k_core, max_sequence_length
    from recloom.data.sequences import next_item_examples
    from recloom.data.text import embed_texts                # MiniLM, lazily imported
    from recloom.data.paths import data_dir
"""

from recloom.data.containers import IdMap, Interactions
from recloom.data.dataset import Dataset
from recloom.data.side_info import ItemCatalog, UserProfiles
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
