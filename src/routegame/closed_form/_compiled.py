r"""Compiled (numba) kernel of :func:`routegame.closed_form.solve_arrays` for generic games.

The maths is that of :mod:`routegame.closed_form.provider` (``_solve_fast`` and ``_finish``:
regime formulas, the mixed-branch search (scan, end test, golden section), the provider's
Stackelberg optimum under strong and weak tie-breaking, the user-preferred policy, the
misalignment gap and throttling), of :mod:`routegame.closed_form.user` (thresholds s0, s_low,
s_high and the best-response kernel ``respond``) and of :mod:`routegame.closed_form.outcomes`
(expected passes E[N_1], E[N_2] and the abandonment probability A). This module states no
formula of its own: it is the same sequence of IEEE operations, in the same order, fused into
one loop over the games (one pass over the inputs, every output written once; the output rows
one cache line apart modulo the page, :meth:`Workspace.blocks`), with the tolerance policy of
:mod:`routegame.engines.kernel` (64 ulps, ``TOL`` and ``ROUND``). numpy's reductions are
reproduced exactly, including their NaN rules (``argmin``/``argmax`` return the first NaN,
``minimum``/``maximum`` propagate it, ``fmin`` ignores it), so the kernel gives the numpy path's
outputs bit for bit on the games it handles.

Knife-edge games (ξ_1 = 0 or ξ_2 = 0, regime code 4) are flagged and left to the numpy
candidate solver (``_solve_generic``), as in the numpy dispatcher.

The module imports numba at its top: :mod:`routegame.closed_form.provider` imports it only when
:func:`routegame._jit.use_compiled` says so. Kernels are compiled with ``cache=True``,
``error_model="numpy"`` (a division by zero gives inf/NaN, as in numpy) and without fastmath.

Examples
--------
>>> import numpy as np
>>> from routegame.closed_form._compiled import solve_generic
>>> out = solve_generic(np.array([10.0]), np.array([20.0]), np.array([[4.0, 5.0]]),
...                     np.array([[1.0, 4.0]]), np.array([[0.3, 0.8]]), weak=False)
>>> int(out["route"][0]), round(float(out["cascade"][0]), 4), bool(out["_edge"][0])
(1, 0.2105, False)
"""

from __future__ import annotations

import functools
from typing import Any

import numba
import numpy as np

from routegame.engines.kernel import ROUND, TOL

__all__ = [
    "BOOL_OUT", "FLOAT_OUT", "INT_OUT", "Workspace", "round_sig", "set_threads", "solve_generic",
    "warm",
]

#: Float outputs (rows of the float block), in order.
FLOAT_OUT: tuple[str, ...] = (
    "s0", "s_low", "s_high", "cascade", "abandon", "provider_cost", "user_utility", "success",
    "weak_success", "pref_success", "throttle_success", "weak_cascade", "weak_abandon",
    "weak_provider_cost", "weak_user_utility", "pref_cascade", "pref_abandon",
    "pref_user_utility", "pref_provider_cost", "misalignment_gap", "price_of_alignment",
    "throttle_cascade", "throttle_abandon", "throttle_provider_cost", "throttle_user_utility",
)
#: Integer outputs (int64), in order.
INT_OUT: tuple[str, ...] = ("regime", "route", "weak_route", "pref_route", "throttle_route")
#: Boolean outputs, in order (``_edge``: a knife edge left to the numpy solver).
BOOL_OUT: tuple[str, ...] = ("weak_attained", "throttling_pays", "throttle_attained", "_edge")

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0  # the same constants as provider.py
_SCAN = 13
_GOLDEN_STEPS = 34
_FRAC = np.linspace(0.0, 1.0, _SCAN)[1:-1]
_END_STEPS = np.array([1e-10, 1e-8, 1e-6, 1e-4])  # provider._END_STEPS
_CHUNK = 2048  # games per chunk (the mixed-branch searches of a chunk run in lockstep)
_MIN_PER_THREAD = 1 << 14  # fewer games per thread are not worth a thread
_NAN = np.nan
_INF = np.inf
_TWO_ROUND = 2 * ROUND

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)
_inline = numba.njit(cache=True, error_model="numpy", nogil=True, inline="always")


@_jit
def _nminimum(a: float, b: float) -> float:
    """np.minimum of two scalars (NaN propagates)."""
    if a != a or b != b:
        return _NAN
    return a if a <= b else b


@_jit
def _nmaximum(a: float, b: float) -> float:
    """np.maximum of two scalars (NaN propagates)."""
    if a != a or b != b:
        return _NAN
    return a if a >= b else b


@_jit
def _argmax(v: Any, n: int) -> int:
    """np.argmax of v[:n] (the first NaN if any, else the first maximum)."""
    best = v[0]
    if best != best:
        return 0
    k = 0
    for j in range(1, n):
        x = v[j]
        if x != x:
            return j
        if x > best:
            best = x
            k = j
    return k


