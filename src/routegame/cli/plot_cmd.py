"""``routegame plot KIND``: render one figure of a two-model game to PNG, SVG or PDF.

Usage::

    routegame plot regime-map [--scenario NAME | --config FILE.toml] [--out FILE.png|.svg|.pdf]
                              [--x AXIS --y AXIS] [--x-range LO HI] [--y-range LO HI] [--n N]
                              [--tie-break strong|weak] [--dpi DPI] [--overwrite]

Kinds: ``regime-map``, ``best-response-curves``, ``policy-map``, ``misalignment-map``,
``throttling-map``, ``decision-guideline`` (underscores are accepted too). The axes options are
for the four maps only; axis names are those of :data:`routegame.plot.AXES`. The default output
is ``KIND.png`` in the current directory. The file is written atomically and an existing file
is refused unless ``--overwrite``. Bad input: one line ``error: ...`` on stderr, exit status 2.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
    atomic_write,
    check_output_path,
    handle_errors,
    resolve_game_scenario,
)
from routegame.errors import ParameterError

__all__ = ["plot"]

_MAPS = ("regime-map", "policy-map", "misalignment-map", "throttling-map")


class TieBreakOption(StrEnum):
    """Values of ``--tie-break``."""

    strong = "strong"
    weak = "weak"


def _kind(kind: str) -> str:
    from routegame.plot import FIGURES

    k = kind.strip().lower().replace("_", "-")
    if k not in FIGURES:
        raise ParameterError("KIND", f"must be one of {', '.join(FIGURES)}, got {kind!r}")
    return k


def partner_axis(kind: str, given: str) -> str:
    """The other axis of a map when only one is given on the command line.

    Examples
    --------
    >>> partner_axis("regime-map", "latency_2"), partner_axis("regime-map", "penalty")
    ('latency_1', 'latency_2')
    """
    clash = {"latency_2": "latency_ratio", "latency_ratio": "latency_2",
             "cost_2": "cost_ratio", "cost_ratio": "cost_2"}
    ignored = ("penalty", "cost_1", "cost_2", "cost_ratio")  # the regime does not depend on them
    for other in ("latency_2", "latency_1", "task_value", "penalty"):
        if other == given or clash.get(given) == other:
            continue
        if kind == "regime-map" and given in ignored and other in ignored:
            continue
        return other
    return "task_value"  # pragma: no cover


def two_model_view(sc: Any, models: str | None) -> Any:
    """The scenario itself (two models) or the two-model game of models ``I,J`` of it.

    Examples
    --------
    >>> from routegame.scenarios import load_scenario
    >>> two_model_view(load_scenario("aider-openai-3-tier"), "1,3").params.num_models
    2
    """
    import attrs

    from routegame.params import GameParams

    k = sc.params.num_models
    if models is None:
        if k != 2:
            raise ParameterError(
                "--models", f"the figures are of two-model games and {sc.name} has {k} models; "
                f"pick two with --models I,J (1 to {k})")
        return sc
    parts = models.replace(" ", ",").split(",")
    try:
        i, j = (int(v) for v in parts if v)
    except ValueError:
        raise ParameterError("--models", f"must be two model numbers I,J, got {models!r}") from None
    if not (1 <= i <= k and 1 <= j <= k and i != j):
        raise ParameterError("--models", f"must be two different numbers in 1..{k}, got {models!r}")
    g = sc.params
    sub = GameParams(task_value=g.task_value, penalty=g.penalty,
                     models=(g.models[i - 1], g.models[j - 1]))
    return attrs.evolve(sc, params=sub, name=f"{sc.name} (models {i} and {j})")


def _hetero_figure(kind: str, source: str, config: str | None, models: str | None,
                   map_opts: dict[str, Any], n: int | None, tie_break: str,
                   flags: dict[str, Any]) -> Any:
    """The figure of a heterogeneous scenario: the policy map, data beside i.i.d.
    (:func:`routegame.hetero.figures.policy_map_figure`); other kinds are refused."""
    from routegame.hetero.figures import policy_map_figure
    from routegame.hetero.scenarios import load_hetero

    label = "--config" if config is not None else "--scenario"
    if kind != "policy-map":
        raise ParameterError(
            "KIND", f"{kind} is a figure of the i.i.d. theory; for a heterogeneous scenario "
            f"({label} {source}) draw 'policy-map' (the data's optimal policy beside the "
            "i.i.d. one) or write 'routegame report'")
    given = [f for f, v in flags.items() if v is not None]
    if given:
        raise ParameterError(given[0], "not available with a heterogeneous scenario in plot "
                             "(the map spans V and P; edit the file for t and c)")
    if models is not None:
        raise ParameterError("--models", "a heterogeneous scenario has two models")
    if tie_break != "strong":
        raise ParameterError("--tie-break", "the heterogeneous policy map uses strong "
                             "tie-breaking")
    x, y = map_opts.get("--x"), map_opts.get("--y")
    if (x, y) not in ((None, None), ("task_value", "penalty")):
        raise ParameterError("--x", "the heterogeneous policy map is over --x task_value "
                             f"--y penalty, got {x} and {y}")
    try:
        return policy_map_figure(load_hetero(source), n=60 if n is None else n,
                                 x_range=map_opts.get("--x-range"),
                                 y_range=map_opts.get("--y-range"))
    except ParameterError as exc:
        field = {"n": "--n", "x_range": "--x-range", "y_range": "--y-range",
                 "user": label}.get(str(exc.field), exc.field)
        raise ParameterError(field, exc.reason) from None


@app.command("plot", cls=GameCommand)
@handle_errors
def plot(
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="regime-map, best-response-curves, policy-map, misalignment-map, "
        "throttling-map or decision-guideline.", show_default=False)],
    scenario: ScenarioOpt = None,
    config: ConfigOpt = None,
    task_value: TaskValueOpt = None,
    penalty: PenaltyOpt = None,
    latency: LatencyOpt = None,
    cost: CostOpt = None,
    success_prob: SuccessProbOpt = None,
    models: Annotated[str | None, typer.Option(
        "--models", metavar="I,J", help="For a game of more than two models: the two models "
        "(1-based) whose two-model game is drawn.")] = None,
    out: Annotated[str | None, typer.Option(
        "--out", metavar="FILE.png|.svg|.pdf", help="Output file (default: KIND.png).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing output file.")] = False,
    x: Annotated[str | None, typer.Option(
        "--x", metavar="AXIS", help="Horizontal axis of a map (e.g. task_value, latency_1, "
        "cost_ratio).")] = None,
    y: Annotated[str | None, typer.Option(
        "--y", metavar="AXIS", help="Vertical axis of a map.")] = None,
    x_range: Annotated[tuple[float, float] | None, typer.Option(
        "--x-range", metavar="LO HI", help="Range of the horizontal axis.")] = None,
    y_range: Annotated[tuple[float, float] | None, typer.Option(
        "--y-range", metavar="LO HI", help="Range of the vertical axis.")] = None,
    n: Annotated[int | None, typer.Option(
        "--n", metavar="N", help="Grid points per axis (maps; default 200) or along s "
        "(best-response-curves).")] = None,
    tie_break: Annotated[TieBreakOption, typer.Option(
        "--tie-break", help="Stackelberg tie-breaking convention.")] = TieBreakOption.strong,
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of PNG output.")] = 150,
) -> None:
    """Draw one figure of a two-model game (the scenario's point is marked).

    A heterogeneous scenario (--scenario lcb-..., or --config of a calibrate file) has one
    figure, policy-map: the optimal policy over task value and penalty on the data beside the
    i.i.d. one (default --n 60); the other kinds are i.i.d. figures and are refused.
    """
    from routegame.plot import FIGURES, save_figure  # figures never touch pyplot's backends

    k = _kind(kind)
    target = Path(out) if out is not None else Path(f"{k}.png")
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise ParameterError("--out", f"must end in .png, .svg or .pdf, got {str(target)!r}")
    if not 10 <= dpi <= 1200:
        raise ParameterError("--dpi", f"must be in [10, 1200], got {dpi}")
    kwargs: dict[str, Any] = {}
    map_opts = {"--x": x, "--y": y, "--x-range": x_range, "--y-range": y_range}
    if k in _MAPS:
        if (x is None) != (y is None):  # one axis given: pick the other so the plane is valid
            if x is not None:
                map_opts["--y"] = partner_axis(k, x)
            else:
                map_opts["--x"] = partner_axis(k, str(y))
        for opt, val in map_opts.items():
            if val is not None:
                kwargs[opt[2:].replace("-", "_")] = val
        if n is not None:
            kwargs["n"] = n
    else:
        given = [opt for opt, val in map_opts.items() if val is not None]
        if given:
            raise ParameterError(given[0], f"only for the maps ({', '.join(_MAPS)}), not {k}")
        if n is not None:
            if k != "best-response-curves":
                raise ParameterError("--n", f"not used by {k}")
            kwargs["n"] = n
    if k != "regime-map":
        kwargs["tie_break"] = tie_break.value
    elif tie_break is not TieBreakOption.strong:
        raise ParameterError("--tie-break", "not used by regime-map")
    check_output_path(target, overwrite)  # fail before the work, not after
    from routegame.cli.hetero_solve import hetero_source

    if (hsrc := hetero_source(scenario, config)) is not None:  # a task table
        fig = _hetero_figure(k, hsrc, config, models, map_opts, n, tie_break.value,
                             {"--task-value": task_value, "--penalty": penalty,
                              "--latency": latency, "--cost": cost,
                              "--success-prob": success_prob})
        with atomic_write(target, overwrite=overwrite) as tmp:
            save_figure(fig, tmp, dpi=dpi, fmt=suffix[1:])
        print(f"wrote {target}")
        return
    game = two_model_view(resolve_game_scenario(
        scenario=scenario, config=config, task_value=task_value, penalty=penalty,
        latency=latency, cost=cost, success_prob=success_prob), models)
    try:
        fig = FIGURES[k](game, **kwargs)
    except ParameterError as exc:  # name the command-line option, not the Python argument
        source = "--config" if config is not None else "--scenario"
        field = {"x": "--x", "y": "--y", "x_range": "--x-range", "y_range": "--y-range",
                 "n": "--n", "tie_break": "--tie-break", "params": source}.get(exc.field)
        if field is None:
            raise
        raise ParameterError(field, exc.reason) from None
    with atomic_write(target, overwrite=overwrite) as tmp:
        save_figure(fig, tmp, dpi=dpi, fmt=suffix[1:])
    print(f"wrote {target}")
