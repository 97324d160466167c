"""The typer application; each command lives in its own module and registers itself here."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="routegame",
    help="Exact solutions, sweeps, simulation and reports for the LLM routing game.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules register themselves on import (keep this list in sync with the commands).
COMMAND_MODULES = ("solve_cmd", "simulate_cmd", "sweep_cmd", "plot_cmd", "report_cmd", "explore_cmd")
for _name in COMMAND_MODULES:
    importlib.import_module(f"routegame.cli.{_name}")
