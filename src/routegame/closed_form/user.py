r"""The user's best response q*(i, s) in closed form (spec section 4, paper Theorems 1-2).

For a fixed policy the user's utility is U(r) = ξ_1 E[N_1](r) + ξ_2 E[N_2](r) with r = 1 - q.
On route 1 write α = (1 - p_1)(1 - s), β = 1 - p_2. Then

    U(r) = (n_0 + n_1 r) / ((1 - α r)(1 - β r)),   n_0 = ξ_1,  n_1 = (1 - p_1) s ξ_2 - β ξ_1,

and the sign of U'(r) is the sign of the quadratic

    g(r) = (n_1 + n_0 (α + β)) - 2 n_0 α β r - n_1 α β r².

So the global maximum of U on [0, 1] is at r = 0, r = 1 or a root of g in (0, 1): evaluating U
at these (at most four) candidates is exact. Route 2 is the case α = 0, n_0 = ξ_2, n_1 = 0.
The provider's cost J - P = w·E[N] has the same form with weights w_i = c_i - P p_i, which is
how ties are broken (strong: the tied response the provider prefers; weak: the one it dislikes).

Thresholds (derived in ``docs/theory.md``):

* ξ_1 < 0 < ξ_2: U is quasi-convex in r, so the user either stays (q = 0) or leaves after the
  first failure (q = 1); staying wins iff s > s0 = -ξ_1 / (ξ_2 / p_2 - ξ_1), tie at s = s0.
* ξ_1 > 0 > ξ_2: g(0) ∝ s ξ_2 + (1 - s) ξ_1 and g(1) ∝ s ξ_2 (1 - k(1 - s)) + ξ_1 p_2² (1 - s)
  with k = (1 - p_1)(1 - p_2). The user stays (q* = 0) iff g(1) >= 0, i.e. s <= s_low, the root
  in (0, 1) of the second; abandons at once (q* = 1) iff g(0) <= 0, i.e. s >= s_high =
  ξ_1 / (ξ_1 - ξ_2); and mixes in between, where q* = 1 - r* with g(r*) = 0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from routegame._types import ArrayLike, FloatArray, IntArray
from routegame.closed_form.outcomes import _expected_passes, abandon_probability
from routegame.engines.kernel import SPREAD, TOL, select_response
from routegame.model.params import (
    broadcast_fields,
    check_array,
    check_game_arrays,
    check_tie_break,
)
from routegame.model.policy import check_routes
from routegame.model.results import REGIMES

__all__ = [
    "REGIMES",
    "SPREAD",
    "TOL",
    "BestResponse",
    "best_response",
    "regime_code",
    "regime_name",
    "thresholds",
]

def regime_code(xi1: ArrayLike, xi2: ArrayLike) -> IntArray:
    """Index into :data:`REGIMES` of the sign pattern of (ξ_1, ξ_2).

    Examples
    --------
    >>> [REGIMES[k] for k in regime_code([1, -1, -1, 1, 0], [1, -1, 1, -1, 2])]
    ['value-value', 'latency-latency', 'latency-value', 'value-latency', 'knife-edge']
    """
    x1 = np.asarray(xi1, dtype=float)
    x2 = np.asarray(xi2, dtype=float)
    code = np.select(
        [(x1 == 0) | (x2 == 0), (x1 > 0) & (x2 > 0), (x1 < 0) & (x2 < 0), x1 < 0],
        [4, 0, 1, 2],
        default=3,
    )
    return code.astype(np.int64)


def regime_name(xi1: float, xi2: float) -> str:
    """Name of the regime of one game (see :data:`REGIMES`)."""
    return REGIMES[int(regime_code(xi1, xi2))]


def thresholds(
    task_value: ArrayLike, latency: ArrayLike, success_prob: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cascade thresholds (s0, s_low, s_high) of the user's response on route 1.

    ``s0`` is defined (finite) only when ξ_1 < 0 < ξ_2, ``s_low`` and ``s_high`` only when
    ξ_1 > 0 > ξ_2; elsewhere they are NaN.

    Examples
    --------
    >>> s0, sl, sh = thresholds(10, [4, 5], [0.3, 0.8])      # ξ = (-1, 3)
    >>> round(float(s0), 6), bool(np.isnan(sl))
    (0.210526, True)
    >>> s0, sl, sh = thresholds(10, [1, 9], [0.3, 0.8])      # ξ = (2, -1)
    >>> bool(np.isnan(s0)), round(float(sl), 6), round(float(sh), 6)
    (True, 0.576396, 0.666667)
    """
    V, t, p = _checked_game(task_value, latency, success_prob)
    return _thresholds(V, t, p)


