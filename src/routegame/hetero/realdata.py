r"""The game on a calibrated pair, beside its i.i.d. idealisation, with bootstrap intervals.

For a pair (:data:`routegame.hetero.calibration.PAIRS`), V and P:

* the **data game**: the task table of :func:`~routegame.hetero.calibration.pair_table`, with
  per-pass latency and cost from Aider (:func:`routegame.calibrate.aider_model`);
* the **i.i.d. game**: the paper's game with the table's mean success probabilities, solved by
  the closed forms (:func:`routegame.closed_form.solve_arrays`);
* **following the i.i.d. answer**: the i.i.d. policy played in the data game against the real
  user's best response; its excess cost J(i.i.d. policy) / J* - 1;
* **static route, no cascade**: the best of (route 2) and (route 1, s = 0) in the data game;
  it survives when its cost is within 1e-9 (relative) of J*.

Bootstrap: problems are resampled with replacement (the empirical-Bayes prior is refitted on
each resample), the equilibrium is solved on each, and percentile intervals are reported for
J*, U*, the misalignment gap and the frequency with which each policy class is optimal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from routegame._types import FloatArray, RNGLike
from routegame.errors import ParameterError
from routegame.hetero.calibration import PAIRS, LiveCodeBench, load_livecodebench, pair_table
from routegame.hetero.engine import HeteroGame, Policy
from routegame.hetero.tasks import TaskTable

__all__ = ["bootstrap", "calibrated_game", "compare", "policy_class"]


def _pair(key: str) -> Any:
    if key not in PAIRS:
        raise ParameterError("pair", f"unknown pair {key!r}; known: {', '.join(PAIRS)}")
    return PAIRS[key]


def latency_cost(key: str) -> tuple[list[float], list[float]]:
    """(t_1, t_2) seconds and (c_1, c_2) USD per pass of a pair, from Aider."""
    from routegame.calibrate import aider_model

    pr = _pair(key)
    m1, m2 = aider_model(pr.aider_standard), aider_model(pr.aider_reasoning)
    return [m1.latency, m2.latency], [m1.cost, m2.cost]


def calibrated_game(
    key: str, task_value: float, penalty: float, user: str = "stationary", *,
    lcb: LiveCodeBench | None = None, kappa: float | None = None, rows: Any = None,
    table: TaskTable | None = None,
) -> HeteroGame:
    """The data game of a pair (see the module docstring).

    Examples
    --------
    >>> g = calibrated_game("gpt-4o-mini/o3-mini", 120, 0.1)
    >>> np.round(g.tasks.mean(), 3).tolist()
    [0.355, 0.753]
    """
    pr = _pair(key)
    if table is None:
        table = pair_table(lcb or load_livecodebench(), pr.standard, pr.reasoning, kappa=kappa,
                           rows=rows)
    t, c = latency_cost(key)
    return HeteroGame(table, task_value, penalty, t, c, user=user)


def policy_class(route: int, cascade: float) -> str:
    """'route 2', 'route 1, s = 0', 'route 1, s = 1' or 'route 1, 0 < s < 1'."""
    if route == 2:
        return "route 2"
    if cascade <= 1e-9:
        return "route 1, s = 0"
    if cascade >= 1 - 1e-9:
        return "route 1, s = 1"
    return "route 1, 0 < s < 1"


def compare(game: HeteroGame) -> dict[str, Any]:
    """Data optimum, i.i.d. prescription, the cost of following it, and static routes."""
    from routegame import closed_form as cf

    eq = game.equilibrium("strong")
    pref = game.user_preferred()
    m = game.tasks.mean()
    pm = np.clip(m, 1e-9, 1 - 1e-9)
    iid = cf.solve_arrays(game.task_value, game.penalty, game.latency, game.cost, pm)
    iid_route, iid_s = int(iid.route), float(iid.cascade)
    follow = game.best_response(Policy(iid_route, iid_s))
    statics = [game.best_response(Policy(2, 0.0)), game.best_response(Policy(1, 0.0))]
    best_static = min(statics, key=lambda p: p.provider_cost)
    tol = 1e-9 * max(1.0, abs(eq.provider_cost))
    return {
        "optimum": eq.to_dict() | {"class": policy_class(eq.route, eq.cascade)},
        "user_preferred": pref.to_dict(),
        "misalignment_gap": pref.user_utility - eq.user_utility,
        "iid": {
            "route": iid_route, "cascade": iid_s, "abandon": float(iid.abandon),
            "class": policy_class(iid_route, iid_s),
            "predicted_provider_cost": float(iid.provider_cost),
            "predicted_user_utility": float(iid.user_utility),
        },
        "follow_iid": follow.to_dict(),
        "follow_iid_excess": follow.provider_cost / eq.provider_cost - 1.0
        if eq.provider_cost > 0 else float("nan"),
        "iid_wrong_first_model": iid_route != eq.route,
        "iid_J_ratio": float(iid.provider_cost) / eq.provider_cost if eq.provider_cost > 0
        else float("nan"),
        "iid_U_error": float(iid.user_utility) - eq.user_utility,
        "static_route_survives": best_static.provider_cost <= eq.provider_cost + tol,
        "best_static": best_static.to_dict(),
        "cascade_saving": 1.0 - eq.provider_cost / best_static.provider_cost
        if best_static.provider_cost > 0 else 0.0,
    }


def bootstrap(
    key: str, task_value: float, penalty: float, user: str = "stationary", *,
    replicates: int = 40, rng: RNGLike = None, kappa: float | None = None,
    lcb: LiveCodeBench | None = None, progress: Any = None,
) -> dict[str, Any]:
    """Bootstrap over problems: percentile intervals and policy frequencies.

    Examples
    --------
    >>> out = bootstrap("gpt-4o-mini/o3-mini", 120, 0.1, replicates=2, rng=0)
    >>> sorted(out)
    ['J', 'U', 'gap', 'policy_frequency', 'replicates']
    """
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ParameterError("replicates", f"must be an integer >= 1, got {replicates!r}")
    gen = np.random.default_rng(rng)
    lcb = lcb or load_livecodebench()
    n = len(lcb.problems)
    J, U, gap, cls = [], [], [], []
    for _ in range(replicates):
        rows = gen.integers(0, n, n)
        g = calibrated_game(key, task_value, penalty, user, lcb=lcb, kappa=kappa, rows=rows)
        eq = g.equilibrium("strong")
        pref = g.user_preferred()
        J.append(eq.provider_cost)
        U.append(eq.user_utility)
        gap.append(pref.user_utility - eq.user_utility)
        cls.append(policy_class(eq.route, eq.cascade))
        if progress is not None:
            progress()

    def ci(x: list[float]) -> list[float]:
        a = np.asarray(x)
        return [float(np.percentile(a, 2.5)), float(np.median(a)), float(np.percentile(a, 97.5))]

    freq = {c: cls.count(c) / replicates for c in sorted(set(cls))}
    return {"replicates": replicates, "J": ci(J), "U": ci(U), "gap": ci(gap),
            "policy_frequency": freq}


def scenario_toml(key: str, task_value: float, penalty: float, user: str = "stationary",
                  kappa: float | None = None, lcb: LiveCodeBench | None = None) -> str:
    """A heterogeneous scenario (TOML text): the task table and the source of every number.

    Examples
    --------
    >>> text = scenario_toml("gpt-4o-mini/o3-mini", 120, 0.1)
    >>> import tomllib; d = tomllib.loads(text)
    >>> len(d["tasks"]["success_prob"]) == len(d["tasks"]["weight"]), d["user"]
    (True, 'stationary')
    """
    from routegame.calibrate import aider_model
    from routegame.hetero.calibration import LCB_FILE, default_kappa

    pr = _pair(key)
    lcb = lcb or load_livecodebench()
    kap = default_kappa(lcb) if kappa is None else float(kappa)
    table = pair_table(lcb, pr.standard, pr.reasoning, kappa=kap)
    m1, m2 = aider_model(pr.aider_standard), aider_model(pr.aider_reasoning)

    def f(x: float) -> str:
        return repr(float(x))

    rows = ",\n  ".join(f"[{f(a)}, {f(b)}]" for a, b in table.prob[:, :, 0])
    weights = ",\n  ".join(f(w) for w in table.weight)
    name = "lcb-" + key.replace("/", "-vs-").replace(".", "")
    lines = [
        f"# Heterogeneous scenario {name}: written by `routegame calibrate` (routegame.hetero).",
        "# Task table from LiveCodeBench per-problem results (empirical-Bayes posteriors, "
        "Gauss-Jacobi nodes),",
        "# per-pass latency and cost from the Aider polyglot leaderboard. [sources] names the "
        "origin of every number.",
        f'name = "{name}"',
        "version = 1",
        f'description = "{pr.standard} vs {pr.reasoning} on LiveCodeBench problems"',
        f"task_value = {f(task_value)}",
        f"penalty = {f(penalty)}",
        f'user = "{user}"',
        "",
        "[units]",
        'latency = "s"',
        'cost = "USD"',
        "",
    ]
    for m, lcb_name in ((m1, pr.standard), (m2, pr.reasoning)):
        lines += ["[[models]]", f'name = "{lcb_name}"', f"latency = {f(m.latency)}",
                  f"cost = {f(m.cost)}", ""]
    lines += ["[tasks]", f"success_prob = [\n  {rows}\n]", f"weight = [\n  {weights}\n]", "",
              "[sources]",
              f'data = "routegame/data/{LCB_FILE} (LiveCodeBench/livecodebench.github.io @ '
              '83b6481b4890c4951730f53bdde815b25e0f7f3a, CC BY-SA 4.0) and routegame/data/'
              'aider_polyglot_leaderboard.csv (Aider-AI/aider @ 5dc9490b, Apache-2.0)"',
              f'"tasks" = "routegame.hetero.calibration.pair_table: standard model {pr.standard}'
              ' (10 samples per problem): Beta posterior of a beta-binomial empirical-Bayes '
              f'prior; reasoning model {pr.reasoning} (1 sample per problem): Beta(kappa m_g + y,'
              ' kappa (1 - m_g) + 1 - y), m_g the mean of problems with the same standard-model '
              f'count; kappa = {kap:.6g}; 3 Gauss-Jacobi nodes per model and problem; identical '
              'rows merged"',
              f'"models[1].latency" = "Aider row {m1.name!r}: seconds_per_case / (2 - '
              'pass_rate_1/100)"',
              f'"models[1].cost" = "Aider row {m1.name!r}: total_cost / (test_cases (2 - '
              'pass_rate_1/100))"',
              f'"models[2].latency" = "Aider row {m2.name!r}: seconds_per_case / (2 - '
              'pass_rate_1/100)"',
              f'"models[2].cost" = "Aider row {m2.name!r}: total_cost / (test_cases (2 - '
              'pass_rate_1/100))"',
              '"task_value" = "assumption, not in the data (seconds of waiting a solved task is '
              'worth)"',
              '"penalty" = "assumption, not in the data (USD the provider loses when the user '
              'abandons)"', ""]
    return "\n".join(lines)


def load_hetero_scenario(name_or_path: str) -> HeteroGame:
    """A :class:`HeteroGame` from a heterogeneous scenario TOML (shipped name or file path).

    Examples
    --------
    >>> g = load_hetero_scenario("lcb-gpt-4o-mini-vs-o3-mini")
    >>> g.task_value, g.user, g.tasks.num_models
    (120.0, 'stationary', 2)
    """
    import tomllib
    from importlib import resources
    from pathlib import Path

    from routegame.errors import DataFormatError

    p = Path(name_or_path)
    if p.suffix == ".toml" and p.exists():
        text = p.read_text(encoding="utf-8")
    else:
        folder = resources.files("routegame.scenarios").joinpath("hetero")
        f = folder.joinpath(f"{name_or_path}.toml")
        if not f.is_file():
            known = sorted(x.name[:-5] for x in folder.iterdir() if x.name.endswith(".toml"))
            raise ParameterError("scenario", f"unknown heterogeneous scenario {name_or_path!r}; "
                                 f"known: {', '.join(known)}")
        text = f.read_text(encoding="utf-8")
    try:
        d = tomllib.loads(text)
        models = d["models"]
        tasks = d["tasks"]
        return HeteroGame(
            TaskTable.from_rows(tasks["success_prob"], tasks.get("weight"),
                                field="tasks.success_prob"),
            d["task_value"], d["penalty"], [m["latency"] for m in models],
            [m["cost"] for m in models], user=d.get("user", "stationary"))
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise DataFormatError("scenario", f"not a heterogeneous scenario: {exc}") from None


def recommendation_range(game: HeteroGame, n: int = 21) -> dict[str, Any]:
    """Where the recommended policy class holds: V in [V/4, 4V] at the game's P, and P in
    [P/10, 10 P] (or [1e-4, 1] when P = 0) at the game's V, from a (V, P) policy map.

    Returns the class at (V, P) and the contiguous V- and P-intervals around the game's values
    (grid resolution: ``n`` log-spaced points per axis) on which the map shows the same class.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 3 <= n <= 401:
        raise ParameterError("n", f"must be an integer in [3, 401], got {n!r}")
    V0, P0 = game.task_value, game.penalty
    Vs = np.unique(np.concatenate([np.geomspace(V0 / 4, V0 * 4, n), [V0]]))
    Ps = np.unique(np.concatenate([np.geomspace(P0 / 10, P0 * 10, n) if P0 > 0 else
                                   np.geomspace(1e-4, 1.0, n), [P0]]))
    m = game.policy_map(Vs, Ps)
    cls = np.vectorize(policy_class)(m["route"].astype(int), m["cascade"])
    i0 = int(np.flatnonzero(Vs == V0)[0])
    j0 = int(np.flatnonzero(Ps == P0)[0])
    target = cls[i0, j0]

    def interval(line: np.ndarray, k0: int, axis: FloatArray) -> list[float]:
        lo = k0
        while lo > 0 and line[lo - 1] == target:
            lo -= 1
        hi = k0
        while hi < line.size - 1 and line[hi + 1] == target:
            hi += 1
        return [float(axis[lo]), float(axis[hi])]

    return {"class": str(target), "task_value_range": interval(cls[:, j0], i0, Vs),
            "penalty_range": interval(cls[i0, :], j0, Ps),
            "note": "ends at the scanned bounds mean 'at least this far'"}
