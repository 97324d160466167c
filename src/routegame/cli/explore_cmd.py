"""``routegame explore``: the game in the browser, on a local server.

Usage::

    routegame explore [--scenario NAME | --config FILE.toml] [game flags] [--port N] [--host H] [--open]

Game flags (``--task-value V --penalty P --latency T1 T2 --cost C1 C2 --success-prob P1 P2``)
override single values of the scenario (default: ``default``); the pair flags only for two-model
games. The server listens on 127.0.0.1 (this machine only) unless ``--host`` names another
interface, which prints a warning. It prints the URL and opens no browser unless ``--open``.
Ctrl-C stops it. Needs the ``explore`` extra (``pip install 'routegame[explore]'``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from routegame.cli._app import app
from routegame.cli._common import handle_errors
from routegame.errors import ParameterError

__all__ = ["explore"]


@app.command("explore")
@handle_errors
def explore(
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", metavar="NAME", help="Start from a built-in scenario (default: 'default')."),
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", metavar="FILE.toml", help="Start from a game in a TOML file.")
    ] = None,
    task_value: Annotated[
        str | None, typer.Option("--task-value", metavar="V", help="Task value V > 0 (latency units).")
    ] = None,
    penalty: Annotated[
        str | None, typer.Option("--penalty", metavar="P", help="Churn penalty P >= 0 (cost units).")
    ] = None,
    latency: Annotated[
        tuple[str, str] | None, typer.Option("--latency", metavar="T1 T2", help="Latencies of M1 and M2 (> 0).")
    ] = None,
    cost: Annotated[
        tuple[str, str] | None, typer.Option("--cost", metavar="C1 C2", help="Costs of M1 and M2 (>= 0).")
    ] = None,
    success_prob: Annotated[
        tuple[str, str] | None,
        typer.Option("--success-prob", metavar="P1 P2", help="Success probabilities of M1 and M2, in (0, 1)."),
    ] = None,
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
        from routegame.explore._model import parse_number, scenario_game
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ParameterError(
            "explore", f"needs the 'explore' extra: pip install 'routegame[explore]' ({exc.name} is missing)"
        ) from None
    try:
        import dash  # noqa: F401
    except ImportError:
        raise ParameterError("explore", "needs the 'explore' extra: pip install 'routegame[explore]'") from None

    game, units, name = scenario_game(scenario, config)
    changes: dict[str, object] = {}
    if task_value is not None:
        changes["task_value"] = parse_number(task_value, "task_value")
    if penalty is not None:
        changes["penalty"] = parse_number(penalty, "penalty")
    for flag, field, pair in (
        ("--latency", "latency", latency),
        ("--cost", "cost", cost),
        ("--success-prob", "success_prob", success_prob),
    ):
        if pair is None:
            continue
        if game.num_models != 2:
            raise ParameterError(
                field,
                f"{flag} takes two values but {name} has {game.num_models} models; "
                "edit a copy of the TOML file instead",
            )
        changes[field] = [parse_number(v, field, f"{field}[{k + 1}]") for k, v in enumerate(pair)]
    if changes:
        game = game.replace(**changes)
        name = ""
    serve(state_from_game(game, units, name), host=host, port=port, open_browser=open_browser)
