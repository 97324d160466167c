r"""K-model games on task tables: exact outcomes and the stationary user's best response.

A policy is a start distribution pi (K,) and a cascade matrix R (K, K); the table holds
p_{t,k}(a) (schedules allowed). Outcomes are the weighted sums of per-task chains of
:func:`routegame.hetero.chain.chain_sums` (exact: a geometric tail after the schedule). The
stationary user's best response over q in [0, 1] uses the certified search of
:mod:`routegame.hetero.search` (zoom refinement; pass counts and S are nondecreasing in the
re-prompt probability, which gives the box bounds). The provider's optimum over all K-model
policies on a table is not implemented.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from routegame._types import FloatArray, IntArray
from routegame.errors import ParameterError
from routegame.hetero.chain import chain_sums, combine
from routegame.hetero.search import maximise
from routegame.hetero.tasks import TaskTable

__all__ = ["k_model_best_response", "k_model_outcomes"]


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
