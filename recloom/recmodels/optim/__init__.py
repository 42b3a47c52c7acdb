"""Optimiser step rules plugged into the trainer (``StepRule``): plain, SAM-family, re-weighting."""

from recloom.recmodels.optim.base import PlainStep, StepRule

__all__ = ["PlainStep", "StepRule"]
