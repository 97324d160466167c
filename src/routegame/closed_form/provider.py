r"""Provider's Stackelberg optimum, user-preferred policy, misalignment and throttling (K = 2).

The provider picks (i, s) to minimise J_i(s, q*(i, s)). On route 1, for a fixed response r the
cost J(s, r) is a Möbius (linear-fractional) function of s, hence monotone in s. The response
q*(s) is piecewise constant or smooth with breaks only at the thresholds, so the optimum over
s lies in the finite candidate set

    {0, 1, s0, s_low, s_high} ∪ {argmin of J along the mixed branch (s_low, s_high)},

plus route 2. Along the mixed branch (ξ_1 > 0 > ξ_2) J(s, r*(s)) is smooth but not monotone in
general; its minimum is located by an 11-point interior scan followed by golden-section refinement
(to about 2e-8 of the interval in s), unless the scan's best point is next to an end of the branch
and J rises strictly from that end along probes 1e-10, 1e-8, 1e-6 and 1e-4 of the branch inwards:
then the branch's minimum is at that end, where it meets the candidate s_low or s_high (J(s_high) is
the cost of leaving, c_1 + P (1 - p_1), the candidate s = 1), and the branch adds no candidate (5
evaluations instead of 37; ``_at_branch_end``). Under weak tie-breaking a cost reached only in the
limit s → s0 (or at a knife edge) is an infimum that no policy attains; it is reported with
``attained = False``.

Throttling (``docs/theory.md``, Proposition 2 revisited): raising latencies lowers every ξ_i, which
can only lower the user's response r* (increasing differences of U in (r, ξ)), so the policies
the provider can induce by throttling add exactly the "abandon after the first failure" outcomes
J = c_i + P (1 - p_i) to what it could induce before. Hence the throttled optimum is

    min(J*, c_1 + P (1 - p_1), c_2 + P (1 - p_2)),

reached with the least throttle: route 2 with t_2 -> max(t_2, V p_2); or route 1 with either
s = 0 and t_1 -> max(t_1, V p_1), or s = 1 and t_2 -> max(t_2, V p_2), whichever adds less.

Compiled path: for large arrays (:func:`use_compiled`) :func:`solve_arrays` runs the same
formulas fused in one numba loop (:mod:`routegame.closed_form._compiled`, imported only then),
bit for bit equal to the numpy functions here, which stay the oracle; knife edges (ξ_i = 0)
always take the numpy candidate solver.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from routegame import _jit
from routegame._types import ArrayLike, FloatArray, IntArray
from routegame.closed_form.outcomes import _expected_passes as expected_passes
from routegame.closed_form.outcomes import _outcomes as outcomes
from routegame.closed_form.outcomes import abandon_probability
from routegame.closed_form.user import BestResponse, _rational_parts, regime_code, respond
from routegame.closed_form.user import _thresholds as thresholds
from routegame.engines.kernel import ROUND, TOL, first_min
from routegame.model.params import check_game_arrays, check_tie_break
from routegame.model.results import GameResult

__all__ = ["FIRST_CALL_SIZE", "TwoModelSolution", "prepare_compiled", "solve_arrays", "use_compiled"]

#: The result type of :func:`solve_arrays` (an alias kept for code written against 0.1).
TwoModelSolution = GameResult

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
_SCAN = 13
_GOLDEN_STEPS = 34
_END_STEPS = (1e-10, 1e-8, 1e-6, 1e-4)  # the branch-end test's probes (see _at_branch_end)
_BLOCK = 1 << 16  # games per block in solve_arrays
_DELTA = 1e-6  # one-sided limits at a jump of the user's response (probe offset in s)


def _validated(
    task_value: ArrayLike, penalty: ArrayLike, latency: ArrayLike, cost: ArrayLike,
    success_prob: ArrayLike,
) -> tuple[tuple[FloatArray, ...], tuple[int, ...]]:
    g = check_game_arrays(task_value, latency, success_prob, penalty=penalty, cost=cost,
                          num_models=2)
    arrays = tuple(g[k] for k in ("task_value", "penalty", "latency", "cost", "success_prob"))
    return arrays, tuple(int(x) for x in g["_shape"])


class _Game:
    """Flattened arrays of n games and the response kernel bound to them."""

    def __init__(self, V: FloatArray, P: FloatArray, t: FloatArray, c: FloatArray, p: FloatArray):
        self.V, self.P = V, P
        self.t, self.c, self.p = t, c, p
        self.p1, self.p2 = p[:, 0], p[:, 1]
        self.xi1 = V * self.p1 - t[:, 0]
        self.xi2 = V * self.p2 - t[:, 1]
        self.c1, self.c2 = c[:, 0], c[:, 1]
        self.w1 = c[:, 0] - P * self.p1
        self.w2 = c[:, 1] - P * self.p2
        # magnitudes |ξ_i| of the utility's terms (the tie policy of engines.kernel)
        self.mag1, self.mag2 = np.abs(self.xi1), np.abs(self.xi2)

    def subset(self, mask: np.ndarray) -> _Game:
        return _Game(self.V[mask], self.P[mask], self.t[mask], self.c[mask], self.p[mask])

    def respond(self, route: int, s: FloatArray, tie_break: str) -> BestResponse:
        on1 = np.full(np.shape(s), route == 1)
        return respond(
            self.xi1, self.xi2, self.c1, self.c2, self.p1, self.p2, on1, s, self.P, self.mag1,
            self.mag2, tie_break,
        )


def _golden_argmin(
    f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(argmin, min) of f over [lo, hi], per column: a scan of interior points, then golden
    section on the two cells around the best one (vectorised over games)."""
    return _golden_refine(f, lo, hi, _scan_argmin(f, lo, hi))


