"""The prior long-tail probe end to end (EISAM, seed 004 Sec. 4; methods.md §5.2, §5.6):
run -> ground -> groups, each step reading and writing one probe directory.

- :func:`run_probe`: the EISAM protocol sequences (``recloom.pipelines.eisam_data``) of one part
  (default: a seeded sample of the training sequences), their history titles sent to the
  ``probe.recommend`` task on any backend (local baseline, OpenAI, vLLM server/offline, LangChain)
  through the runtime, cached and replayable. Writes ``probe.json`` (the spec), ``sequences.jsonl``,
  ``recommendations.jsonl``, ``manifest.json``, ``calls/``.
- :func:`ground_probe`: every sequence's titles grounded to k distinct catalogue items with MiniLM
  (default) or a local HF causal LM's last-token hidden state. Writes ``grounded.jsonl`` and
  ``grounding.json`` (exact-match rate, distances, collisions).
- :func:`probe_groups`: c_prior, P-Head/P-Tail, D-Head/D-Tail (training target frequency) and the
  2×2 cells. Writes ``groups.npz`` and ``prior.json`` (sum check, never-recommended share).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.artifacts import read_json, read_jsonl, write_json, write_jsonl
from recloom.agents.probe import (
    INDEX_KEY,
    Grounding,
    PriorGroups,
    ProbeInput,
    ProbeRun,
    SentenceEncoder,
    TextEncoder,
    TitleIndex,
    generate,
    ground,
    load_records,
)
from recloom.agents.probe.local import EmbedFn
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.errors import ArtifactError, ConfigError
from recloom.pipelines.eisam_data import EisamData, eisam_sequences

SPEC_FILE, SEQUENCES_FILE = "probe.json", "sequences.jsonl"
GROUNDED_FILE, GROUNDING_FILE = "grounded.jsonl", "grounding.json"
GROUPS_FILE, PRIOR_FILE = "groups.npz", "prior.json"


@dataclass
class ProbeSpec:
    """Which sequences are probed, and how the protocol data is built."""

    data: str = "ml-1m"
    data_dir: str | None = None
    part: str = "train"
    n_sequences: int | None = 1000  # None: every sequence of the part
    k: int = 10
    domain: str = "movies"
    seed: int = 0
    history: int = 10
    min_item_interactions: int = 5
    max_train: int | None = None  # the training cap of the recommender the groups are used with

    def protocol(self) -> EisamData:
        """The protocol data (memoised per process: the three steps share one build)."""
        key = (self.data, self.data_dir, self.seed, self.history, self.min_item_interactions, self.max_train)
        if key not in _PROTOCOLS:
            from recloom.data.loaders import load_dataset

            _PROTOCOLS.clear()
            _PROTOCOLS[key] = eisam_sequences(
                load_dataset(self.data, self.data_dir),
                history=self.history,
                min_item_count=self.min_item_interactions,
                max_train=self.max_train,
                seed=self.seed,
            )
        return _PROTOCOLS[key]


_PROTOCOLS: dict[tuple[Any, ...], EisamData] = {}


def select(data: EisamData, spec: ProbeSpec) -> np.ndarray:
    """Rows of ``spec.part`` to probe: a seeded sample of ``n_sequences`` (sorted), or all."""
    n = len(data.part(spec.part))
    if spec.n_sequences is None or spec.n_sequences >= n:
        return np.arange(n)
    if spec.n_sequences < 1:
        raise ConfigError(f"n_sequences must be >= 1, got {spec.n_sequences}")
    return np.sort(np.random.default_rng(spec.seed).choice(n, size=spec.n_sequences, replace=False))


def probe_inputs(data: EisamData, spec: ProbeSpec) -> tuple[list[ProbeInput], list[dict[str, Any]]]:
    """The task inputs and the matching sequence rows (id, row, user, history ids, target)."""
    titles, ex = data.titles(), data.part(spec.part)
    hist, tgt = ex.histories(), ex.targets()
    inputs, rows = [], []
    for r in select(data, spec).tolist():
        sid = f"{spec.part}-{r}"
        inputs.append(ProbeInput(id=sid, history=[titles[i] for i in hist[r]], k=spec.k, domain=spec.domain))
        rows.append(
            {
                "id": sid,
                "row": r,
                "user": int(ex.user[r]),
                "history": hist[r].tolist(),
                "target": int(tgt[r][0]),
            }
        )
    return inputs, rows


def probe_runner(config: RuntimeConfig, titles: list[str], embed: EmbedFn | None = None) -> Runner:
    """A runner for ``config``; the local backend gets the catalogue title index as its context
    (vectors from ``embed``, default the shared MiniLM embedder)."""
    if config.backend.strip().lower() == "local":
        index = TitleIndex.build(titles, embed)
        options = {**config.backend_options, "context": {INDEX_KEY: index}}
        config = replace(config, backend_options=options, local_context_id=index.identity)
    return Runner(config)


def run_probe(
    config: RuntimeConfig, spec: ProbeSpec, out_dir: str | Path, *, embed: EmbedFn | None = None
) -> ProbeRun:
    """Generate k recommendations per probed sequence (see the module docstring)."""
    out = Path(out_dir)
    data = spec.protocol()
    inputs, rows = probe_inputs(data, spec)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "manifest.json").exists():
        raise ArtifactError(f"{out} already holds a probe run; give a new directory")
    write_json(out / SPEC_FILE, {**asdict(spec), "protocol": data.info})
    write_jsonl(out / SEQUENCES_FILE, rows)
    return generate(
        probe_runner(config, data.titles(), embed), inputs, out_dir=out, config={"spec": asdict(spec)}
    )


def load_spec(out_dir: str | Path) -> ProbeSpec:
    raw = read_json(Path(out_dir) / SPEC_FILE)
    raw.pop("protocol", None)
    try:
        return ProbeSpec(**raw)
    except TypeError as exc:
        raise ArtifactError(f"{Path(out_dir) / SPEC_FILE}: not a probe spec ({exc})") from exc


def make_encoder(
    name: str = "minilm", model: str | None = None, batch_size: int = 32, cache_dir: str | None = None
) -> TextEncoder:
    """``minilm`` (sentence-transformers, default; ``cache_dir`` keeps vectors on disk) or ``hidden``
    (last-token hidden state of the local HF causal LM at ``model``, BIGRec's grounding)."""
    if name == "minilm":
        return SentenceEncoder(cache_dir)
    if name == "hidden":
        if not model:
            raise ConfigError(
                "the 'hidden' grounding encoder needs --model, a local Hugging Face model directory"
            )
        from recloom.llmrec.grounding import HiddenStateEncoder

        return HiddenStateEncoder.from_pretrained(model, batch_size=batch_size)
    raise ConfigError(f"unknown grounding encoder {name!r}; choose 'minilm' or 'hidden'")


def ground_probe(out_dir: str | Path, encoder: TextEncoder | None = None) -> Grounding:
    """Ground the run's titles to distinct catalogue items; writes grounded.jsonl, grounding.json."""
    out, started = Path(out_dir), time.perf_counter()
    data = load_spec(out).protocol()
    records = load_records(out)
    enc = encoder or SentenceEncoder()
    result = ground([r.titles for r in records], data.titles(), enc)
    raw_ids = data.dataset.item_ids.to_list()
    write_jsonl(
        out / GROUNDED_FILE,
        (
            {
                "id": r.id,
                "items": g.items,
                "item_ids": [raw_ids[i] for i in g.items],
                "distances": g.distances,
                "fallback_rank": g.fallback_rank,
                "exact": g.exact,
                "same_title": g.same_title,
            }
            for r, g in zip(records, result.sequences, strict=True)
        ),
    )
    write_json(
        out / GROUNDING_FILE,
        {
            "encoder": enc.name,
            "metric": "l2",
            **result.stats,
            "wall_s": round(time.perf_counter() - started, 3),
        },
    )
    return result


def probe_groups(out_dir: str | Path, share: float = 0.2) -> PriorGroups:
    """c_prior and the P×D groups from the grounded run; writes groups.npz and prior.json."""
    out = Path(out_dir)
    spec = load_spec(out)
    if not (out / GROUNDED_FILE).is_file():
        raise ArtifactError(f"{out / GROUNDED_FILE}: missing; run `recloom probe ground` first")
    grounded = [row["items"] for row in read_jsonl(out / GROUNDED_FILE)]
    groups = PriorGroups.build(grounded, spec.protocol().train_counts(), spec.k, share)
    groups.save(str(out / GROUPS_FILE))
    manifest = read_json(out / "manifest.json")
    write_json(
        out / PRIOR_FILE,
        {
            "head_share": share,
            "generator": manifest.get("config", {}).get("generator"),
            "backend": manifest.get("backend"),
            **groups.summary(),
        },
    )
    return groups


def load_groups(out_dir: str | Path) -> PriorGroups:
    """The P×D groups a probe directory holds (``groups.npz``)."""
    path = Path(out_dir) / GROUPS_FILE
    if not path.is_file():
        raise ArtifactError(f"{path}: missing; run `recloom probe groups` first")
    return PriorGroups.load(str(path))
