"""``routegame simulate``: Monte Carlo episodes of a game under a policy, next to the exact values.

The game: the shared options (``--scenario``/``--config`` and the game flags, any number of
models). The policy: the paper's ``--route I --cascade S`` (for K > 2 embedded in the K-model
game: other models keep the task), or any K-model policy
``--policy '{"start": [...], "cascade": [[...]]}'`` (the batch format). The user:
``--abandon best`` (default) is the user's exact best response to that policy (the stationary
user, or with ``--user state-aware`` one q per model), from :mod:`routegame.general`; or a
given q, or one per model (``0.5,0.1``).

Episodes are streamed in blocks of :data:`routegame.simulate.BLOCK` (bounded memory, whatever
``--episodes``; a progress bar on long runs), optionally on a cluster (``--scheduler``); the
same ``--seed`` gives the same result on any scheduler. The exact values come from the
absorbing Markov chain (``routegame.markov.chain.chain_outcomes``).

A heterogeneous scenario (a shipped ``--scenario lcb-...`` or a ``--config`` file with a
``[tasks]`` table, as ``routegame calibrate --out`` writes) is simulated on its task table:
each episode draws a task (in proportion to the weights) and keeps it for all its passes, with
the task's per-attempt schedule when the table has one. The policy is the given one or the
equilibrium of the heterogeneous engine for the user (``--user``, default the scenario's); the
exact values are that engine's (``routegame.hetero``: the weighted sum of per-task chains).
The simulator's users are the stationary and the state-aware one; with the scenario's hazard
or Bayes user give ``--user`` or a numeric ``--abandon``. The game flags override V, P,
latencies and costs (the success probabilities are the table's).
"""

from __future__ import annotations

import json
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
    check_output_path,
    handle_errors,
    resolve_game_scenario,
)
from routegame.errors import ParameterError

__all__ = ["parse_policy", "simulate_command"]

_SUFFIXES = (".csv", ".parquet", ".pq")
# simulate()'s parameter names -> this command's options, for error messages
_OPTION = {
    "n_episodes": "--episodes",
    "max_passes": "--max-passes",
    "confidence": "--confidence",
    "abandon": "--abandon",
    "rng": "--seed",
    "start": "--policy",
    "cascade": "--policy",
}


