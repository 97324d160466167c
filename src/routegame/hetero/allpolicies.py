r"""The provider's optimum over ALL policies on a task table (start distribution, cascade matrix).

The paper's class is (route, s): a pure start and a one-way cascade. Over all policies the
provider chooses a start distribution pi over the K models and a cascade matrix R (row j: where
the re-prompt after a failure on model j goes); for two models that is (pi_1, R_12 = s,
R_21 = u, the way back), a point of the cube [0, 1]^3. On a task table the provider's cost
J(pi, R) = J(pi, R, r*(pi, R)) at the user's best response r* is **not monotone and not
continuous** (it jumps where the user's response jumps), so no candidate list is exact. The
search is:

1. **lattice**: every policy whose start and cascade rows lie on the simplex lattice of step
   h = 1/m (for two models: the cube lattice of step 1/m, (m + 1)^3 policies; m = 8 by default);
   the user's best response at every node (the global search of :mod:`routegame.hetero.search`);
2. **refinement**: a pattern search from the ``starts`` best lattice nodes (and from the extra
   candidates, e.g. the paper-class optimum): at step h every neighbour x + h d is evaluated
   (two models: the 26 neighbours of the cube; K models: moving mass h from one entry of one
   row to another), the best strict improvement is taken, otherwise h is halved, down to
   ``h_min`` = 1e-7;
3. the best of all evaluated policies and extra candidates (ties within 1e-10, relative: the
   extra candidates first, so a paper-class policy is reported when nothing beats it; a
   refined policy is reported with its entries rounded to 1e-6 when its value is within 1e-7
   (relative) of the refined one, the precision the refinement claims); its
   response is recomputed by the **certified** search (``response_gap``: no response beats
   the reported one by more).

What is certified, and what is not. Every reported value is *attained*: the policy and the
user's response are given, the outcomes are exact, and ``response_gap`` bounds how much better
the user could respond. The optimum itself is **the best found** on the lattice of step 1/m plus
the refinement, not a certified global minimum: because J jumps with the user's response, no
Lipschitz bound on J over a cell exists, so no lower bracket is claimed. With the paper-class
optimum among the extra candidates the answer is never worse than the paper class (whose own
search has certified jump brackets, :mod:`routegame.hetero.provider`). The tests compare it with
dense grids (brute force) and with the K-model chain oracle.

Users: stationary and state-aware (the certified searches), hazard (no response). The
Bayes-optimal user is solved for the paper's class only (:mod:`routegame.hetero.bayes` keeps
its state along the paper's one-way cascade): :class:`~routegame.errors.NotSolvableError`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from routegame._types import FloatArray, IntArray
from routegame.errors import NotSolvableError, ParameterError
from routegame.hetero._candidates import pick_candidate, put_row

__all__ = [
    "AllPolicyOptimum",
    "PolicyEval",
    "global_search",
    "k_model_responder",
    "search_all_policies",
    "simplex_lattice",
    "two_model_responder",
]

#: default lattice divisions (two models: (8 + 1)^3 = 729 policies)
LATTICE_2 = 8
#: largest lattice of the K-model search (policies), which sets its default m
MAX_LATTICE = 2500
#: smallest refinement step
H_MIN = 1e-7
#: a refined policy is reported rounded to 1e-6 when its value is within this (relative)
SNAP_TOL = 1e-7


class PolicyEval(NamedTuple):
    """n policies with the user's responses and the outcomes."""

    start: FloatArray  #: pi, (n, K)
    cascade: FloatArray  #: R, (n, K, K)
    abandon: FloatArray  #: (n, d): q (d = 1), (q_1, .., q_K) (state-aware), q(1..H) (hazard)
    provider_cost: FloatArray  #: (n,)
    user_utility: FloatArray  #: (n,)
    success: FloatArray  #: (n,)
    passes: FloatArray  #: (n, K)
    indifferent: np.ndarray  #: (n,) bool
    gap: FloatArray  #: (n,) certified response gap (NaN: not certified; 0: no response)
    truncation: FloatArray  #: (n,) Bayes truncation bound (0 otherwise)

    def take(self, idx: Any) -> PolicyEval:
        """Rows idx of every field."""
        return PolicyEval(*(np.asarray(f)[idx] for f in self))

    @staticmethod
    def concat(parts: Sequence[PolicyEval]) -> PolicyEval:
        """Rows of several evaluations (the abandon widths must agree)."""
        return PolicyEval(*(np.concatenate([np.asarray(p[i]) for p in parts])
                            for i in range(len(PolicyEval._fields))))


