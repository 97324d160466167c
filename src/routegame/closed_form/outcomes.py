r"""Closed-form outcomes of the two-model game (spec section 3).

Let r = 1 - q be the probability that the user re-prompts after a failure, and write
a = (1 - p_1)(1 - s) r (a pass on M1 is followed by another pass on M1) and b = (1 - p_2) r
(a pass on M2 is followed by another pass on M2). Counting passes gives, for route 1,

    E[N_1] = 1 / (1 - a),        E[N_2] = (1 - p_1) s r / ((1 - a)(1 - b)),

and for route 2, E[N_1] = 0 and E[N_2] = 1 / (1 - b). Every outcome is linear in the expected
passes:  S = p_1 E[N_1] + p_2 E[N_2],  L = t·E[N],  C = c·E[N],  and therefore

    U = V S - L = ξ_1 E[N_1] + ξ_2 E[N_2],           ξ_i = V p_i - t_i,
    J = C + P (1 - S) = P + w_1 E[N_1] + w_2 E[N_2],  w_i = c_i - P p_i.

Numerically, 1 - a = q + r (p_1 + (1 - p_1) s) and 1 - b = q + r p_2 (no cancellation when
p_i is tiny), and J is evaluated as C + P A with A = q ((1 - p_1) E[N_1] + (1 - p_2) E[N_2]) the
probability of abandonment (no cancellation when P is huge): every term is non-negative.

The same weighted-pass form ``w·E[N]`` is used for the user's utility and the provider's cost,
which is why one maximisation kernel serves both (see :mod:`routegame.closed_form.user`).
All functions broadcast like ufuncs over numpy arrays of parameters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from routegame._types import ArrayLike, FloatArray
from routegame.model.params import broadcast_fields, check_array, check_game_arrays
from routegame.model.policy import check_routes

__all__ = ["Outcomes", "abandon_probability", "expected_passes", "outcomes"]


class Outcomes(NamedTuple):
    """Expected outcomes of one task under a policy and an abandon probability."""

    success: FloatArray
    latency: FloatArray
    cost: FloatArray
    user_utility: FloatArray
    provider_cost: FloatArray
    passes: FloatArray  #: expected passes on (M1, M2), last axis of length 2


def expected_passes(
    p1: ArrayLike, p2: ArrayLike, route: ArrayLike, cascade: ArrayLike, abandon: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Expected number of passes on M1 and on M2.

    Parameters
    ----------
    p1, p2 : array_like
        Success probabilities of one pass, in (0, 1).
    route : array_like of int
        1 or 2, the model serving the first pass.
    cascade : array_like
        s in [0, 1], probability that a re-prompt after an M1 failure goes to M2.
    abandon : array_like
        q in [0, 1], probability that the user abandons after a failure.

    Returns
    -------
    n1, n2 : ndarray
        E[N_1], E[N_2], broadcast to a common shape.

    Examples
    --------
    >>> n1, n2 = expected_passes(0.5, 0.8, 1, 0.0, 0.0)   # stay on M1 until success
    >>> float(n1), float(n2)
    (2.0, 0.0)
    >>> n1, n2 = expected_passes(0.5, 0.8, 1, 1.0, 0.0)   # one M1 pass, then M2 until success
    >>> float(n1), float(n2)
    (1.0, 0.625)
    """
    a1 = check_array(p1, "success_prob", "p1")
    a2 = check_array(p2, "success_prob", "p2")
    r_ = check_routes(route)
    s = check_array(cascade, "cascade")
    q = check_array(abandon, "abandon")
    broadcast_fields(("p1", a1.shape), ("p2", a2.shape), ("route", r_.shape),
                     ("cascade", s.shape), ("abandon", q.shape))
    return _expected_passes(a1, a2, r_, s, q)