@_jit
def _first_min6(v: Any) -> int:
    """engines.kernel.first_min over v[:6] (0 if any NaN; else the first within TOL of the
    minimum, 0 if none), with selects instead of jumps."""
    anynan = False
    vmin = v[0]
    for j in range(6):
        x = v[j]
        anynan = anynan or x != x
        vmin = x if x < vmin else vmin
    lim = vmin + TOL * abs(vmin)
    k = 0
    for j in range(5, -1, -1):
        k = j if v[j] <= lim else k
    return 0 if anynan else k


@_inline
def _passes1(p1: float, p2: float, s: float, q: float) -> tuple[float, float]:
    """outcomes._expected_passes on route 1."""
    r = 1.0 - q
    one_minus_a = q + r * (p1 + (1.0 - p1) * s)
    one_minus_b = q + r * p2
    inv_b = 1.0 / one_minus_b
    n1 = 1.0 / one_minus_a
    n2 = (1.0 - p1) * s * r * n1 * inv_b
    return n1, n2


@_jit
def _passes(p1: float, p2: float, route: int, s: float, q: float) -> tuple[float, float]:
    """outcomes._expected_passes (route 1 or 2)."""
    if route == 1:
        return _passes1(p1, p2, s, q)
    r = 1.0 - q
    one_minus_b = q + r * p2
    return 0.0, 1.0 / one_minus_b


@_jit
def _success(p1: float, p2: float, route: int, s: float, q: float) -> float:
    """provider._finish.success_of: clip(p1 E[N_1] + p2 E[N_2], 0, 1)."""
    n1, n2 = _passes(p1, p2, route, s, q)
    x = p1 * n1 + p2 * n2
    if x != x:
        return x
    return min(max(x, 0.0), 1.0)


@_inline
def _mixed_cost(x1: float, x2: float, c1: float, c2: float, p1: float, p2: float, P: float,
                s: float) -> float:
    """provider._mixed_cost: J(s, r*(s)) on the mixed branch."""
    beta = 1.0 - p2
    al = (1.0 - p1) * (1.0 - s)
    n0 = x1
    n1 = x2 * (1.0 - p1) * s - beta * x1
    ab = al * beta
    qa = -n1 * ab
    qb = -2.0 * n0 * ab
    qc = n1 + n0 * (al + beta)
    sq = np.sqrt(_nmaximum(qb * qb - 4.0 * qa * qc, 0.0))
    h = -0.5 * (qb + (sq if qb >= 0 else -sq))
    ra = h / qa
    rb = qc / h
    if ra != ra:  # np.fmin: NaN is ignored
        r = rb
    elif rb != rb:
        r = ra
    else:
        r = ra if ra <= rb else rb
    if r != r:
        r = 0.0
    r = min(max(r, 0.0), 1.0)
    q = 1.0 - r
    e1, e2 = _passes1(p1, p2, s, q)
    return c1 * e1 + c2 * e2 + P * (q * ((1.0 - p1) * e1 + (1.0 - p2) * e2))


@_jit
def _thresholds(x1: float, x2: float, p1: float, p2: float) -> tuple[float, float, float]:
    """user._thresholds: (s0, s_low, s_high), NaN outside their regimes."""
    lv_t = x1 < 0 and x2 > 0
    vl_t = x1 > 0 and x2 < 0
    s0 = -x1 / (x2 / p2 - x1) if lv_t else _NAN
    s_high = x1 / (x1 - x2) if vl_t else _NAN
    if vl_t:
        k_ = (1.0 - p1) * (1.0 - p2)
        one_minus_k = p1 + (1.0 - p1) * p2
        pp = p2 * p2
        qa = x2 * k_
        qb = x2 * one_minus_k - x1 * pp
        qc = x1 * pp
        m = _nmaximum(_nmaximum(abs(qa), abs(qb)), abs(qc))
        if not m > 0:
            m = 1.0
        qa, qb, qc = qa / m, qb / m, qc / m
        disc = _nmaximum(qb * qb - 4.0 * qa * qc, 0.0)
        s_low = 2.0 * qc / (-qb + np.sqrt(disc))
    else:
        s_low = _NAN
    return s0, s_low, s_high


