"""Optimiser step rules plugged into the trainer (``StepRule``): plain, SAM-family, re-weighting."""

from recloom.recmodels.optim.base import PlainStep, StepRule
from recloom.recmodels.optim.eisam import EISAM
from recloom.recmodels.optim.factory import STEP_RULES, get_step_rule
from recloom.recmodels.optim.groupsam import GroupSAM
from recloom.recmodels.optim.reweight import ReWeight
from recloom.recmodels.optim.sam import SAM
from recloom.recmodels.optim.weights import ItemWeights

__all__ = ["EISAM", "STEP_RULES", "GroupSAM", "ItemWeights", "PlainStep", "ReWeight", "SAM", "StepRule",
           "get_step_rule"]
