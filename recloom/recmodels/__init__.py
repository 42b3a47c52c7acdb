"""PyTorch recommenders, trainer, optimisers and evaluation. Never imports ``recloom.agents``."""