@_jit
def _search_bounds(x1: float, x2: float, c1: float, c2: float, p1: float, p2: float,
                   P: float) -> tuple[bool, float, float]:
    """Whether provider._solve_fast searches the mixed branch of this game, and its interval."""
    if not (x1 > 0 and x2 < 0):  # regime value-latency only
        return False, 0.0, 1.0
    _, slf, shf = _thresholds(x1, x2, p1, p2)
    d = p1 + (1 - p1) * slf
    Jsl = (c1 + (1 - p1) * slf * c2 / p2) / d
    Jq1 = c1 + P * (1 - p1)
    Jq2 = c2 + P * (1 - p2)
    best_other = _nminimum(_nminimum(_nminimum(c1 / p1, Jq1), Jsl), Jq2)
    w1 = c1 - P * p1
    w2 = c2 - P * p2
    e1_max = 1.0 / (p1 + (1 - p1) * slf)
    e2_max = (1 - p1) * shf / ((p1 + (1 - p1) * shf) * p2)
    bound = P + _nminimum(w1, w1 * e1_max) + _nminimum(0.0, w2 * e2_max)
    bound -= 1e-12 * (P + abs(w1) * e1_max + abs(w2) * e2_max)
    return (shf > slf and bound < best_other), slf, shf


@_jit
def _golden_block(m: int, gx1: Any, gx2: Any, gc1: Any, gc2: Any, gp1: Any, gp2: Any, gP: Any,
                  lo: Any, hi: Any, frac: Any, steps: Any, ga: Any, gb: Any, gxa: Any, gxb: Any,
                  gfa: Any, gfb: Any, gbest: Any, gk: Any, gdone: Any, live: Any, s_out: Any,
                  J_out: Any) -> None:
    """provider's search of the mixed branch for m games in lockstep (the games' independent
    chains of divisions and square roots overlap in the pipeline): ``_scan_argmin``, then
    ``_at_branch_end`` (gdone: the minimum is at an end of the branch, a candidate already),
    then ``_golden_refine`` on the other games: s_out, J_out."""
    for g in range(m):
        gbest[g] = _INF
        gk[g] = 0
        gdone[g] = False
    for j in range(frac.shape[0]):
        fj = frac[j]
        for g in range(m):
            f = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g],
                            lo[g] + (hi[g] - lo[g]) * fj)
            # np.argmin over the scan (the first NaN, else the first minimum), branch-free
            nan_f = f != f
            take = (not gdone[g]) and (nan_f or f < gbest[g])
            gk[g] = j if take else gk[g]
            gbest[g] = f if take else gbest[g]
            gdone[g] = gdone[g] or nan_f
    # provider._at_branch_end: f strictly rising along the probes from the end inwards
    nlive = 0
    for g in range(m):
        first = gk[g] == 0
        last = gk[g] == _SCAN - 3
        at_end = first or last
        if at_end:
            end = hi[g] if last else lo[g]
            width = (lo[g] - hi[g]) if last else (hi[g] - lo[g])
            f_prev = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g], end)
            for h in steps:
                f_next = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g],
                                     end + h * width)
                if not f_prev < f_next:
                    at_end = False
                    break
                f_prev = f_next
        gdone[g] = at_end
        if at_end:
            s_out[g] = 0.0
            J_out[g] = _INF
        else:
            live[nlive] = g
            nlive += 1
    for j in range(nlive):
        g = live[j]
        step = (hi[g] - lo[g]) / (_SCAN - 1)
        a = lo[g] + step * gk[g]
        b = lo[g] + step * (gk[g] + 2)
        ga[g] = a
        gb[g] = b
        gxa[g] = b - _GOLDEN * (b - a)
        gxb[g] = a + _GOLDEN * (b - a)
    for j in range(nlive):
        g = live[j]
        gfa[g] = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g], gxa[g])
        gfb[g] = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g], gxb[g])
    for _ in range(_GOLDEN_STEPS):
        for j in range(nlive):
            g = live[j]
            a, b, xa, xb, fa, fb = ga[g], gb[g], gxa[g], gxb[g], gfa[g], gfb[g]
            left = fa <= fb
            b = xb if left else b
            a = a if left else xa
            new_x = (b - _GOLDEN * (b - a)) if left else (a + _GOLDEN * (b - a))
            f_new = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g], new_x)
            ga[g], gb[g] = a, b
            gxb[g] = xa if left else new_x
            gfb[g] = fa if left else f_new
            gxa[g] = new_x if left else xb
            gfa[g] = f_new if left else fb
    for j in range(nlive):
        g = live[j]
        x = 0.5 * (ga[g] + gb[g])
        s_out[g] = x
        J_out[g] = _mixed_cost(gx1[g], gx2[g], gc1[g], gc2[g], gp1[g], gp2[g], gP[g], x)


@_jit
def _stationary(n0: float, n1: float, al: float, be: float) -> tuple[float, float]:
    """user._stationary_points: roots of g in (0, 1), NaN where none."""
    ab = al * be
    qa = -n1 * ab
    qb = -2.0 * n0 * ab
    qc = n1 + n0 * (al + be)
    disc = qb * qb - 4.0 * qa * qc
    sq = np.sqrt(disc) if disc >= 0 else _NAN
    h = -0.5 * (qb + (sq if qb >= 0 else -sq))
    r1 = h / qa
    r2 = qc / h
    return (r1 if 0 < r1 < 1 else _NAN), (r2 if 0 < r2 < 1 else _NAN)


