"""Calibrated heterogeneous scenarios in the explorer: the real-data game beside the i.i.d. one.

A calibrated scenario (``routegame/scenarios/hetero/*.toml``, written by ``routegame calibrate``)
is a two-model game on a table of LiveCodeBench problems: each problem has its own success
probabilities, so a failure is evidence that the problem is hard. The explorer shows, side by
side,

* the **real-data equilibrium**: :meth:`routegame.hetero.HeteroGame.equilibrium` (strong
  tie-breaking) on the scenario's task table, and the user-preferred policy;
* the **i.i.d. equilibrium**: the paper's game with the table's mean success probabilities
  (every retry independent), solved by :func:`routegame.solve`; and what following the i.i.d.
  policy costs in the real data (the real user's best response to it);
* **bootstrap intervals** of both (problems resampled with replacement, the empirical-Bayes
  prior refitted, both games re-solved on each resample): exactly the resampling of
  :func:`routegame.hetero.realdata.bootstrap` (same generator, same order of draws), extended by
  the i.i.d. game of each resample. 95% percentile intervals and the median.

The bootstrap takes about a second per replicate, so the intervals of the shipped scenarios are
precomputed (``routegame/data/hetero_intervals.json``, read by
:func:`routegame.explore._hetero_intervals.load_intervals`, written by
``python -m routegame.explore._hetero``) and the point answers are cached per scenario; nothing
of this runs on a slider move.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from importlib import resources
from typing import Any

import attrs
import numpy as np

from routegame.errors import ParameterError
from routegame.params import GameParams

__all__ = [
    "REPLICATES",
    "SEED",
    "HeteroSide",
    "HeteroView",
    "bootstrap_both",
    "hetero_scenarios",
    "hetero_view",
    "iid_game",
    "is_hetero",
]

#: Bootstrap replicates and seed of the shipped intervals.
REPLICATES = 40
SEED = 0


def _folder() -> Any:
    return resources.files("routegame.scenarios").joinpath("hetero")


@functools.cache
def hetero_scenarios() -> tuple[tuple[str, str], ...]:
    """(name, description) of every shipped calibrated heterogeneous scenario."""
    import tomllib

    out = []
    for f in sorted(_folder().iterdir(), key=lambda x: x.name):
        if f.name.endswith(".toml"):
            d = tomllib.loads(f.read_text(encoding="utf-8"))
            out.append((str(d.get("name", f.name[:-5])), str(d.get("description", ""))))
    return tuple(out)


def is_hetero(name: str | None) -> bool:
    """Whether ``name`` is a shipped calibrated heterogeneous scenario."""
    return bool(name) and any(n == name for n, _ in hetero_scenarios())


def _pair_key(name: str) -> str:
    """The calibration pair of a scenario name (``routegame calibrate`` names them from it)."""
    from routegame.hetero.calibration import PAIRS

    for key in PAIRS:
        if "lcb-" + key.replace("/", "-vs-").replace(".", "") == name:
            return key
    raise ParameterError("scenario", f"no calibration pair for the heterogeneous scenario {name!r}")


@functools.cache
def _game(name: str) -> Any:
    from routegame.hetero.realdata import load_hetero_scenario

    if not is_hetero(name):
        known = ", ".join(n for n, _ in hetero_scenarios())
        raise ParameterError("scenario", f"unknown heterogeneous scenario {name!r}; known: {known}")
    return load_hetero_scenario(name)


def _models(name: str) -> tuple[str, str]:
    import tomllib

    d = tomllib.loads(_folder().joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    m = d["models"]
    return str(m[0]["name"]), str(m[1]["name"])


def _iid_params(task_value: float, penalty: float, latency: Any, cost: Any, mean: Any) -> GameParams:
    p = np.clip(np.asarray(mean, dtype=float), 1e-9, 1 - 1e-9)  # as routegame.hetero.realdata
    return GameParams.two_model(task_value, penalty, [float(x) for x in latency],
                                [float(x) for x in cost], [float(x) for x in p])


def iid_game(name: str) -> tuple[GameParams, dict[str, str], tuple[str, str]]:
    """The i.i.d. two-model game of a calibrated scenario (mean success probabilities), its
    units and the model names: what the page's fields show when the scenario is picked."""
    g = _game(name)
    models = _models(name)
    p = _iid_params(g.task_value, g.penalty, g.latency, g.cost, g.tasks.mean())
    params = GameParams.from_lists(p.task_value, p.penalty, list(p.latency), list(p.cost),
                                   list(p.success_prob), names=list(models))
    return params, {"latency": "s", "cost": "USD"}, models


@attrs.frozen
class HeteroSide:
    """One side of the comparison: a policy, the user's answer and the outcomes."""

    words: str
    route: int
    cascade: float
    abandon: float
    provider_cost: float
    user_utility: float
    success: float
    misalignment_gap: float
    cost_interval: tuple[float, float] | None = None  # 95% bootstrap interval of J
    utility_interval: tuple[float, float] | None = None
    gap_interval: tuple[float, float] | None = None
    policy_frequency: tuple[tuple[str, float], ...] = ()