#: responder(start (n, K), cascade (n, K, K), certify) -> PolicyEval
Responder = Callable[[FloatArray, FloatArray, bool], PolicyEval]


class AllPolicyOptimum(NamedTuple):
    """The result of :func:`global_search`: one policy and the search's bookkeeping."""

    point: PolicyEval  #: one row
    attained: bool  #: False only for an unattained weak infimum taken from an extra candidate
    source: str  #: "lattice", "refined" or "extra" (e.g. the paper class)
    lattice: int  #: m, the lattice step is 1/m
    evaluations: int  #: policies evaluated (lattice + refinement)
    step: float  #: the refinement step reached


def simplex_lattice(K: int, m: int) -> FloatArray:
    """The points of the probability simplex in R^K with coordinates in {0, 1/m, ..., 1}.

    Examples
    --------
    >>> simplex_lattice(3, 2).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]
    """
    pts = [c for c in itertools.product(range(m + 1), repeat=K - 1) if sum(c) <= m]
    return np.array([[*c, m - sum(c)] for c in pts], dtype=float) / m


def _policies(K: int, m: int) -> FloatArray:
    """All lattice policies as blocks (n, K + 1, K): block 0 the start, block 1 + j row j of R."""
    simplex = simplex_lattice(K, m)
    idx = np.array(list(itertools.product(range(simplex.shape[0]), repeat=K + 1)))
    return simplex[idx]


def _directions(K: int) -> list[tuple[tuple[int, int, int], ...]]:
    """Moves of the pattern search: tuples of (block, from, to) transfers of mass h.

    Two models: every combination of +-h on the three free coordinates (pi_1, s, u): 26 moves.
    K models: one transfer within one block: (K + 1) K (K - 1) moves.
    """
    if K == 2:
        out = []
        for signs in itertools.product((-1, 0, 1), repeat=3):
            if any(signs):
                out.append(tuple((b, 0 if sg > 0 else 1, 1 if sg > 0 else 0)
                                 for b, sg in enumerate(signs) if sg))
        return out
    return [((b, i, j),) for b in range(K + 1) for i in range(K) for j in range(K) if i != j]


def _apply(X: FloatArray, h: FloatArray, moves: Sequence[tuple[tuple[int, int, int], ...]]
           ) -> FloatArray:
    """Neighbours (n, D, K + 1, K) of the blocks X (n, K + 1, K) at steps h (n,)."""
    n = X.shape[0]
    out = np.repeat(X[:, None], len(moves), axis=1)
    for d, mv in enumerate(moves):
        for b, i, j in mv:
            amt = np.minimum(h, out[:, d, b, i])
            out[:, d, b, i] -= amt
            out[:, d, b, j] += amt
    # (for K = 2 the cube coordinates are pi_1, R_12, R_21; "from 0 to 1" raises the second
    # entry of block 0, i.e. lowers pi_1: the sign convention does not matter, both are moves)
    del n
    return out


def _split(X: FloatArray) -> tuple[FloatArray, FloatArray]:
    return X[:, 0, :], X[:, 1:, :]


def _score(e: PolicyEval, objective: str) -> FloatArray:
    if objective == "provider":
        return np.where(np.isnan(e.provider_cost), np.inf, e.provider_cost)
    return np.where(np.isnan(e.user_utility), np.inf, -e.user_utility)


