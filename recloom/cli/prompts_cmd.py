"""``recloom prompts list|show|run|diff``: inspect tasks, run one over an input file, and compare two
variants (template versions or backends/models) on the same inputs through the cache."""

# ruff: noqa: B008  (typer declares options as default values)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="Tasks and prompt templates: list, show, run, diff.", no_args_is_help=True)

BACKEND = typer.Option("local", "--backend", "-b", help="local | openai | vllm-server | vllm | langchain")
MODEL = typer.Option("", "--model", "-m", help="model name (or model path for vllm)")
BASE_URL = typer.Option(
    None, "--base-url", help="OpenAI-compatible server URL (keys come from the environment)"
)
CACHE_DIR = typer.Option(
    None, "--cache-dir", help="cache directory (default $RECLOOM_CACHE_DIR or .cache/recloom)"
)
CACHE_MODE = typer.Option("rw", "--cache-mode", help="rw | replay | refresh | off")


def load_workflow_tasks() -> None:
    """Import every ``recloom.agents.<workflow>.tasks`` module (they register their tasks in the
    default registry on import), so the CLI sees the workflows' tasks beside the built-in ones."""
    import importlib
    import pkgutil

    import recloom.agents as agents

    for info in pkgutil.iter_modules(agents.__path__):
        if not info.ispkg:
            continue
        name = f"{agents.__name__}.{info.name}.tasks"
        if importlib.util.find_spec(name) is None:
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # one broken workflow must not hide the other tasks
            typer.secho(f"warning: could not load tasks from {name}: {exc}", err=True, fg=typer.colors.YELLOW)


def _config(
    backend: str, model: str, base_url: str | None, cache_dir: Path | None, cache_mode: str, **extra: Any
) -> Any:
    from recloom.agents.runtime import RuntimeConfig

    return RuntimeConfig(
        backend=backend,
        model=model,
        base_url=base_url,
        cache_dir=str(cache_dir) if cache_dir else None,
        cache_mode=cache_mode,
        **extra,
    )


@app.command("list")
def list_tasks() -> None:
    """Registered tasks with their content-hash versions (one line each)."""
    from recloom.prompts import default_registry

    load_workflow_tasks()
    for task in default_registry():
        d = task.describe()
        solver = f"  local solver {d['local_solver']} (non-LLM baseline)" if d["local_solver"] else ""
        typer.echo(
            f"{d['name']}  version {d['version']}  (prompt {d['prompt_version']})  "
            f"{d['input']} -> {d['output']}  "
            f"validator {d['validator']}{solver}"
        )


@app.command()
def show(
    task_name: str = typer.Argument(..., help="task name"),
    input_json: str = typer.Option(
        None, "--input", help="an input as JSON: also print the rendered messages"
    ),
) -> None:
    """A task's templates, output schema, schema warnings and (optionally) one rendered prompt."""
    from recloom.prompts import get_task

    load_workflow_tasks()
    task = get_task(task_name)
    typer.echo(json.dumps(task.describe(), indent=2))
    for name, source in sorted(task.template.sources.items()):
        typer.echo(f"--- {name}\n{source.rstrip()}")
    typer.echo(
        f"--- output schema (sha256 {task.schema_sha256[:16]})\n{json.dumps(task.json_schema, indent=2)}"
    )
    for warning in task.schema_warnings:
        typer.secho(f"schema warning: {warning}", fg=typer.colors.YELLOW)
    if input_json:
        for message in task.render(task.parse_input(json.loads(input_json), where="(--input)")):
            typer.echo(f"=== {message.role}\n{message.content}")