def _checked_game(
    task_value: ArrayLike, latency: ArrayLike, success_prob: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    g = check_game_arrays(task_value, latency, success_prob, num_models=2)
    return g["task_value"], g["latency"], g["success_prob"]


def _thresholds(
    task_value: ArrayLike, latency: ArrayLike, success_prob: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`thresholds` without validation (the solvers' kernel)."""
    V = np.asarray(task_value, dtype=float)
    t = np.asarray(latency, dtype=float)
    p = np.asarray(success_prob, dtype=float)
    p1, p2 = p[..., 0], p[..., 1]
    x1 = V * p1 - t[..., 0]
    x2 = V * p2 - t[..., 1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lv = (x1 < 0) & (x2 > 0)
        vl = (x1 > 0) & (x2 < 0)
        s0 = np.where(lv, -x1 / (x2 / p2 - x1), np.nan)
        s_high = np.where(vl, x1 / (x1 - x2), np.nan)
        # g(1) = 0 written in s:  a s² + b s + c = 0 with a = ξ2 k < 0, c = ξ1 p2² > 0 and
        # b = ξ2 (1 - k) - ξ1 p2² < 0, k = (1 - p1)(1 - p2): one root in (0, 1), the positive one,
        # taken as 2c / (-b + sqrt(b² - 4ac)), a sum of positive terms (no cancellation, so s_low
        # stays in (0, 1) however close to 0 or 1 it is)
        k = (1.0 - p1) * (1.0 - p2)
        one_minus_k = p1 + (1.0 - p1) * p2
        a = x2 * k
        b = x2 * one_minus_k - x1 * p2**2
        c = x1 * p2**2
        # the root does not change when a, b, c share a factor: scale them to at most 1 so that
        # b² cannot overflow for net values up to the double range
        m = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.abs(c))
        m = np.where(m > 0, m, 1.0)
        a, b, c = a / m, b / m, c / m
        disc = np.maximum(b * b - 4.0 * a * c, 0.0)
        s_low = np.where(vl, 2.0 * c / (-b + np.sqrt(disc)), np.nan)
    return s0, s_low, s_high


class BestResponse(NamedTuple):
    """The user's response to a policy, with tie information."""

    abandon: FloatArray  #: q* (the tie broken as requested)
    user_utility: FloatArray  #: U at the best response
    provider_cost: FloatArray  #: J at the chosen response
    indifferent: np.ndarray  #: True where several q give the maximal utility


def _rational_parts(
    w1: FloatArray, w2: FloatArray, p1: FloatArray, p2: FloatArray, on1: np.ndarray, s: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(n0, n1, α, β) with w·E[N](r) = (n0 + n1 r) / ((1 - α r)(1 - β r))."""
    beta = 1.0 - p2
    alpha = np.where(on1, (1.0 - p1) * (1.0 - s), 0.0)
    n0 = np.where(on1, w1, w2)
    n1 = np.where(on1, w2 * (1.0 - p1) * s - beta * w1, 0.0)
    return n0, n1, alpha, beta


def _stationary_points(
    n0: FloatArray, n1: FloatArray, alpha: FloatArray, beta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Roots in (0, 1) of g(r) (NaN where none), via the numerically stable quadratic formula."""
    ab = alpha * beta
    qa = -n1 * ab
    qb = -2.0 * n0 * ab
    qc = n1 + n0 * (alpha + beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        h = -0.5 * (qb + np.where(qb >= 0, sq, -sq))
        r1 = h / qa
        r2 = qc / h
    ok1 = (r1 > 0) & (r1 < 1)
    ok2 = (r2 > 0) & (r2 < 1)
    return np.where(ok1, r1, np.nan), np.where(ok2, r2, np.nan)


def _passes(
    p1: FloatArray, p2: FloatArray, on1: np.ndarray, s: FloatArray, r: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(E[N_1], E[N_2], A) at continuation probability r (written once, in outcomes)."""
    q = 1.0 - r
    route = np.where(on1, 1, 2)
    n1, n2 = _expected_passes(p1, p2, route, s, q)
    return n1, n2, abandon_probability(p1, p2, n1, n2, q)


def _weighted_passes(
    w1: FloatArray, w2: FloatArray, p1: FloatArray, p2: FloatArray, on1: np.ndarray,
    s: FloatArray, r: FloatArray,
) -> FloatArray:
    """w·E[N] at continuation probability r."""
    n1, n2, _ = _passes(p1, p2, on1, s, r)
    return w1 * n1 + w2 * n2


def respond(
    xi1: FloatArray, xi2: FloatArray, c1: FloatArray, c2: FloatArray,
    p1: FloatArray, p2: FloatArray, on1: np.ndarray, s: FloatArray, P: FloatArray,
    mag1: FloatArray, mag2: FloatArray, tie_break: str = "strong",
) -> BestResponse:
    """Best response kernel on pre-computed arrays (ξ, c, P); used by every two-model solver.

    Candidates are r = 0, r = 1, the stationary points of U and, for the case where U is flat
    (the user indifferent over a whole interval), the stationary points of J. The choice among
    them is :func:`routegame.engines.kernel.select_response` (one tie policy for all engines);
    ``mag_i = |ξ_i|`` are the magnitudes of the utility's terms.
    """
    n0, n1, al, be = _rational_parts(xi1, xi2, p1, p2, on1, s)
    u_a, u_b = _stationary_points(n0, n1, al, be)
    w1, w2 = c1 - P * p1, c2 - P * p2
    m0, m1, _, _ = _rational_parts(w1, w2, p1, p2, on1, s)
    j_a, j_b = _stationary_points(m0, m1, al, be)
    shape = np.broadcast_shapes(np.shape(u_a), np.shape(j_a))
    cands = np.stack(
        [np.zeros(shape), np.ones(shape)] + [np.broadcast_to(x, shape) for x in (u_a, u_b, j_a, j_b)],
        axis=-1,
    )
    rr = np.where(np.isnan(cands), 0.0, cands)
    ex = (lambda x: np.asarray(x)[..., None])  # noqa: E731 - broadcast against candidates
    e1, e2, A = _passes(ex(p1), ex(p2), ex(on1), ex(s), rr)
    U = ex(xi1) * e1 + ex(xi2) * e2
    J = ex(c1) * e1 + ex(c2) * e2 + ex(P) * A
    M = ex(mag1) * e1 + ex(mag2) * e2
    sel = select_response(cands, U, J, M, tie_break)
    take = (lambda a: np.take_along_axis(a, sel.pick[..., None], axis=-1)[..., 0])  # noqa: E731
    return BestResponse(
        abandon=1.0 - take(rr),
        user_utility=take(U),
        provider_cost=take(J),
        indifferent=sel.indifferent,
    )


def best_response(
    task_value: ArrayLike,
    latency: ArrayLike,
    success_prob: ArrayLike,
    route: ArrayLike,
    cascade: ArrayLike,
    *,
    cost: ArrayLike | None = None,
    penalty: ArrayLike = 0.0,
    tie_break: str = "strong",
) -> BestResponse:
    """The user's best response q*(i, s), exact, broadcasting over arrays.

    Parameters
    ----------
    task_value : array_like
        V > 0.
    latency, success_prob : array_like, shape (..., 2)
        (t_1, t_2) and (p_1, p_2).
    route, cascade : array_like
        The provider's policy (i, s).
    cost, penalty : array_like, optional
        Only used to break the user's ties (the provider's cost J); without them a tie is broken
        towards the larger q under ``"strong"``.
    tie_break : {"strong", "weak"}
        Resolve indifference in the provider's favour (strong) or against it (weak).

    Returns
    -------
    BestResponse
        ``abandon`` q*, ``user_utility``, ``provider_cost`` and ``indifferent``.

    Examples
    --------
    Routed to a value-dominated M2 (ξ_2 = 3 > 0) the user never abandons:

    >>> br = best_response(10, [4, 5], [0.3, 0.8], route=2, cascade=0.0)
    >>> float(br.abandon), float(br.user_utility), bool(br.indifferent)
    (0.0, 3.75, False)

    With ξ_1 > 0 > ξ_2 and s between s_low and s_high the response is mixed:

    >>> br = best_response(10, [1, 9], [0.3, 0.8], route=1, cascade=0.6)
    >>> 0 < float(br.abandon) < 1
    True
    """
    check_tie_break(tie_break)
    g = check_game_arrays(task_value, latency, success_prob, penalty=penalty, cost=cost,
                          num_models=2)
    V, t, p, P = g["task_value"], g["latency"], g["success_prob"], g["penalty"]
    route_arr = check_routes(route)
    s_arr = check_array(cascade, "cascade")
    broadcast_fields(("game", tuple(g["_shape"])), ("route", route_arr.shape),
                     ("cascade", s_arr.shape))
    p1, p2 = p[..., 0], p[..., 1]
    xi1, xi2 = V * p1 - t[..., 0], V * p2 - t[..., 1]
    if cost is None:  # no provider information: unit costs break ties towards abandoning
        c1, c2 = np.ones_like(xi1), np.ones_like(xi2)
        P = np.zeros_like(P)
    else:
        c1, c2 = g["cost"][..., 0], g["cost"][..., 1]
    on1 = route_arr == 1
    s = s_arr
    mag1, mag2 = np.abs(xi1), np.abs(xi2)
    return respond(xi1, xi2, c1, c2, p1, p2, on1, s, P, mag1, mag2, tie_break)
