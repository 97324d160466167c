"""``routegame sweep``: solve the two-model game over a parameter grid and write it to a file.

Usage::

    routegame sweep SWEEP.toml --out OUT.zarr|OUT.nc|OUT.parquet|OUT.csv
    routegame sweep --scenario NAME --grid penalty=0:50:101 --grid cost_ratio=1,2,4 --out OUT
    options: --overwrite | --resume, --chunks N (or dim=N,dim=N), --scheduler ADDR,
             --tie-break strong|weak, --progress/--no-progress

The sweep file is described in :func:`routegame.sweep.load_sweep_file`; flags override it
(``--scenario`` replaces its base game, ``--grid`` adds or replaces an axis). Without a file or
``--scenario`` the base game is the ``default`` scenario.

Exit status: 0 on success; 2 on bad input (one line ``error: <field>: <what is allowed>``).
"""

from __future__ import annotations

import math
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
    handle_errors,
    override_game,
    resolve_game_scenario,
)
from routegame.errors import ParameterError, RouteGameError
from routegame.io import resolve_scenario

__all__ = ["parse_chunks", "parse_grid", "sweep_command"]


def parse_grid(text: str) -> tuple[str, Any]:
    """Parse one ``--grid`` value: ``NAME=START:STOP:NUM[:log]`` or ``NAME=V1,V2,...``.

    Examples
    --------
    >>> name, values = parse_grid("penalty=0:10:3")
    >>> name, values.tolist()
    ('penalty', [0.0, 5.0, 10.0])
    >>> parse_grid("cost_ratio=1,2,4")
    ('cost_ratio', [1.0, 2.0, 4.0])
    >>> parse_grid("penalty=0:10")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: --grid penalty: must be START:STOP:NUM[:log] or ..., got '0:10'
    """
    from routegame.sweep import AXES, linear_or_log_grid

    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ParameterError(
            "--grid", f"must be NAME=START:STOP:NUM or NAME=V1,V2,..., got {text!r}"
        )
    if name not in AXES:
        raise ParameterError(f"--grid {name}", f"unknown sweep axis; allowed: {', '.join(AXES)}")
    field = f"--grid {name}"
    spec = spec.strip()
    usage = f"must be START:STOP:NUM[:log] or V1,V2,..., got {spec!r}"
    if ":" in spec:
        parts = [s.strip() for s in spec.split(":")]
        log = len(parts) == 4 and parts[3] == "log"
        if len(parts) not in (3, 4) or (len(parts) == 4 and not log):
            raise ParameterError(field, usage)
        try:
            start, stop = float(parts[0]), float(parts[1])
        except ValueError:
            raise ParameterError(field, f"START and STOP must be numbers, got {spec!r}") from None
        try:
            num_f = float(parts[2])
        except ValueError:
            num_f = math.nan
        if not (math.isfinite(num_f) and num_f == int(num_f) and num_f >= 1):
            raise ParameterError(field, f"NUM must be an integer >= 1, got {parts[2]!r}")
        num = int(num_f)
        try:
            return name, linear_or_log_grid(name, start, stop, num, log)
        except ParameterError as exc:
            raise ParameterError(field, exc.reason) from None
    if not spec:
        raise ParameterError(field, "grid is empty; give at least one value")
    values = []
    for item in spec.split(","):
        try:
            values.append(float(item))
        except ValueError:
            raise ParameterError(
                field, f"values must be numbers (V1,V2,...), got {item.strip()!r}"
            ) from None
    return name, values


def parse_chunks(text: str) -> int | dict[str, int]:
    """Parse ``--chunks``: ``N`` (every dimension) or ``dim=N,dim=N``.

    Examples
    --------
    >>> parse_chunks("100"), parse_chunks("penalty=10, cost_ratio=5")
    (100, {'penalty': 10, 'cost_ratio': 5})
    """
    text = text.strip()
    usage = f"must be a positive integer N or DIM=N,DIM=N, got {text!r}"
    if "=" not in text:
        try:
            n = int(text)
        except ValueError:
            raise ParameterError("--chunks", usage) from None
        if n < 1:
            raise ParameterError("--chunks", usage)
        return n
    out: dict[str, int] = {}
    for item in text.split(","):
        dim, _, size = item.partition("=")
        try:
            out[dim.strip()] = int(size)
        except ValueError:
            raise ParameterError("--chunks", usage) from None
    return out


_CLI_WORDS = (("overwrite=True", "--overwrite"), ("resume=True", "--resume"))
_CLI_FIELDS = {"out": "--out", "store": "--out", "resume": "--resume", "chunks": "--chunks",
               "scheduler": "--scheduler", "grid": "--grid", "base": "--scenario",
               "method": "--method", "user": "--user"}