@app.command()
def run(
    task_name: str = typer.Argument(..., help="task name"),
    inputs: Path = typer.Option(..., "--inputs", "-i", help="JSONL (or JSON list) of task inputs"),
    out: Path = typer.Option(..., "--out", "-o", help="run directory to create"),
    backend: str = BACKEND,
    model: str = MODEL,
    base_url: str | None = BASE_URL,
    cache_dir: Path | None = CACHE_DIR,
    cache_mode: str = CACHE_MODE,
    concurrency: int = typer.Option(16, help="requests in flight"),
    rpm: float | None = typer.Option(None, help="requests per minute limit"),
    tpm: float | None = typer.Option(None, help="tokens per minute limit"),
    max_reasks: int = typer.Option(2, help="re-asks after an invalid answer"),
    prices: Path | None = typer.Option(None, help="extra price table (JSON)"),
    progress: bool = typer.Option(True, help="show the progress bar"),
) -> None:
    """Run a task over an input file; writes outputs.jsonl, failures.jsonl and manifest.json."""
    from recloom.agents.runtime import Runner
    from recloom.cli.options import read_inputs

    load_workflow_tasks()
    config = _config(
        backend,
        model,
        base_url,
        cache_dir,
        cache_mode,
        concurrency=concurrency,
        rpm=rpm,
        tpm=tpm,
        max_reasks=max_reasks,
        prices_file=str(prices) if prices else None,
        progress=progress,
    )
    result = Runner(config).run(task_name, read_inputs(inputs), run_dir=out)
    typer.echo(
        json.dumps(
            {
                "run_dir": str(result.run_dir),
                "backend": result.manifest["backend"]["label"],
                **result.manifest["counts"],
                "tokens": result.manifest["tokens"]["this_run"],
                "cost_usd": result.manifest["cost_usd_this_run"],
            },
            indent=2,
        )
    )


@app.command()
def diff(
    task_name: str = typer.Argument(..., help="task A (a registered task)"),
    inputs: Path = typer.Option(..., "--inputs", "-i", help="JSONL (or JSON list) of task inputs"),
    template_b: Path | None = typer.Option(None, help="B = task A with the templates of this directory"),
    task_b: str | None = typer.Option(None, help="B = another registered task"),
    backend: str = BACKEND,
    model: str = MODEL,
    base_url: str | None = BASE_URL,
    backend_b: str | None = typer.Option(None, help="B's backend (default: A's)"),
    model_b: str | None = typer.Option(None, help="B's model (default: A's)"),
    base_url_b: str | None = typer.Option(None, help="B's base URL (default: A's)"),
    n: int | None = typer.Option(None, "--sample", help="compare on a sample of this many inputs"),
    seed: int = typer.Option(0, help="sampling seed"),
    cache_dir: Path | None = CACHE_DIR,
    cache_mode: str = CACHE_MODE,
    out: Path | None = typer.Option(None, help="also write the report here (JSON)"),
) -> None:
    """Run two variants on the same inputs (through the cache) and report them side by side."""
    from dataclasses import replace

    from recloom.agents.runtime import Runner
    from recloom.agents.runtime.compare import compare
    from recloom.cli.options import read_inputs, sample
    from recloom.prompts import PromptTemplate, get_task

    load_workflow_tasks()
    a = get_task(task_name)
    b = get_task(task_b) if task_b else a
    if template_b is not None:
        b = replace(b, template=PromptTemplate.from_dir(template_b))
    rows = sample(read_inputs(inputs), n, seed)
    config_a = _config(backend, model, base_url, cache_dir, cache_mode, progress=False)
    config_b = _config(
        backend_b or backend,
        model_b if model_b is not None else model,
        base_url_b or base_url,
        cache_dir,
        cache_mode,
        progress=False,
    )
    report = compare(a, Runner(config_a).run(a, rows), b, Runner(config_b).run(b, rows))
    _print_report(report)
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    sides = Table("", "A", "B", title=f"{report['inputs']} inputs")
    for key in (
        "label",
        "task_version",
        "valid",
        "first_attempt_valid",
        "attempt_errors",
        "failed",
        "tokens",
        "cost_usd_this_run",
        "backend_calls",
    ):
        sides.add_row(key, _fmt(report["A"][key]), _fmt(report["B"][key]))
    console.print(sides)
    agreement = Table("field", "compared", "agreement", "mean Jaccard (lists)")
    for row in report["agreement"]:
        agreement.add_row(
            row["field"],
            str(row["compared"]),
            f"{row['agreement']:.3f}",
            "-" if row["mean_jaccard"] is None else f"{row['mean_jaccard']:.3f}",
        )
    console.print(agreement)
    if report["template_diff"]:
        console.print(report["template_diff"], markup=False, highlight=False)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)
