"""The typer application; each command lives in its own module and registers itself here."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer


def _version(value: bool) -> None:
    if value:
        import routegame

        print(f"routegame {routegame.__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="routegame",
    help="Exact solutions, sweeps, simulation and reports for the LLM routing game.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Exact solutions, sweeps, simulation and reports for the LLM routing game."""


# Command modules register themselves on import (keep this list in sync with the commands).
COMMAND_MODULES = (
    "solve_cmd", "simulate_cmd", "sweep_cmd", "plot_cmd", "report_cmd", "calibrate_cmd", "explore_cmd",
)
for _name in COMMAND_MODULES:
    importlib.import_module(f"routegame.cli.{_name}")