@_jit
def _respond1_strong(x1: float, x2: float, c1: float, c2: float, p1: float, p2: float,
                     P: float, s: float, cand: Any, U: Any, J: Any, M: Any,
                     tied: Any) -> tuple[float, float]:
    """user.respond on route 1 under strong ties: (abandon, user_utility)."""
    beta = 1.0 - p2
    al = (1.0 - p1) * (1.0 - s)
    cand[0] = 0.0
    cand[1] = 1.0
    cand[2], cand[3] = _stationary(x1, x2 * (1.0 - p1) * s - beta * x1, al, beta)
    w1 = c1 - P * p1
    w2 = c2 - P * p2
    cand[4], cand[5] = _stationary(w1, w2 * (1.0 - p1) * s - beta * w1, al, beta)
    mag1 = abs(x1)
    mag2 = abs(x2)
    for j in range(6):
        rr = cand[j]
        if rr != rr:
            rr = 0.0
        q = 1.0 - rr
        e1, e2 = _passes1(p1, p2, s, q)
        A = q * ((1.0 - p1) * e1 + (1.0 - p2) * e2)
        if cand[j] != cand[j]:
            U[j] = -_INF  # the masked utility of select_response (the pick reads it back below)
        else:
            U[j] = x1 * e1 + x2 * e2
        J[j] = c1 * e1 + c2 * e2 + P * A
        M[j] = mag1 * e1 + mag2 * e2
    # engines.kernel.select_response (strong)
    k = _argmax(U, 6)
    umax = U[k]
    m_max = M[k] if cand[k] == cand[k] else 0.0
    pick = 0
    jbest = _INF
    first_tied = -1
    found_nan = False
    for j in range(6):
        valid = cand[j] == cand[j]
        mv = M[j] if valid else 0.0
        uv = U[j] if valid else 0.0
        rel = _nmaximum(abs(umax), abs(uv))
        t = valid and (umax - (TOL * rel + ROUND * (m_max + mv)) <= U[j])
        tied[j] = t
        if t and first_tied < 0:
            first_tied = j
        val = J[j] if t else _INF
        if not found_nan:  # argmin of where(tied, J, inf)
            if val != val:
                pick = j
                found_nan = True
            elif j == 0 or val < jbest:
                jbest = val
                pick = j
    if not tied[pick]:
        pick = first_tied if first_tied >= 0 else 0
    rr = cand[pick]
    if rr != rr:
        rr = 0.0
    # U at an invalid candidate is U(r = 0) in respond (never the pick unless nothing is tied)
    if cand[pick] != cand[pick]:
        e1, e2 = _passes1(p1, p2, s, 1.0)
        return 1.0 - rr, x1 * e1 + x2 * e2
    return 1.0 - rr, U[pick]