def global_search(
    responder: Responder,
    K: int,
    objective: str = "provider",
    lattice: int | None = None,
    starts: int = 4,
    h_min: float = H_MIN,
    extra: Sequence[tuple[PolicyEval, bool]] = (),
    max_levels: int = 200,
) -> AllPolicyOptimum:
    """The best policy over all (start, cascade matrix): lattice, pattern refinement, extras.

    Parameters
    ----------
    responder : callable
        ``responder(start, cascade, certify) -> PolicyEval`` for n policies at once.
    K : int
        Number of models.
    objective : {"provider", "user"}
        Minimise J (the provider's optimum) or maximise U (the user-preferred policy).
    lattice : int, optional
        m, the lattice step 1/m; default 8 for two models, else the largest m with at most
        2500 lattice policies.
    starts : int
        Number of best lattice nodes the refinement starts from.
    h_min : float
        The refinement stops when the step is below this.
    extra : sequence of (PolicyEval, attained)
        One-row candidates (e.g. the paper-class optimum); the refinement also starts there.

    Examples
    --------
    A toy responder whose "cost" is the distance of the start to (0.3, 0.7):

    >>> def resp(st, R, certify):
    ...     n, K = st.shape
    ...     z = np.zeros(n)
    ...     return PolicyEval(st, R, z[:, None], np.abs(st[:, 0] - 0.3), z, z, np.zeros((n, K)),
    ...                       z.astype(bool), z, z)
    >>> res = global_search(resp, 2)
    >>> round(float(res.point.start[0, 0]), 6), res.source
    (0.3, 'refined')
    """
    if objective not in ("provider", "user"):
        raise ParameterError("objective", f"must be 'provider' or 'user', got {objective!r}")
    if lattice is None:
        lattice = LATTICE_2 if K == 2 else 1
        if K > 2:
            while _lattice_size(K, lattice + 1) <= MAX_LATTICE:
                lattice += 1
    if not isinstance(lattice, int) or lattice < 1:
        raise ParameterError("lattice", f"must be an integer >= 1, got {lattice!r}")
    X = _policies(K, lattice)
    ev = responder(*_split(X), False)
    count = X.shape[0]
    sc = _score(ev, objective)
    # starts: the best lattice nodes (distinct policies) and the extra candidates
    order = np.argsort(sc, kind="stable")[:max(1, starts)]
    cur = X[order]
    fcur = sc[order]
    cur_ev = ev.take(order)
    src = ["lattice"] * cur.shape[0]
    if extra:
        ex_blocks = np.stack([np.concatenate([e.start[:1], e.cascade[0]], axis=0)
                              for e, _ in extra])
        ex_ev = responder(*_split(ex_blocks), False)
        count += ex_blocks.shape[0]
        cur = np.concatenate([cur, ex_blocks])
        fcur = np.concatenate([fcur, _score(ex_ev, objective)])
        cur_ev = PolicyEval.concat([cur_ev, ex_ev])
        src += ["extra"] * ex_blocks.shape[0]
    moves = _directions(K)
    h = np.full(cur.shape[0], 1.0 / lattice)
    for _ in range(max_levels):
        act = np.flatnonzero(h >= h_min)
        if act.size == 0:
            break
        nb = _apply(cur[act], h[act], moves)  # (a, D, K + 1, K)
        D = nb.shape[1]
        flat = nb.reshape(-1, K + 1, K)
        e = responder(*_split(flat), False)
        count += flat.shape[0]
        s = _score(e, objective).reshape(act.size, D)
        k = np.argmin(s, axis=1)
        best = s[np.arange(act.size), k]
        tol = 1e-13 * np.maximum(1.0, np.abs(fcur[act]))
        better = best < fcur[act] - tol
        for a_i, idx in enumerate(act):
            if better[a_i]:
                cur[idx] = nb[a_i, k[a_i]]
                fcur[idx] = best[a_i]
                cur_ev = put_row(cur_ev, int(idx), e.take([a_i * D + k[a_i]]))
                src[idx] = "refined"
            else:
                h[idx] /= 2.0
    # the pick: lattice nodes, refined points, extra candidates
    cands: list[tuple[float, int, PolicyEval, bool, str]] = []
    for e_x, att in extra:  # as given (an unattained weak infimum stays a candidate)
        cands.append((float(_score(e_x, objective)[0]), 0, e_x, att, "extra"))
    for i in range(cur.shape[0]):
        cands.append((float(fcur[i]), 0 if src[i] == "extra" else 1, cur_ev.take([i]), True,
                      src[i]))
    # lowest value; prefer attained, then extra candidates (the paper class), then the lowest
    pick = pick_candidate(cands, value=lambda c: c[0], attained=lambda c: c[3],
                          order=lambda c: (c[1], c[0]))
    point = pick[2]
    if pick[3] and pick[4] == "refined":
        # report a simple policy when it is as good: entries rounded to 1e-6 (rows
        # renormalised), kept when J (or U) is within SNAP_TOL (relative) of the refined value
        blk = np.concatenate([point.start[:1], point.cascade[0]], axis=0)
        snap = np.round(blk, 6)
        snap /= snap.sum(axis=1, keepdims=True)
        if not np.array_equal(snap, blk):
            se = responder(*_split(snap[None]), False)
            count += 1
            if float(_score(se, objective)[0]) <= pick[0] + SNAP_TOL * max(1.0, abs(pick[0])):
                point = se
    if pick[3] and not (pick[4] == "extra" and np.all(np.isfinite(point.gap))):
        # (an extra candidate that comes with its certificate, e.g. the paper-class optimum,
        # is kept as it is: a re-search could pick another member of a tie at a jump)
        cert = responder(point.start, point.cascade, True)
        count += 1
        point = cert
    return AllPolicyOptimum(point, pick[3], pick[4], lattice, count, float(np.min(h)))


