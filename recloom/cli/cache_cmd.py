"""``recloom cache stats|explain|export|import|prune``: inspect and move the generation cache."""

# ruff: noqa: B008  (typer declares options as default values)
from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="The disk cache of raw generations.", no_args_is_help=True)
CACHE_DIR = typer.Option(
    None, "--cache-dir", help="cache directory (default $RECLOOM_CACHE_DIR or .cache/recloom)"
)


def _store(cache_dir: Path | None):  # noqa: ANN202
    from recloom.agents.runtime.config import default_cache_dir
    from recloom.cache import CacheStore

    return CacheStore(cache_dir or default_cache_dir())


@app.command()
def stats(cache_dir: Path | None = CACHE_DIR) -> None:
    """Entries by task version, backend/model and finish reason; size on disk."""
    with _store(cache_dir) as store:
        typer.echo(json.dumps(store.stats(), indent=2))


@app.command()
def explain(
    key: str = typer.Argument(..., help="a key or an unambiguous prefix (>= 8 characters)"),
    cache_dir: Path | None = CACHE_DIR,
) -> None:
    """The key material (what was hashed) and the stored response of one entry."""
    with _store(cache_dir) as store:
        record = store.find(key)
        typer.echo(json.dumps(record, indent=2, ensure_ascii=False))


@app.command("export")
def export_(
    file: Path = typer.Argument(..., help="JSONL file to write"), cache_dir: Path | None = CACHE_DIR
) -> None:
    """Write every entry (and its schema) to a JSONL file, e.g. to replay on another machine."""
    with _store(cache_dir) as store:
        typer.echo(f"exported {store.export(file)} entries to {file}")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="JSONL file written by `cache export`"),
    cache_dir: Path | None = CACHE_DIR,
) -> None:
    """Add the entries of an exported file (keys are re-derived and checked)."""
    with _store(cache_dir) as store:
        typer.echo(f"imported {store.import_file(file)} new entries from {file}")


@app.command()
def prune(
    task: str | None = typer.Option(None, help="only this task"),
    older_than_days: float | None = typer.Option(None, help="remove entries older than this"),
    stale: bool = typer.Option(False, help="remove entries whose task version is not the current one"),
    all_: bool = typer.Option(False, "--all", help="remove every entry (of --task, if given)"),
    cache_dir: Path | None = CACHE_DIR,
) -> None:
    """Remove entries: stale task versions, old entries, or all of them."""
    from recloom.errors import ConfigError

    if not (stale or older_than_days is not None or all_):
        raise ConfigError("cache prune: say what to remove: --stale, --older-than-days N or --all")
    keep = None
    if stale:
        from recloom.prompts import default_registry

        keep = {t.name: t.version for t in default_registry()}
    with _store(cache_dir) as store:
        n = store.prune(
            task=task,
            older_than_s=None if older_than_days is None else older_than_days * 86400,
            keep_versions=keep,
        )
    typer.echo(f"removed {n} entries")
