r"""Provider's Stackelberg optimum, user-preferred policy, misalignment and throttling (K = 2).

The provider picks (i, s) to minimise J_i(s, q*(i, s)). On route 1, for a fixed response r the
cost J(s, r) is a Möbius (linear-fractional) function of s, hence monotone in s. The response
q*(s) is piecewise constant or smooth with breaks only at the thresholds, so the optimum over
s lies in the finite candidate set

    {0, 1, s0, s_low, s_high} ∪ {argmin of J along the mixed branch (s_low, s_high)},

plus route 2. Along the mixed branch (ξ_1 > 0 > ξ_2) J(s, r*(s)) is smooth but not monotone in
general; its minimum is located by a 17-point scan followed by golden-section refinement (to
~1e-10 in s). Under weak tie-breaking a cost reached only in the limit s → s0 (or at a knife
edge) is an infimum that no policy attains; it is reported with ``attained = False``.

Throttling (``docs/theory.md``, Proposition 2 revisited): raising latencies lowers every ξ_i, which
can only lower the user's response r* (increasing differences of U in (r, ξ)), so the policies
the provider can induce by throttling add exactly the "abandon after the first failure" outcomes
J = c_i + P (1 - p_i) to what it could induce before. Hence the throttled optimum is

    min(J*, c_1 + P (1 - p_1), c_2 + P (1 - p_2)),

reached with the least throttle: route 2 with t_2 -> max(t_2, V p_2); or route 1 with either
s = 0 and t_1 -> max(t_1, V p_1), or s = 1 and t_2 -> max(t_2, V p_2), whichever adds less.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame._types import ArrayLike, FloatArray, IntArray
from routegame.closed_form.outcomes import outcomes
from routegame.closed_form.user import REGIMES, TOL, BestResponse, regime_code, respond, thresholds
from routegame.params import check_array

__all__ = ["TwoModelSolution", "solve_arrays"]

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
_SCAN = 17
_GOLDEN_STEPS = 48
_DELTA = 1e-9  # one-sided limits at a jump of the user's response


@attrs.frozen(eq=False)
class TwoModelSolution:
    """Everything the two-model solver computes, as arrays of the broadcast game shape.

    Routes are 1 or 2. Undefined thresholds are NaN. ``weak_attained`` is False where the weak
    Stackelberg value is an infimum approached (not reached) at ``weak_route``/``weak_cascade``.
    ``throttle_latency`` has a trailing axis of length 2 (t̂_1, t̂_2).
    """

    net_value: FloatArray
    regime: IntArray
    s0: FloatArray
    s_low: FloatArray
    s_high: FloatArray
    route: IntArray
    cascade: FloatArray
    abandon: FloatArray
    provider_cost: FloatArray
    user_utility: FloatArray
    success: FloatArray
    weak_route: IntArray
    weak_cascade: FloatArray
    weak_abandon: FloatArray
    weak_provider_cost: FloatArray
    weak_user_utility: FloatArray
    weak_attained: np.ndarray
    pref_route: IntArray
    pref_cascade: FloatArray
    pref_abandon: FloatArray
    pref_user_utility: FloatArray
    misalignment_gap: FloatArray
    throttle_pays: np.ndarray
    throttle_latency: FloatArray
    throttle_route: IntArray
    throttle_cascade: FloatArray
    throttle_abandon: FloatArray
    throttle_provider_cost: FloatArray
    throttle_user_utility: FloatArray
    throttle_attained: np.ndarray
    tie_break: str = "strong"

    @property
    def regime_names(self) -> np.ndarray:
        """Regime names (see :data:`routegame.closed_form.user.REGIMES`) as a string array."""
        return np.asarray(REGIMES, dtype=object)[self.regime]

    def columns(self) -> dict[str, Any]:
        """Flat columns for a table, named as in the CLI's ``--table`` output."""
        return {
            "regime": self.regime_names,
            "route": self.route,
            "cascade": self.cascade,
            "abandon": self.abandon,
            "provider_cost": self.provider_cost,
            "user_utility": self.user_utility,
            "success": self.success,
            "misalignment_gap": self.misalignment_gap,
            "throttling_pays": self.throttle_pays,
            "s0": self.s0,
            "s_low": self.s_low,
            "s_high": self.s_high,
        }


