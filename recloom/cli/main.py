"""The ``recloom`` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import sys

import typer

from recloom import __version__
from recloom.errors import RecloomError

app = typer.Typer(
    name="recloom",
    help="LLM-agent workflows for recommender systems, feeding PyTorch recommenders.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the recloom version."""
    typer.echo(__version__)


def _register() -> None:
    """Add the command groups. Imports stay inside the command modules' functions so that
    ``recloom --help`` does not load torch."""
    from recloom.cli import data_cmd

    app.add_typer(data_cmd.app, name="data")
    from recloom.cli import train_cmd

    app.command("train")(train_cmd.train)
    from recloom.cli import cache_cmd, prompts_cmd

    app.add_typer(prompts_cmd.app, name="prompts")
    app.add_typer(cache_cmd.app, name="cache")
    from recloom.cli import demo_cmd

    app.command("demo")(demo_cmd.demo)
    from recloom.cli import top_cmd

    app.add_typer(top_cmd.app, name="top")
    from recloom.cli import larmi_cmd

    app.add_typer(larmi_cmd.app, name="larmi")
    from recloom.cli import probe_cmd

    app.add_typer(probe_cmd.app, name="probe")


_register()


def main() -> None:
    """Entry point: user errors print one clear line and exit 2 instead of a traceback."""
    try:
        app()
    except RecloomError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)


if __name__ == "__main__":
    main()