@_jit
def _kernel(V: Any, P_: Any, t: Any, c: Any, p: Any, weak: bool, frac: Any, steps: Any, F: Any,
            K: Any, B: Any, NV: Any, TL: Any, lo: int, hi: int) -> None:
    """Games lo..hi-1 (whole chunks of _CHUNK games from lo), written into the output blocks.

    The per-game code is written out in the loop of pass 2, not called: an inlined function
    taking the output and scratch arrays cost a reference count per array per game (~60 ns).
    """
    n = hi
    nchunks = (hi - lo + _CHUNK - 1) // _CHUNK
    for ch in range(nchunks):
        Jr = np.empty(6)
        Ur = np.empty(6)
        Qr = np.empty(6)
        Sr = np.empty(6)
        cand = np.empty(6)
        cu = np.empty(6)
        cj = np.empty(6)
        cm = np.empty(6)
        ct = np.empty(6, dtype=np.bool_)
        gi = np.empty(_CHUNK, dtype=np.int64)
        gw = np.empty((17, _CHUNK))
        gk = np.empty(_CHUNK, dtype=np.int64)
        glive = np.empty(_CHUNK, dtype=np.int64)
        gdone = np.empty(_CHUNK, dtype=np.bool_)
        start = lo + ch * _CHUNK
        stop = min(n, start + _CHUNK)
        # pass 1: the games whose mixed branch is searched, searched together
        m = 0
        for i in range(start, stop):
            x1 = V[i] * p[i, 0] - t[i, 0]
            x2 = V[i] * p[i, 1] - t[i, 1]
            go, s_lo, s_hi = _search_bounds(x1, x2, c[i, 0], c[i, 1], p[i, 0], p[i, 1], P_[i])
            if go:
                gi[m] = i
                gw[0, m], gw[1, m], gw[2, m], gw[3, m] = x1, x2, c[i, 0], c[i, 1]
                gw[4, m], gw[5, m], gw[6, m] = p[i, 0], p[i, 1], P_[i]
                gw[7, m], gw[8, m] = s_lo, s_hi
                m += 1
        if m > 0:
            _golden_block(m, gw[0], gw[1], gw[2], gw[3], gw[4], gw[5], gw[6], gw[7], gw[8], frac,
                          steps, gw[9], gw[10], gw[11], gw[12], gw[13], gw[14], gw[15], gk,
                          gdone, glive, gw[16], gw[9])
        # pass 2: everything else, game by game (s_m in gw[16], J_m in gw[9]; gdone: the
        # branch's minimum is at its end, the candidate row stays at J = inf)
        km = 0
        for i in range(start, stop):
            has_m = km < m and gi[km] == i
            s_m = gw[16, km] if has_m else 0.0
            J_m = gw[9, km] if has_m else 0.0
            if has_m:
                has_m = not gdone[km]
                km += 1
            V_, P, t1, t2 = V[i], P_[i], t[i, 0], t[i, 1]
            c1, c2, p1, p2 = c[i, 0], c[i, 1], p[i, 0], p[i, 1]
            x1 = V_ * p1 - t1
            x2 = V_ * p2 - t2
            NV[i, 0] = x1
            NV[i, 1] = x2
            if x1 == 0 or x2 == 0:
                code = 4
            elif x1 > 0 and x2 > 0:
                code = 0
            elif x1 < 0 and x2 < 0:
                code = 1
            elif x1 < 0:
                code = 2
            else:
                code = 3
            K[0, i] = code
            B[3, i] = code == 4
            s0, s_low, s_high = _thresholds(x1, x2, p1, p2)
            F[0, i] = s0
            F[1, i] = s_low
            F[2, i] = s_high
            if code == 4:
                continue  # knife edge: the numpy candidate solver fills this game
            # --- provider._solve_fast
            vv = code == 0
            lv = code == 2
            vl = code == 3
            # A value numpy computes for every game but reads only in some regimes is computed
            # here only there (the rows (1, s0) and (1, s_low) can win only in their regimes:
            # elsewhere their J is +inf and first_min takes an earlier row): fewer divisions, the
            # same outputs.
            Jq1 = c1 + P * (1 - p1)
            Jq2 = c2 + P * (1 - p2)
            s0f = s0 if lv else 0.0
            slf = s_low if vl else 0.0
            Js0 = Us0 = Jsl = Usl = 0.0
            if lv:
                d = p1 + (1 - p1) * s0f
                Js0 = (c1 + (1 - p1) * s0f * c2 / p2) / d
                Us0 = (x1 + (1 - p1) * s0f * x2 / p2) / d
            if vl:
                d = p1 + (1 - p1) * slf
                Jsl = (c1 + (1 - p1) * slf * c2 / p2) / d
                Usl = (x1 + (1 - p1) * slf * x2 / p2) / d
            # rows 0-3 and 5 are all set below; row 4 (the branch) only where it is searched
            Jr[4], Ur[4], Qr[4], Sr[4] = _INF, 0.0, 1.0, 0.0
            Sr[0], Sr[1], Sr[5] = 0.0, 1.0, 0.0
            if vv or vl:
                Jr[0], Ur[0], Qr[0] = c1 / p1, x1 / p1, 0.0
            else:
                Jr[0], Ur[0], Qr[0] = Jq1, x1, 1.0
            if vv or lv:
                Jr[1], Ur[1], Qr[1] = c1 + (1 - p1) * c2 / p2, x1 + (1 - p1) * x2 / p2, 0.0
            else:
                Jr[1], Ur[1], Qr[1] = Jq1, x1, 1.0
            Jr[2] = _nminimum(Js0, Jq1) if lv else _INF
            Ur[2] = x1 if lv else 0.0
            Qr[2] = 0.0 if Js0 <= Jq1 else 1.0
            Sr[2] = s0f
            Jr[3] = Jsl if vl else _INF
            Ur[3] = Usl
            Qr[3] = 0.0
            Sr[3] = slf
            J5 = c2 / p2 if (vv or lv) else Jq2
            if has_m:  # the branch search (pass 1 of _kernel: only where it can win)
                Jr[4] = J_m
                Sr[4] = s_m
                Qr[4], Ur[4] = _respond1_strong(x1, x2, c1, c2, p1, p2, P, s_m, cand, cu, cj, cm, ct)
            Jr[5] = J5
            if vv or lv:
                Ur[5], Qr[5] = x2 / p2, 0.0
            else:
                Ur[5], Qr[5] = x2, 1.0
            k = _first_min6(Jr)
            s_route = 2 if k == 5 else 1
            s_casc, s_ab, s_cost, s_util = Sr[k], Qr[k], Jr[k], Ur[k]
            u0, u1, u2 = Ur[0], Ur[1], Ur[5]  # the user-preferred candidates (1,0), (1,1), (2,0)
            j0, j1, j2 = Jr[0], Jr[1], Jr[5]
            w0, w1, w2 = Qr[0], Qr[1], Qr[5]
            # weak: row 2 is the infimum-or-leave row (+inf outside latency-value both times, so
            # there the weak pick is the strong one)
            if lv:
                Jr[2] = _nmaximum(Js0, Jq1)
                kw = _first_min6(Jr)
            else:
                kw = k
            w_cost = Jr[kw]
            not_att = lv and (Js0 < w_cost - TOL * abs(w_cost))
            Qr[2] = 0.0 if Js0 >= Jq1 else 1.0
            if not_att:
                w_route, w_casc, w_ab, w_cost, w_util = 1, s0f, 0.0, Js0, Us0
            else:
                w_route, w_casc, w_ab, w_util = (2 if kw == 5 else 1), Sr[kw], Qr[kw], Ur[kw]
            w_att = not not_att
            # --- provider._finish
            if weak:
                h_route, h_casc, h_ab, h_cost, h_util, h_att = w_route, w_casc, w_ab, w_cost, w_util, w_att
            else:
                h_route, h_casc, h_ab, h_cost, h_util, h_att = s_route, s_casc, s_ab, s_cost, s_util, True
            best_u = _nmaximum(_nmaximum(u0, u1), u2)
            terms = _TWO_ROUND * ((abs(x1) + abs(x2)) / min(p1, p2))
            v0 = j0 if u0 >= best_u - (TOL * _nmaximum(abs(best_u), abs(u0)) + terms) else _INF
            v1 = j1 if u1 >= best_u - (TOL * _nmaximum(abs(best_u), abs(u1)) + terms) else _INF
            v2 = j2 if u2 >= best_u - (TOL * _nmaximum(abs(best_u), abs(u2)) + terms) else _INF
            # np.argmin of (v0, v1, v2): the first NaN, else the first minimum (selects, no jumps)
            kp = 1 if v1 < v0 else 0
            kp = 2 if v2 < (v1 if v1 < v0 else v0) else kp
            kp = 2 if v2 != v2 else kp
            kp = 1 if v1 != v1 else kp
            kp = 0 if v0 != v0 else kp
            pw_k = w0 if kp == 0 else (w1 if kp == 1 else w2)
            pj_k = j0 if kp == 0 else (j1 if kp == 1 else j2)
            pref_route = 2 if kp == 2 else 1
            pref_casc = 1.0 if kp == 1 else 0.0
            gap = _nmaximum(best_u - h_util, 0.0)
            quit1 = c1 + P * (1.0 - p1)
            quit2 = c2 + P * (1.0 - p2)
            best_quit = _nminimum(quit1, quit2)
            pays = best_quit < h_cost - TOL * abs(h_cost)
            use2 = quit2 < quit1 - TOL * abs(quit1)
            over1 = _nmaximum(x1, 0.0)
            over2 = _nmaximum(x2, 0.0)
            via_s1 = (not use2) and (over2 < over1)
            th1 = t1 + over1 if (pays and not use2 and not via_s1) else t1
            th2 = t2 + over2 if (pays and (use2 or via_s1)) else t2
            if pays:
                th_route = 2 if use2 else 1
                th_casc = 1.0 if via_s1 else 0.0
                th_ab = 1.0
                th_cost = best_quit
                th_util = V_ * p2 - th2 if use2 else V_ * p1 - th1
                added = over2 if (use2 or via_s1) else over1
                th_att = not (weak and added > 0)
            else:
                th_route, th_casc, th_ab, th_cost, th_util, th_att = (h_route, h_casc, h_ab, h_cost,
                                                                      h_util, h_att)
            TL[i, 0] = th1
            TL[i, 1] = th2
            F[3, i] = h_casc
            F[4, i] = h_ab
            F[5, i] = h_cost
            F[6, i] = h_util
            # the same policy has the same success: computed once where policies coincide
            h_succ = _success(p1, p2, h_route, h_casc, h_ab)
            F[7, i] = h_succ
            if w_route == h_route and w_casc == h_casc and w_ab == h_ab:
                F[8, i] = h_succ
            else:
                F[8, i] = _success(p1, p2, w_route, w_casc, w_ab)
            F[9, i] = _success(p1, p2, pref_route, pref_casc, pw_k)
            F[10, i] = _success(p1, p2, th_route, th_casc, th_ab) if pays else h_succ
            F[11, i] = w_casc
            F[12, i] = w_ab
            F[13, i] = w_cost
            F[14, i] = w_util
            F[15, i] = pref_casc
            F[16, i] = pw_k
            F[17, i] = best_u
            F[18, i] = pj_k
            F[19, i] = gap
            F[20, i] = pj_k - h_cost
            F[21, i] = th_casc
            F[22, i] = th_ab
            F[23, i] = th_cost
            F[24, i] = th_util
            K[1, i] = h_route
            K[2, i] = w_route
            K[3, i] = pref_route
            K[4, i] = th_route
            B[0, i] = w_att
            B[1, i] = pays
            B[2, i] = th_att


