r"""Responses and the provider's optimum in the heterogeneous two-model game.

Policies are (pi_1, s, u): probability that the first pass is on M1, R_12 = s (cascade after an
M1 failure) and R_21 = u (back to M1 after an M2 failure). The paper's class is route 1
(pi_1 = 1) or route 2 (pi_1 = 0) with u = 0.

Users (the follower):

* ``stationary``: one continuation probability r = 1 - q after every failure; best response by
  the certified search of :mod:`routegame.hetero.search` over r in [0, 1];
* ``state-aware``: (r_1, r_2), one per model that just failed; certified search over [0, 1]^2;
* ``hazard``: a given abandon probability q(a) after the a-th failure (the provider optimises
  against it; the user does not respond);
* ``bayes``: the Bayes-optimal stopper of :mod:`routegame.hetero.bayes`.

The provider's cost along route 1, J(s) = J(s, r*(s)), is **not monotone** on a task table and
jumps where the user's response jumps (at such a point the user is indifferent between the two
responses, because max_r U(s, r) is continuous in s). The search is

1. a grid of 41 values of s (plus route 2);
2. every grid interval across which the response changes by more than 1e-3, and where the
   local maximum tracked from the left node does not lead to the right node's response (a
   continuous branch is not a jump), is cut by multisection (7 interior points per level) to
   a width below 1e-13: the jump point s* and the two one-sided responses. Local maxima are
   tracked by Newton for the stationary user without schedules and by the zoom of
   :mod:`routegame.hetero.search` (from the neighbouring responses) for the state-aware user
   and for schedules; the hazard and Bayes users get the global search. Under ``strong``
   the provider gets the better of the two at s* (the user's tie is broken in its favour);
   under ``weak`` the better one is an infimum approached from one side
   (``attained = False``);
3. zoom refinement of J(s) (17 points, shrunk 8-fold per level, 6 levels: 1e-7 in s,
   so about 1e-14 relative in J at a smooth minimum) on the jump-free
   grid intervals next to the best node, with the responses tracked locally as in 2;
4. the reported response is recomputed by the certified global search of
   :mod:`routegame.hetero.search`.

The result is the best of all candidates. It is exact up to the bisection width at jumps and
the zoom's precision on smooth pieces, provided J(s) has no local minimum narrower than the
grid step on a jump-free interval (the brute-force tests compare with grids of 2001 points).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from routegame._types import FloatArray, IntArray
from routegame.errors import ParameterError
from routegame.hetero._candidates import pick_candidate, put_row
from routegame.hetero.bayes import bayes_lattice, bayes_respond_many
from routegame.hetero.chain import combine, stationary_slopes, two_model_sums
from routegame.hetero.search import maximise

__all__ = ["Ctx", "PolicyResponses", "abandon_continuation", "respond", "search_paper_class"]

USERS = ("stationary", "state-aware", "hazard", "bayes")
_S_GRID = 41
_JUMP = 1e-3
_BISECT = 12  # multisection levels (7 interior points: width / 8 per level)
_SECTIONS = 7
_ZOOM_S = 6


class Ctx(NamedTuple):
    """One game: tasks, parameters and the kind of user."""

    prob: FloatArray  # (T, 2, A)
    weight: FloatArray  # (T,)
    V: float
    P: float
    t: FloatArray
    c: FloatArray
    lam: float
    user: str
    hazard: FloatArray  # (H,) abandon probabilities by failure count (hazard user)
    depth: int  # Bayes truncation depth (max)


class PolicyResponses(NamedTuple):
    """Responses of the user to n policies and the outcomes."""

    abandon: FloatArray  # (n, d): q (stationary d=1, state-aware d=2, hazard d=H, bayes d=1)
    user_utility: FloatArray
    provider_cost: FloatArray
    success: FloatArray
    passes: FloatArray  # (n, 2)
    indifferent: np.ndarray
    gap: FloatArray  # certified optimality gap of the user's response (0 for hazard)
    truncation: FloatArray  # Bayes truncation bound (0 otherwise)

    def take(self, idx: Any) -> PolicyResponses:
        """Rows idx of every field."""
        return PolicyResponses(*(np.asarray(f)[idx] for f in self))


def _cont_from_r(user: str, r: FloatArray) -> FloatArray:
    if user == "stationary":
        return np.repeat(r[:, None, :1], 2, axis=1)
    return r[:, :, None]  # state-aware: (M, 2) -> (M, 2, 1)


def _outcomes(ctx: Ctx, start1: FloatArray, s: FloatArray, u: FloatArray, cont: FloatArray) -> Any:
    sums = two_model_sums(ctx.prob, ctx.weight, start1, s, u, cont)
    return combine(sums, ctx.V, ctx.P, ctx.t, ctx.c, ctx.lam)


def outcomes_at(ctx: Ctx, start1: FloatArray, s: FloatArray, u: FloatArray,
                cont: FloatArray) -> Any:
    """Outcomes of policies against continuation tables cont (n, 2, H)."""
    return _outcomes(ctx, start1, s, u, cont)


def abandon_continuation(rule: Any, hazard: bool = False) -> FloatArray:
    """The continuation table (1, 2, H) of one abandon rule, for :func:`outcomes_at`.

    ``rule``: q (float), or (q_1, q_2) by the model that just failed, or (with ``hazard``)
    ``{"hazard": [q(1), q(2), ...]}`` by the number of failures so far; every q in [0, 1].

    Examples
    --------
    >>> abandon_continuation((0.25, 0.5))[0, :, 0].tolist()
    [0.75, 0.5]
    >>> abandon_continuation({"hazard": [0.5, 1.0]}, hazard=True)[0].tolist()
    [[0.5, 0.0], [0.5, 0.0]]
    """
    if hazard and isinstance(rule, Mapping):
        q = np.asarray(rule.get("hazard"), dtype=float)
        if q.ndim != 1 or q.size < 1:
            raise ParameterError("hazard", "must be a non-empty list")
        cont = np.broadcast_to(1.0 - q[None, None, :], (1, 2, q.size)).copy()
    else:
        q = np.asarray(rule, dtype=float)
        if q.ndim == 0:
            cont = np.full((1, 2, 1), 1.0 - float(q))
        elif q.shape == (2,):
            cont = (1.0 - q)[None, :, None]
        else:
            raise ParameterError("abandon", f"must be q or (q_1, q_2), got {rule!r}")
    if not np.all((q >= 0) & (q <= 1)):
        raise ParameterError("abandon", f"must be in [0, 1], got {rule!r}")
    return cont


def respond(ctx: Ctx, start1: FloatArray, s: FloatArray, u: FloatArray,
            tie_break: str = "strong", certify: bool = True) -> PolicyResponses:
    """The user's best response to n policies (arrays of shape (n,))."""
    n = start1.shape[0]
    if ctx.user in ("stationary", "state-aware"):
        d = 1 if ctx.user == "stationary" else 2

        def evalf(items: IntArray, r: FloatArray) -> tuple[FloatArray, ...]:
            o = _outcomes(ctx, start1[items], s[items], u[items], _cont_from_r(ctx.user, r))
            return o.user_utility, o.provider_cost, ctx.V * o.success, ctx.lam * o.latency

        def bounds(items: IntArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
            a = two_model_sums(ctx.prob, ctx.weight, start1[items], s[items], u[items],
                               _cont_from_r(ctx.user, lo))
            b = two_model_sums(ctx.prob, ctx.weight, start1[items], s[items], u[items],
                               _cont_from_r(ctx.user, hi))
            L_lo = combine(a, ctx.V, ctx.P, ctx.t, ctx.c, ctx.lam).latency
            return np.asarray(ctx.V * b.success - ctx.lam * L_lo, dtype=np.float64)

        slopes = None
        if ctx.user == "stationary" and ctx.prob.shape[2] == 1:
            p1, p2 = ctx.prob[:, 0, 0], ctx.prob[:, 1, 0]
            g1 = ctx.V * p1 - ctx.lam * ctx.t[0]
            g2 = ctx.V * p2 - ctx.lam * ctx.t[1]

            def slopes(items: IntArray, r: FloatArray) -> tuple[FloatArray, FloatArray]:
                return stationary_slopes(p1, p2, ctx.weight, g1, g2, start1[items], s[items],
                                         u[items], r[:, 0])

        res = maximise(evalf, bounds, n, d, tie_break, certify=certify, slopes=slopes,
                       grid=33 if not certify else None)
        o = _outcomes(ctx, start1, s, u, _cont_from_r(ctx.user, res.cont))
        return PolicyResponses(1.0 - res.cont, o.user_utility, o.provider_cost, o.success,
                               o.passes, res.indifferent, res.gap, np.zeros(n))
    if ctx.user == "hazard":
        H = ctx.hazard.shape[0]
        cont = np.broadcast_to(1.0 - ctx.hazard[None, None, :], (n, 2, H)).copy()
        o = _outcomes(ctx, start1, s, u, cont)
        return PolicyResponses(np.broadcast_to(ctx.hazard, (n, H)).copy(), o.user_utility,
                               o.provider_cost, o.success, o.passes, np.zeros(n, bool),
                               np.zeros(n), np.zeros(n))
    # bayes: paper class only
    if np.any(u != 0.0) or np.any((start1 != 0.0) & (start1 != 1.0)):
        from routegame.errors import NotSolvableError

        raise NotSolvableError("the Bayes user is solved for the paper's policies (route, s) only")
    lat = _bayes_lattice(ctx, tie_break)
    rows = bayes_respond_many(lat, np.where(start1 == 1.0, 1.0, 2.0), s, ctx.V, ctx.P, tie_break)
    return PolicyResponses(
        np.array([[r.abandon_first] for r in rows]),
        np.array([r.user_utility for r in rows]),
        np.array([r.provider_cost for r in rows]),
        np.array([r.success for r in rows]),
        np.array([r.passes for r in rows]),
        np.array([r.indifferent for r in rows]),
        np.zeros(n),
        np.array([r.truncation_bound for r in rows]),
    )


def local_respond(ctx: Ctx, start1: FloatArray, s: FloatArray, u: FloatArray,
                  r0: FloatArray, radius: float = 1.0 / 16.0) -> PolicyResponses | None:
    """The stationary user's local maximum near r0 (n,) by safeguarded Newton, or None when
    no derivative kernel applies (other users, schedules)."""
    if ctx.user != "stationary" or ctx.prob.shape[2] != 1:
        return None
    from routegame.hetero.search import newton

    p1, p2 = ctx.prob[:, 0, 0], ctx.prob[:, 1, 0]
    g1 = ctx.V * p1 - ctx.lam * ctx.t[0]
    g2 = ctx.V * p2 - ctx.lam * ctx.t[1]
    n = start1.shape[0]
    items = np.arange(n)

    def evalf(it: IntArray, r: FloatArray) -> tuple[FloatArray, FloatArray]:
        o = _outcomes(ctx, start1[it], s[it], u[it], _cont_from_r(ctx.user, r))
        return o.user_utility, o.provider_cost

    def slopes(it: IntArray, r: FloatArray) -> tuple[FloatArray, FloatArray]:
        return stationary_slopes(p1, p2, ctx.weight, g1, g2, start1[it], s[it], u[it], r[:, 0])

    r, _, _ = newton(evalf, slopes, items, r0[:, None], np.clip(r0 - radius, 0, 1),
                     np.clip(r0 + radius, 0, 1))
    o = _outcomes(ctx, start1, s, u, _cont_from_r(ctx.user, r))
    return PolicyResponses(1.0 - r, o.user_utility, o.provider_cost, o.success, o.passes,
                           np.zeros(n, bool), np.full(n, np.nan), np.zeros(n))


def _paper_local(ctx: Ctx, s: FloatArray, guesses: list[FloatArray],
                 tie_break: str) -> PolicyResponses:
    """Route-1 responses at s: the best of local maxima tracked from the guesses (abandon
    probabilities, (n, d) each): by Newton for the stationary user without schedules, by the
    zoom for state-aware users and schedules, else (hazard, Bayes) the global search."""
    ones = np.ones_like(s)
    zeros = np.zeros_like(s)
    best: PolicyResponses | None = None
    for gq in guesses:
        loc = local_respond(ctx, ones, s, zeros, 1.0 - gq[:, 0])
        if loc is None:  # no Newton kernel (state-aware, schedules): the zoom from the guess
            loc = _zoom_track(ctx, s, 1.0 - gq, 1.0 / 16.0)
        if loc is None:  # no search over responses (hazard, Bayes): the global search
            return _paper(ctx, ones, s, tie_break)
        if best is None:
            best = loc
        else:
            tol = 1e-9 * np.maximum(1.0, np.abs(best.user_utility))
            du = loc.user_utility - best.user_utility
            prefer = (du > tol) | ((np.abs(du) <= tol) & (
                (loc.provider_cost < best.provider_cost) == (tie_break == "strong")))
            best = PolicyResponses(*(np.where(_bc(prefer, f), fl, fb)
                                     for f, fl, fb in zip(best, loc, best, strict=True)))
    assert best is not None
    return best


_LATTICES: dict[int, Any] = {}


def _bayes_lattice(ctx: Ctx, tie_break: str) -> Any:
    """Lattice of the smallest depth 64 * 2^k <= ctx.depth whose truncation bound is < 1e-9 V."""
    key = hash((ctx.prob.tobytes(), ctx.weight.tobytes(), ctx.V, ctx.P, ctx.t.tobytes(),
                ctx.c.tobytes(), ctx.lam, ctx.depth, tie_break))
    if key in _LATTICES:
        return _LATTICES[key]
    depth = min(64, ctx.depth)
    while True:
        lat = bayes_lattice(ctx.prob, ctx.weight, ctx.V, ctx.P, ctx.t, ctx.c, ctx.lam, depth,
                            tie_break)
        worst = ctx.V * max(float(lat.m1_solv[depth]), float(lat.m2_tail.max()))
        if worst <= 1e-9 * max(1.0, ctx.V) or depth >= ctx.depth:
            break
        depth = min(2 * depth, ctx.depth)
    if len(_LATTICES) > 64:
        _LATTICES.clear()
    _LATTICES[key] = lat
    return lat


def _dist(a: PolicyResponses, b: PolicyResponses) -> FloatArray:
    return np.asarray(np.abs(a.abandon - b.abandon).max(axis=1), dtype=np.float64)


class Candidate(NamedTuple):
    """A policy of the paper's class with the user's response and outcomes."""

    route: int
    cascade: float
    resp: PolicyResponses  # one row
    attained: bool


def _paper(ctx: Ctx, routes: FloatArray, s: FloatArray, tie_break: str,
           certify: bool = False) -> PolicyResponses:
    start1 = (routes == 1).astype(float)
    return respond(ctx, start1, np.where(routes == 1, s, 0.0), np.zeros_like(s), tie_break,
                   certify)


def search_paper_class(ctx: Ctx, tie_break: str = "strong",
                       objective: str = "provider") -> Candidate:
    """Optimum over (route, s): the provider's (min J) or the user's (max U, ``"user"``)."""
    sg = np.linspace(0.0, 1.0, _S_GRID)
    routes = np.concatenate([[2.0], np.ones(_S_GRID)])
    svals = np.concatenate([[0.0], sg])
    R = _paper(ctx, routes, svals, tie_break)
    sign = 1.0 if objective == "provider" else -1.0

    def score(r: PolicyResponses) -> FloatArray:
        return np.asarray(sign * (r.provider_cost if objective == "provider" else r.user_utility))

    cands: list[tuple[float, int, float, PolicyResponses, bool]] = []
    sc = score(R)
    for i in range(R.user_utility.shape[0]):
        cands.append((float(sc[i]), int(routes[i]), float(svals[i]), R.take([i]), True))
    r1 = R.take(slice(1, None))
    jumps = _jumps(ctx, sg, r1, tie_break)
    if jumps.size:
        a, b, ra, rb = _locate_jumps(ctx, sg, r1, jumps, tie_break)
        sa, sb = score(ra), score(rb)
        if ctx.user in ("stationary", "state-aware"):
            ra, rb = _sharpen(ctx, sg, r1, jumps, a, ra, tie_break), _sharpen(
                ctx, sg, r1, jumps, b, rb, tie_break)
            sa, sb = score(ra), score(rb)
        for k in range(jumps.size):
            better_left = sa[k] <= sb[k]
            good = ra.take([k]) if better_left else rb.take([k])
            bad = rb.take([k]) if better_left else ra.take([k])
            s_good = float(a[k] if better_left else b[k])  # where the good response holds
            s_bad = float(b[k] if better_left else a[k])
            if objective == "user" or tie_break == "strong":
                cands.append((float(min(sa[k], sb[k])), 1, s_good, good, True))
            else:
                cands.append((float(min(sa[k], sb[k])), 1, s_good, good, False))
                cands.append((float(max(sa[k], sb[k])), 1, s_bad, bad, True))
    # zoom refinement around the best route-1 node, on jump-free neighbour intervals
    certify = ctx.user in ("stationary", "state-aware")
    certified: PolicyResponses | None = None
    best = int(np.argmin(sc[1:]))
    jump_set = set(jumps.tolist())
    lo_s = sg[best - 1] if best > 0 and (best - 1) not in jump_set else sg[best]
    hi_s = sg[best + 1] if best < _S_GRID - 1 and best not in jump_set else sg[best]
    if hi_s > lo_s:
        centre, h = float(sg[best]), float(sg[1] - sg[0])
        offs = np.linspace(-1.0, 1.0, 17)
        rr = R.take([best + 1])
        fbest = float(sc[best + 1])
        # Local responses need a start inside their basin: the response is continuous on the
        # jump-free interval [lo_s, hi_s], so start from the responses interpolated between
        # every point evaluated so far there (the centre's response alone is too far off at
        # the interval's ends, where a boxed Newton step stops short of the user's optimum).
        inside = np.flatnonzero((sg >= lo_s) & (sg <= hi_s))
        ks, kq = sg[inside], R.abandon[inside + 1]
        for _ in range(_ZOOM_S):
            xs = np.clip(centre + h * offs, lo_s, hi_s)
            guess = np.stack([np.interp(xs, ks, kq[:, j]) for j in range(kq.shape[1])], axis=1)
            rz = _paper_local(ctx, xs, [guess], tie_break)
            fz = score(rz)
            kz = int(np.argmin(fz))
            if fz[kz] < fbest:
                fbest, centre, rr = float(fz[kz]), float(xs[kz]), rz.take([kz])
            order = np.argsort(np.concatenate([ks, xs]), kind="stable")
            ks = np.concatenate([ks, xs])[order]
            kq = np.concatenate([kq, rz.abandon])[order]
            h /= 8.0
        if certify:
            # local responses can stop short of the user's optimum (a boxed Newton step), which
            # understates J: the zoom's candidate counts at its certified value
            rr = _paper(ctx, np.array([1.0]), np.array([centre]), tie_break, True)
            fbest = float(score(rr)[0])
            certified = rr
        cands.append((fbest, 1, centre, rr, True))
    # best: lowest score; prefer attained, then route 2, then small s (stable reporting)
    pick = pick_candidate(cands, value=lambda c: c[0], attained=lambda c: c[4],
                          order=lambda c: (c[1] == 1, c[2]))
    resp = pick[3]
    if pick[4] and certify and resp is not certified:
        # the reported response is recomputed by the certified global search
        resp = _paper(ctx, np.array([float(pick[1])]), np.array([pick[2]]), tie_break, True)
    return Candidate(pick[1], pick[2], resp, pick[4])


def _jumps(ctx: Ctx, sg: FloatArray, r1: PolicyResponses, tie_break: str) -> IntArray:
    """Grid intervals across which the response jumps: it changes by more than 1e-3 and the
    local maximum tracked from the left end (by Newton for the stationary user without
    schedules, else by the zoom of :func:`_zoom_track`) does not reach the right end's response
    (a continuous branch is not a jump)."""
    cand = np.flatnonzero(_dist(r1.take(slice(0, -1)), r1.take(slice(1, None))) > _JUMP)
    if cand.size == 0:
        return cand
    right = r1.take(cand + 1)
    tracked = local_respond(ctx, np.ones(cand.size), sg[cand + 1], np.zeros(cand.size),
                            1.0 - r1.abandon[cand, 0], radius=1.0)
    if tracked is None:
        tracked = _zoom_track(ctx, sg[cand + 1], 1.0 - r1.abandon[cand])
    if tracked is None:
        return cand
    # the branch from the left is continuous if it leads to the same maximum on the right
    same = _dist(tracked, right) <= 1e-6
    return np.asarray(cand[~same], dtype=np.int64)


def _zoom_track(ctx: Ctx, s: FloatArray, r0: FloatArray,
                step: float = 0.25) -> PolicyResponses | None:
    """The local maximum of U reached from r0 (n, d) at route 1, cascade s, by the zoom of
    :mod:`routegame.hetero.search` (first box r0 +- step, 14 levels): the branch tracking of
    :func:`_jumps` and :func:`_paper_local` for users without the Newton kernel (state-aware,
    schedules). None for the hazard and Bayes users (no search over continuation
    probabilities)."""
    if ctx.user not in ("stationary", "state-aware"):
        return None
    from routegame.hetero.search import _zoom

    n = s.size
    ones, zeros = np.ones(n), np.zeros(n)

    def evalf(it: IntArray, r: FloatArray) -> tuple[FloatArray, FloatArray]:
        o = _outcomes(ctx, ones[it], s[it], zeros[it], _cont_from_r(ctx.user, r))
        return o.user_utility, o.provider_cost

    r, _, _ = _zoom(evalf, np.arange(n), np.asarray(r0, dtype=np.float64), step, 14)
    o = _outcomes(ctx, ones, s, zeros, _cont_from_r(ctx.user, r))
    return PolicyResponses(1.0 - r, o.user_utility, o.provider_cost, o.success, o.passes,
                           np.zeros(n, bool), np.full(n, np.nan), np.zeros(n))


def _locate_jumps(
    ctx: Ctx, sg: FloatArray, r1: PolicyResponses, jumps: IntArray, tie_break: str
) -> tuple[FloatArray, FloatArray, PolicyResponses, PolicyResponses]:
    """Multisection of every jump interval (vectorised over jumps) to a width below 1e-13."""
    if ctx.user in ("stationary", "state-aware"):
        fixed = _fixed_branch_jumps(ctx, sg, r1, jumps, tie_break)
        if fixed is not None:
            return fixed
    a = sg[jumps].copy()
    b = sg[jumps + 1].copy()
    ra = r1.take(jumps)
    rb = r1.take(jumps + 1)
    k = _SECTIONS
    frac = np.arange(1, k + 1) / (k + 1)
    J_ = jumps.size
    for _ in range(_BISECT):
        mids = a[:, None] + (b - a)[:, None] * frac[None, :]  # (J, k)
        rep_a = ra.take(np.repeat(np.arange(J_), k))
        rep_b = rb.take(np.repeat(np.arange(J_), k))
        rm = _paper_local(ctx, mids.ravel(), [rep_a.abandon, rep_b.abandon],
                          tie_break)
        left = (_dist(rm, rep_a) <= _dist(rm, rep_b)).reshape(J_, k)
        nleft = np.where(left.all(axis=1), k, np.argmin(left, axis=1))
        for jj in range(J_):
            i = int(nleft[jj])
            if i > 0:
                a[jj] = mids[jj, i - 1]
                ra = put_row(ra, jj, rm.take([jj * k + i - 1]))
            if i < k:
                b[jj] = mids[jj, i]
                rb = put_row(rb, jj, rm.take([jj * k + i]))
        if float(np.max(b - a)) < 1e-13:
            break
    return a, b, ra, rb


def _fixed_branch_jumps(
    ctx: Ctx, sg: FloatArray, r1: PolicyResponses, jumps: IntArray, tie_break: str
) -> tuple[FloatArray, FloatArray, PolicyResponses, PolicyResponses] | None:
    """Jump points where the two branches' responses (those of the neighbouring grid nodes)
    stay best responses across the interval: bisection of U(s, r_right) - U(s, r_left) with the
    responses held fixed (exact outcome evaluations, no search noise), checked by the certified
    search at the located point (no third response better there). None if a check fails."""
    ra_r = 1.0 - r1.abandon[jumps]
    rb_r = 1.0 - r1.abandon[jumps + 1]
    a = sg[jumps].copy()
    b = sg[jumps + 1].copy()
    n = jumps.size
    ones, zeros = np.ones(n), np.zeros(n)

    def diff(x: FloatArray) -> FloatArray:
        ua = _outcomes(ctx, ones, x, zeros, _cont_from_r(ctx.user, ra_r)).user_utility
        ub = _outcomes(ctx, ones, x, zeros, _cont_from_r(ctx.user, rb_r)).user_utility
        return np.asarray(ub - ua, dtype=np.float64)

    if not (np.all(diff(a) <= 0.0) and np.all(diff(b) >= 0.0)):
        return None
    for _ in range(60):
        m = 0.5 * (a + b)
        right = diff(m) >= 0.0
        b = np.where(right, m, b)
        a = np.where(right, a, m)
        if float(np.max(b - a)) < 1e-14:
            break
    ra = _outcome_rows(ctx, a, ra_r, r1.abandon[jumps])
    rb = _outcome_rows(ctx, b, rb_r, r1.abandon[jumps + 1])
    glob = _paper(ctx, ones, 0.5 * (a + b), tie_break, certify=True)
    best = np.maximum(ra.user_utility, rb.user_utility)
    scale = np.maximum(np.abs(best), ctx.V)
    if np.any(glob.user_utility > best + 1e-9 * scale):
        return None
    return a, b, ra, rb


def _outcome_rows(ctx: Ctx, s: FloatArray, r: FloatArray, abandon: FloatArray) -> PolicyResponses:
    n = s.size
    o = _outcomes(ctx, np.ones(n), s, np.zeros(n), _cont_from_r(ctx.user, r))
    return PolicyResponses(np.asarray(abandon), o.user_utility, o.provider_cost, o.success,
                           o.passes, np.ones(n, bool), np.zeros(n), np.zeros(n))


def _sharpen(ctx: Ctx, sg: FloatArray, r1: PolicyResponses, jumps: IntArray, at: FloatArray,
             resp: PolicyResponses, tie_break: str) -> PolicyResponses:
    """The response at a located jump point, among the searched one and the responses of the
    two neighbouring grid nodes held fixed.

    Within 1e-13 of a jump the user is indifferent up to rounding between the two branches (and,
    for a linear-fractional utility, every response between them), so a global search there
    returns an arbitrary member of the tie; the branches' own responses (from the grid nodes)
    are best responses up to the rounding too. Among those whose utility is within 1e-12
    (relative) of the best, keep the provider's favourite (strong) or least favourite (weak).
    """
    out = resp
    for nodes in (jumps, jumps + 1):
        cont = _cont_from_r(ctx.user, 1.0 - r1.abandon[nodes])
        ones = np.ones(at.size)
        o = _outcomes(ctx, ones, at, np.zeros(at.size), cont)
        scale = np.maximum.reduce([np.abs(out.user_utility), np.abs(o.user_utility),
                                   np.full(at.size, ctx.V)])
        ok = o.user_utility >= out.user_utility - 1e-12 * scale
        better = o.provider_cost < out.provider_cost if tie_break == "strong" else (
            o.provider_cost > out.provider_cost)
        take = ok & (better | (o.user_utility > out.user_utility + 1e-12 * scale))
        if not np.any(take):
            continue
        cand = PolicyResponses(r1.abandon[nodes], o.user_utility, o.provider_cost, o.success,
                               o.passes, np.ones(at.size, bool), np.zeros(at.size),
                               np.zeros(at.size))
        out = PolicyResponses(*(np.where(_bc(take, f), fc, fo)
                                for f, fc, fo in zip(out, cand, out, strict=True)))
    return out


def _bc(mask: np.ndarray, f: Any) -> np.ndarray:
    f = np.asarray(f)
    return mask.reshape(mask.shape + (1,) * (f.ndim - 1))


def policy_map(ctx: Ctx, task_values: FloatArray, penalties: FloatArray,
               s_grid: int = 81) -> dict[str, FloatArray]:
    """The provider's optimum over (route, s) on a (V, P) grid (strong tie-breaking).

    The user's response does not depend on P, so for each V the responses are computed once on
    an s-grid of ``s_grid`` points (plus route 2), the response jumps are located by
    multisection (both one-sided responses kept), and for every P at once
    J = C + P (1 - S) is minimised over these candidates. Precision: exact at jump points and
    route 2, the s-grid step on smooth pieces (no per-P refinement).
    """
    nV, nP = task_values.size, penalties.size
    out = {k: np.zeros((nV, nP)) for k in ("route", "cascade", "provider_cost", "user_utility",
                                           "abandon", "success")}
    sg = np.linspace(0.0, 1.0, s_grid)
    for i, V in enumerate(task_values):
        c = ctx._replace(V=float(V), P=0.0)
        routes = np.concatenate([[2.0], np.ones(s_grid)])
        svals = np.concatenate([[0.0], sg])
        R = _paper(c, routes, svals, "strong")
        cand_route = list(routes)
        cand_s = list(svals)
        cand_C = list(R.provider_cost)  # with P = 0 this is C
        cand_S = list(R.success)
        cand_U = list(R.user_utility)
        cand_q = list(R.abandon[:, 0])
        r1 = R.take(slice(1, None))
        jumps = _jumps(c, sg, r1, "strong")
        if jumps.size:
            a, b, ra, rb = _locate_jumps(c, sg, r1, jumps, "strong")
            for side, sv in ((ra, a), (rb, b)):
                cand_route += [1.0] * jumps.size
                cand_s += list(sv)
                cand_C += list(side.provider_cost)
                cand_S += list(side.success)
                cand_U += list(side.user_utility)
                cand_q += list(side.abandon[:, 0])
        C = np.asarray(cand_C)
        S = np.asarray(cand_S)
        J = C[None, :] + penalties[:, None] * (1.0 - S[None, :])  # (nP, ncand)
        k = np.argmin(J, axis=1)
        out["route"][i] = np.asarray(cand_route)[k]
        out["cascade"][i] = np.asarray(cand_s)[k]
        out["provider_cost"][i] = J[np.arange(nP), k]
        out["user_utility"][i] = np.asarray(cand_U)[k]
        out["abandon"][i] = np.asarray(cand_q)[k]
        out["success"][i] = S[k]
    return out


def population_optimum(ctx: Ctx, types: FloatArray, s_grid: int = 81,
                       tie_break: str = "strong") -> dict[str, Any]:
    """A population of users: the provider's best (route, s) against types (V_i, lambda_i, m_i).

    Each type best-responds to the policy (the stationary or state-aware user of ``ctx.user``
    with its own V and latency weight); the provider minimises sum_i m_i J_i. The search runs
    over route 2 and an s-grid of ``s_grid`` points (precision: the grid step; the jump points
    of different types differ, so no common refinement applies). A type ``leaves`` when it
    abandons after the first failure (q = 1, or q_j = 1 for the model that failed first).
    """
    if ctx.user not in ("stationary", "state-aware"):
        from routegame.errors import NotSolvableError

        raise NotSolvableError("populations are solved for stationary and state-aware users")
    types = np.asarray(types, dtype=float)
    mass = types[:, 2] / types[:, 2].sum()
    sg = np.linspace(0.0, 1.0, s_grid)
    routes = np.concatenate([[2.0], np.ones(s_grid)])
    svals = np.concatenate([[0.0], sg])
    per_type = []
    for V, lam, _ in types:
        c = ctx._replace(V=float(V), lam=float(lam))
        per_type.append(_paper(c, routes, svals, tie_break))
    J = np.stack([r.provider_cost for r in per_type])  # (types, policies)
    total = mass @ J
    k = int(np.argmin(total))
    route = int(routes[k])
    rows: list[dict[str, Any]] = []
    share = 0.0
    for (V, lam, _), m, r in zip(types, mass, per_type, strict=True):
        q = r.abandon[k]
        first = 0 if route == 1 else 1
        leaves = bool(q[min(first, q.size - 1)] >= 1.0 - 1e-9)
        rows.append({"task_value": float(V), "latency_weight": float(lam), "mass": float(m),
                     "abandon": [float(x) for x in q], "user_utility": float(r.user_utility[k]),
                     "provider_cost": float(r.provider_cost[k]), "leaves": leaves})
        share += float(m) if leaves else 0.0
    return {"route": route, "cascade": float(svals[k]) if route == 1 else 0.0,
            "provider_cost": float(total[k]), "types": rows, "share_leaving": share}