def _validated(
    task_value: ArrayLike, penalty: ArrayLike, latency: ArrayLike, cost: ArrayLike,
    success_prob: ArrayLike,
) -> tuple[FloatArray, ...]:
    V = check_array(task_value, "task_value")
    P = check_array(penalty, "penalty")
    t = check_array(latency, "latency")
    c = check_array(cost, "cost")
    p = check_array(success_prob, "success_prob")
    for name, a in (("latency", t), ("cost", c), ("success_prob", p)):
        if a.ndim == 0 or a.shape[-1] != 2:
            raise _shape_error(name)
    return V, P, t, c, p


def _shape_error(name: str) -> Exception:
    from routegame.errors import ParameterError

    return ParameterError(name, "must have a last axis of length 2 (model 1, model 2)")


class _Game:
    """Flattened arrays of n games and the response kernel bound to them."""

    def __init__(self, V: FloatArray, P: FloatArray, t: FloatArray, c: FloatArray, p: FloatArray):
        self.V, self.P = V, P
        self.t, self.c, self.p = t, c, p
        self.p1, self.p2 = p[:, 0], p[:, 1]
        self.xi1 = V * self.p1 - t[:, 0]
        self.xi2 = V * self.p2 - t[:, 1]
        self.w1 = c[:, 0] - P * self.p1
        self.w2 = c[:, 1] - P * self.p2

    def respond(self, route: int, s: FloatArray, tie_break: str) -> BestResponse:
        on1 = np.full(np.shape(s), route == 1)
        return respond(
            self.xi1, self.xi2, self.w1, self.w2, self.p1, self.p2, on1, s, self.P, tie_break
        )


