r"""K-model games on task tables: exact outcomes and the stationary user's best response.

A policy is a start distribution pi (K,) and a cascade matrix R (K, K); the table holds
p_{t,k}(a) (schedules allowed). Outcomes are the weighted sums of per-task chains of
:func:`routegame.hetero.chain.chain_sums` (exact: a geometric tail after the schedule). The
stationary user's best response over q in [0, 1] uses the certified search of
:mod:`routegame.hetero.search` (zoom refinement; pass counts and S are nondecreasing in the
re-prompt probability, which gives the box bounds). The provider's optimum over all K-model
policies on a table, :func:`k_model_optimum`, is the global search of
:mod:`routegame.hetero.allpolicies` (a lattice over the product of simplices, pattern
refinement, the certified response at the pick): the best found, not a certified minimum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from routegame._types import FloatArray, IntArray
from routegame.errors import ParameterError
from routegame.hetero.chain import chain_sums, combine
from routegame.hetero.search import maximise
from routegame.hetero.tasks import TaskTable

__all__ = ["k_model_best_response", "k_model_optimum", "k_model_outcomes"]


def _policy(start: Any, cascade: Any, K: int) -> tuple[FloatArray, FloatArray]:
    from routegame.general._policy import check_policy

    pi, R = check_policy(start, cascade, K)
    if pi.shape != (K,) or R.shape != (K, K):
        raise ParameterError("start", f"must be one policy: start ({K},), cascade ({K}, {K})")
    return pi, R


def k_model_outcomes(
    tasks: TaskTable, task_value: float, penalty: float, latency: Any, cost: Any,
    start: Any, cascade: Any, abandon: Any,
) -> dict[str, Any]:
    """S, L, C, U, J and passes of a K-model policy against q (scalar) or q_k (per model).

    Examples
    --------
    >>> tab = TaskTable.from_rows([[0.3, 0.6, 0.9], [0.1, 0.2, 0.5]])
    >>> out = k_model_outcomes(tab, 10, 5, [1, 2, 6], [1, 2, 5], [1, 0, 0],
    ...                        [[0, 1, 0], [0, 0, 1], [0, 0, 1]], 0.0)
    >>> round(out["success"], 12)
    1.0
    """
    K = tasks.num_models
    pi, R = _policy(start, cascade, K)
    q = np.broadcast_to(np.asarray(abandon, dtype=float), (K,))
    if not np.all((q >= 0) & (q <= 1)):
        raise ParameterError("abandon", "must be in [0, 1]")
    sums = chain_sums(tasks.prob, tasks.weight, pi[None], R[None], (1.0 - q)[None, :, None])
    o = combine(sums, task_value, penalty, np.asarray(latency, float), np.asarray(cost, float))
    return {"success": float(o.success[0]), "latency": float(o.latency[0]),
            "cost": float(o.cost[0]), "user_utility": float(o.user_utility[0]),
            "provider_cost": float(o.provider_cost[0]), "passes": o.passes[0].tolist()}


def k_model_best_response(
    tasks: TaskTable, task_value: float, penalty: float, latency: Any, cost: Any,
    start: Any, cascade: Any, tie_break: str = "strong",
) -> dict[str, Any]:
    """The stationary user's certified best response q* to a K-model policy on a table."""
    K = tasks.num_models
    pi, R = _policy(start, cascade, K)
    t = np.asarray(latency, float)
    c = np.asarray(cost, float)

    def sums(r: FloatArray) -> Any:
        m = r.shape[0]
        cont = np.repeat(r[:, None, :1], K, axis=1)
        return chain_sums(tasks.prob, tasks.weight, np.repeat(pi[None], m, 0),
                          np.repeat(R[None], m, 0), cont)

    def evalf(items: IntArray, r: FloatArray) -> tuple[FloatArray, FloatArray]:
        o = combine(sums(r), task_value, penalty, t, c)
        return o.user_utility, o.provider_cost

    def bounds(items: IntArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
        a = combine(sums(lo), task_value, penalty, t, c)
        b = sums(hi)
        return np.asarray(task_value * b.success - a.latency, dtype=np.float64)

    res = maximise(evalf, bounds, 1, 1, tie_break)
    r = float(res.cont[0, 0])
    out = k_model_outcomes(tasks, task_value, penalty, t, c, pi, R, 1.0 - r)
    out.update(abandon=1.0 - r, indifferent=bool(res.indifferent[0]),
               response_gap=float(res.gap[0]))
    return out


def k_model_optimum(
    tasks: TaskTable, task_value: float, penalty: float, latency: Any, cost: Any,
    user: str = "stationary", tie_break: str = "strong", objective: str = "provider",
    hazard: Any = (1.0,), lattice: int | None = None,
) -> dict[str, Any]:
    """The provider's optimum (or the user-preferred policy) over all K-model policies on a table.

    Parameters
    ----------
    tasks : TaskTable
        K columns (schedules allowed).
    task_value, penalty, latency, cost
        V, P, (t_k), (c_k).
    user : {"stationary", "hazard"}
        The stationary user best-responds (certified search); the hazard user abandons with the
        given probability ``hazard[a-1]`` after the a-th failure.
    tie_break : {"strong", "weak"}
    objective : {"provider", "user"}
        Minimise J or maximise U.
    lattice : int, optional
        m, the simplex lattice step 1/m (default: the largest m with at most 2500 policies;
        K = 3: m = 2 (1296 policies), K = 2: m = 8).

    Returns
    -------
    dict
        ``start`` (K,), ``cascade`` (K, K), ``route`` (1-based first model of a pure start,
        None if mixed), ``abandon``, ``provider_cost``, ``user_utility``, ``success``,
        ``passes``, ``response_gap`` (certified), ``indifferent``, ``attained``, ``lattice``,
        ``evaluations``, ``refine_step``.

    Examples
    --------
    >>> tab = TaskTable.from_rows([[0.3, 0.6, 0.9], [0.1, 0.2, 0.5]])
    >>> best = k_model_optimum(tab, 10, 5, [1, 2, 6], [1, 2, 5])
    >>> static = min(k_model_best_response(tab, 10, 5, [1, 2, 6], [1, 2, 5], np.eye(3)[k],
    ...                                    np.eye(3))["provider_cost"] for k in range(3))
    >>> bool(best["provider_cost"] <= static + 1e-12)
    True
    """
    from routegame.hetero.allpolicies import global_search, k_model_responder
    from routegame.params import check_scalar, check_tie_break

    V = check_scalar(task_value, "task_value")
    P = check_scalar(penalty, "penalty")
    K = tasks.num_models
    t = np.asarray(latency, dtype=float)
    c = np.asarray(cost, dtype=float)
    for arr, name in ((t, "latency"), (c, "cost")):
        if arr.shape != (K,):
            raise ParameterError(name, f"must have {K} entries (one per model), got {arr.size}")
        for x in arr:
            check_scalar(float(x), name)
    h = np.asarray(hazard, dtype=float).ravel()
    if h.size < 1 or not np.all((h >= 0) & (h <= 1)):
        raise ParameterError("hazard", "must be a list of abandon probabilities in [0, 1]")
    tb = check_tie_break(tie_break)
    resp = k_model_responder(tasks.prob, tasks.weight, V, P, t, c, user, tuple(h), tb)
    opt = global_search(resp, K, objective, lattice)
    e = opt.point
    pi = e.start[0]
    pure = np.flatnonzero(pi == 1.0)
    q = [float(x) for x in e.abandon[0]]
    return {
        "start": pi.tolist(), "cascade": e.cascade[0].tolist(),
        "route": int(pure[0]) + 1 if pure.size else None,
        "abandon": q[0] if len(q) == 1 else q,
        "provider_cost": float(e.provider_cost[0]), "user_utility": float(e.user_utility[0]),
        "success": float(e.success[0]), "passes": e.passes[0].tolist(),
        "response_gap": float(e.gap[0]), "indifferent": bool(e.indifferent[0]),
        "attained": bool(opt.attained), "lattice": opt.lattice,
        "evaluations": int(opt.evaluations), "refine_step": opt.step,
    }
