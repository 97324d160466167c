"""``routegame report``: one self-contained HTML report of a game (two-model or K-model).

Usage::

    routegame report [--scenario NAME | --config FILE.toml] [--out DIR] [--overwrite] [--n N]

Writes ``DIR/report.html`` (figures embedded) and ``DIR/figures/*.png``; a new directory is
built under a temporary name and renamed into place. An existing ``DIR`` is refused unless
``--overwrite``, and even then only a previous report directory (or an empty one) is updated,
file by file: only the files a report writes are replaced, anything else in ``DIR`` stays.
Prints the path of the report. Bad input: one line ``error: ...`` on stderr, exit status 2.
"""

from __future__ import annotations

from typing import Annotated

import typer

from routegame.cli._app import app
from routegame.cli._common import handle_errors
from routegame.errors import ParameterError
from routegame.report import load_game

__all__ = ["report"]


@app.command("report")
@handle_errors
def report(
    scenario: Annotated[str | None, typer.Option(
        "--scenario", metavar="NAME", help="A built-in scenario (default: 'default').")] = None,
    config: Annotated[str | None, typer.Option(
        "--config", metavar="FILE.toml", help="Read the game from a TOML file.")] = None,
    out: Annotated[str, typer.Option(
        "--out", metavar="DIR", help="Report directory (report.html and figures/).")] = "report",
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing report directory.")] = False,
    n: Annotated[int, typer.Option(
        "--n", metavar="N", help="Grid points per axis of the maps.")] = 160,
) -> None:
    """Write an HTML report: parameters and sources, regime, equilibria, gap, throttling, figures."""
    from routegame.report import write_report

    game = load_game(scenario, config)
    try:
        path = write_report(out, game, overwrite=overwrite, n=n)
    except ParameterError as exc:  # name the command-line option, not the Python argument
        if exc.field != "n":
            raise
        raise ParameterError("--n", exc.reason) from None
    print(f"report written to {path.resolve()}")