def _parse_abandon(text: str, num_models: int) -> float | list[float]:
    """``"0.2"`` -> 0.2; ``"0.5,0.1"`` -> one q per model (K entries)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ParameterError(
            "--abandon", f"must be 'best', a number in [0, 1] or {num_models} comma-separated "
            f"numbers, got {text!r}"
        ) from None
    if len(values) == 1:
        return values[0]
    if len(values) != num_models:
        raise ParameterError(
            "--abandon", f"must have 1 or {num_models} comma-separated values, got {len(values)}"
        )
    return values


def parse_policy(text: str, num_models: int) -> tuple[Any, Any]:
    """``--policy '{"start": [...], "cascade": [[...]]}'`` -> (start, cascade).

    Examples
    --------
    >>> parse_policy('{"start": [1, 0], "cascade": [[0.5, 0.5], [0, 1]]}', 2)
    ([1, 0], [[0.5, 0.5], [0, 1]])
    >>> parse_policy('{"start": [1, 0]}', 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: --policy: must be {"start": [K numbers], "cascade": ...} for 2 models
    """
    from routegame.io import parse_line

    usage = (f'must be {{"start": [K numbers], "cascade": [K lists of K numbers]}} for '
             f"{num_models} models")
    try:
        policy = parse_line(text, 1)
    except ParameterError as exc:
        raise ParameterError("--policy", f"{usage}; {exc.reason}") from None
    if not isinstance(policy, dict) or set(policy) != {"start", "cascade"}:
        raise ParameterError("--policy", usage)
    return policy["start"], policy["cascade"]


def _best_response(params: Any, start: Any, R: Any, user: str) -> float | list[float]:
    from routegame.general import state_aware_best_response, stationary_best_response

    if user == "stationary":
        return float(stationary_best_response(params, start, R).abandon)
    if user == "state-aware":
        return [float(q) for q in state_aware_best_response(params, start, R).abandon]
    raise ParameterError("--user", f"must be 'stationary' or 'state-aware', got {user!r}")


def _equilibrium_policy(params: Any, user: str) -> tuple[Any, Any, str]:
    """(start, R, label) of the provider's Stackelberg policy (strong tie-breaking)."""
    from routegame.engines import solve
    from routegame.markov.chain import two_model_policy

    if user not in ("stationary", "state-aware"):
        raise ParameterError("--user", f"must be 'stationary' or 'state-aware', got {user!r}")
    eq = solve(params, user=user if params.num_models > 2 or user != "stationary" else None).equilibrium
    if eq.start is None:  # the two-model closed form: route and scalar cascade s
        route, cascade = int(eq.route), float(eq.cascade)
        start, R = two_model_policy(route, cascade, num_models=params.num_models)
        return start, R, f"the equilibrium policy: route {route}, cascade {cascade:.6g}"
    start, R = eq.start.tolist(), eq.cascade.tolist()
    return start, R, f"the equilibrium policy: start {[round(float(x), 6) for x in start]}"


def _fmt(x: float) -> str:
    from routegame.present.wording import fmt_value

    return fmt_value(x)  # the one number formatter of the CLI tables and the report


@app.command("simulate", cls=GameCommand)
@handle_errors
def simulate_command(
    scenario: ScenarioOpt = None,
    config: ConfigOpt = None,
    task_value: TaskValueOpt = None,
    penalty: PenaltyOpt = None,
    latency: LatencyOpt = None,
    cost: CostOpt = None,
    success_prob: SuccessProbOpt = None,
    route: Annotated[int | None, typer.Option(
        "--route", help="Model of the first pass (1-based), the paper's policy. Without "
        "--route, --cascade or --policy the provider's equilibrium policy is simulated.")] = None,
    cascade: Annotated[float | None, typer.Option(
        "--cascade", help="s: P(re-prompt after an M1 failure goes to M2), the paper's policy.",
    )] = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", metavar="JSON",
        help='A K-model policy {"start": [...], "cascade": [[...]]} (instead of --route/'
        '--cascade).')] = None,
    abandon: Annotated[str, typer.Option(
        "--abandon", metavar="best|Q|Q1,Q2,...",
        help="q after a failure: 'best' (the user's best response to the policy), one number, "
        "or one per model.")] = "best",
    user: Annotated[str | None, typer.Option(
        "--user", metavar="stationary|state-aware",
        help="Whose best response --abandon best is (default stationary; on a heterogeneous "
        "scenario, the scenario's user).", show_default=False)] = None,
    episodes: Annotated[int, typer.Option("--episodes", help="Number of episodes.")] = 100_000,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Random seed (printed when not given).")] = None,
    max_passes: Annotated[int, typer.Option(
        "--max-passes", help="Cap on the passes of one episode.")] = 10_000,
    confidence: Annotated[float, typer.Option(
        "--confidence", help="Level of the intervals.")] = 0.95,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDR",
        help="Run the blocks of episodes on a dask.distributed cluster (tcp://host:8786) or "
        "'threads'.")] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Progress bar on stderr (default: on a terminal, "
        "for more than one block).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write one row per episode (.csv or .parquet).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
) -> None:
    """Simulate episodes and print estimate ± CI next to the exact Markov-chain value."""
    import numpy as np

    from routegame.markov.chain import chain_outcomes, two_model_policy

    if out is not None:
        if out.suffix.lower() not in _SUFFIXES:
            raise ParameterError("--out", f"must end in .csv, .parquet or .pq, got {str(out)!r}")
        check_output_path(out, overwrite)
    if seed is not None and seed < 0:
        raise ParameterError("--seed", f"must be an integer >= 0, got {seed}")
    from routegame.cli.hetero_solve import hetero_source

    source = hetero_source(scenario, config)
    if source is not None:
        flags = {"task_value": task_value, "penalty": penalty, "latency": latency, "cost": cost,
                 "success_prob": success_prob}
        _simulate_hetero(source, flags, route, cascade, policy, abandon, user, episodes, seed,
                         max_passes, confidence, scheduler, progress, out, overwrite)
        return
    user = "stationary" if user is None else user
    sc = resolve_game_scenario(scenario=scenario, config=config, task_value=task_value,
                               penalty=penalty, latency=latency, cost=cost,
                               success_prob=success_prob)
    params = sc.params
    K = params.num_models
    if policy is not None:
        if route is not None or cascade is not None:
            raise ParameterError("--policy", "give either --policy or --route/--cascade")
        start, R = parse_policy(policy, K)
        label = f"policy {policy}"
    elif route is None and cascade is None:  # the provider's optimum against this user
        start, R, label = _equilibrium_policy(params, user)
    else:
        route, cascade = (1 if route is None else route), (0.0 if cascade is None else cascade)
        try:  # two_model_policy checks the route and cascade (routegame.model.policy)
            start, R = two_model_policy(route, cascade, num_models=K)
        except ParameterError as exc:
            raise ParameterError(f"--{exc.field}", exc.reason) from None
        label = f"route {route}, cascade {cascade:g}"
    try:
        q = (_best_response(params, start, R, user) if abandon.strip() == "best"
             else _parse_abandon(abandon, K))
    except ParameterError as exc:
        raise ParameterError(_OPTION.get(exc.field, exc.field), exc.reason) from None
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    try:
        summary = _run(params, start, R, q, episodes, seed, max_passes, confidence, scheduler,
                       progress, out, overwrite)
    except ParameterError as exc:
        raise ParameterError(_OPTION.get(exc.field, exc.field), exc.reason) from None
    exact: Any = chain_outcomes(params.task_value, params.penalty, params.latency, params.cost,
                                params.success_prob, start, R, q,
                                per_model=isinstance(q, list))
    _print(sc.name, label, abandon, q, seed, summary, summary.compare(exact), confidence, out)