def _mixed_branch_argmin(g: _Game, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """argmin over s in [lo, hi] of J(s, r*(s)) (scan, then golden-section on the best cell)."""
    n = lo.shape[0]
    if n == 0:
        return lo.copy()
    frac = np.linspace(0.0, 1.0, _SCAN)
    S = lo[None, :] + (hi - lo)[None, :] * frac[:, None]
    J = g.respond(1, S, "strong").provider_cost
    k = J.argmin(axis=0)
    a = lo + (hi - lo) * frac[np.maximum(k - 1, 0)]
    b = lo + (hi - lo) * frac[np.minimum(k + 1, _SCAN - 1)]
    x1 = b - _GOLDEN * (b - a)
    x2 = a + _GOLDEN * (b - a)
    f1 = g.respond(1, x1, "strong").provider_cost
    f2 = g.respond(1, x2, "strong").provider_cost
    for _ in range(_GOLDEN_STEPS):
        left = f1 <= f2
        b = np.where(left, x2, b)
        a = np.where(left, a, x1)
        new_x = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        f_new = g.respond(1, new_x, "strong").provider_cost
        x2, f2, x1, f1 = (
            np.where(left, x1, new_x), np.where(left, f1, f_new),
            np.where(left, new_x, x2), np.where(left, f_new, f2),
        )
    return 0.5 * (a + b)


def _pick_first_min(values: FloatArray, scale: FloatArray) -> IntArray:
    """Index of the first candidate (axis 0) within tolerance of the minimum."""
    vmin = values.min(axis=0)
    ok = values <= vmin + TOL * scale
    return ok.argmax(axis=0)


def _take(a: FloatArray, k: IntArray) -> Any:
    return np.take_along_axis(a, k[None], axis=0)[0]


def solve_arrays(
    task_value: ArrayLike,
    penalty: ArrayLike,
    latency: ArrayLike,
    cost: ArrayLike,
    success_prob: ArrayLike,
    tie_break: str = "strong",
) -> TwoModelSolution:
    """Solve many two-model games at once: regime, thresholds, equilibria, gap, throttling.

    Parameters
    ----------
    task_value, penalty : array_like
        V > 0 and P >= 0, broadcast against the games' shape.
    latency, cost, success_prob : array_like, shape (..., 2)
        Per-model parameters; the last axis indexes (M1, M2).
    tie_break : {"strong", "weak"}
        Convention for the headline equilibrium and for throttling. Both equilibria are always
        computed (``route``/... are for ``tie_break``, ``weak_*`` for the weak convention).

    Returns
    -------
    TwoModelSolution
        Arrays of the broadcast shape of the games.

    Raises
    ------
    ParameterError
        If a parameter is outside its allowed range (the message names it).

    Examples
    --------
    >>> sol = solve_arrays(10, 20, [4, 5], [1, 4], [0.3, 0.8])   # ξ = (-1, 3)
    >>> str(sol.regime_names), round(float(sol.s0), 4)
    ('latency-value', 0.2105)
    >>> int(sol.route), round(float(sol.cascade), 4), float(sol.abandon)
    (1, 0.2105, 0.0)
    >>> bool(sol.weak_attained)
    False
    """
    if tie_break not in ("strong", "weak"):
        from routegame.errors import ParameterError

        raise ParameterError("tie_break", f"must be 'strong' or 'weak', got {tie_break!r}")
    V, P, t, c, p = _validated(task_value, penalty, latency, cost, success_prob)
    shape = np.broadcast_shapes(V.shape, P.shape, t.shape[:-1], c.shape[:-1], p.shape[:-1])
    flat = [np.broadcast_to(x, shape).reshape(-1) for x in (V, P)]
    flat += [np.broadcast_to(x, (*shape, 2)).reshape(-1, 2) for x in (t, c, p)]
    V1, P1, t1, c1, p1 = flat
    res = _solve_flat(_Game(V1, P1, t1, c1, p1), tie_break)
    out = {}
    for f in attrs.fields(TwoModelSolution):
        if f.name == "tie_break":
            continue
        a = res[f.name]
        tail = a.shape[1:]
        out[f.name] = a.reshape(shape + tail) if shape else a.reshape(tail)[()]
    return TwoModelSolution(**out, tie_break=tie_break)


def _equilibrium(
    g: _Game, S_cand: FloatArray, names: list[tuple[int, int]], tie_break: str
) -> dict[str, Any]:
    """Best (route, s) among candidates under one tie-breaking convention."""
    n = g.V.shape[0]
    r1 = g.respond(1, S_cand, tie_break)
    r2 = g.respond(2, np.zeros(n), tie_break)
    J = np.concatenate([r1.provider_cost, r2.provider_cost[None]], axis=0)
    U = np.concatenate([r1.user_utility, r2.user_utility[None]], axis=0)
    Q = np.concatenate([r1.abandon, r2.abandon[None]], axis=0)
    Sx = np.concatenate([S_cand, np.zeros((1, n))], axis=0)
    route = np.array([rt for rt, _ in names] + [2])
    scale = np.maximum(1.0, np.abs(J).max(axis=0))
    k = _pick_first_min(J, scale)
    return {
        "route": route[k],
        "cascade": _take(Sx, k),
        "abandon": _take(Q, k),
        "provider_cost": _take(J, k),
        "user_utility": _take(U, k),
        "scale": scale,
    }


def _solve_flat(g: _Game, tie_break: str) -> dict[str, Any]:
    n = g.V.shape[0]
    code = regime_code(g.xi1, g.xi2)
    s0, s_low, s_high = thresholds(g.V, g.t, g.p)
    mixed = (code == 3) & (s_high > s_low)
    s_mix = np.zeros(n)
    if mixed.any():
        sub = _Game(g.V[mixed], g.P[mixed], g.t[mixed], g.c[mixed], g.p[mixed])
        s_mix[mixed] = _mixed_branch_argmin(sub, s_low[mixed], s_high[mixed])
    fill = lambda x: np.where(np.isnan(x), 0.0, x)  # noqa: E731 - unused candidates repeat s = 0
    # canonical order: ties go to the earlier candidate ((1,0), (1,1), then thresholds)
    S_cand = np.stack([np.zeros(n), np.ones(n), fill(s0), fill(s_low), fill(s_high), s_mix])
    names = [(1, k) for k in range(S_cand.shape[0])]

    strong = _equilibrium(g, S_cand, names, "strong")
    weak = _equilibrium(g, S_cand, names, "weak")

    # --- weak: infima approached at jumps of the response (s0 from both sides, 0+, 1-)
    lim_s = np.stack([fill(s0), fill(s0), np.zeros(n), np.ones(n)])
    side = np.array([1.0, -1.0, 1.0, -1.0])[:, None]
    probe = np.clip(lim_s + side * _DELTA, 0.0, 1.0)
    r_lim = 1.0 - g.respond(1, probe, "weak").abandon
    r_lim = np.where(r_lim > 1 - 1e-6, 1.0, np.where(r_lim < 1e-6, 0.0, r_lim))
    o_lim = outcomes(g.V, g.P, g.t[None], g.c[None], g.p[None], 1, lim_s, 1.0 - r_lim)
    J_lim = o_lim.provider_cost
    k_lim = J_lim.argmin(axis=0)
    inf_lim = _take(J_lim, k_lim)
    not_att = inf_lim < weak["provider_cost"] - TOL * weak["scale"]
    weak_route = np.where(not_att, 1, weak["route"])
    weak_cascade = np.where(not_att, _take(lim_s, k_lim), weak["cascade"])
    weak_abandon = np.where(not_att, 1.0 - _take(r_lim, k_lim), weak["abandon"])
    weak_cost = np.where(not_att, inf_lim, weak["provider_cost"])
    weak_util = np.where(not_att, _take(o_lim.user_utility, k_lim), weak["user_utility"])

    head = strong if tie_break == "strong" else {
        "route": weak_route, "cascade": weak_cascade, "abandon": weak_abandon,
        "provider_cost": weak_cost, "user_utility": weak_util,
    }
    success = outcomes(
        g.V, g.P, g.t, g.c, g.p, head["route"], head["cascade"], head["abandon"]
    ).success

    # --- user-preferred: (1, 0), (1, 1) or route 2, each at the user's own response
    pr1 = g.respond(1, np.stack([np.zeros(n), np.ones(n)]), "strong")
    pr2 = g.respond(2, np.zeros(n), "strong")
    Upref = np.concatenate([pr1.user_utility, pr2.user_utility[None]])
    Jpref = np.concatenate([pr1.provider_cost, pr2.provider_cost[None]])
    Qpref = np.concatenate([pr1.abandon, pr2.abandon[None]])
    uscale = np.maximum(1.0, np.abs(Upref).max(axis=0))
    best_u = Upref.max(axis=0)
    tied_u = Upref >= best_u - TOL * uscale
    kp = np.where(tied_u, Jpref, np.inf).argmin(axis=0)  # among the user's favourites, cheapest
    pref_route = np.array([1, 1, 2])[kp]
    pref_cascade = np.array([0.0, 1.0, 0.0])[kp]
    gap = np.maximum(best_u - head["user_utility"], 0.0)

    # --- throttling: add "abandon after the first failure" on either route
    quit1 = g.c[:, 0] + g.P * (1.0 - g.p1)
    quit2 = g.c[:, 1] + g.P * (1.0 - g.p2)
    Jhead = head["provider_cost"]
    best_quit = np.minimum(quit1, quit2)
    pays = best_quit < Jhead - TOL * np.maximum(1.0, np.abs(Jhead))
    use2 = quit2 < quit1 - TOL * np.maximum(1.0, np.abs(quit1))
    over1 = np.maximum(g.xi1, 0.0)  # added latency that brings ξ_1 down to 0
    over2 = np.maximum(g.xi2, 0.0)
    via_s1 = ~use2 & (over2 < over1)  # route 1 with s = 1: throttle M2 instead of M1
    th_lat = g.t.copy()
    th_lat[:, 0] = np.where(pays & ~use2 & ~via_s1, g.t[:, 0] + over1, g.t[:, 0])
    th_lat[:, 1] = np.where(pays & (use2 | via_s1), g.t[:, 1] + over2, g.t[:, 1])
    th_route = np.where(pays, np.where(use2, 2, 1), head["route"])
    th_cascade = np.where(pays, np.where(via_s1, 1.0, 0.0), head["cascade"])
    th_abandon = np.where(pays, 1.0, head["abandon"])
    th_cost = np.where(pays, best_quit, Jhead)
    first = np.where(use2, g.V * g.p2 - th_lat[:, 1], g.V * g.p1 - th_lat[:, 0])
    th_util = np.where(pays, first, head["user_utility"])
    added = np.where(use2, over2, np.where(via_s1, over2, over1))
    # under weak ties the user must be strictly worse off staying: the least throttle is an infimum
    th_att = ~(pays & (tie_break == "weak") & (added > 0))

    return {
        "net_value": np.stack([g.xi1, g.xi2], axis=-1),
        "regime": code,
        "s0": s0, "s_low": s_low, "s_high": s_high,
        "route": head["route"], "cascade": head["cascade"], "abandon": head["abandon"],
        "provider_cost": head["provider_cost"], "user_utility": head["user_utility"],
        "success": success,
        "weak_route": weak_route, "weak_cascade": weak_cascade, "weak_abandon": weak_abandon,
        "weak_provider_cost": weak_cost, "weak_user_utility": weak_util,
        "weak_attained": ~not_att,
        "pref_route": pref_route, "pref_cascade": pref_cascade,
        "pref_abandon": _take(Qpref, kp), "pref_user_utility": best_u,
        "misalignment_gap": gap,
        "throttle_pays": pays, "throttle_latency": th_lat, "throttle_route": th_route,
        "throttle_cascade": th_cascade, "throttle_abandon": th_abandon,
        "throttle_provider_cost": th_cost, "throttle_user_utility": th_util,
        "throttle_attained": th_att,
    }
