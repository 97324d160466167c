"""Slow-but-obvious numerical engine for the two-model routing game.

This module is the project's *independent* check of :mod:`routegame.closed_form`. It knows the
model (``spec/model.md`` sections 2-4) and nothing derived from it: every outcome comes from
the absorbing chain of :mod:`routegame.markov.chain` (a linear solve), and every optimum from a
global search:

- **user best response**: U(q) on a dense grid of q in [0, 1] (both ends included); every grid
  local maximum is refined by root finding on dU/dq (the derivative is taken by complex-step
  differentiation of the chain solve, exact to rounding); the user is *indifferent* when two
  separated q, or a whole interval, reach the maximum within ``tol``;
- **provider**: J(i, s, q*(i, s)) over a grid of s for both routes, with tie-breaking among the
  user's maximisers (strong: for the provider, weak: against). Wherever the user's response
  changes between two grid points (it can jump), the change is located by bisection to ~1e-12
  and the provider's cost is taken at the point and on both sides; local minima of the smooth
  parts are refined with :func:`scipy.optimize.minimize_scalar` (bounded). Under weak
  tie-breaking an infimum reached only as a one-sided limit is reported with
  ``attained: False`` and the policy it is approached at. One-sided limits are taken only
  from inside [0, 1] (at s = 0 from the right, at s = 1 from the left), with the user's
  strict best response on the approaching side (never a tied response: a side where U is
  flat in q gives no limit); where q* is continuous across a change the limit is attained;
- **thresholds, user-preferred policy, throttling**: the same searches on other objectives.

Nothing here uses a geometric-series formula, the thresholds s0 / s_L / s_H or any knowledge of
which policies can be optimal; the net values xi_i = V p_i - t_i are used only to name the
regime and to place throttled latencies on the regime boundaries t_hat_i = V p_i.

Known limits (of any grid search): two changes of the user's response closer together than the
s-grid spacing (1/128) are resolved as one; features of U(q) narrower than the q-grid spacing
can be missed. Values within ``tol`` (relative) are treated as ties.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from routegame._types import FloatArray, TieBreak
from routegame.errors import ParameterError
from routegame.markov.chain import _outcome_parts
from routegame.model.params import GameParams, check_scalar, check_tie_break
from routegame.model.policy import check_route, check_tol

__all__ = [
    "numeric_best_response",
    "numeric_equilibrium",
    "numeric_solve",
    "numeric_thresholds",
    "numeric_throttling",
    "numeric_user_preferred",
]

#: Points of the q grid of the public best response, and of the internal scans over s.
NUM_Q_BEST_RESPONSE = 2001
NUM_Q_SCAN = 129
#: Points of the s grid (per route).
NUM_S = 129
#: Width to which changes of the user's response are located.
BISECTION_WIDTH = 1e-12
#: Two maximisers closer than this are the same point.
Q_SEPARATION = 1e-7
_COMPLEX_STEP = 1e-30
_SPLIT = 8


# --------------------------------------------------------------------------------------------
# The game and its chain
# --------------------------------------------------------------------------------------------


def _as_params(params: GameParams | Mapping[str, Any]) -> GameParams:
    if isinstance(params, GameParams):
        g = params
    elif isinstance(params, Mapping):
        g = GameParams.from_dict(params)
    else:
        raise ParameterError("params", f"must be a GameParams or a mapping, got {params!r}")
    if g.num_models != 2:
        raise ParameterError("models", f"the numeric engine solves 2-model games, got {g.num_models}")
    return g


def _check_tie_break(tie_break: Any) -> TieBreak:
    return check_tie_break(tie_break)


def _check_points(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(field, f"must be an integer >= 1, got {value!r}")
    return int(value)


class _Game:
    """A two-model game; evaluates the chain for arrays of (route index, s, q)."""

    def __init__(self, params: GameParams) -> None:
        self.params = params
        self.V = params.task_value
        self.P = params.penalty
        self.t = params.latency
        self.c = params.cost
        self.p = params.success_prob
        #: rounding level of U: a few ulps of the largest terms V S and L
        self.noise = 16 * np.finfo(float).eps * (self.V + self.t.max()) / self.p.min()

    @staticmethod
    def _policy(r_idx: Any, s: Any) -> tuple[Any, Any]:
        """start (..., 2) and cascade matrix (..., 2, 2) of policies (route index 0/1, s)."""
        r_idx, s = np.broadcast_arrays(np.asarray(r_idx), np.asarray(s, dtype=np.float64))
        start = (r_idx[..., None] == np.arange(2)).astype(np.float64)
        R = np.zeros((*s.shape, 2, 2))
        R[..., 0, 0] = 1.0 - s
        R[..., 0, 1] = s
        R[..., 1, 1] = 1.0
        return start, R

    def evaluate(self, r_idx: Any, s: Any, q: Any) -> tuple[Any, Any, Any]:
        """(U, J, S) for broadcast-compatible arrays of route index, s and stationary q."""
        start, R = self._policy(r_idx, s)
        q_k = np.asarray(q, dtype=np.float64)[..., None]
        S, _L, _C, U, J, _n = _outcome_parts(self.V, self.P, self.t, self.c, self.p, start, R, q_k)
        return U, J, S

    def evaluate_d(self, r_idx: Any, s: Any, q: Any) -> tuple[Any, Any, Any, Any]:
        """(U, J, S, dU/dq) by one complex solve of the chain at q + ih (h = 1e-30).

        The real parts are the chain's values and Im(U)/h is dU/dq (complex-step
        differentiation: no subtraction, exact to rounding).
        """
        start, R = self._policy(r_idx, s)
        q_k = (np.asarray(q, dtype=np.float64) + 1j * _COMPLEX_STEP)[..., None]
        S, _L, _C, U, J, _n = _outcome_parts(self.V, self.P, self.t, self.c, self.p, start, R, q_k)
        return U.real, J.real, S.real, U.imag / _COMPLEX_STEP


# --------------------------------------------------------------------------------------------
# User best response, batched over policies
# --------------------------------------------------------------------------------------------


class _Response:
    """Best responses of a batch of B policies (arrays over the batch).

    Candidates are the grid points and the refined maxima, arrays (B, N) NaN-padded; a grid
    maximum that was refined is excluded (its refined point replaces it), except where U is
    flat to rounding: there the "maxima" are noise, every q is a maximiser, and the grid
    points (both ends included) must all stay candidates for the tie-breaking.
    """

    def __init__(
        self,
        q_all: FloatArray,
        U_all: FloatArray,
        J_all: FloatArray,
        tol: float,
        exclude: Any,
        flat: Any,
    ) -> None:
        self.q_all, self.U_all, self.J_all = q_all, U_all, J_all
        self.flat = flat
        exclude = np.asarray(exclude, dtype=bool) & ~np.asarray(flat, dtype=bool)[:, None]
        self.exclude = exclude
        self.tol = tol
        U_masked = np.where(np.isnan(U_all) | exclude, -np.inf, U_all)
        best = np.argmax(U_masked, axis=1)
        rows = np.arange(q_all.shape[0])
        self.U_star = U_masked[rows, best]
        #: exact maximiser (no tolerance): used to classify and to locate changes
        self.q_exact = q_all[rows, best]
        self.exact = (self.q_exact, J_all[rows, best], U_all[rows, best])
        self.tol_abs = tol * np.maximum(1.0, np.abs(self.U_star))
        self.members = U_masked >= (self.U_star - self.tol_abs)[:, None]
        q_lo = np.where(self.members, q_all, np.inf).min(axis=1)
        q_hi = np.where(self.members, q_all, -np.inf).max(axis=1)
        self.q_min = q_lo
        self.indifferent = (q_hi - q_lo) > Q_SEPARATION
        i_strong = np.argmin(np.where(self.members, J_all, np.inf), axis=1)
        i_weak = np.argmax(np.where(self.members, J_all, -np.inf), axis=1)
        self.strong = (q_all[rows, i_strong], J_all[rows, i_strong], U_all[rows, i_strong])
        self.weak = (q_all[rows, i_weak], J_all[rows, i_weak], U_all[rows, i_weak])

    def choice(self, tie_break: str) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(q, J, U) of the tie-broken response."""
        return self.strong if tie_break == "strong" else self.weak

    def klass(self) -> Any:
        """0: q* = 0, 1: q* = 1, 2: interior (exact maximiser); 3: U flat to rounding."""
        q = self.q_exact
        return np.where(self.flat, 3, np.where(q == 0.0, 0, np.where(q == 1.0, 1, 2)))


