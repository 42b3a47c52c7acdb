"""LLM runtime (task calls, batch runner, backends) and the three workflows (ToP, LARMI, probe).

Never imports torch: workflows exchange artifacts on disk with ``recloom.recmodels``."""
