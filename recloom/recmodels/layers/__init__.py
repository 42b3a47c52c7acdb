"""Shared torch building blocks of the multi-interest models (MIND, ComiRec-SA, LARMI) and of the
neural max-coverage solver: capsule routing, attention pooling, readouts, Gumbel-Sinkhorn top-k,
bipartite GraphSAGE."""