def _maximise_in_brackets(
    game: _Game, r: Any, s: Any, a: Any, b: Any, da: Any, db: Any, max_iter: int = 100
) -> tuple[Any, Any, Any]:
    """Roots of dU/dq in brackets [a, b] with dU/dq(a) > 0 > dU/dq(b) (vectorised Illinois).

    Returns q and (U, J) there.
    """
    a, b, fa, fb = (np.array(x, dtype=np.float64) for x in (a, b, da, db))
    x = 0.5 * (a + b)
    Ux = np.full(a.shape, np.nan)
    Jx = np.full(a.shape, np.nan)
    active = np.ones(a.shape, dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        aa, bb, ffa, ffb = a[idx], b[idx], fa[idx], fb[idx]
        xx = (aa * ffb - bb * ffa) / (ffb - ffa)
        lo, hi = np.minimum(aa, bb), np.maximum(aa, bb)
        bad = ~np.isfinite(xx) | (xx <= lo) | (xx >= hi)
        xx = np.where(bad, 0.5 * (aa + bb), xx)
        U, J, _S, fx = game.evaluate_d(r[idx], s[idx], xx)
        flip = np.sign(fx) != np.sign(ffb)
        new_a = np.where(flip, bb, aa)
        new_fa = np.where(flip, ffb, 0.5 * ffa)
        done = (fx == 0.0) | (np.abs(xx - bb) <= 4e-16 * np.maximum(np.abs(xx), 1e-300))
        done |= np.abs(new_a - xx) <= 1e-16
        a[idx], fa[idx], b[idx], fb[idx], x[idx] = new_a, new_fa, xx, fx, xx
        Ux[idx], Jx[idx] = U, J
        active[idx[done]] = False
    return x, Ux, Jx


def _best_responses(
    game: _Game, r_idx: Any, s: Any, num_q: int = NUM_Q_SCAN, tol: float = 1e-9
) -> _Response:
    """Best responses of B policies (r_idx, s), arrays of shape (B,)."""
    r_idx = np.atleast_1d(np.asarray(r_idx))
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    r_idx, s = np.broadcast_arrays(r_idx, s)
    B = s.shape[0]
    qg = np.linspace(0.0, 1.0, num_q)
    U, J, _S = game.evaluate(r_idx[:, None], s[:, None], qg[None, :])
    # U constant in q up to rounding (a knife edge): its exact maximiser is noise
    flat = np.ptp(U, axis=1) <= game.noise

    # grid local maxima whose neighbouring bracket holds a root of dU/dq are refined
    left = np.concatenate([np.full((B, 1), -np.inf), U[:, :-1]], axis=1)
    right = np.concatenate([U[:, 1:], np.full((B, 1), -np.inf)], axis=1)
    is_max = (left <= U) & (right <= U)
    bi, gi = np.nonzero(is_max)
    lo_i = np.maximum(gi - 1, 0)
    hi_i = np.minimum(gi + 1, num_q - 1)
    ends = np.concatenate([lo_i, hi_i])
    dU = game.evaluate_d(np.tile(r_idx[bi], 2), np.tile(s[bi], 2), qg[ends])[3]
    dlo, dhi = dU[: bi.size], dU[bi.size :]
    sel = (dlo > 0) & (dhi < 0)
    bi, gi, lo_i, hi_i, dlo, dhi = bi[sel], gi[sel], lo_i[sel], hi_i[sel], dlo[sel], dhi[sel]
    q_all = np.array(np.broadcast_to(qg, (B, num_q)))
    U_all, J_all = U, J
    exclude = np.zeros((B, num_q), dtype=bool)
    if bi.size:
        x, Ur, Jr = _maximise_in_brackets(
            game, r_idx[bi], s[bi], qg[lo_i], qg[hi_i], dlo, dhi
        )
        # The refined point replaces the grid maximum it came from (same hill). Only a failed
        # refinement falls back to the grid point: rounding-level differences of U are
        # ignored, the sign of dU/dq decides between an interior maximum and a grid point.
        worse = ~np.isfinite(Ur) | (Ur < U[bi, gi] - 1e-12 * np.maximum(1.0, np.abs(U[bi, gi])))
        x = np.where(worse, qg[gi], x)
        Ur = np.where(worse, U[bi, gi], Ur)
        Jr = np.where(worse, J[bi, gi], Jr)
        exclude[bi, gi] = True
        m = int(np.bincount(bi, minlength=B).max())
        order = np.argsort(bi, kind="stable")
        bi_s = bi[order]
        slot = np.arange(bi.size) - np.searchsorted(bi_s, bi_s)
        pads = [np.full((B, m), np.nan) for _ in range(3)]
        for pad, val in zip(pads, (x, Ur, Jr), strict=True):
            pad[bi_s, slot] = val[order]
        q_all = np.concatenate([q_all, pads[0]], axis=1)
        U_all = np.concatenate([U, pads[1]], axis=1)
        J_all = np.concatenate([J, pads[2]], axis=1)
        exclude = np.concatenate([exclude, np.zeros((B, m), dtype=bool)], axis=1)
    return _Response(q_all, U_all, J_all, tol, exclude, flat)


def _argmax_intervals(resp: _Response, row: int) -> list[list[float]]:
    """The user's maximisers of one policy as sorted [lo, hi] intervals (lo == hi: a point).

    Candidates (grid points and refined maxima) are sorted by q; a run of consecutive
    candidates that all reach the maximum within the tolerance is one interval.
    """
    q = resp.q_all[row]
    keep = ~np.isnan(q) & ~resp.exclude[row]
    q, mem = q[keep], resp.members[row][keep]
    order = np.argsort(q, kind="stable")
    q, mem = q[order], mem[order]
    intervals: list[list[float]] = []
    prev = False
    for qq, mm in zip(q, mem, strict=True):
        if mm and prev:
            intervals[-1][1] = float(qq)
        elif mm:
            intervals.append([float(qq), float(qq)])
        prev = bool(mm)
    merged: list[list[float]] = []
    for iv in intervals:
        if merged and iv[0] - merged[-1][1] <= Q_SEPARATION:
            merged[-1][1] = max(merged[-1][1], iv[1])
        else:
            merged.append(iv)
    return merged


def numeric_best_response(
    params: GameParams | Mapping[str, Any], route: int, cascade: float, tol: float = 1e-9
) -> dict[str, Any]:
    """The user's best response to the policy (route, cascade), by global search over q.

    Parameters
    ----------
    params : GameParams or mapping
        A two-model game (a mapping is read with :meth:`GameParams.from_dict`).
    route : {1, 2}
        Model of the first pass.
    cascade : float
        s in [0, 1].
    tol : float, default 1e-9
        Relative tolerance (times max(1, |U*|)) within which two utilities tie.

    Returns
    -------
    dict
        ``abandon``: the smallest maximiser q*; ``user_utility``: U*; ``indifferent``: whether
        separated q (or an interval) reach U* within ``tol``; ``argmax_set``: the maximisers as
        sorted ``[lo, hi]`` intervals (``lo == hi`` for a point).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> br = numeric_best_response(g, route=2, cascade=0)
    >>> br["abandon"], round(br["user_utility"], 9), br["indifferent"]
    (0.0, 5.0, False)
    """
    game = _Game(_as_params(params))
    r = check_route(route)
    s = check_scalar(cascade, "cascade")
    tol = check_tol(tol)
    resp = _best_responses(game, np.array([r - 1]), np.array([s]), NUM_Q_BEST_RESPONSE, tol)
    return {
        "abandon": float(resp.q_min[0]),
        "user_utility": float(resp.U_star[0]),
        "indifferent": bool(resp.indifferent[0]),
        "argmax_set": _argmax_intervals(resp, 0),
    }


# --------------------------------------------------------------------------------------------
# Scans over s: changes of the response, provider and user optima
# --------------------------------------------------------------------------------------------


class _Scan:
    """Best responses over a grid of s for both routes, and the located response changes."""

    def __init__(self, game: _Game, tol: float = 1e-9) -> None:
        self.game = game
        self.tol = tol
        self.s_grid = np.linspace(0.0, 1.0, NUM_S)
        r = np.repeat([0, 1], NUM_S)
        s = np.tile(self.s_grid, 2)
        self.grid = _best_responses(game, r, s, NUM_Q_SCAN, tol)
        self.grid_r, self.grid_s = r, s
        self._cache: dict[tuple[int, float], _Response] = {}
        self._locate_changes()

    def responses(self, r_idx: Any, s: Any) -> _Response:
        """Best responses of a batch of policies (route index 0/1, s)."""
        return _best_responses(self.game, r_idx, s, NUM_Q_SCAN, self.tol)

    def response_at(self, r: int, s: float) -> _Response:
        """Best response of one policy (memoised)."""
        key = (r, float(s))
        if key not in self._cache:
            self._cache[key] = self.responses(np.array([r]), np.array([s]))
        return self._cache[key]

    def _locate_changes(self) -> None:
        """Locate every change of the user's response between grid points.

        A change of class (q* = 0, interior, q* = 1) is located where the class first differs
        from the cell's left end; the rest of the cell is searched again, so that a cell with
        two changes (e.g. q* leaves 0 and reaches 1) yields both. A change of an interior q*
        within a cell is followed into the sub-cell where q* changes most: a jump keeps its
        size, a continuous change spreads over the sub-cells and is dropped.
        """
        g = self.grid
        n = NUM_S
        kl = g.klass()
        q = g.q_exact
        idx_a = np.concatenate([np.arange(n - 1), n + np.arange(n - 1)])
        idx_b = idx_a + 1
        changed = (kl[idx_a] != kl[idx_b]) | (
            (kl[idx_a] == 2) & (np.abs(q[idx_a] - q[idx_b]) > Q_SEPARATION)
        )
        idx_a, idx_b = idx_a[changed], idx_b[changed]
        cells = (
            self.grid_r[idx_a], self.grid_s[idx_a], self.grid_s[idx_b],
            kl[idx_a], kl[idx_b], q[idx_a], q[idx_b],
        )
        found: list[tuple[Any, ...]] = []
        for _round in range(4):
            if cells[0].size == 0:
                break
            res = self._bisect(*cells)
            found.append(res)
            r, a, b, ka, kb, qa, qb, end_b, end_k, end_q = res
            # the rest of a class-change cell may hold another change of class
            more = (ka != kb) & (kb != end_k) & (end_b > b)
            cells = (r[more], b[more], end_b[more], kb[more], end_k[more], qb[more], end_q[more])
        if found:
            r, a, b, ka, kb, qa, qb = (
                np.concatenate([f[i] for f in found]) for i in range(7)
            )
        else:
            r = np.zeros(0, dtype=np.int64)
            a = b = qa = qb = np.zeros(0)
            ka = kb = np.zeros(0, dtype=np.int64)
        M = r.size
        self.change_r = r
        self.change_left = a
        self.change_right = b
        self.change_at = 0.5 * (a + b)
        self.change_from = ka
        self.change_to = kb
        self.change_jump = np.abs(qb - qa)
        if M:
            both = self.responses(np.tile(r, 3), np.concatenate([self.change_at, a, b]))
            self.at = _take(both, slice(0, M))
            self.left = _take(both, slice(M, 2 * M))
            self.right = _take(both, slice(2 * M, 3 * M))

    def _bisect(
        self, r: Any, a: Any, b: Any, ka: Any, kb: Any, qa: Any, qb: Any
    ) -> tuple[Any, ...]:
        """Shrink cells [a, b] to width BISECTION_WIDTH around a change (see above).

        Returns the final cells and, for each, the original right end (s, class, q*).
        """
        end_b, end_k, end_q = b.copy(), kb.copy(), qb.copy()
        by_class = ka != kb
        M = r.size
        rows = np.arange(M)
        frac = np.arange(1, _SPLIT) / _SPLIT
        while M and np.any(b - a > BISECTION_WIDTH):
            pts = a[:, None] + (b - a)[:, None] * frac[None, :]
            resp = self.responses(np.repeat(r, _SPLIT - 1), pts.ravel())
            km = resp.klass().reshape(M, _SPLIT - 1)
            qm = resp.q_exact.reshape(M, _SPLIT - 1)
            S_all = np.concatenate([a[:, None], pts, b[:, None]], axis=1)
            K_all = np.concatenate([ka[:, None], km, kb[:, None]], axis=1)
            Q_all = np.concatenate([qa[:, None], qm, qb[:, None]], axis=1)
            # class change: first sub-cell whose right end differs in class from the left end
            j_class = np.argmax(K_all[:, 1:] != ka[:, None], axis=1)
            # value change: the sub-cell with the largest change of q*
            j_value = np.argmax(np.abs(np.diff(Q_all, axis=1)), axis=1)
            j = np.where(by_class, j_class, j_value)
            a, b = S_all[rows, j], S_all[rows, j + 1]
            ka, kb = K_all[rows, j], K_all[rows, j + 1]
            qa, qb = Q_all[rows, j], Q_all[rows, j + 1]
            # a continuous change spreads over the sub-cells, a jump stays in one: drop
            # cells whose largest sub-cell change is less than half of the cell's change
            total = np.abs(Q_all[:, -1] - Q_all[:, 0])
            keep = by_class | (np.abs(qb - qa) >= 0.5 * total)
            if not keep.all():
                r, a, b, ka, kb, qa, qb, by_class, end_b, end_k, end_q = (
                    x[keep] for x in (r, a, b, ka, kb, qa, qb, by_class, end_b, end_k, end_q)
                )
                M = r.size
                rows = np.arange(M)
        return r, a, b, ka, kb, qa, qb, end_b, end_k, end_q


def _take(resp: _Response, rows: slice) -> _Response:
    """The responses of a slice of the batch."""
    return _Response(
        resp.q_all[rows], resp.U_all[rows], resp.J_all[rows],
        resp.tol,
        resp.exclude[rows],
        resp.flat[rows],
    )


def _brent(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Bounded Brent minimisation of f on [lo, hi] (scipy)."""
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-11})
    return float(res.x)


def _smooth_minima(
    scan: _Scan,
    r: int,
    f: Callable[[float], float],
    grid_vals: FloatArray,
    change_left: FloatArray,
    change_right: FloatArray,
    best: float,
) -> list[float]:
    """s of the refined local minima of f on the smooth parts of route r (index 0/1).

    The parts are separated by the located changes of the user's response, where f may
    jump; ``change_left`` / ``change_right`` are f's one-sided limits there. A grid local
    minimum is refined by bounded Brent within its neighbours; a minimum that runs into a
    change is the one-sided limit there, reported by the caller, and is dropped here.
    """
    sel = scan.change_r == r
    ch_s = scan.change_at[sel]
    pts = np.concatenate([scan.s_grid, ch_s])
    lv = np.concatenate([grid_vals, change_left])
    rv = np.concatenate([grid_vals, change_right])
    is_ch = np.concatenate([np.zeros(NUM_S, dtype=bool), np.ones(ch_s.size, dtype=bool)])
    order = np.argsort(pts, kind="stable")
    pts, lv, rv, is_ch = pts[order], lv[order], rv[order], is_ch[order]
    n = pts.size
    tol_abs = scan.tol * max(1.0, abs(best))
    found: list[float] = []
    for m in range(n):
        if is_ch[m]:
            continue
        v = lv[m]
        left_v = rv[m - 1] if m > 0 else np.inf
        right_v = lv[m + 1] if m < n - 1 else np.inf
        if not (v <= left_v and v <= right_v):
            continue
        gap = max(x for x in (left_v, right_v) if np.isfinite(x)) - v
        if gap <= tol_abs:
            continue  # flat within the tolerance
        lo = float(pts[m - 1]) if m > 0 else float(pts[m])
        hi = float(pts[m + 1]) if m < n - 1 else float(pts[m])
        if m == 0 or m == n - 1:
            # an end of [0, 1]: the minimum is the end itself unless f decreases inwards
            inward = pts[m] + 1e-7 * (hi - lo) if m == 0 else pts[m] - 1e-7 * (hi - lo)
            if f(float(inward)) >= v:
                continue
        elif v - gap > best + tol_abs:
            continue  # a smooth local minimum gains less than ~gap/4 by refinement
        x = _brent(f, lo, hi)
        span = hi - lo
        if (m > 0 and is_ch[m - 1] and x - lo < 1e-6 * span) or (
            m < n - 1 and is_ch[m + 1] and hi - x < 1e-6 * span
        ):
            continue  # runs into a change: the one-sided limit there covers it
        found.append(x)
        best = min(best, f(x))
    return found


def _approaching_sides(scan: _Scan) -> tuple[Any, Any]:
    """Which sides of each located change give a one-sided limit (boolean arrays (M,)).

    A side gives a limit only if it lies inside [0, 1] (the left side of a change at s = 0
    and the right side of one at s = 1 are the end points themselves, attained and already
    scanned) and the user's strict best response there is defined: where U is flat in q
    to rounding (a knife edge, or within ~1e-13 of a threshold) the exact maximiser is
    noise and the user is indifferent, so that side is no limit of strict responses (the
    response it leads to is the one on the far side of the flat stretch).
    """
    left = (scan.change_left > 0.0) & ~scan.left.flat
    right = (scan.change_right < 1.0) & ~scan.right.flat
    return left, right


def _equilibrium_from_scan(scan: _Scan, tie_break: str) -> dict[str, Any]:
    """The provider's optimum (attained, or an unattained infimum) from the scan."""
    cands: list[dict[str, Any]] = []

    def add(r: int, s: float, choice: tuple[Any, Any, Any], k: int, attained: bool) -> None:
        q, J, U = choice
        cands.append({"route": r + 1, "cascade": float(s), "abandon": float(q[k]),
                          "provider_cost": float(J[k]), "user_utility": float(U[k]),
                          "attained": attained})

    g = scan.grid
    grid_choice = g.choice(tie_break)
    for k in range(g.U_star.size):
        add(int(scan.grid_r[k]), scan.grid_s[k], grid_choice, k, True)
    M = scan.change_r.size
    side_left = side_right = np.zeros(0, dtype=bool)
    if M:
        at_choice = scan.at.choice(tie_break)
        side_left, side_right = _approaching_sides(scan)
        for k in range(M):
            r, s_at = int(scan.change_r[k]), float(scan.change_at[k])
            add(r, s_at, at_choice, k, True)
            # one-sided limits: the user's strict preference on each side (no tolerance),
            # only from a side that is inside [0, 1] and where that preference is defined.
            # Where q* is continuous across the change (e.g. it leaves 0 smoothly), the
            # side's response is the user's response at the change itself: attained there.
            # Not where U is flat on a side or at the change (a knife edge): the user is
            # indifferent there, and the flat side's q* is noise.
            continuous = bool(
                scan.change_jump[k] <= Q_SEPARATION
                and not (scan.left.flat[k] or scan.right.flat[k] or scan.at.flat[k])
            )
            if side_left[k]:
                add(r, s_at, scan.left.exact, k, continuous)
            if side_right[k]:
                add(r, s_at, scan.right.exact, k, continuous)
    best = min(c["provider_cost"] for c in cands)
    for r in (0, 1):
        sel = scan.change_r == r

        def f(x: float, r: int = r) -> float:
            return float(scan.response_at(r, x).choice(tie_break)[1][0])

        grid_vals = grid_choice[1][r * NUM_S : (r + 1) * NUM_S]
        if M:
            # f's value on each side of a change: the limit where it is one, else f there
            change_left = np.where(
                side_left, scan.left.exact[1], scan.left.choice(tie_break)[1]
            )[sel]
            change_right = np.where(
                side_right, scan.right.exact[1], scan.right.choice(tie_break)[1]
            )[sel]
        else:
            change_left = change_right = np.zeros(0)
        for x in _smooth_minima(scan, r, f, grid_vals, change_left, change_right, best):
            add(r, x, scan.response_at(r, x).choice(tie_break), 0, True)
            best = min(best, cands[-1]["provider_cost"])

    attained = [c for c in cands if c["attained"]]
    limits = [c for c in cands if not c["attained"]]
    result = _pick_best(attained, "provider_cost", scan.tol, 1.0)
    if limits:
        best_lim = limits[int(np.argmin([c["provider_cost"] for c in limits]))]
        tol_abs = scan.tol * max(1.0, abs(result["provider_cost"]))
        if best_lim["provider_cost"] < result["provider_cost"] - tol_abs:
            result = dict(best_lim)
    if tie_break == "strong":
        result.pop("attained")
    return result


def _pick_best(cands: list[dict[str, Any]], key: str, tol: float, sign: float) -> dict[str, Any]:
    """Best candidate by ``sign * key``.

    Candidates within ``tol`` (relative) of the best tie; among them the lower route wins,
    then a corner cascade (s = 0, then s = 1), then the lower cascade.
    """
    vals = np.array([sign * c[key] for c in cands])
    best = vals.min()
    tol_abs = tol * max(1.0, abs(best))
    near = [c for c, v in zip(cands, vals, strict=True) if v <= best + tol_abs]

    def order(c: dict[str, Any]) -> tuple[int, int, float]:
        s = c["cascade"]
        return (c["route"], 0 if s == 0.0 else 1 if s == 1.0 else 2, s)

    chosen: dict[str, Any] = min(near, key=order)
    return dict(chosen)


def _user_preferred_from_scan(scan: _Scan) -> dict[str, Any]:
    """The user's favourite policy from the scan (U* is continuous in s: no limits)."""
    g = scan.grid
    cands: list[dict[str, Any]] = []

    def add(r: int, s: float, resp: _Response, k: int) -> None:
        cands.append({"route": r + 1, "cascade": float(s), "abandon": float(resp.q_min[k]),
                          "user_utility": float(resp.U_star[k])})

    for k in range(g.U_star.size):
        add(int(scan.grid_r[k]), scan.grid_s[k], g, k)
    M = scan.change_r.size
    for k in range(M):
        add(int(scan.change_r[k]), scan.change_at[k], scan.at, k)
    best = -max(c["user_utility"] for c in cands)
    for r in (0, 1):
        sel = scan.change_r == r

        def f(x: float, r: int = r) -> float:
            return -float(scan.response_at(r, x).U_star[0])

        grid_vals = -g.U_star[r * NUM_S : (r + 1) * NUM_S]
        ch = -scan.at.U_star[sel] if M else np.zeros(0)
        for x in _smooth_minima(scan, r, f, grid_vals, ch, ch, best):
            add(r, x, scan.response_at(r, x), 0)
            best = min(best, -cands[-1]["user_utility"])
    return _pick_best(cands, "user_utility", scan.tol, -1.0)


def numeric_equilibrium(
    params: GameParams | Mapping[str, Any], tie_break: TieBreak = "strong", tol: float = 1e-9
) -> dict[str, Any]:
    """The provider's optimal policy against the user's best response, by global search.

    Parameters
    ----------
    params : GameParams or mapping
        A two-model game.
    tie_break : {"strong", "weak"}
        Where the user is indifferent, the tie is broken for the provider (strong) or against
        it (weak).
    tol : float, default 1e-9
        Relative tolerance of ties (user utilities and provider costs).

    Returns
    -------
    dict
        ``route``, ``cascade``, ``abandon``, ``provider_cost``, ``user_utility``; under weak
        tie-breaking also ``attained``: ``False`` when the minimal cost is an infimum that no
        policy attains, then reported as the limit at the policy it is approached at (with
        the user's response on the approaching side).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> eq = numeric_equilibrium(g)
    >>> eq["route"], eq["cascade"], eq["abandon"], round(eq["provider_cost"], 6)
    (1, 0.0, 0.0, 3.333333)
    """
    tie_break = _check_tie_break(tie_break)
    scan = _Scan(_Game(_as_params(params)), check_tol(tol))
    return _equilibrium_from_scan(scan, tie_break)


def numeric_user_preferred(
    params: GameParams | Mapping[str, Any], tol: float = 1e-9
) -> dict[str, Any]:
    """The policy (route, cascade) that maximises the user's utility at the user's best response.

    Returns
    -------
    dict
        ``route``, ``cascade``, ``abandon`` (the user's response there), ``user_utility``.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> up = numeric_user_preferred(g)
    >>> up["route"], up["abandon"], round(up["user_utility"], 6)
    (1, 0.0, 6.666667)
    """
    scan = _Scan(_Game(_as_params(params)), check_tol(tol))
    return _user_preferred_from_scan(scan)


def _regime(xi: FloatArray) -> str:
    x1, x2 = float(xi[0]), float(xi[1])
    if x1 == 0.0 or x2 == 0.0:
        return "knife-edge"
    if x1 > 0 and x2 > 0:
        return "value-value"
    if x1 < 0 and x2 < 0:
        return "latency-latency"
    if x1 < 0 < x2:
        return "latency-value"
    return "value-latency"


def _thresholds_from_scan(scan: _Scan) -> dict[str, float | None]:
    """s0 / s_low / s_high from the located changes of the response to route 1.

    Classes of the response: 0 (q* = 0), 1 (q* = 1), 2 (interior), 3 (U flat to rounding,
    only ever within ~1e-13 of a threshold or on a knife edge).
    """
    xi = scan.game.params.net_value()
    out: dict[str, float | None] = {"s0": None, "s_low": None, "s_high": None}
    sel = scan.change_r == 0
    at, frm, to = scan.change_at[sel], scan.change_from[sel], scan.change_to[sel]
    order = np.argsort(at)
    changes = list(zip(at[order].tolist(), frm[order].tolist(), to[order].tolist(), strict=True))
    if xi[0] < 0 < xi[1]:
        leaves_one = [x for x, f_, _t in changes if f_ == 1]  # q* = 1 below s0, 0 above
        if leaves_one:
            out["s0"] = leaves_one[0]
    elif xi[0] > 0 > xi[1]:
        leaves_zero = [x for x, f_, _t in changes if f_ == 0]
        reaches_one = [x for x, _f, t_ in changes if t_ == 1]
        if leaves_zero:
            out["s_low"] = leaves_zero[0]
        if reaches_one:
            out["s_high"] = reaches_one[0]
    return out


def numeric_thresholds(params: GameParams | Mapping[str, Any]) -> dict[str, float | None]:
    """Where the user's best response to route 1 changes as the cascade s goes from 0 to 1.

    Returns
    -------
    dict
        ``s0``: where q* jumps from 1 to 0, when xi_1 < 0 < xi_2; ``s_low``: where q* leaves 0
        and ``s_high``: where q* becomes 1, when xi_1 > 0 > xi_2. ``None`` where the regime has
        no such threshold or the change does not happen for s in [0, 1].

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(4, 2), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> th = numeric_thresholds(g)
    >>> round(th["s0"], 9), th["s_low"], th["s_high"]
    (0.117647059, None, None)
    """
    scan = _Scan(_Game(_as_params(params)))
    return _thresholds_from_scan(scan)


def _throttle_values(t: float, Vp: float, num_points: int) -> list[float]:
    """Candidate served latencies t_hat >= t of one model (see numeric_throttling)."""
    vals = {t}
    if Vp > t:
        vals.add(Vp)
        for f in np.linspace(0.0, 1.0, num_points + 1)[1:-1]:
            vals.add(t + float(f) * (Vp - t))
    far = max(Vp, t)
    for mult in np.geomspace(1.5, 1e3, num_points + 1):
        vals.add(far * float(mult))
    return sorted(vals)


def _throttling(
    params: GameParams, tie_break: str, tol: float, base: dict[str, Any], num_points: int
) -> dict[str, Any]:
    V, t, p = params.task_value, params.latency, params.success_prob
    grids = [_throttle_values(float(t[i]), float(V * p[i]), num_points) for i in range(2)]
    best: dict[str, Any] | None = None
    for t1 in grids[0]:
        for t2 in grids[1]:
            if t1 == t[0] and t2 == t[1]:
                eq = base
            else:
                g = params.replace(latency=[t1, t2])
                eq = _equilibrium_from_scan(_Scan(_Game(g), tol), tie_break)
            cand = dict(eq, latency=[t1, t2])
            if best is None or cand["provider_cost"] < best["provider_cost"] - tol * max(
                1.0, abs(best["provider_cost"])
            ):
                best = cand
    assert best is not None
    pays = best["provider_cost"] < base["provider_cost"] - 1e-7 * max(
        1.0, abs(base["provider_cost"])
    )
    if not pays:
        best = dict(base, latency=[float(t[0]), float(t[1])])
    out = {
        "pays": bool(pays),
        "latency": [float(x) for x in best["latency"]],
        "route": best["route"],
        "cascade": best["cascade"],
        "abandon": best["abandon"],
        "provider_cost": best["provider_cost"],
        "user_utility": best["user_utility"],
    }
    if "attained" in best:
        out["attained"] = best["attained"]
    return out


def numeric_throttling(
    params: GameParams | Mapping[str, Any],
    tie_break: TieBreak = "strong",
    tol: float = 1e-9,
    num_points: int = 2,
) -> dict[str, Any]:
    """Whether raising the served latencies (t_hat_i >= t_i) lowers the provider's cost.

    Searches a grid of latency pairs: each t_hat_i in {t_i, the regime boundary V p_i where
    xi_i = 0 (when above t_i), ``num_points - 1`` points evenly between them,
    ``num_points + 1`` points geometrically from 1.5 to 1000 times max(t_i, V p_i)}, solving
    the equilibrium at every pair with :func:`numeric_equilibrium`'s search (so the cost is
    about ``(num_points + 3) ** 2`` equilibria). A grid search can show that throttling pays;
    it cannot prove that no latency pair off the grid would.

    Returns
    -------
    dict
        ``pays`` (strictly lower cost, beyond a relative 1e-7), ``latency`` [t_hat_1, t_hat_2]
        of the best pair (the original latencies when it does not pay), and the equilibrium
        there: ``route``, ``cascade``, ``abandon``, ``provider_cost``, ``user_utility``
        (and ``attained`` under weak tie-breaking).

    Examples
    --------
    >>> g = GameParams.two_model(10, 0, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> th = numeric_throttling(g)
    >>> th["pays"], th["latency"], round(th["provider_cost"], 6)
    (True, [1.0, 8.0], 1.0)
    """
    tie_break = _check_tie_break(tie_break)
    tol = check_tol(tol)
    _check_points(num_points, "num_points")
    g = _as_params(params)
    base = _equilibrium_from_scan(_Scan(_Game(g), tol), tie_break)
    return _throttling(g, tie_break, tol, base, num_points)


def numeric_solve(
    params: GameParams | Mapping[str, Any],
    tie_break: TieBreak = "strong",
    tol: float = 1e-9,
    throttling: bool = True,
    throttle_points: int = 2,
) -> dict[str, Any]:
    """Everything the batch output reports, computed by the numeric engine.

    Parameters
    ----------
    params : GameParams or mapping
        A two-model game.
    tie_break : {"strong", "weak"}
        Tie-breaking of the ``throttling`` search (``equilibrium`` is always strong and
        ``equilibrium_weak`` always weak).
    tol : float, default 1e-9
        Relative tolerance of ties.
    throttling : bool, default True
        Whether to run the (slow, ~1-2 s) throttling search; ``None`` is reported otherwise.
    throttle_points : int, default 2
        ``num_points`` of the throttling grid (see :func:`numeric_throttling`).

    Returns
    -------
    dict
        ``net_value``, ``regime``, ``thresholds``, ``equilibrium``, ``equilibrium_weak``,
        ``user_preferred``, ``misalignment_gap``, ``throttling``.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> out = numeric_solve(g, throttling=False)
    >>> out["regime"], out["equilibrium"]["route"], round(out["misalignment_gap"], 9)
    ('value-value', 1, 0.0)
    """
    tie_break = _check_tie_break(tie_break)
    tol = check_tol(tol)
    _check_points(throttle_points, "throttle_points")
    g = _as_params(params)
    scan = _Scan(_Game(g), tol)
    xi = g.net_value()
    strong = _equilibrium_from_scan(scan, "strong")
    weak = _equilibrium_from_scan(scan, "weak")
    preferred = _user_preferred_from_scan(scan)
    gap = preferred["user_utility"] - strong["user_utility"]
    throttle: dict[str, Any] | None = None
    if throttling:
        base = strong if tie_break == "strong" else weak
        throttle = _throttling(g, tie_break, tol, base, throttle_points)
    return {
        "net_value": [float(xi[0]), float(xi[1])],
        "regime": _regime(xi),
        "thresholds": _thresholds_from_scan(scan),
        "equilibrium": strong,
        "equilibrium_weak": weak,
        "user_preferred": preferred,
        "misalignment_gap": float(gap) if not math.isnan(gap) else gap,
        "throttling": throttle,
    }