def _lattice_size(K: int, m: int) -> int:
    from math import comb

    return int(comb(m + K - 1, K - 1) ** (K + 1))


# ---------------------------------------------------------------------------------------------
# responders


def two_model_responder(ctx: Any, tie_break: str = "strong") -> Responder:
    """The user of ``ctx`` (:class:`routegame.hetero.provider.Ctx`) answering two-model
    policies (start (n, 2), cascade (n, 2, 2)) through :func:`routegame.hetero.provider.respond`.
    """
    from routegame.hetero.provider import respond

    if ctx.user == "bayes":
        raise NotSolvableError("the Bayes user is solved for the paper's policies (route, s) "
                               "only; use policies='paper'")

    def resp(start: FloatArray, cascade: FloatArray, certify: bool) -> PolicyEval:
        r = respond(ctx, np.ascontiguousarray(start[:, 0]),
                    np.ascontiguousarray(cascade[:, 0, 1]),
                    np.ascontiguousarray(cascade[:, 1, 0]), tie_break, certify)
        gap = np.asarray(r.gap, dtype=float) if certify else np.full(start.shape[0], np.nan)
        if ctx.user == "hazard":
            gap = np.zeros(start.shape[0])
        return PolicyEval(start, cascade, np.asarray(r.abandon), np.asarray(r.provider_cost),
                          np.asarray(r.user_utility), np.asarray(r.success),
                          np.asarray(r.passes), np.asarray(r.indifferent), gap,
                          np.asarray(r.truncation))

    return resp


