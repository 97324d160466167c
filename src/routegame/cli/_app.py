"""The typer application; each command lives in its own module and registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="routegame",
    help="Exact solutions, sweeps, simulation and reports for the LLM routing game.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules register themselves on import (keep this list in sync with the commands).
import routegame.cli.plot_cmd  # noqa: E402, F401
import routegame.cli.report_cmd  # noqa: E402, F401
import routegame.cli.simulate_cmd  # noqa: E402, F401
import routegame.cli.solve_cmd  # noqa: E402, F401
import routegame.cli.sweep_cmd  # noqa: E402, F401
