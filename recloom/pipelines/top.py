"""ToP-Rec end to end (methods.md §1; paper: "Tree of Preferences for Diversified Recommendation",
NeurIPS 2025, seed 000): tree build → matching → refinement (LLM steps, ``recloom.agents.top``),
then the backbone trained plainly and with augmentation rounds (influence → reasoning → selection
→ new edges; ``recloom.pipelines.top_rounds``), and the comparison backbone vs ToP vs MMR vs DPP.

Example::

    config = TopConfig(data="ml-100k", runtime=RuntimeOptions(backend="local"))
    session = TopSession(config, Path("runs/top-ml100k"))
    report = session.run()           # every step; report.json + comparison.md in the run directory
    print(report_text(report))

Each step can also run on its own (``session.build()``, ``.match()``, ``.refine()``, ``.reason(users)``,
``.augment(users)``), reading the previous step's artifacts from the run directory; that is what
``recloom top build|match|refine|reason|augment`` do.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from recloom.agents.artifacts import MANIFEST, new_run_id, read_manifest, write_json, write_manifest
from recloom.agents.runtime import Runner
from recloom.agents.runtime.manifest import backend_label, versions
from recloom.errors import ConfigError
from recloom.pipelines import top_agents as agents
from recloom.pipelines.augment import SYNTHETIC_FILE
from recloom.pipelines.top_compare import compare_backbone, evaluate_plain, markdown_table
from recloom.pipelines.top_config import DataOptions, RuntimeOptions, TopConfig
from recloom.pipelines.top_data import TopData, prepare
from recloom.pipelines.top_rounds import RoundsConfig
from recloom.pipelines.top_train import BackboneConfig, TrainedBackbone, train_backbone, train_top

ARTIFACT_STEPS = ("build", "match", "refine", "reason", "augment")
REPORT_FILE = "report.json"
TABLE_FILE = "comparison.md"


class TopSession:
    """One run directory: data, runner and embedder are built lazily and shared by the steps."""

    def __init__(self, config: TopConfig, run_dir: str | Path) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._check_run_file()
        self.timings: dict[str, float] = {}
        self._data: TopData | None = None
        self._runner: Runner | None = None
        self._embedder: Any = None

    # ------------------------------------------------------------------ shared state
    def _check_run_file(self) -> None:
        """Create the run manifest, or check that an existing run used the same data options."""
        path = self.run_dir / MANIFEST
        mine = asdict(self.config.data)
        if path.is_file():
            stored = read_manifest(self.run_dir).get("data", {})
            if stored != mine:
                raise ConfigError(
                    f"{path}: this run directory was made with data options {stored}, not {mine}; "
                    "use the same --data/--min-rating/--core/--split-seed or a new --out"
                )
        else:
            write_manifest(
                self.run_dir,
                {
                    "run_id": new_run_id("top"),
                    "kind": "top",
                    "data": mine,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "steps": {},
                    "versions": versions(),
                },
            )

    def _record_step(self, name: str, seconds: float, info: dict[str, Any]) -> None:
        """Add a finished step to the run manifest (its directory, wall time, backend, calls)."""
        manifest = read_manifest(self.run_dir)
        engine = self.runner.engine
        manifest["steps"][name] = {
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "wall_s": round(seconds, 4),
            "backend": backend_label(engine.kind, engine.model),
            "is_llm": engine.is_llm,
            "cache_mode": engine.mode.value,
            "calls": info.get("calls", {}),
            "files": sorted(
                str(p.relative_to(self.run_dir)) for p in (self.run_dir / name).glob("*") if p.is_file()
            )
            if (self.run_dir / name).is_dir()
            else [],
        }
        write_manifest(self.run_dir, manifest)

    @property
    def data(self) -> TopData:
        if self._data is None:
            from recloom.data.loaders import load_dataset

            d = self.config.data
            dataset = load_dataset(d.data, d.data_dir)
            self._data = prepare(
                dataset, min_rating=d.min_rating, core=d.core, seed=d.split_seed, n_neg=d.n_neg
            )
        return self._data

    @property
    def items(self) -> Any:
        from recloom.agents.top import ItemTable

        if self.data.dataset.items is None:
            raise ConfigError(f"dataset {self.data.dataset.name!r} has no item texts; ToP needs them")
        return ItemTable.from_catalog(self.data.dataset.items)

    @property
    def embedding_dir(self) -> Path:
        return self.config.runtime.resolved_cache_dir() / "embeddings"

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            self._runner = Runner(self.config.runtime.runtime_config())
        return self._runner

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from recloom.agents.top.embedding import shared_embedder

            self._embedder = shared_embedder(self.embedding_dir)
        return self._embedder

    def _timed(self, name: str, fn: Any, *args: Any) -> Any:
        start = time.perf_counter()
        out = fn(*args)
        seconds = time.perf_counter() - start
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 4)
        if name in ARTIFACT_STEPS:
            self._record_step(name, seconds, out if isinstance(out, dict) else {})
        return out

    # ------------------------------------------------------------------ tree steps
    def build(self) -> dict[str, Any]:
        return self._timed(
            "build",
            agents.step_build,
            self.runner,
            self.items,
            self.run_dir,
            self.config.agents,
            self.embedder,
        )

    def match(self) -> dict[str, Any]:
        return self._timed(
            "match",
            agents.step_match,
            self.runner,
            self.items,
            self.run_dir,
            self.config.agents,
            self.embedder,
        )

    def refine(self) -> dict[str, Any]:
        return self._timed(
            "refine",
            agents.step_refine,
            self.runner,
            self.items,
            self.run_dir,
            self.config.agents,
            self.embedder,
        )

    # ------------------------------------------------------------------ per-user steps
    def users(self) -> dict[int, Any]:
        return agents.user_records(self.data.dataset.users, self.data.histories())

    def heldout(self) -> dict[int, set[int]]:
        n = self.data.n_users
        out: dict[int, set[int]] = {}
        for part in (self.data.split.valid, self.data.split.test):
            for u, items in enumerate(part.user_items(n)):
                if len(items):
                    out.setdefault(u, set()).update(int(i) for i in items)
        return out

    def _records(self, user_ids: list[int]) -> list[Any]:
        records = self.users()
        unknown = [u for u in user_ids if u not in records]
        if unknown:
            raise ConfigError(
                f"users {unknown[:10]} have no training history in {self.config.data.data!r} "
                f"(valid ids: 0..{self.data.n_users - 1} with at least one training item)"
            )
        return [records[u] for u in user_ids]

    def reason(self, user_ids: list[int]) -> dict[str, Any]:
        """S7 for ``user_ids`` on the latest tree, into ``<run>/reason/``."""
        tree, _ = agents.latest_tree(self.run_dir)
        records = self._records(user_ids)
        return self._timed(
            "reason",
            agents.step_reason,
            self.runner,
            tree,
            self.items,
            records,
            self.config.agents,
            self.run_dir / "reason",
            self.embedder,
        )

    def augment(self, user_ids: list[int]) -> dict[str, Any]:
        """S7 + S8 for ``user_ids`` on the latest tree, into ``<run>/augment/``."""
        tree, _ = agents.latest_tree(self.run_dir)
        records = self._records(user_ids)
        start = time.perf_counter()
        out = self.run_dir / "augment"
        edges, info = agents.reason_and_select(
            self.runner, tree, self.items, records, self.config.agents, out, self.heldout(), self.embedder
        )
        edges.write(out / SYNTHETIC_FILE)
        seconds = time.perf_counter() - start
        self.timings["augment"] = round(seconds, 4)
        result = {"users": len(user_ids), "synthetic": len(edges), "file": str(out / SYNTHETIC_FILE), **info}
        self._record_step("augment", seconds, result)
        return result

    # ------------------------------------------------------------------ everything
    def tree_steps(self) -> dict[str, dict[str, Any]]:
        """S1-S4 (build, match, refine) into the run directory."""
        return {"build": self.build(), "match": self.match(), "refine": self.refine()}

    def compare(
        self, backbone: BackboneConfig, rounds: RoundsConfig, out_dir: Path, baselines: bool = True
    ) -> Comparison:
        """Backbone (+ MMR, DPP with ``baselines``) and ToP with ``rounds`` on the latest tree."""
        tree, _ = agents.latest_tree(self.run_dir)
        augmenter = agents.AgentAugmenter(
            self.runner, tree, self.items, self.users(), self.config.agents, self.heldout(), self.embedder
        )
        data, cfg, rows = self.data, self.config, {}
        plain = None
        if baselines:
            plain = self._timed("train_backbone", train_backbone, data, backbone)
            vectors = self.embedder(list(self.items.texts)) if cfg.rerank_similarity == "text" else None
            rerankers = {"mmr": cfg.mmr, "dpp": cfg.dpp}
            rows = self._timed(
                "evaluate_backbone_mmr_dpp", compare_backbone, plain.model, data, rerankers, vectors
            )
        top = self._timed("train_top", train_top, data, backbone, augmenter, rounds, out_dir)
        rows["top"] = evaluate_plain(top.model, data.test, data.spec)
        order = [name for name in ("backbone", "top", "mmr", "dpp") if name in rows]
        return Comparison({name: rows[name] for name in order}, plain, top, augmenter)

    def run(self) -> dict[str, Any]:
        """All steps, both trainings, the comparison; writes report.json and comparison.md."""
        start = time.perf_counter()
        steps = self.tree_steps()
        result = self.compare(self.config.backbone, self.config.rounds, self.run_dir / "rounds")
        from recloom.pipelines.top_report import build_report

        report = build_report(self, steps, result, time.perf_counter() - start)
        write_json(self.run_dir / REPORT_FILE, report)
        (self.run_dir / TABLE_FILE).write_text(markdown_table(result.rows) + "\n", encoding="utf-8")
        self._record_step("rounds", self.timings["train_top"], {"calls": result.augmenter.stats.as_dict()})
        manifest = read_manifest(self.run_dir)
        manifest.update(report=REPORT_FILE, table=TABLE_FILE, wall_s=report["wall_seconds"])
        write_manifest(self.run_dir, manifest)
        return report


@dataclass
class Comparison:
    """The rows of one backbone-vs-ToP comparison and what produced them."""

    rows: dict[str, dict[str, Any]]
    plain: TrainedBackbone | None
    top: TrainedBackbone
    augmenter: agents.AgentAugmenter


__all__ = ["Comparison", "DataOptions", "RuntimeOptions", "TopConfig", "TopSession", "markdown_table"]
