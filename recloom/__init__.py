"""recloom: LLM-agent workflows for recommender systems, feeding PyTorch recommenders.

Layers (dependencies flow one way):
``data`` -> ``prompts``, ``cache``, ``graph`` -> ``agents`` (runtime, backends, workflows)
-> artifacts on disk -> ``recmodels`` (torch). ``pipelines`` and ``cli`` sit on top of both.
"""

__version__ = "0.1.0"
