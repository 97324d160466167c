"""``routegame report``: one self-contained HTML report of a game (two-model or K-model).

Usage::

    routegame report [GAME OPTIONS] [--out DIR] [--overwrite] [--n N]

The game: the shared options of every command (``--scenario``/``--config`` and the game flags
``--task-value --penalty --latency --cost --success-prob``; a flag overrides one value of the
scenario, e.g. ``--scenario default --latency 3 6``). Writes ``DIR/report.html`` (figures
embedded) and ``DIR/figures/*.png``; a new directory is built under a temporary name and renamed
into place. An existing ``DIR`` is refused unless ``--overwrite``, and even then only a previous
report directory (or an empty one) is updated, file by file: only the files a report writes are
replaced, anything else in ``DIR`` stays. Prints the path of the report. Bad input: one line
``error: ...`` on stderr, exit status 2.
"""

from __future__ import annotations

from typing import Annotated

import typer

from routegame.cli._app import app
from routegame.cli._common import (
    ConfigOpt,
    CostOpt,
    GameCommand,
    LatencyOpt,
    PenaltyOpt,
    ScenarioOpt,
    SuccessProbOpt,
    TaskValueOpt,
    handle_errors,
    resolve_game_scenario,
)
from routegame.errors import ParameterError

__all__ = ["report"]


@app.command("report", cls=GameCommand)
@handle_errors
def report(
    scenario: ScenarioOpt = None,
    config: ConfigOpt = None,
    task_value: TaskValueOpt = None,
    penalty: PenaltyOpt = None,
    latency: LatencyOpt = None,
    cost: CostOpt = None,
    success_prob: SuccessProbOpt = None,
    out: Annotated[str, typer.Option(
        "--out", metavar="DIR", help="Report directory (report.html and figures/).")] = "report",
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing report directory.")] = False,
    n: Annotated[int, typer.Option(
        "--n", metavar="N", help="Grid points per axis of the maps.")] = 160,
) -> None:
    """Write an HTML report: parameters and sources, regime, equilibria, gap, throttling, figures."""
    from routegame.cli.hetero_solve import hetero_source
    from routegame.report import write_report

    game: object
    if (hsrc := hetero_source(scenario, config)) is not None:  # a task table: the real-data page
        from routegame.hetero.scenarios import load_hetero

        given = [f for f, v in (("--task-value", task_value), ("--penalty", penalty),
                                ("--latency", latency), ("--cost", cost),
                                ("--success-prob", success_prob)) if v is not None]
        if given:
            raise ParameterError(given[0], "cannot override a heterogeneous scenario in a report; "
                                 "write one with routegame calibrate --out")
        game = load_hetero(hsrc)
    else:
        game = resolve_game_scenario(scenario=scenario, config=config, task_value=task_value,
                                     penalty=penalty, latency=latency, cost=cost,
                                     success_prob=success_prob)
    try:
        path = write_report(out, game, overwrite=overwrite, n=n)
    except ParameterError as exc:  # name the command-line option, not the Python argument
        if exc.field != "n":
            raise
        raise ParameterError("--n", exc.reason) from None
    print(f"report written to {path.resolve()}")