def _run(params: Any, start: Any, R: Any, q: Any, episodes: int, seed: int, max_passes: int,
         confidence: float, scheduler: str | None, progress: bool | None, out: Path | None,
         overwrite: bool, **kwargs: Any) -> Any:
    """The summary of the streamed episodes (and, with ``out``, the episodes written);
    ``kwargs`` (``tasks``) go to the simulator."""
    from routegame.simulate import simulate_blocks, simulate_summary
    from routegame.simulate.stream import summarize

    if out is None:
        return simulate_summary(params, start, R, q, episodes, seed, confidence=confidence,
                                max_passes=max_passes, scheduler=scheduler, progress=progress,
                                **kwargs)
    if scheduler is not None:
        raise ParameterError("--scheduler", "cannot be combined with --out (episodes are "
                             "written here, block by block)")
    from routegame import io

    seen: list[Any] = []

    def rows() -> Any:
        for ep in simulate_blocks(params, start, R, q, episodes, seed, max_passes=max_passes,
                                  **kwargs):
            seen.append(summarize(ep))
            yield ep.to_columns()

    io.write_table(rows(), out, overwrite=overwrite, field="--out")
    from routegame.simulate.stream import merge

    return merge(seen).summary(confidence, tuple(params.names))


def _hetero_params(game: Any, flags: dict[str, Any], names: Any) -> Any:
    """The two-model game of a heterogeneous scenario (success probabilities: the table's
    first-attempt means), with the game flags applied."""
    import numpy as np

    from routegame.cli._common import override_game
    from routegame.params import GameParams

    if flags.get("success_prob") is not None:
        raise ParameterError("--success-prob", "a heterogeneous scenario has a task table; "
                             "edit its [tasks] instead")
    m = np.clip(game.tasks.mean(), 1e-12, 1.0 - 1e-12)
    params = GameParams.from_lists(float(game.task_value), float(game.penalty),
                                   [float(x) for x in game.latency], [float(x) for x in game.cost],
                                   [float(x) for x in m], names=list(names))
    return override_game(params, flags)