def cli_error(exc: RouteGameError) -> RouteGameError:
    """The same error in the words of the command line (``overwrite=True`` -> ``--overwrite``).

    Examples
    --------
    >>> str(cli_error(ParameterError("out", "x.zarr exists; pass overwrite=True to replace it")))
    '--out: x.zarr exists; pass --overwrite to replace it'
    """
    field = getattr(exc, "field", None)
    reason = getattr(exc, "reason", None)
    if field is None or reason is None:
        return exc
    for api, cli in _CLI_WORDS:
        reason = reason.replace(api, cli)
    if field in _CLI_FIELDS:
        field = _CLI_FIELDS[field]
    elif field.split(".")[0] in AXES_SET() and not field.startswith("--"):
        field = f"--grid {field}"
    out = type(exc)(field, reason)
    return out


def AXES_SET() -> frozenset[str]:  # noqa: N802 - a constant, computed lazily
    from routegame.sweep import AXES

    return frozenset(AXES)


@app.command("sweep", cls=GameCommand)
@handle_errors
def sweep_command(
    sweep_file: Annotated[Path | None, typer.Argument(
        metavar="SWEEP.toml",
        help="Sweep file (TOML): scenario and/or a base table, a grid table, chunks, tie_break.",
        show_default=False)] = None,
    scenario: ScenarioOpt = None,
    config: ConfigOpt = None,
    task_value: TaskValueOpt = None,
    penalty: PenaltyOpt = None,
    latency: LatencyOpt = None,
    cost: CostOpt = None,
    success_prob: SuccessProbOpt = None,
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", metavar="NAME=SPEC",
        help="Swept axis (repeatable), SPEC = START:STOP:NUM (linspace; append :log for "
        "geomspace) or V1,V2,... NAME: task_value, penalty, latency_1, latency_2, cost_1, "
        "cost_2, success_prob_1, success_prob_2, cost_ratio (c2 = ratio c1), latency_ratio "
        "(t2 = ratio t1).")] = None,
    out: Annotated[str | None, typer.Option(
        "--out", metavar="FILE",
        help="Output: .zarr (Zarr store), .nc (netCDF), or a flat table .parquet/.csv (one "
        "row per grid point).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing output (or an unfinished one).")] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue an interrupted sweep to the same output: only the missing "
        "chunks are solved. A different sweep is refused.")] = False,
    chunks: Annotated[str | None, typer.Option(
        "--chunks", metavar="N|DIM=N,...",
        help="Chunk size along every dimension (or per dimension); runs on dask.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDR",
        help="dask.distributed scheduler address (tcp://host:8786), or threads|processes|"
        "synchronous.")] = None,
    tie_break: Annotated[str | None, typer.Option(
        "--tie-break", metavar="strong|weak",
        help="Tie-breaking convention of the equilibrium (default strong).")] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Progress bar on stderr (default: on a terminal).",
        show_default=False)] = None,
    method: Annotated[str | None, typer.Option(
        "--method", metavar="auto|map|exact",
        help="Heterogeneous scenarios (a task table): map (policy map over task_value and "
        "penalty, s-grid precision, no weak optimum) or exact (the answers of solve at every "
        "point, ~0.5 s each); auto picks map when it applies.")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", metavar="stationary|state-aware|hazard|bayes",
        help="Heterogeneous scenarios: the user (default: the scenario's).")] = None,
) -> None:
    """Solve the two-model game over a grid of parameters and write the result to a file.

    Give the axes in a sweep file or with --grid; the other parameters stay at the base game
    (the sweep file's, or --scenario/--config, with the game flags overriding single values).
    """
    flags = {"task_value": task_value, "penalty": penalty, "latency": latency, "cost": cost,
             "success_prob": success_prob}
    try:
        from routegame.cli.hetero_solve import hetero_source

        if sweep_file is None and (hsrc := hetero_source(scenario, config)) is not None:
            _sweep_hetero(hsrc, flags, grid, out, overwrite, resume, chunks, scheduler,
                          tie_break, method, user)
            return
        if method is not None or user is not None:
            raise ParameterError("--method" if method is not None else "--user",
                                 "only for a heterogeneous scenario (a task table)")
        _sweep(sweep_file, scenario, config, flags, grid, out,
               overwrite, resume, chunks, scheduler, tie_break, progress)
    except RouteGameError as exc:
        raise cli_error(exc) from None


