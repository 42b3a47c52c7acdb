"""Orchestration above ``agents`` and ``recmodels``: loops that alternate LLM steps and training."""
