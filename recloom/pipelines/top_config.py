"""Configuration of a ToP run: data protocol, agent backend and cache, backbone, rounds, agent
steps and re-rankers (each piece is the dataclass of the module that uses it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recloom.agents.runtime import RuntimeConfig, default_cache_dir
from recloom.errors import ConfigError
from recloom.pipelines.top_agents import AgentConfigs
from recloom.pipelines.top_compare import default_rerankers
from recloom.pipelines.top_rounds import RoundsConfig
from recloom.pipelines.top_train import BackboneConfig
from recloom.recmodels.rerank import RerankConfig


@dataclass
class RuntimeOptions:
    """Which LLM backend the agent steps use, and the cache."""

    backend: str = "local"
    model: str = ""
    base_url: str | None = None
    cache_dir: str | None = None  # default: $RECLOOM_CACHE_DIR or ./.cache/recloom
    cache_mode: str = "rw"
    concurrency: int = 8
    progress: bool = False

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def runtime_config(self) -> RuntimeConfig:
        embedding_dir = self.resolved_cache_dir() / "embeddings"
        options = {"context": {"embedding_cache_dir": str(embedding_dir)}} if self.backend == "local" else {}
        return RuntimeConfig(
            backend=self.backend,
            model=self.model,
            base_url=self.base_url,
            cache_dir=self.cache_dir,
            cache_mode=self.cache_mode,
            concurrency=self.concurrency,
            progress=self.progress,
            backend_options=options,
        )


@dataclass
class DataOptions:
    """Dataset and protocol (ToP-Rec §1.3)."""

    data: str = "ml-100k"
    data_dir: str | None = None
    min_rating: float | None = 4.0
    core: int = 10
    split_seed: int = 42
    n_neg: int = 50


@dataclass
class TopConfig:
    data: DataOptions = field(default_factory=DataOptions)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    rounds: RoundsConfig = field(default_factory=RoundsConfig)
    agents: AgentConfigs = field(default_factory=AgentConfigs)
    mmr: RerankConfig = field(default_factory=lambda: default_rerankers()["mmr"])
    dpp: RerankConfig = field(default_factory=lambda: default_rerankers()["dpp"])
    rerank_similarity: str = "text"  # item vectors for MMR/DPP: "text" (MiniLM of A_i) or "backbone"

    def __post_init__(self) -> None:
        if self.rerank_similarity not in ("text", "backbone"):
            raise ConfigError(
                f"rerank_similarity must be 'text' or 'backbone', got {self.rerank_similarity!r}"
            )