def _sweep_hetero(source: str, flags: dict[str, Any], grid: list[str] | None, out: str | None,
                  overwrite: bool, resume: bool, chunks: str | None, scheduler: str | None,
                  tie_break: str | None, method: str | None, user: str | None) -> None:
    """``sweep`` of a heterogeneous scenario (:mod:`routegame.sweep.hetero`)."""
    import attrs

    from routegame.cli.hetero_solve import _pair, _scalar
    from routegame.hetero.scenarios import load_hetero
    from routegame.sweep.hetero import hetero_sweep_to_file, refuse_options

    if out is None:
        raise ParameterError("--out", "missing; give --out OUT.zarr|OUT.nc|OUT.parquet|OUT.csv")
    refuse_options(chunks=chunks, scheduler=scheduler, resume=resume)
    if flags.get("success_prob") is not None:
        raise ParameterError("--success-prob", "a heterogeneous scenario has a task table; "
                             "edit its [tasks] instead")
    sc = load_hetero(source)
    g = sc.game
    g = attrs.evolve(
        g, task_value=_scalar(flags.get("task_value"), "task_value", "--task-value",
                              g.task_value),
        penalty=_scalar(flags.get("penalty"), "penalty", "--penalty", g.penalty),
        latency=_pair(flags.get("latency"), "latency", g.latency),
        cost=_pair(flags.get("cost"), "cost", g.cost))
    sc = attrs.evolve(sc, game=g)
    axes: dict[str, Any] = {}
    for text in grid or []:
        name, values = parse_grid(text)
        axes.pop(name, None)
        axes[name] = values
    if not axes:
        raise ParameterError("--grid", "missing; give at least one axis (--grid NAME=START:STOP:NUM)")
    tb = tie_break or "strong"
    if tb not in ("strong", "weak"):
        raise ParameterError("--tie-break", f"must be 'strong' or 'weak', got {tb!r}")
    report = hetero_sweep_to_file(sc, out, axes, tie_break=tb, method=method or "auto",
                                  user=user, overwrite=overwrite)
    dims = " x ".join(f"{d} ({n})" for d, n in zip(report.dims, report.shape, strict=True))
    print(f"wrote {report.points:,} heterogeneous games ({sc.name}) over {dims} to "
          f"{report.path} in {report.seconds:.1f} s")


def _sweep(sweep_file: Path | None, scenario: str | None, config: str | None,
           flags: dict[str, Any], grid: list[str] | None, out: str | None, overwrite: bool,
           resume: bool, chunks: str | None, scheduler: str | None, tie_break: str | None,
           progress: bool | None) -> None:
    from routegame.sweep import load_sweep_file, sweep_to_file

    if out is None:
        raise ParameterError("--out", "missing; give --out OUT.zarr|OUT.nc|OUT.parquet|OUT.csv")
    spec: dict[str, Any] = {"base": None, "grid": {}, "chunks": None, "tie_break": None}
    if sweep_file is not None:
        spec = load_sweep_file(sweep_file)
    if scenario is not None or config is not None or spec["base"] is None:
        spec["base"] = resolve_game_scenario(scenario=scenario, config=config, **flags)
    elif any(v is not None for v in flags.values()):  # the flags override the file's base game
        import attrs

        base = resolve_scenario(spec["base"])
        spec["base"] = attrs.evolve(base, params=override_game(base.params, flags))
    for text in grid or []:
        name, values = parse_grid(text)
        spec["grid"].pop(name, None)
        spec["grid"][name] = values
    if not spec["grid"]:
        raise ParameterError(
            "--grid", "missing; give at least one axis (--grid NAME=START:STOP:NUM or a sweep file)"
        )
    if chunks is not None:
        spec["chunks"] = parse_chunks(chunks)
    tb = tie_break if tie_break is not None else (spec["tie_break"] or "strong")
    if tb not in ("strong", "weak"):
        raise ParameterError("--tie-break", f"must be 'strong' or 'weak', got {tb!r}")
    report = sweep_to_file(
        spec["base"],
        out,
        grid=spec["grid"],
        chunks=spec["chunks"],
        scheduler=scheduler,
        tie_break=tb,
        progress=progress,
        overwrite=overwrite,
        resume=resume,
    )
    dims = " x ".join(f"{d} ({n})" for d, n in zip(report.dims, report.shape, strict=True))
    if report.chunks_total and report.chunks_solved < report.chunks_total:
        done = f"; solved {report.chunks_solved} of {report.chunks_total} chunks (resumed)"
    elif report.chunks_total == 0:
        done = "; already complete, nothing solved"
    else:
        done = f"; {report.chunks_total} chunk{'s' if report.chunks_total != 1 else ''}"
    print(f"wrote {report.points:,} games over {dims} to {report.path}{done} "
          f"in {report.seconds:.1f} s")