@attrs.frozen
class HeteroView:
    """The side-by-side comparison of a calibrated scenario, ready to print."""

    name: str
    description: str
    pair: str
    models: tuple[str, str]
    task_value: float
    penalty: float
    user: str
    latency: tuple[float, float]
    cost: tuple[float, float]
    mean_success: tuple[float, float]
    data: HeteroSide
    iid: HeteroSide
    follow_iid_cost: float  # J in the real data when the provider follows the i.i.d. policy
    follow_iid_utility: float
    follow_iid_abandon: float
    replicates: int
    seed: int
    at_calibration: bool = True  # the game shown is the calibrated one (the intervals apply)
    calibrated: tuple[float, ...] = ()  # (V, P, t1, t2, c1, c2, mean p1, mean p2) of the scenario


def _words(route: int, s: float, q: float) -> str:
    from routegame.present.wording import policy_words, response_words

    return f"{policy_words(route, s, q)}; {response_words(q)}"


def _q(x: Any) -> float:
    a = np.asarray(x, dtype=float)
    return float(a) if a.ndim == 0 else float(a[0])


def _ci(x: list[float]) -> list[float]:
    """[2.5th percentile, median, 97.5th percentile] (as routegame.hetero.realdata.bootstrap)."""
    a = np.asarray(x)
    return [float(np.percentile(a, 2.5)), float(np.median(a)), float(np.percentile(a, 97.5))]