def _scan_argmin(f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray) -> IntArray:
    """Index of the best of the scan's interior points of [lo, hi] (np.argmin: the first NaN,
    else the first minimum), per column."""
    frac = np.linspace(0.0, 1.0, _SCAN)[1:-1]
    J = f(lo[None, :] + (hi - lo)[None, :] * frac[:, None])
    k: IntArray = J.argmin(axis=0)
    return k


def _golden_refine(
    f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray, k: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Golden section on the two scan cells around the scan's best point k: (argmin, min)."""
    step = (hi - lo) / (_SCAN - 1)
    a = lo + step * k  # neighbours of the best interior point (k indexes frac[1:-1])
    b = lo + step * (k + 2)
    x1 = b - _GOLDEN * (b - a)
    x2 = a + _GOLDEN * (b - a)
    f1, f2 = f(x1), f(x2)
    for _ in range(_GOLDEN_STEPS):
        left = f1 <= f2
        b = np.where(left, x2, b)
        a = np.where(left, a, x1)
        new_x = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        f_new = f(new_x)
        x2, f2, x1, f1 = (
            np.where(left, x1, new_x), np.where(left, f1, f_new),
            np.where(left, new_x, x2), np.where(left, f_new, f2),
        )
    x = 0.5 * (a + b)
    return x, f(x)


def _at_branch_end(
    f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray, k: IntArray
) -> Any:
    """Where the minimum of f over [lo, hi] is at one of its ends (per column).

    k is the scan's best point (:func:`_scan_argmin`). When it is the first interior point and
    f(lo) < f(lo + h_1 w) < ... < f(lo + h_4 w), w = hi - lo and h = ``_END_STEPS``, then f,
    unimodal on the two scan cells around k (the assumption golden section makes), rises from
    lo: its minimum over the cells is at lo (to within 1e-10 w). Mirrored at hi for the last
    point. Golden section would spend its 37 evaluations closing in on that end (to 2e-8 of
    the interval), where the mixed branch meets the candidate (1, s_low) or (1, 1) (at s_high
    the user leaves): five evaluations decide it instead. The probes span six orders of
    magnitude because J can dip within 1e-8 w of the end when p_2 is tiny (1e-11), and the
    comparisons are strict so that a J flat to rounding is refined as before.
    """
    first, last = k == 0, k == _SCAN - 3
    end = np.where(last, hi, lo)
    width = np.where(last, lo - hi, hi - lo)  # from the end into the branch
    out: Any = first | last
    f_prev = f(end)
    for h in _END_STEPS:
        f_next = f(end + h * width)
        out &= f_prev < f_next
        f_prev = f_next
    return out


def _take(a: Any, k: IntArray) -> Any:
    """a[k[j], j] for every column j."""
    return a[k, np.arange(a.shape[1])]


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

    Notes
    -----
    Valid inputs whose answer lies beyond the range of double precision (e.g. a cost per
    success c/p above 1.8e308) give ``inf`` or ``nan`` in the arrays; :func:`routegame.solve`
    refuses such a single game with a :class:`~routegame.errors.NotSolvableError`.

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
    check_tie_break(tie_break)
    (V, P, t, c, p), shape = _validated(task_value, penalty, latency, cost, success_prob)
    flat: list[FloatArray] = [np.broadcast_to(x, shape).reshape(-1) for x in (V, P)]
    flat += [np.broadcast_to(x, (*shape, 2)).reshape(-1, 2) for x in (t, c, p)]
    V1, P1, t1, c1, p1 = flat
    total = V1.shape[0]
    with np.errstate(all="ignore"):  # overflow beyond the double range shows as inf, not a warning
        if use_compiled(total):
            res = _solve_compiled(V1, P1, t1, c1, p1, tie_break)
        else:
            res = _solve_blocks(V1, P1, t1, c1, p1, total, tie_break)
    return _result(res, shape, tie_break)


#: Games from which the *first* compiled call of a process pays: it imports numba and loads the
#: cached machine code (about 0.5-1 s on this project's 2-core machine, some 10^5-10^6 games of
#: the numpy path). Once the compiled module is loaded, every call of ``_jit.min_size()`` games or
#: more uses it. So one ``routegame solve`` or ``report`` (planes of ~4e4 games) never imports
#: numba, and a large table or sweep does.
FIRST_CALL_SIZE = 1 << 19

_COMPILED_MODULE = "routegame.closed_form._compiled"


def use_compiled(total: int) -> bool:
    """Whether :func:`solve_arrays` solves ``total`` games on the compiled kernel.

    True when :func:`routegame._jit.use_compiled` allows it and either the compiled module is
    already loaded in this process, or ``total >= FIRST_CALL_SIZE`` (the first call pays for
    importing numba and loading the kernel), or the switch is forced on
    (:func:`routegame._jit.forced`, or ``ROUTEGAME_JIT_MIN_SIZE=0``).

    Examples
    --------
    >>> from routegame import _jit
    >>> use_compiled(10)
    False
    >>> with _jit.forced(False):
    ...     use_compiled(10**9)
    False
    """
    if not _jit.use_compiled(total):
        return False
    if _jit.use_compiled(0) or total >= max(FIRST_CALL_SIZE, _jit.min_size()):
        return True
    return _COMPILED_MODULE in sys.modules


def prepare_compiled(total: int) -> bool:
    """Load the compiled kernel now if work of ``total`` games (in many calls) will pay for it.

    Sweeps call this with their whole size before solving batches or dask chunks (each below
    :data:`FIRST_CALL_SIZE`), so that the batches run compiled. Returns whether it is loaded.

    Examples
    --------
    >>> prepare_compiled(10)
    False
    """
    if not use_compiled(total):
        return False
    from routegame.closed_form import _compiled

    _compiled.warm()
    return True


def _solve_compiled(
    V1: FloatArray, P1: FloatArray, t1: FloatArray, c1: FloatArray, p1: FloatArray,
    tie_break: str, work: Any = None,
) -> dict[str, Any]:
    """The fused compiled kernel (:mod:`routegame.closed_form._compiled`, imported only here)
    for generic games; knife edges go through the numpy candidate solver, as in
    :func:`_solve_flat`. ``work``: a ``_compiled.Workspace`` whose memory the outputs reuse."""
    from routegame.closed_form import _compiled

    out = _compiled.solve_generic(V1, P1, t1, c1, p1, weak=tie_break == "weak", work=work)
    edge = out.pop("_edge")
    if edge.any():
        sub = _Game(V1[edge], P1[edge], t1[edge], c1[edge], p1[edge])
        for key, value in _solve_flat(sub, tie_break).items():
            out[key][edge] = value
    return out


def _solve_blocks(
    V1: FloatArray, P1: FloatArray, t1: FloatArray, c1: FloatArray, p1: FloatArray, total: int,
    tie_break: str,
) -> dict[str, Any]:
    """Solve in blocks that fit in cache (faster than one pass over huge temporaries), each
    written straight into the preallocated output (no list of blocks to concatenate)."""
    if total <= _BLOCK:
        return _solve_flat(_Game(V1, P1, t1, c1, p1), tie_break)
    out: dict[str, Any] = {}
    for i in range(0, total, _BLOCK):
        j = min(i + _BLOCK, total)
        res = _solve_flat(_Game(V1[i:j], P1[i:j], t1[i:j], c1[i:j], p1[i:j]), tie_break)
        if not out:
            out = {k: np.empty((total, *np.shape(v)[1:]), dtype=np.asarray(v).dtype)
                   for k, v in res.items()}
        for k, v in res.items():
            out[k][i:j] = v
    return out


def _result(res: dict[str, Any], shape: tuple[int, ...], tie_break: str) -> GameResult:
    """The flat arrays of the solver (named as :meth:`GameResult.variables`), reshaped to the
    game shape, as the one result type."""
    def a(x: Any) -> Any:
        tail = x.shape[1:]
        return x.reshape(shape + tail) if shape else x.reshape(tail)[()]

    flat = {key: a(x) for key, x in res.items()}
    flat["attained"] = (flat["weak_attained"] if tie_break == "weak"
                        else np.ones_like(flat["route"], dtype=bool))
    return GameResult.from_flat(flat, tie_break=tie_break)


def _equilibrium(g: _Game, S_cand: FloatArray, tie_break: str) -> dict[str, Any]:
    """Best (route, s) among route-1 candidates S_cand and route 2, under one convention."""
    n = g.V.shape[0]
    r1 = g.respond(1, S_cand, tie_break)
    r2 = g.respond(2, np.zeros(n), tie_break)
    J = np.concatenate([r1.provider_cost, r2.provider_cost[None]], axis=0)
    U = np.concatenate([r1.user_utility, r2.user_utility[None]], axis=0)
    Q = np.concatenate([r1.abandon, r2.abandon[None]], axis=0)
    Sx = np.concatenate([S_cand, np.zeros((1, n))], axis=0)
    route = np.array([1] * S_cand.shape[0] + [2])
    k = first_min(J)
    return {
        "route": route[k],
        "cascade": _take(Sx, k),
        "abandon": _take(Q, k),
        "provider_cost": _take(J, k),
        "user_utility": _take(U, k),
    }


def _solve_flat(g: _Game, tie_break: str, method: str = "fast") -> dict[str, Any]:
    """Dispatch: regime formulas for generic games, the candidate kernel for knife edges."""
    code = regime_code(g.xi1, g.xi2)
    s0, s_low, s_high = thresholds(g.V, g.t, g.p)
    if method == "generic":
        return _solve_generic(g, tie_break, code, s0, s_low, s_high)
    edge = code == 4
    if not edge.any():
        return _solve_fast(g, tie_break, code, s0, s_low, s_high)
    if edge.all():
        return _solve_generic(g, tie_break, code, s0, s_low, s_high)
    parts = {}
    for mask, fn in ((~edge, _solve_fast), (edge, _solve_generic)):
        sub = g.subset(mask)
        parts[fn] = (mask, fn(sub, tie_break, code[mask], s0[mask], s_low[mask], s_high[mask]))
    mask_f, fast = parts[_solve_fast]
    _, slow = parts[_solve_generic]
    out = {}
    for key, a in fast.items():
        full = np.empty((code.shape[0], *a.shape[1:]), dtype=a.dtype)
        full[mask_f] = a
        full[~mask_f] = slow[key]
        out[key] = full
    return out


def _solve_generic(
    g: _Game, tie_break: str, code: IntArray, s0: FloatArray, s_low: FloatArray,
    s_high: FloatArray,
) -> dict[str, Any]:
    """Candidate-set solver that relies only on the response kernel (any game, incl. knife edges)."""
    n = g.V.shape[0]
    mixed = (code == 3) & (s_high > s_low)
    s_mix = np.zeros(n)
    if mixed.any():
        sub = g.subset(mixed)
        s_mix[mixed] = _golden_argmin(
            lambda x: sub.respond(1, x, "strong").provider_cost, s_low[mixed], s_high[mixed]
        )[0]
    fill = lambda x: np.where(np.isnan(x), 0.0, x)  # noqa: E731 - unused candidates repeat s = 0
    # canonical order: ties go to the earlier candidate ((1,0), (1,1), then thresholds)
    S_cand = np.stack([np.zeros(n), np.ones(n), fill(s0), fill(s_low), fill(s_high), s_mix])
    strong = _equilibrium(g, S_cand, "strong")
    weak = _equilibrium(g, S_cand, "weak")

    # --- weak: infima approached at jumps of the response (s0 from both sides, 0+, 1-)
    lim_s = np.stack([fill(s0), fill(s0), np.zeros(n), np.ones(n)])
    side = np.array([1.0, -1.0, 1.0, -1.0])[:, None]
    probe = np.clip(lim_s + side * _DELTA, 0.0, 1.0)
    probe_br = g.respond(1, probe, "weak")
    r_lim = 1.0 - probe_br.abandon
    r_lim = np.where(r_lim > 1 - 1e-6, 1.0, np.where(r_lim < 1e-6, 0.0, r_lim))
    o_lim = outcomes(g.V, g.P, g.t[None], g.c[None], g.p[None], 1, lim_s, 1.0 - r_lim)
    # only a strict best response beside the point is a limit the provider can approach; where
    # the user is indifferent there too, the response is the tie-break's, attained at the point
    J_lim = np.where(probe_br.indifferent, np.inf, o_lim.provider_cost)
    k_lim = J_lim.argmin(axis=0)
    inf_lim = _take(J_lim, k_lim)
    not_att = inf_lim < weak["provider_cost"] - TOL * np.abs(weak["provider_cost"])
    weak_eq = {
        "route": np.where(not_att, 1, weak["route"]),
        "cascade": np.where(not_att, _take(lim_s, k_lim), weak["cascade"]),
        "abandon": np.where(not_att, 1.0 - _take(r_lim, k_lim), weak["abandon"]),
        "provider_cost": np.where(not_att, inf_lim, weak["provider_cost"]),
        "user_utility": np.where(not_att, _take(o_lim.user_utility, k_lim), weak["user_utility"]),
        "attained": ~not_att,
    }
    # --- user-preferred candidates: (1, 0), (1, 1), route 2, each at the user's own response
    pr1 = g.respond(1, np.stack([np.zeros(n), np.ones(n)]), "strong")
    pr2 = g.respond(2, np.zeros(n), "strong")
    pref = (
        np.concatenate([pr1.user_utility, pr2.user_utility[None]]),
        np.concatenate([pr1.provider_cost, pr2.provider_cost[None]]),
        np.concatenate([pr1.abandon, pr2.abandon[None]]),
    )
    return _finish(g, tie_break, code, s0, s_low, s_high, strong, weak_eq, pref)


def _finish(
    g: _Game, tie_break: str, code: IntArray, s0: FloatArray, s_low: FloatArray,
    s_high: FloatArray, strong: dict[str, Any], weak_eq: dict[str, Any],
    pref: tuple[FloatArray, FloatArray, FloatArray],
) -> dict[str, Any]:
    """Success, user-preferred policy, misalignment gap and throttling from the equilibria."""
    head = strong if tie_break == "strong" else weak_eq

    def success_of(route: Any, cascade: Any, abandon: Any) -> FloatArray:
        n1, n2 = expected_passes(g.p1, g.p2, route, cascade, abandon)
        return np.clip(g.p1 * n1 + g.p2 * n2, 0.0, 1.0)

    success = success_of(head["route"], head["cascade"], head["abandon"])
    Upref, Jpref, Qpref = pref
    best_u = Upref.max(axis=0)
    rel = np.maximum(np.abs(best_u), np.abs(Upref))
    # the candidates' term magnitudes are at most (mag1 + mag2) / min(p) (passes <= 1/p)
    terms = (g.mag1 + g.mag2) / np.minimum(g.p1, g.p2)
    tied_u = Upref >= best_u - (TOL * rel + 2 * ROUND * terms)
    kp = np.where(tied_u, Jpref, np.inf).argmin(axis=0)  # among the user's favourites, cheapest
    pref_route = np.array([1, 1, 2])[kp]
    pref_cascade = np.array([0.0, 1.0, 0.0])[kp]
    gap = np.maximum(best_u - head["user_utility"], 0.0)

    # --- throttling: add "abandon after the first failure" on either route
    quit1 = g.c[:, 0] + g.P * (1.0 - g.p1)
    quit2 = g.c[:, 1] + g.P * (1.0 - g.p2)
    Jhead = head["provider_cost"]
    best_quit = np.minimum(quit1, quit2)
    pays = best_quit < Jhead - TOL * np.abs(Jhead)
    use2 = quit2 < quit1 - TOL * np.abs(quit1)
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
    # (where throttling does not pay, the throttled policy is the headline one, attained or not)
    th_att = np.where(pays, ~((tie_break == "weak") & (added > 0)),
                      head.get("attained", np.ones(Jhead.shape, dtype=bool)))

    return {
        "net_value": np.stack([g.xi1, g.xi2], axis=-1),
        "regime": code,
        "s0": s0, "s_low": s_low, "s_high": s_high,
        "route": head["route"], "cascade": head["cascade"], "abandon": head["abandon"],
        "provider_cost": head["provider_cost"], "user_utility": head["user_utility"],
        "success": success,
        "weak_success": success_of(weak_eq["route"], weak_eq["cascade"], weak_eq["abandon"]),
        "pref_success": success_of(pref_route, pref_cascade, _take(Qpref, kp)),
        "throttle_success": success_of(th_route, th_cascade, th_abandon),
        "weak_route": weak_eq["route"], "weak_cascade": weak_eq["cascade"],
        "weak_abandon": weak_eq["abandon"], "weak_provider_cost": weak_eq["provider_cost"],
        "weak_user_utility": weak_eq["user_utility"], "weak_attained": weak_eq["attained"],
        "pref_route": pref_route, "pref_cascade": pref_cascade,
        "pref_abandon": _take(Qpref, kp), "pref_user_utility": best_u,
        "pref_provider_cost": _take(Jpref, kp),
        "misalignment_gap": gap,
        "price_of_alignment": _take(Jpref, kp) - Jhead,
        "throttling_pays": pays, "throttle_latency": th_lat, "throttle_route": th_route,
        "throttle_cascade": th_cascade, "throttle_abandon": th_abandon,
        "throttle_provider_cost": th_cost, "throttle_user_utility": th_util,
        "throttle_attained": th_att,
    }


def _mixed_cost(g: _Game, s: FloatArray) -> FloatArray:
    """J(s, r*(s)) on the mixed branch (ξ_1 > 0 > ξ_2, s_low <= s <= s_high).

    There g_U is a convex quadratic with g_U(0) >= 0 >= g_U(1), so the maximiser r* is its smaller
    root, clipped into [0, 1] (which also makes the branch continuous at s_low and s_high).
    """
    on1 = np.ones(np.shape(s), dtype=bool)
    n0, n1, al, be = _rational_parts(g.xi1, g.xi2, g.p1, g.p2, on1, s)
    ab = al * be
    qa, qb, qc = -n1 * ab, -2.0 * n0 * ab, n1 + n0 * (al + be)
    sq = np.sqrt(np.maximum(qb * qb - 4.0 * qa * qc, 0.0))
    h = -0.5 * (qb + np.where(qb >= 0, sq, -sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.fmin(h / qa, qc / h)
    r = np.clip(np.where(np.isnan(r), 0.0, r), 0.0, 1.0)
    q = 1.0 - r
    n1, n2 = expected_passes(g.p1, g.p2, 1, s, q)
    return g.c1 * n1 + g.c2 * n2 + g.P * abandon_probability(g.p1, g.p2, n1, n2, q)


def _solve_fast(
    g: _Game, tie_break: str, code: IntArray, s0: FloatArray, s_low: FloatArray,
    s_high: FloatArray,
) -> dict[str, Any]:
    """Regime formulas for games with ξ_1 ≠ 0 ≠ ξ_2 (see the module docstring and docs/theory)."""
    n = g.V.shape[0]
    p1, p2, x1, x2, P = g.p1, g.p2, g.xi1, g.xi2, g.P
    c1, c2 = g.c[:, 0], g.c[:, 1]
    vv, lv, vl = code == 0, code == 2, code == 3
    # stay-forever (r = 1) and leave-after-the-first-failure (r = 0) outcomes
    J10, U10 = c1 / p1, x1 / p1
    J11, U11 = c1 + (1 - p1) * c2 / p2, x1 + (1 - p1) * x2 / p2
    J2s, U2s = c2 / p2, x2 / p2
    Jq1, Jq2 = c1 + P * (1 - p1), c2 + P * (1 - p2)

    def stay_at(s: FloatArray) -> tuple[FloatArray, FloatArray]:  # route 1, cascade s, r = 1
        d = p1 + (1 - p1) * s
        return (c1 + (1 - p1) * s * c2 / p2) / d, (x1 + (1 - p1) * s * x2 / p2) / d

    s0f = np.where(lv, s0, 0.0)
    slf = np.where(vl, s_low, 0.0)
    shf = np.where(vl, s_high, 1.0)
    Js0, Us0 = stay_at(s0f)
    Jsl, Usl = stay_at(slf)
    # candidates in canonical order (1,0), (1,1), (1,s0), (1,s_low), (1,s_mix), (2,0)
    route_c = np.array([1, 1, 1, 1, 1, 2])
    J = np.full((6, n), np.inf)
    U = np.zeros((6, n))
    Q = np.ones((6, n))
    Sc = np.zeros((6, n))
    Sc[1] = 1.0
    # (1, 0)
    J[0] = np.where(vv | vl, J10, Jq1)
    U[0] = np.where(vv | vl, U10, x1)
    Q[0] = np.where(vv | vl, 0.0, 1.0)
    # (1, 1)
    J[1] = np.where(vv | lv, J11, Jq1)
    U[1] = np.where(vv | lv, U11, x1)
    Q[1] = np.where(vv | lv, 0.0, 1.0)
    # (1, s0): tie between staying and leaving; strong takes the provider's favourite
    stay0 = Js0 <= Jq1
    J[2] = np.where(lv, np.minimum(Js0, Jq1), np.inf)
    U[2] = np.where(lv, x1, 0.0)
    Q[2] = np.where(stay0, 0.0, 1.0)
    Sc[2] = s0f
    # (1, s_low): the user still stays
    J[3] = np.where(vl, Jsl, np.inf)
    U[3] = Usl
    Q[3] = 0.0
    Sc[3] = slf
    # (1, s) on the mixed branch (s_low, s_high), searched only where it could win
    best_other = np.min(J[[0, 1, 3]], axis=0)
    best_other = np.minimum(best_other, np.where(vv | lv, J2s, Jq2))
    w1, w2 = g.w1, g.w2
    # on the branch E[N_1] <= 1/(p1 + (1-p1) s_low) and E[N_2] <= E[N_2](s_high, r = 1): both
    # expectations rise with r, E[N_1] falls and E[N_2] rises with s; a lower bound of J follows
    e1_max = 1.0 / (p1 + (1 - p1) * slf)
    e2_max = (1 - p1) * shf / ((p1 + (1 - p1) * shf) * p2)
    bound = P + np.minimum(w1, w1 * e1_max) + np.minimum(0.0, w2 * e2_max)
    # the sum above cancels when P dwarfs the costs: widen it by its rounding error
    bound -= 1e-12 * (P + np.abs(w1) * e1_max + np.abs(w2) * e2_max)
    search = vl & (shf > slf) & (bound < best_other)
    if search.any():
        idx = np.flatnonzero(search)
        sub = g.subset(search)
        lo, hi = slf[search], shf[search]
        k = _scan_argmin(lambda x: _mixed_cost(sub, x), lo, hi)
        # the branch's minimum at one of its ends is a candidate already, (1, s_low) or (1, 1)
        end = _at_branch_end(lambda x: _mixed_cost(sub, x), lo, hi, k)
        live = ~end
        if live.any():
            sub = sub.subset(live)
            s_m, J_m = _golden_refine(lambda x: _mixed_cost(sub, x), lo[live], hi[live], k[live])
            J[4, idx[live]] = J_m
            Sc[4, idx[live]] = s_m
            br = sub.respond(1, s_m, "strong")
            U[4, idx[live]] = br.user_utility
            Q[4, idx[live]] = br.abandon
    # (2, 0)
    J[5] = np.where(vv | lv, J2s, Jq2)
    U[5] = np.where(vv | lv, U2s, x2)
    Q[5] = np.where(vv | lv, 0.0, 1.0)

    k = first_min(J)
    strong = {
        "route": route_c[k], "cascade": _take(Sc, k), "abandon": _take(Q, k),
        "provider_cost": _take(J, k), "user_utility": _take(U, k),
    }
    pref = (U[[0, 1, 5]], J[[0, 1, 5]], Q[[0, 1, 5]])
    # weak: at s0 the user leaves when that hurts the provider; staying there is only approached
    Jw = J  # row 2 is the only one that differs: reuse the arrays (strong was read above)
    Jw[2] = np.where(lv, np.maximum(Js0, Jq1), np.inf)
    kw = first_min(Jw)
    w_cost = _take(Jw, kw)
    not_att = lv & (Js0 < w_cost - TOL * np.abs(w_cost))
    Q[2] = np.where(Js0 >= Jq1, 0.0, 1.0)
    weak_eq = {
        "route": np.where(not_att, 1, route_c[kw]),
        "cascade": np.where(not_att, s0f, _take(Sc, kw)),
        "abandon": np.where(not_att, 0.0, _take(Q, kw)),
        "provider_cost": np.where(not_att, Js0, w_cost),
        "user_utility": np.where(not_att, Us0, _take(U, kw)),
        "attained": ~not_att,
    }
    return _finish(g, tie_break, code, s0, s_low, s_high, strong, weak_eq, pref)