def _simulate_hetero(source: str, flags: dict[str, Any], route: int | None,
                     cascade: float | None, policy: str | None, abandon: str, user: str | None,
                     episodes: int, seed: int | None, max_passes: int, confidence: float,
                     scheduler: str | None, progress: bool | None, out: Path | None,
                     overwrite: bool) -> None:
    """``routegame simulate`` on a heterogeneous scenario: episodes on its task table, beside
    the heterogeneous engine's exact values."""
    import numpy as np

    from routegame.engines import solve
    from routegame.hetero.protocol import HeteroEngine
    from routegame.hetero.scenarios import load_hetero
    from routegame.markov.chain import two_model_policy
    from routegame.simulate import TaskDistribution

    sc = load_hetero(source)
    game = sc.game
    params = _hetero_params(game, flags, sc.model_names)
    who = game.user if user is None else user
    if who not in ("stationary", "state-aware", "hazard", "bayes"):
        raise ParameterError("--user", f"must be 'stationary' or 'state-aware', got {who!r}")
    engine = HeteroEngine(game.tasks, who)
    if policy is not None:
        if route is not None or cascade is not None:
            raise ParameterError("--policy", "give either --policy or --route/--cascade")
        start, R = parse_policy(policy, 2)
        label = f"policy {policy}"
    elif route is None and cascade is None:
        eq = solve(params, engine=engine).equilibrium
        route_, s = int(eq.route), float(eq.cascade)
        start, R = two_model_policy(route_, s)
        label = f"the equilibrium policy ({who} user): route {route_}, cascade {s:.6g}"
    else:
        route_, s = (1 if route is None else route), (0.0 if cascade is None else cascade)
        try:
            start, R = two_model_policy(route_, s)
        except ParameterError as exc:
            raise ParameterError(f"--{exc.field}", exc.reason) from None
        label = f"route {route_}, cascade {s:g}"
    if abandon.strip() == "best":
        if who not in ("stationary", "state-aware"):
            whose = "the scenario's user is" if user is None else "got"
            raise ParameterError("--user", f"--abandon best simulates the 'stationary' or "
                                 f"'state-aware' user; {whose} {who!r} (give one of those, or a "
                                 f"numeric --abandon)")
        best = engine.best_response(params, start, R).abandon
        q: Any = (float(best) if isinstance(best, float | int)
                  else [float(x) for x in best])
    else:
        q = _parse_abandon(abandon, 2)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    table = game.tasks
    prob = table.prob[:, :, 0] if table.num_attempts == 1 else table.prob
    tasks = TaskDistribution.empirical(prob, weight=table.weight)
    try:
        summary = _run(params, start, R, q, episodes, seed, max_passes, confidence, scheduler,
                       progress, out, overwrite, tasks=tasks)
    except ParameterError as exc:
        raise ParameterError(_OPTION.get(exc.field, exc.field), exc.reason) from None
    exact = engine.outcomes(params, start, R, q)
    name = (f"{sc.name} ({table.num_tasks} tasks"
            + (f", schedules of {table.num_attempts} attempts" if table.num_attempts > 1 else "")
            + ")")
    _print(name, label, abandon, q, seed, summary, summary.compare(exact), confidence, out)


def _print(name: str, label: str, abandon: str, q: Any, seed: int, summary: Any,
           comparison: Any, confidence: float, out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    shown = json.dumps(q) if abandon.strip() == "best" else abandon
    pct = f"{100 * confidence:g}%"
    table = Table(
        title=f"routegame simulate: {name}, {label}, abandon {shown}"
        + (" (best response)" if abandon.strip() == "best" else ""),
        caption=(
            f"{summary.n_episodes:,} episodes, seed {seed}: {summary.n_solved:,} solved, "
            f"{summary.n_abandoned:,} abandoned, {summary.n_truncated:,} truncated"
            + (" (truncated episodes bias the estimates)" if summary.n_truncated else "")
        ),
    )
    table.add_column("quantity")
    table.add_column("estimate", justify="right")
    table.add_column(f"± {pct} CI", justify="right")
    table.add_column("exact", justify="right")
    table.add_column("z", justify="right")
    names = summary.model_names
    for (_, est), row in zip(summary.items(), comparison.rows, strict=True):
        label_ = row.quantity
        if label_.startswith("passes["):
            k = int(label_[7:-1])
            label_ = f"passes on {k} ({names[k - 1]})" if names else label_
        table.add_row(label_, _fmt(est.mean), _fmt(est.ci_high - est.mean), _fmt(row.exact),
                      f"{row.z_score:.2f}")
    console = Console()
    console.print(table)
    if out is not None:
        console.print(f"wrote {summary.n_episodes:,} episodes to {out}")