def bootstrap_both(
    name: str, replicates: int = REPLICATES, seed: int = SEED,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Bootstrap intervals of the real-data and the i.i.d. equilibrium of a calibrated scenario.

    The resamples are those of :func:`routegame.hetero.realdata.bootstrap` for the same seed, so
    the ``data`` part equals its answer; the ``iid`` part solves the i.i.d. game (the resample's
    mean success probabilities) on each resample.

    Returns
    -------
    dict
        ``{"pair", "task_value", "penalty", "user", "replicates", "seed", "data": {"J", "U",
        "gap", "policy_frequency"}, "iid": {"J", "U", "gap", "policy_frequency"}, "draws":
        {"data": {"J", "U", "gap"}, "iid": {...}}}``; each interval is [2.5th percentile,
        median, 97.5th percentile]; ``draws`` holds the value of every replicate, in order (so
        that a few replicates recomputed later can be checked against the shipped ones).
    """
    import routegame as rg
    from routegame.hetero.calibration import load_livecodebench
    from routegame.hetero.realdata import calibrated_game, policy_class

    g0 = _game(name)
    key = _pair_key(name)
    V, P, user = g0.task_value, g0.penalty, g0.user
    gen = np.random.default_rng(seed)
    lcb = load_livecodebench()
    n = len(lcb.problems)
    cols: dict[str, dict[str, list[Any]]] = {
        side: {"J": [], "U": [], "gap": [], "cls": []} for side in ("data", "iid")}
    for _ in range(replicates):
        rows = gen.integers(0, n, n)
        g = calibrated_game(key, V, P, user, lcb=lcb, rows=rows)
        eq, pref = g.equilibrium("strong"), g.user_preferred()
        d = cols["data"]
        d["J"].append(eq.provider_cost)
        d["U"].append(eq.user_utility)
        d["gap"].append(pref.user_utility - eq.user_utility)
        d["cls"].append(policy_class(eq.route, eq.cascade))
        res = rg.solve(_iid_params(V, P, g.latency, g.cost, g.tasks.mean()))
        i = cols["iid"]
        i["J"].append(float(res.equilibrium.provider_cost))
        i["U"].append(float(res.equilibrium.user_utility))
        i["gap"].append(float(res.misalignment_gap))
        i["cls"].append(policy_class(int(res.equilibrium.route), float(res.equilibrium.cascade)))
        if progress is not None:
            progress()
    out: dict[str, Any] = {"pair": key, "task_value": V, "penalty": P, "user": user,
                           "replicates": replicates, "seed": seed}
    out["draws"] = {side: {k: [float(x) for x in c[k]] for k in ("J", "U", "gap")}
                    for side, c in cols.items()}
    for side, c in cols.items():
        out[side] = {k: _ci(c[k]) for k in ("J", "U", "gap")}
        out[side]["policy_frequency"] = {k: c["cls"].count(k) / replicates for k in sorted(set(c["cls"]))}
    return out


def _intervals(name: str) -> dict[str, Any] | None:
    """The shipped intervals of ``name`` if they were computed for the scenario as it is."""
    from routegame.explore._hetero_intervals import INTERVALS

    rec = INTERVALS.get(name)
    g = _game(name)
    if rec is None or (rec["task_value"], rec["penalty"], rec["user"]) != (g.task_value, g.penalty, g.user):
        return None
    return rec


def _side(p: Any, gap: float, iv: dict[str, Any] | None) -> HeteroSide:
    route, s, q = int(np.asarray(p.route)), float(np.asarray(p.cascade)), _q(p.abandon)

    def pair(k: str) -> tuple[float, float] | None:
        return None if iv is None else (float(iv[k][0]), float(iv[k][2]))

    return HeteroSide(
        _words(route, s, q), route, s, q, float(np.asarray(p.provider_cost)),
        float(np.asarray(p.user_utility)), float(np.asarray(p.success)), float(gap),
        pair("J"), pair("U"), pair("gap"),
        () if iv is None else tuple((k, float(v)) for k, v in iv["policy_frequency"].items()),
    )


def hetero_view(name: str, game: GameParams | None = None) -> HeteroView:
    """The comparison of a shipped calibrated scenario, at its calibration or at ``game``.

    Without ``game`` (or with the scenario's own i.i.d. game) both sides are at the calibrated
    values and carry the shipped bootstrap intervals. With another two-model ``game`` (the
    fields moved), the real-data side is the scenario's task table with ``game``'s V, P, t and
    c, the i.i.d. side is ``game`` itself, and there are no intervals. Cached per game (the
    real-data equilibrium takes a few tenths of a second).

    Examples
    --------
    >>> v = hetero_view("lcb-gpt-4o-mini-vs-o3-mini")
    >>> v.data.route, v.iid.route, v.replicates, v.at_calibration
    (2, 1, 40, True)
    >>> moved = iid_game("lcb-gpt-4o-mini-vs-o3-mini")[0].replace(penalty=0.01)
    >>> w = hetero_view("lcb-gpt-4o-mini-vs-o3-mini", moved)
    >>> w.at_calibration, w.replicates, w.task_value, w.penalty
    (False, 0, 120.0, 0.01)
    """
    g = _game(name)
    if game is None:
        return _view(name, None)
    key = (game.task_value, game.penalty, *game.latency, *game.cost, *game.success_prob)
    base = _iid_params(g.task_value, g.penalty, g.latency, g.cost, g.tasks.mean())
    calib = (base.task_value, base.penalty, *base.latency, *base.cost, *base.success_prob)
    if game.num_models != 2 or tuple(float(x) for x in key) == tuple(float(x) for x in calib):
        return _view(name, None)
    return _view(name, tuple(float(x) for x in key))


@functools.lru_cache(maxsize=64)
def _view(name: str, at: tuple[float, ...] | None) -> HeteroView:
    import routegame as rg
    from routegame.hetero import HeteroGame, Policy

    g0 = _game(name)
    base = _iid_params(g0.task_value, g0.penalty, g0.latency, g0.cost, g0.tasks.mean())
    calibrated = (base.task_value, base.penalty, *base.latency, *base.cost, *base.success_prob)
    if at is None:
        g, params, rec = g0, base, _intervals(name)
    else:
        V, P, t1, t2, c1, c2, p1, p2 = at
        g = HeteroGame(g0.tasks, V, P, [t1, t2], [c1, c2], user=g0.user)
        params, rec = GameParams.two_model(V, P, [t1, t2], [c1, c2], [p1, p2]), None
    eq, pref = g.equilibrium("strong"), g.user_preferred()
    res = rg.solve(params)
    follow = g.best_response(Policy(int(res.equilibrium.route), float(res.equilibrium.cascade)))
    desc = dict(hetero_scenarios())[name]
    return HeteroView(
        name=name, description=desc, pair=_pair_key(name), models=_models(name),
        task_value=g.task_value, penalty=g.penalty, user=g.user,
        latency=(float(g.latency[0]), float(g.latency[1])), cost=(float(g.cost[0]), float(g.cost[1])),
        mean_success=tuple(float(x) for x in params.success_prob),  # type: ignore[arg-type]
        data=_side(eq, pref.user_utility - eq.user_utility, None if rec is None else rec["data"]),
        iid=_side(res.equilibrium, float(res.misalignment_gap), None if rec is None else rec["iid"]),
        follow_iid_cost=follow.provider_cost, follow_iid_utility=follow.user_utility,
        follow_iid_abandon=_q(follow.abandon),
        replicates=0 if rec is None else int(rec["replicates"]), seed=SEED if rec is None else int(rec["seed"]),
        at_calibration=at is None, calibrated=tuple(float(x) for x in calibrated),
    )


def _write(path: str) -> None:  # pragma: no cover - run by hand when a scenario changes
    import json

    recs = {}
    for name, _ in hetero_scenarios():
        print(f"{name}: {REPLICATES} replicates ...", file=sys.stderr, flush=True)
        recs[name] = bootstrap_both(name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(recs, indent=1, sort_keys=True, allow_nan=False) + "\n")


if __name__ == "__main__":  # pragma: no cover
    from pathlib import Path

    from routegame.explore._hetero_intervals import DATA_FILE

    _write(str(Path(__file__).parent.parent / "data" / DATA_FILE))