def k_model_responder(
    prob: FloatArray, weight: FloatArray, task_value: float, penalty: float, latency: FloatArray,
    cost: FloatArray, user: str = "stationary", hazard: Sequence[float] = (1.0,),
    tie_break: str = "strong", latency_weight: float = 1.0,
) -> Responder:
    """The stationary user's certified best response (or the hazard user's given rule) to
    K-model policies on a table ``prob`` (T, K, A), through :func:`routegame.hetero.chain.chain_sums`.
    """
    from routegame.hetero.chain import chain_sums, combine
    from routegame.hetero.search import maximise

    K = prob.shape[1]
    V, P, lam = float(task_value), float(penalty), float(latency_weight)
    t = np.asarray(latency, dtype=float)
    c = np.asarray(cost, dtype=float)
    if user == "hazard":
        hz = np.asarray(hazard, dtype=float)

        def hresp(start: FloatArray, cascade: FloatArray, certify: bool) -> PolicyEval:
            n = start.shape[0]
            cont = np.broadcast_to(1.0 - hz[None, None, :], (n, K, hz.size)).copy()
            o = combine(chain_sums(prob, weight, start, cascade, cont), V, P, t, c, lam)
            return PolicyEval(start, cascade, np.broadcast_to(hz, (n, hz.size)).copy(),
                              o.provider_cost, o.user_utility, o.success, o.passes,
                              np.zeros(n, bool), np.zeros(n), np.zeros(n))

        return hresp
    if user != "stationary":
        raise NotSolvableError(f"the K-model search over all policies answers the stationary "
                               f"and hazard users, got {user!r}")

    def resp(start: FloatArray, cascade: FloatArray, certify: bool) -> PolicyEval:
        n = start.shape[0]

        def sums(items: IntArray, r: FloatArray) -> Any:
            cont = np.repeat(r[:, None, :1], K, axis=1)
            return chain_sums(prob, weight, start[items], cascade[items], cont)

        def evalf(items: IntArray, r: FloatArray) -> tuple[FloatArray, ...]:
            o = combine(sums(items, r), V, P, t, c, lam)
            return o.user_utility, o.provider_cost, V * o.success, lam * o.latency

        def bounds(items: IntArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
            a = combine(sums(items, lo), V, P, t, c, lam)
            b = sums(items, hi)
            return np.asarray(V * b.success - lam * a.latency, dtype=np.float64)

        res = maximise(evalf, bounds, n, 1, tie_break, certify=certify,
                       grid=None if certify else 33)
        cont = np.repeat(res.cont[:, None, :1], K, axis=1)
        o = combine(chain_sums(prob, weight, start, cascade, cont), V, P, t, c, lam)
        return PolicyEval(start, cascade, 1.0 - res.cont, o.provider_cost, o.user_utility,
                          o.success, o.passes, res.indifferent, res.gap, np.zeros(n))

    return resp


def paper_candidate(ctx: Any, tie_break: str, objective: str) -> tuple[PolicyEval, bool]:
    """The paper-class optimum of :func:`routegame.hetero.provider.search_paper_class` as a
    one-row :class:`PolicyEval` (and whether it is attained)."""
    from routegame.hetero.provider import search_paper_class

    c = search_paper_class(ctx, tie_break, objective)
    return paper_eval(c.route, c.cascade, c.resp), bool(c.attained)


def paper_eval(route: int, s: float, r: Any) -> PolicyEval:
    """A paper-class policy (route, s) with its responses ``r`` (PolicyResponses, one row)."""
    start = np.array([[1.0, 0.0]]) if route == 1 else np.array([[0.0, 1.0]])
    s_ = float(s) if route == 1 else 0.0
    R = np.array([[[1.0 - s_, s_], [0.0, 1.0]]])
    return PolicyEval(start, R, np.asarray(r.abandon), np.asarray(r.provider_cost),
                      np.asarray(r.user_utility), np.asarray(r.success), np.asarray(r.passes),
                      np.asarray(r.indifferent), np.asarray(r.gap, dtype=float),
                      np.asarray(r.truncation))


def search_all_policies(
    ctx: Any, tie_break: str = "strong", objective: str = "provider",
    lattice: int | None = None, starts: int = 4,
) -> tuple[AllPolicyOptimum, PolicyEval, bool]:
    """The two-model optimum over all policies (pi_1, s, u) of the game ``ctx``.

    Returns the optimum, the paper-class optimum (one row) and whether the latter is attained.
    The paper-class optimum is an extra candidate, so the answer is never worse than it.

    Examples
    --------
    >>> from routegame.hetero import HeteroGame
    >>> g = HeteroGame([[0.9, 0.95], [0.05, 0.6]], 10, 5, [1, 4], [1, 3])
    >>> best, paper, _ = search_all_policies(g.ctx)
    >>> bool(best.point.provider_cost[0] <= paper.provider_cost[0])
    True
    """
    paper, attained = paper_candidate(ctx, tie_break, objective)
    if lattice is None:  # the state-aware user's 2-D response is ~10x dearer: a coarser lattice
        lattice = LATTICE_2 if ctx.user != "state-aware" else LATTICE_2 // 2
    best = global_search(two_model_responder(ctx, tie_break), 2, objective, lattice, starts,
                         extra=[(paper, attained)])
    return best, paper, attained


def policy_label(start: FloatArray, cascade: FloatArray) -> str:
    """A short text of a two-model or K-model policy (for tables).

    Examples
    --------
    >>> policy_label(np.array([1.0, 0.0]), np.array([[0.5, 0.5], [0.0, 1.0]]))
    'start (1, 0), R [[0.5, 0.5], [0, 1]]'
    """
    def f(x: float) -> str:
        return f"{x:.6g}"

    st = ", ".join(f(float(x)) for x in start)
    rows = ", ".join("[" + ", ".join(f(float(x)) for x in row) + "]" for row in cascade)
    return f"start ({st}), R [{rows}]"