def _expected_passes(
    p1: ArrayLike, p2: ArrayLike, route: ArrayLike, cascade: ArrayLike, abandon: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """:func:`expected_passes` without validation (the solvers' kernel)."""
    p1 = np.asarray(p1, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    s = np.asarray(cascade, dtype=float)
    q = np.asarray(abandon, dtype=float)
    r = 1.0 - q
    on1 = np.asarray(route) == 1
    # 1 - a and 1 - b as sums of non-negative terms: exact even when p_i is below 1e-16
    one_minus_a = q + r * (p1 + (1.0 - p1) * s)
    one_minus_b = q + r * p2
    with np.errstate(divide="ignore"):
        inv_b = 1.0 / one_minus_b
        n1_route1 = 1.0 / one_minus_a
    n1 = np.where(on1, n1_route1, 0.0)
    n2 = np.where(on1, (1.0 - p1) * s * r * n1_route1 * inv_b, inv_b)
    return n1, n2


def abandon_probability(
    p1: ArrayLike, p2: ArrayLike, n1: ArrayLike, n2: ArrayLike, abandon: ArrayLike
) -> FloatArray:
    """A = q ((1 - p_1) E[N_1] + (1 - p_2) E[N_2]): the probability that the user abandons.

    S = 1 - A, but A is computed from non-negative terms, so J = C + P A keeps every digit
    even when the penalty P is many orders of magnitude above the costs.
    """
    p1 = np.asarray(p1, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    return np.asarray(abandon, dtype=float) * ((1.0 - p1) * np.asarray(n1) + (1.0 - p2) * np.asarray(n2))


def outcomes(
    task_value: ArrayLike,
    penalty: ArrayLike,
    latency: ArrayLike,
    cost: ArrayLike,
    success_prob: ArrayLike,
    route: ArrayLike,
    cascade: ArrayLike,
    abandon: ArrayLike,
) -> Outcomes:
    """S, L, C, U and J of a policy (route, cascade) against an abandon probability.

    Parameters
    ----------
    task_value, penalty : array_like
        V > 0 and P >= 0.
    latency, cost, success_prob : array_like, shape (..., 2)
        (t_1, t_2), (c_1, c_2), (p_1, p_2); the last axis indexes the model.
    route, cascade, abandon : array_like
        The provider's policy (i, s) and the user's abandon probability q.

    Returns
    -------
    Outcomes
        Named tuple of arrays ``success``, ``latency``, ``cost``, ``user_utility``,
        ``provider_cost`` and ``passes`` (last axis: M1, M2).

    Raises
    ------
    ParameterError
        A parameter out of range, a route other than 1 or 2, or shapes that do not broadcast.

    Examples
    --------
    >>> o = outcomes(10, 5, [1, 4], [1, 3], [0.5, 0.8], route=1, cascade=1.0, abandon=0.0)
    >>> float(o.success), float(o.latency), float(o.cost)
    (1.0, 3.5, 2.875)
    >>> float(o.user_utility), float(o.provider_cost)
    (6.5, 2.875)
    """
    g = check_game_arrays(task_value, latency, success_prob, penalty=penalty, cost=cost,
                          num_models=2)
    r_ = check_routes(route)
    s = check_array(cascade, "cascade")
    q = check_array(abandon, "abandon")
    broadcast_fields(("game", tuple(g["_shape"])), ("route", r_.shape), ("cascade", s.shape),
                     ("abandon", q.shape))
    return _outcomes(g["task_value"], g["penalty"], g["latency"], g["cost"],
                     g["success_prob"], r_, s, q)


def _outcomes(
    task_value: ArrayLike, penalty: ArrayLike, latency: ArrayLike, cost: ArrayLike,
    success_prob: ArrayLike, route: ArrayLike, cascade: ArrayLike, abandon: ArrayLike,
) -> Outcomes:
    """:func:`outcomes` without validation (the solvers' kernel)."""
    t = np.asarray(latency, dtype=float)
    c = np.asarray(cost, dtype=float)
    p = np.asarray(success_prob, dtype=float)
    n1, n2 = _expected_passes(p[..., 0], p[..., 1], route, cascade, abandon)
    A = abandon_probability(p[..., 0], p[..., 1], n1, n2, abandon)
    S = p[..., 0] * n1 + p[..., 1] * n2
    L = t[..., 0] * n1 + t[..., 1] * n2
    C = c[..., 0] * n1 + c[..., 1] * n2
    V = np.asarray(task_value, dtype=float)
    P = np.asarray(penalty, dtype=float)
    return Outcomes(
        success=S,
        latency=L,
        cost=C,
        user_utility=V * S - L,
        provider_cost=C + P * A,
        passes=np.stack(np.broadcast_arrays(n1, n2), axis=-1),
    )