_CONFIG: Any = numba.config
_THREADS = [int(_CONFIG.NUMBA_NUM_THREADS)]  # environment NUMBA_NUM_THREADS, else the cores


def set_threads(n: int | None) -> int:
    """Set the number of threads of the kernels (``None``: the default); returns it.

    The kernels release the GIL (``nogil=True``); a call on n games runs on up to this many
    threads, each on a contiguous slice of whole chunks. The default is numba's
    (environment variable ``NUMBA_NUM_THREADS``, else one per core).

    Examples
    --------
    >>> set_threads(1)
    1
    >>> set_threads(None) >= 1
    True
    """
    _THREADS[0] = max(1, int(_CONFIG.NUMBA_NUM_THREADS) if n is None else int(n))
    return _THREADS[0]


def _split(kernel: Any, n: int, *args: Any) -> None:
    """Run ``kernel(*args, lo, hi)`` over [0, n) in up to :func:`set_threads` slices at once."""
    parts = min(_THREADS[0], max(1, n // _MIN_PER_THREAD))
    if parts <= 1:
        kernel(*args, 0, n)
        return
    from concurrent.futures import ThreadPoolExecutor

    per = -(-n // parts)
    per = -(-per // _CHUNK) * _CHUNK  # whole chunks per thread
    bounds = [(lo, min(n, lo + per)) for lo in range(0, n, per)]
    with ThreadPoolExecutor(len(bounds)) as pool:
        for fut in [pool.submit(functools.partial(kernel, *args, lo, hi)) for lo, hi in bounds]:
            fut.result()


def _readonly(x: Any) -> np.ndarray:
    """A C-contiguous float64 read-only view (a copy only if needed): one numba signature
    for every input, whether the caller's array is writable or a broadcast view."""
    v = np.ascontiguousarray(x, dtype=np.float64).view()
    v.flags.writeable = False
    return v


def warm() -> None:
    """Compile (cold cache) or load (warm cache) both kernels, on a few games.

    Examples
    --------
    >>> warm()
    """
    one = np.ones(1)
    solve_generic(10 * one, 20 * one, np.array([[4.0, 5.0]]), np.array([[1.0, 4.0]]),
                  np.array([[0.3, 0.8]]), weak=False)
    round_sig(one, 15)


class Workspace:
    """Output blocks of :func:`solve_generic` kept for the next call (one caller at a time).

    A table solved block after block writes every block into the same memory: a fresh page
    costs the kernel more than its work on it (the operating system zeroes it first). The
    arrays :func:`solve_generic` returns are views of this memory, valid until the next call
    with the same workspace.

    Examples
    --------
    >>> w = Workspace()
    >>> a = w.take("F", (3, 4), np.float64)
    >>> b = w.take("F", (3, 2), np.float64)
    >>> a.shape, b.shape, bool(np.shares_memory(a, b)), b.flags.c_contiguous
    ((3, 4), (3, 2), True, True)
    """

    def __init__(self) -> None:
        self._flat: dict[str, np.ndarray] = {}

    def take(self, key: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A C-contiguous uninitialised array of ``shape``, in the memory kept under ``key``."""
        size = int(np.prod(shape))
        flat = self._flat.get(key)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._flat[key] = np.empty(size, dtype=dtype)
        return flat[:size].reshape(shape)

    def blocks(self, n: int) -> tuple[np.ndarray, ...]:
        """The output blocks of :func:`solve_generic` for n games, in one page-aligned buffer.

        F (float64), K (int64) and B (bool) have one row per output, each row ``_row_len``
        elements long (at least n); NV and TL are (n, 2). The kernel writes game i into every
        row at once, so the rows must not share a cache set: row j starts 64 (j + 2) bytes past
        a page boundary (a row stride of a multiple of the page size would put all of them in
        one set of the 8-way L1 cache and evict a line at every store).
        """
        nf, nk, nb = len(FLOAT_OUT), len(INT_OUT), len(BOOL_OUT)
        sizes = [(nf, _row_len(n, 8), np.float64), (nk, _row_len(n, 8), np.int64),
                 (nb, _row_len(n, 1), np.bool_)]
        pair = -(-16 * n // _PAGE) * _PAGE + _LINE
        total = _PAGE + 2 * _LINE + sum(m * r * np.dtype(d).itemsize for m, r, d in sizes)
        total += 2 * pair
        flat = self._flat.get("blocks")
        if flat is None or flat.size < total:
            flat = self._flat["blocks"] = np.empty(total, dtype=np.uint8)
        off = (-flat.ctypes.data) % _PAGE + 2 * _LINE
        out: list[np.ndarray] = []
        for m, r, d in sizes:
            nbytes = m * r * np.dtype(d).itemsize
            out.append(flat[off:off + nbytes].view(d).reshape(m, r))
            off += nbytes
        for _ in range(2):
            out.append(flat[off:off + 16 * n].view(np.float64).reshape(n, 2))
            off += pair
        return tuple(out)


_PAGE = 4096
_LINE = 64


def _row_len(n: int, itemsize: int) -> int:
    """Elements per output row: n rounded up to whole pages, plus one cache line (so that
    consecutive rows start one line apart modulo the page size)."""
    return (-(-n * itemsize // _PAGE) * _PAGE + _LINE) // itemsize


def solve_generic(V: np.ndarray, P: np.ndarray, t: np.ndarray, c: np.ndarray, p: np.ndarray,
                  weak: bool, work: Workspace | None = None) -> dict[str, np.ndarray]:
    """Run the fused kernel on flat games; knife edges are flagged in ``_edge``, not solved.

    Parameters
    ----------
    V, P : ndarray, shape (n,)
        Task values and penalties (float64).
    t, c, p : ndarray, shape (n, 2)
        Latencies, costs and success probabilities (float64).
    weak : bool
        Weak tie-breaking for the headline equilibrium and throttling.
    work : Workspace, optional
        Memory for the outputs, reused from call to call (the returned arrays are views of it,
        overwritten by the next call); default: fresh arrays.

    Returns
    -------
    dict of ndarray
        The flat arrays of ``provider._finish`` (the names of :data:`FLOAT_OUT`,
        :data:`INT_OUT`, :data:`BOOL_OUT`, ``net_value`` and ``throttle_latency``); the rows of
        games with ``_edge`` set are filled only for ``net_value``, ``regime`` and the
        thresholds.
    """
    n = V.shape[0]
    if work is None:
        work = Workspace()
    F, K, B, NV, TL = work.blocks(n)
    args = [_readonly(x) for x in (V, P, t, c, p)]
    _split(_kernel, n, *args, bool(weak), _FRAC, _END_STEPS, F, K, B, NV, TL)
    out: dict[str, np.ndarray] = {name: F[k, :n] for k, name in enumerate(FLOAT_OUT)}
    out.update({name: K[k, :n] for k, name in enumerate(INT_OUT)})
    out.update({name: B[k, :n] for k, name in enumerate(BOOL_OUT)})
    out["net_value"] = NV
    out["throttle_latency"] = TL
    return out


_POW10 = 10.0 ** np.arange(23.0)


@_jit
def _round_sig_kernel(a: Any, digits: int, out: Any, far: Any, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        x = a[i]
        mag = np.floor(np.log10(abs(x)))
        e = digits - 1 - mag if np.isfinite(mag) else 0.0
        k = min(max(abs(e), 0.0), 22.0)
        p = _POW10[int(k)]  # 10**k, exact for k <= 22 (as numpy's pow gives it)
        y = np.rint(x * p) / p if e >= 0 else np.rint(x / p) * p
        far[i] = abs(e) > 22 and np.isfinite(x) and x != 0
        out[i] = y if (np.isfinite(y) and x != 0) else x


def round_sig(a: np.ndarray, digits: int) -> np.ndarray:
    """:func:`routegame.model.results.round_sig` of a float64 array, fused (same result).

    The numpy function's steps, element by element: ``floor(log10|x|)``, one exact power of
    ten, one rounding (half to even, as ``np.round``); values beyond 10^±22 of the scale are
    formatted one by one, as there.

    Examples
    --------
    >>> import numpy as np
    >>> [float(v) for v in round_sig(np.array([-0.4999999999999999, 0.1 + 0.2, np.nan]), 15)]
    [-0.5, 0.3, nan]
    """
    flat = _readonly(np.reshape(a, -1))
    out = np.empty(flat.shape)
    far = np.empty(flat.shape, dtype=np.bool_)
    _split(_round_sig_kernel, flat.shape[0], flat, int(digits), out, far)
    if far.any():
        text = np.array([float(f"{v:.{digits}g}") for v in flat[far]])
        out[far] = np.where(np.isfinite(text), text, flat[far])
    return out.reshape(np.shape(a))
