"""``routegame explore``: the game in the browser, on a local server.

Usage::

    routegame explore [--scenario NAME | --config FILE.toml] [game flags] [--port N] [--host H] [--open]

The game flags are the shared ones of ``solve``, ``plot`` and ``sweep`` (:mod:`routegame.cli._common`:
``--task-value V --penalty P --latency T1 T2 ... --cost C1 C2 ... --success-prob P1 P2 ...``):
with all of them and no scenario they are the whole game (any number of models); otherwise they
override single values of the scenario (default: ``default``). ``--scenario`` also takes a
calibrated heterogeneous scenario (``lcb-...``): the page then shows its i.i.d. game and, beside
it, the real-data equilibrium with bootstrap intervals. The server listens on 127.0.0.1 (this
machine only) unless ``--host`` names another interface, which prints a warning. It prints the
URL and opens no browser unless ``--open``. Ctrl-C stops it. Needs the ``explore`` extra
(``pip install 'routegame[explore]'``).
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
    override_game,
    resolve_game_scenario,
)
from routegame.errors import ParameterError

__all__ = ["explore"]


@app.command("explore", cls=GameCommand)
@handle_errors
def explore(
    scenario: ScenarioOpt = None,
    config: ConfigOpt = None,
    task_value: TaskValueOpt = None,
    penalty: PenaltyOpt = None,
    latency: LatencyOpt = None,
    cost: CostOpt = None,
    success_prob: SuccessProbOpt = None,
    port: Annotated[
        int, typer.Option("--port", metavar="N", help="Port to listen on (0: any free port).")
    ] = 8050,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="H",
            help="Interface to listen on; anything but 127.0.0.1 exposes the app.",
        ),
    ] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a web browser.")] = False,
) -> None:
    """Explore a game in the browser: move a parameter, see the equilibrium move."""
    try:
        from routegame.explore import serve, state_from_game
        from routegame.explore._model import is_hetero, scenario_game
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ParameterError(
            "explore", f"needs the 'explore' extra: pip install 'routegame[explore]' ({exc.name} is missing)"
        ) from None
    try:
        import dash  # noqa: F401
    except ImportError:
        raise ParameterError("explore", "needs the 'explore' extra: pip install 'routegame[explore]'") from None

    flags = {"task_value": task_value, "penalty": penalty, "latency": latency, "cost": cost,
             "success_prob": success_prob}
    if scenario is not None and config is None and is_hetero(scenario):
        # a calibrated scenario: its i.i.d. game in the fields, the comparison stays at the calibration
        game, units, name = scenario_game(scenario)
        game = override_game(game, flags)
    else:
        try:
            sc = resolve_game_scenario(scenario=scenario, config=config, **flags)
        except ParameterError as exc:
            if exc.field != "scenario" or scenario is None:
                raise
            from routegame.explore._model import hetero_choices

            calibrated = ", ".join(n for n, _ in hetero_choices())
            raise ParameterError("scenario", f"{exc.reason}; calibrated: {calibrated}") from None
        game, units = sc.params, dict(sc.units)
        given = any(v is not None for v in flags.values())
        name = "" if given else sc.name
    serve(state_from_game(game, units, name), host=host, port=port, open_browser=open_browser)
