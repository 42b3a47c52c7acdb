"""Options and helpers shared by the ``recloom top`` commands (kept apart so the commands stay short)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from recloom.errors import ConfigError

Out = Annotated[Path, typer.Option("--out", "-o", help="Run directory (created; steps share it).")]
Data = Annotated[
    str, typer.Option("--data", help="Dataset name (ml-100k, ml-1m, ...) or a saved dataset dir.")
]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data root (else $RECLOOM_DATA, ../shared/data).")
]
Backend = Annotated[
    str, typer.Option("--backend", "-b", help="local | openai | vllm-server | vllm | langchain")
]
Model = Annotated[str, typer.Option("--model", "-m", help="Model name (model path for vllm).")]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")]
Cache = Annotated[str, typer.Option("--cache", help="Cache mode: rw | replay | refresh | off.")]
CacheDir = Annotated[
    Path | None, typer.Option("--cache-dir", help="Cache directory (default .cache/recloom).")
]
MinRating = Annotated[float, typer.Option(help="Ratings >= this are positives (0: keep all).")]
Core = Annotated[int, typer.Option(help="k-core filter (users and items).")]
SplitSeed = Annotated[int, typer.Option(help="Seed of the per-user 0.6/0.2/0.2 split.")]
NNeg = Annotated[int, typer.Option(help="Random negatives per positive (BPR, averaged).")]
NUsers = Annotated[int | None, typer.Option("--n-users", help="Reason about this many random users.")]
UsersFile = Annotated[
    Path | None, typer.Option("--users", help="File of user indices (JSON list or one per line).")
]
NLeaves = Annotated[int, typer.Option(help="Leaves chosen per user (n).")]
NAug = Annotated[int, typer.Option(help="Synthetic interactions per user (N_aug).")]
Omega = Annotated[float, typer.Option(help="Weight of the diversity term in Eq. 4.")]


def session(
    out: Path,
    data: str,
    data_dir: Path | None,
    backend: str,
    model: str,
    base_url: str | None,
    cache: str,
    cache_dir: Path | None,
    min_rating: float,
    core: int,
    split_seed: int,
    n_neg: int,
    **overrides: Any,
) -> Any:
    """A ``TopSession`` on ``out`` from the shared options (``overrides``: TopConfig fields)."""
    from recloom.pipelines.top import DataOptions, RuntimeOptions, TopConfig, TopSession

    data_opts = DataOptions(
        data=data,
        data_dir=str(data_dir) if data_dir else None,
        min_rating=min_rating if min_rating > 0 else None,
        core=core,
        split_seed=split_seed,
        n_neg=n_neg,
    )
    runtime = RuntimeOptions(
        backend=backend,
        model=model,
        base_url=base_url,
        cache_mode=cache,
        cache_dir=str(cache_dir) if cache_dir else None,
    )
    return TopSession(TopConfig(data=data_opts, runtime=runtime, **overrides), out)


def agent_configs(n_leaves: int, n_aug: int, omega: float) -> Any:
    from recloom.agents.top import ReasonConfig, SelectConfig
    from recloom.pipelines.top_agents import AgentConfigs

    return AgentConfigs(reason=ReasonConfig(n_leaves=n_leaves), select=SelectConfig(omega=omega, n_aug=n_aug))


def echo(result: dict[str, Any]) -> None:
    typer.echo(json.dumps({k: v for k, v in result.items() if k != "manifest"}, indent=2, default=str))


def read_users(path: Path) -> list[int]:
    """User indices from a JSON list or one integer per line; errors name the file and line."""
    from recloom.errors import DataError

    if not path.is_file():
        raise DataError("users file does not exist", path=path)
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from exc
        if not all(isinstance(v, int) for v in values):
            raise DataError("expected a JSON list of integer user indices", path=path)
        return list(values)
    users = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                users.append(int(line))
            except ValueError:
                raise DataError(
                    f"not an integer user index: {line.strip()!r}", path=path, line=lineno
                ) from None
    return users


def pick_users(s: Any, users: Path | None, n_users: int | None, seed: int) -> list[int]:
    """Users from ``--users`` or a seeded sample of ``--n-users`` (default 20) users with history."""
    from recloom.pipelines.top_agents import sample_users

    if users is not None and n_users is not None:
        raise ConfigError("give either --users or --n-users, not both")
    if users is not None:
        return read_users(users)
    return sample_users(s.users(), n_users if n_users is not None else 20, seed)


def backbone_config(model: str, epochs: int, batch_size: int, lr: float, seed: int) -> Any:
    from recloom.pipelines.top_train import BackboneConfig
    from recloom.recmodels.registry import model_class

    model_class(model)
    return BackboneConfig(model=model, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)


def rounds_config(
    warmup: int, gap: int, rounds: int, groups: int, k_epochs: int, sign: str, selection: str
) -> Any:
    from recloom.pipelines.top_rounds import RoundsConfig
    from recloom.recmodels.influence import InfluenceConfig

    influence = InfluenceConfig(n_groups=groups, k_epochs=k_epochs, sign=sign)  # type: ignore[arg-type]
    return RoundsConfig(
        warmup=warmup,
        gap=gap,
        max_rounds=rounds,
        selection=selection,  # type: ignore[arg-type]
        influence=influence,
    )
