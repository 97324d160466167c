"""``routegame calibrate``: the game of a real model pair, with uncertainty.

Usage::

    routegame calibrate [--pair KEY] [--task-value V] [--penalty P] [--user USER]
                        [--bootstrap B] [--seed S] [--kappa K] [--range N]
                        [--out FILE.toml] [--overwrite] [--json] [--list]

Builds the task table of a standard/reasoning pair from LiveCodeBench (empirical-Bayes
posteriors per problem, the reasoning model's prior conditioned on the partner's result) with
per-pass latency and cost from Aider, checks it against the data's own statistics, solves the
game exactly on the table beside the i.i.d. game with the mean success probabilities, and
(``--bootstrap B``) gives 95% intervals by resampling problems; ``--range N`` scans an N x N
(V, P) map for where the recommended policy class holds. ``--out`` writes a scenario TOML
with the task table and the source of every number. Bad input: one line ``error: ...`` on
stderr, exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from routegame.cli._app import app
from routegame.cli._common import handle_errors
from routegame.errors import ParameterError
from routegame.io import atomic_write, check_output_path

__all__ = ["calibrate"]


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


@app.command("calibrate")
@handle_errors
def calibrate(
    pair: Annotated[str, typer.Option(
        "--pair", metavar="KEY", help="Standard/reasoning pair (see --list).")] =
        "gpt-4o-mini/o3-mini",
    task_value: Annotated[float, typer.Option(
        "--task-value", metavar="V", help="Value of a solved task, seconds of waiting.")] = 120.0,
    penalty: Annotated[float, typer.Option(
        "--penalty", metavar="P", help="Provider's loss when the user abandons, USD.")] = 0.1,
    user: Annotated[str, typer.Option(
        "--user", metavar="USER", help="stationary | state-aware | bayes.")] = "stationary",
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", metavar="B", help="Bootstrap replicates over problems (0: none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", metavar="S", help="Bootstrap seed.")] = 0,
    kappa: Annotated[float | None, typer.Option(
        "--kappa", metavar="K", help="Prior strength of one-sample models (default: fitted).")]
        = None,
    scan: Annotated[int, typer.Option(
        "--range", metavar="N", help="Scan N x N (V, P) points for where the recommendation "
        "holds (0: skip).")] = 0,
    out: Annotated[str | None, typer.Option(
        "--out", metavar="FILE.toml", help="Write the calibrated scenario here.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    list_pairs: Annotated[bool, typer.Option("--list", help="List the pairs and exit.")] = False,
) -> None:
    """Calibrate a real model pair: exact data game vs i.i.d. game, with bootstrap intervals."""
    from routegame.hetero.calibration import PAIRS, data_statistics, load_livecodebench, table_statistics
    from routegame.hetero.realdata import bootstrap as run_bootstrap
    from routegame.hetero.realdata import calibrated_game, compare, scenario_toml
    from routegame.params import check_scalar

    if list_pairs:
        for key, pr in PAIRS.items():
            print(f"{key}: {pr.standard} / {pr.reasoning} (Aider: {pr.aider_standard} / "
                  f"{pr.aider_reasoning})")
        return
    if pair not in PAIRS:
        raise ParameterError("--pair", f"unknown pair {pair!r}; known: {', '.join(PAIRS)}")
    check_scalar(task_value, "task_value", "--task-value")
    check_scalar(penalty, "penalty", "--penalty")
    if user not in ("stationary", "state-aware", "bayes"):
        raise ParameterError("--user", f"must be stationary, state-aware or bayes, got {user!r}")
    if bootstrap < 0 or bootstrap > 10_000:
        raise ParameterError("--bootstrap", f"must be in [0, 10000], got {bootstrap}")
    if scan != 0 and not 3 <= scan <= 401:
        raise ParameterError("--range", f"must be 0 or in [3, 401], got {scan}")
    if scan and user not in ("stationary", "state-aware"):
        raise ParameterError("--range", "needs a stationary or state-aware user")
    if kappa is not None and not kappa > 0:
        raise ParameterError("--kappa", f"must be > 0, got {kappa}")
    if out is not None:
        if not out.lower().endswith(".toml"):
            raise ParameterError("--out", f"must end in .toml (a scenario file that solve, "
                                 f"report, sweep and plot read with --config), got {out!r}")
        check_output_path(out, overwrite, "--out")
    lcb = load_livecodebench()
    pr = PAIRS[pair]
    game = calibrated_game(pair, task_value, penalty, user, lcb=lcb, kappa=kappa)
    stats = data_statistics(lcb)
    model = table_statistics(game.tasks)
    checks = {
        "mean_1": (stats["livecodebench"][pr.standard]["mean"], model["mean_1"]),
        "mean_2": (stats["livecodebench"][pr.reasoning]["mean"], model["mean_2"]),
        "blind_retry_1": (stats["livecodebench"][pr.standard]["blind_retry"],
                          model["blind_retry_1"]),
        "m2_given_m1_failed": (stats["pairs"][pair]["m2_given_m1_failed"],
                               model["m2_given_m1_failed"]),
    }
    result: dict[str, Any] = {"pair": pair, "task_value": task_value, "penalty": penalty,
                              "user": user, "latency": list(game.latency),
                              "cost": list(game.cost), "checks": checks}
    result.update(compare(game))
    if scan:
        from routegame.hetero.realdata import recommendation_range

        result["recommendation_range"] = recommendation_range(game, scan)
    if bootstrap:
        progress = None
        if not as_json:
            from rich.progress import Progress

            prog = Progress(transient=True)
            task = prog.add_task("bootstrap", total=bootstrap)
            prog.start()

            def progress() -> None:
                prog.advance(task)

        try:
            result["bootstrap"] = run_bootstrap(pair, task_value, penalty, user,
                                                replicates=bootstrap, rng=seed, kappa=kappa,
                                                lcb=lcb, progress=progress)
        finally:
            if not as_json:
                prog.stop()
    if out is not None:
        text = scenario_toml(pair, task_value, penalty, user, kappa, lcb)
        with atomic_write(out, overwrite=overwrite, field="--out") as tmp:
            tmp.write_text(text, encoding="utf-8")
        result["written"] = out
    if as_json:
        print(json.dumps(result, default=float))
        return
    print(f"pair {pair}: {pr.standard} / {pr.reasoning}; V = {task_value:g} s, "
          f"P = {penalty:g} USD, {user} user")
    print(f"t = {_fmt(game.latency[0])}, {_fmt(game.latency[1])} s/pass; "
          f"c = {_fmt(game.cost[0])}, {_fmt(game.cost[1])} USD/pass (Aider)")
    print("checks (data vs calibrated table):")
    for k, (d, m) in checks.items():
        print(f"  {k:20s} data {d:.4f}  table {m:.4f}")
    opt, iid = result["optimum"], result["iid"]
    print(f"data optimum : {_policy_text(opt)}, abandon "
          f"{opt['abandon']}, J* = {_fmt(opt['provider_cost'])}, U* = {_fmt(opt['user_utility'])}")
    print(f"i.i.d. answer: {_policy_text(iid)}, predicts J = "
          f"{_fmt(iid['predicted_provider_cost'])}, U = {_fmt(iid['predicted_user_utility'])}")
    print(f"following the i.i.d. answer costs {100 * result['follow_iid_excess']:.1f}% more "
          f"than the data optimum")
    print(f"static route, no cascade survives: {'yes' if result['static_route_survives'] else 'no'}"
          f"; misalignment gap {_fmt(result['misalignment_gap'])}")
    if "recommendation_range" in result:
        rr = result["recommendation_range"]
        print(f"'{rr['class']}' holds for V in [{_fmt(rr['task_value_range'][0])}, "
              f"{_fmt(rr['task_value_range'][1])}] s at this P and for P in "
              f"[{_fmt(rr['penalty_range'][0])}, {_fmt(rr['penalty_range'][1])}] USD at this V "
              "(scan bounds: V/4..4V, P/10..10P)")
    if "bootstrap" in result:
        b = result["bootstrap"]
        print(f"bootstrap ({b['replicates']} replicates, 95%): J* in [{_fmt(b['J'][0])}, "
              f"{_fmt(b['J'][2])}], U* in [{_fmt(b['U'][0])}, {_fmt(b['U'][2])}], gap in "
              f"[{_fmt(b['gap'][0])}, {_fmt(b['gap'][2])}]")
        for k, v in b["policy_frequency"].items():
            print(f"  P(optimal = {k}) = {v:.2f}")
    if out is not None:
        print(f"scenario written to {out}")


def _policy_text(d: dict[str, Any]) -> str:
    """The policy class, with the cascade s when the class text does not already give it."""
    cls = str(d["class"])
    return cls if "s =" in cls or "route 2" in cls else f"{cls} (s = {_fmt(d['cascade'])})"
