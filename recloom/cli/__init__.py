"""Command-line interface (typer). Sits on top of every other layer."""
