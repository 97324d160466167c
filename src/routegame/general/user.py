"""The user's exact best response in the K-model game, for three kinds of user.

Notation (``spec/model.md``, generalised to K models). A policy is a start distribution pi over
the K models and a row-stochastic cascade matrix R (R[j, k]: probability that the re-prompt after
a failure on model j goes to model k). With n_k the expected number of passes on model k,

    U = sum_k xi_k n_k,   xi_k = V p_k - t_k        (user utility, U = V S - L)
    J = P + sum_k g_k n_k,   g_k = c_k - P p_k      (provider cost, J = C + P (1 - S)).

Users
-----
* **stationary** (the paper's user): one abandon probability q after every failure. With
  r = 1 - q and A = diag(1 - p) R, n(r) = pi (I - r A)^{-1}, so U(r) = N(r) / D(r) is a ratio of
  polynomials, D(r) = det(I - r A) = prod_i (1 - r lambda_i(A)) > 0 on [0, 1] and
  deg N <= K - 1. The global maximum on [0, 1] is taken among r = 0, r = 1 and the real roots in
  (0, 1) of the numerator N' D - N D' of U' (degree <= 2K - 2); no grid is involved.
* **state-aware**: one q_j per model that just failed. After a failure on j the user continues
  iff the continuation value v_j = sum_k R[j, k] w_k is >= 0, where
  w_k = xi_k + (1 - p_k) max(0, v_k) is the value of being served by model k. This optimal
  stopping problem is solved exactly: backward induction when R is upper triangular
  (upward-only cascades), policy iteration with exact linear solves otherwise. Its best
  response is pure (q_j in {0, 1}) except where v_j = 0, which is reported as indifference.
* **lookahead** (optional): the user sees which model k will serve the next pass before
  deciding, and continues iff w_k >= 0 with w_k = xi_k + (1 - p_k) sum_l R[k, l] max(0, w_l).

Ties (the user indifferent between several responses) are broken by the provider's cost J:
``"strong"`` in the provider's favour, ``"weak"`` against it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from routegame._types import BoolArray, FloatArray, TieBreak
from routegame.engines.kernel import ROUND, SPREAD, select_response
from routegame.engines.kernel import TOL as KERNEL_TOL
from routegame.errors import NotSolvableError, ParameterError
from routegame.general._policy import (
    as_params,
    check_policy,
    check_tol,
    game_arrays,
    is_upward,
    net_costs,
)
from routegame.markov.chain import _expected_passes
from routegame.model.params import GameParams, check_game_arrays, check_tie_break

__all__ = [
    "LookaheadResponse",
    "StateAwareResponse",
    "StationaryResponse",
    "lookahead_best_response",
    "state_aware_best_response",
    "state_aware_best_response_arrays",
    "stationary_best_response",
    "stationary_best_response_arrays",
]

#: Default relative tolerance for ties (the one policy of :mod:`routegame.engines.kernel`).
TOL = KERNEL_TOL
#: Two maximisers r closer than this are the same point.
R_SEPARATION = SPREAD
#: Largest number of indifferent states whose 2^m stopping choices are enumerated exactly.
MAX_TIE_STATES = 12


def _num(x: Any) -> float:
    return float(x)


# --------------------------------------------------------------------------------------------
# Polynomial helpers, batched over a leading axis (coefficients in ascending order)
# --------------------------------------------------------------------------------------------


def _pmul(a: FloatArray, b: FloatArray) -> FloatArray:
    out = np.zeros((a.shape[0], a.shape[1] + b.shape[1] - 1))
    for i in range(a.shape[1]):
        out[:, i : i + b.shape[1]] += a[:, i : i + 1] * b
    return out


def _pder(a: FloatArray) -> FloatArray:
    if a.shape[1] == 1:
        return np.zeros_like(a)
    return a[:, 1:] * np.arange(1, a.shape[1])


def _det_poly(A: FloatArray) -> FloatArray:
    """Coefficients of det(I - r A) = prod_i (1 - r lambda_i), shape (B, K + 1)."""
    lam = np.linalg.eigvals(A)
    B, K = lam.shape
    coef = np.ones((B, 1), dtype=complex)
    for i in range(K):
        nxt = np.zeros((B, coef.shape[1] + 1), dtype=complex)
        nxt[:, :-1] += coef
        nxt[:, 1:] -= lam[:, i : i + 1] * coef
        coef = nxt
    return np.real(coef)


def _series(start: FloatArray, A: FloatArray, w: FloatArray, n: int) -> FloatArray:
    """a_m = pi A^m w for m = 0..n-1, shape (B, n)."""
    out = np.empty((start.shape[0], n))
    x = start.copy()
    for m in range(n):
        out[:, m] = np.einsum("bk,bk->b", x, w)
        x = np.einsum("bj,bjk->bk", x, A)
    return out


def _roots_in_unit(E: FloatArray) -> FloatArray:
    """Real roots in [0, 1] of each polynomial row of E (NaN-padded), shape (B, deg)."""
    B, n = E.shape
    out = np.full((B, max(n - 1, 1)), np.nan)
    mag = np.abs(E)
    big = mag.max(axis=1)
    keep = mag > 1e-13 * big[:, None]
    deg = np.where(keep.any(axis=1), n - 1 - np.argmax(keep[:, ::-1], axis=1), 0)
    for d in np.unique(deg):
        if d < 1:
            continue
        rows = np.flatnonzero(deg == d)
        c = E[rows, : d + 1]
        comp = np.zeros((rows.size, d, d))
        if d > 1:
            comp[:, np.arange(1, d), np.arange(d - 1)] = 1.0
        comp[:, :, -1] = -c[:, :d] / c[:, d : d + 1]
        roots = np.linalg.eigvals(comp)
        ok = (np.abs(roots.imag) <= 1e-6) & (roots.real >= -1e-9) & (roots.real <= 1 + 1e-9)
        r = np.clip(roots.real, 0.0, 1.0)
        # Two Newton steps on the polynomial itself sharpen roots found via eigenvalues.
        for _ in range(2):
            pv = np.zeros_like(r)
            dv = np.zeros_like(r)
            for k in range(d, -1, -1):
                dv = dv * r + pv
                pv = pv * r + c[:, k : k + 1]
            step = np.where(np.abs(dv) > 0, pv / np.where(dv == 0, 1.0, dv), 0.0)
            r = np.clip(r - np.where(np.abs(step) < 1e-3, step, 0.0), 0.0, 1.0)
        out[rows, :d] = np.where(ok, r, np.nan)
    return out


def _critical_points(start: FloatArray, A: FloatArray, w: FloatArray) -> FloatArray:
    """r in [0, 1] where d/dr [pi (I - rA)^{-1} w] = 0 (roots of N'D - ND'), NaN-padded."""
    K = A.shape[-1]
    D = _det_poly(A)
    a = _series(start, A, w, K)
    N = _pmul(D, a)[:, :K]
    E = _pmul(_pder(N), D) - _pmul(N, _pder(D))
    return _roots_in_unit(E)


def _passes_at(start: FloatArray, R: FloatArray, p: FloatArray, r: FloatArray) -> FloatArray:
    """Expected passes for a batch of stationary continuation probabilities r (B, M) -> (B, M, K)."""
    return np.asarray(
        _expected_passes(start[:, None, :], R[:, None, :, :], p[:, None, :], (1.0 - r)[..., None])
    )


# --------------------------------------------------------------------------------------------
# Stationary user
# --------------------------------------------------------------------------------------------


@attrs.frozen
class StationaryResponse:
    """The stationary user's best response to one policy.

    Attributes
    ----------
    abandon : float
        q*, the abandon probability after every failure (ties broken by ``tie_break``).
    user_utility : float
        U at q* (the user's maximal utility).
    provider_cost : float
        J at q*.
    indifferent : bool
        True when more than one q reaches the maximal utility.
    argmax : tuple of float
        Every maximising q, sorted; ``(0.0, 1.0)`` with ``flat`` when U does not depend on q.
    flat : bool
        True when U(q) is constant on [0, 1] (every q is a best response).
    tie_break : str
    """

    abandon: float
    user_utility: float
    provider_cost: float
    indifferent: bool
    argmax: tuple[float, ...]
    flat: bool
    tie_break: str = "strong"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "abandon": self.abandon,
            "user_utility": self.user_utility,
            "provider_cost": self.provider_cost,
            "indifferent": self.indifferent,
            "argmax": list(self.argmax),
            "flat": self.flat,
            "tie_break": self.tie_break,
        }


def _stationary_core(
    V: FloatArray, P: FloatArray, t: FloatArray, c: FloatArray, p: FloatArray,
    start: FloatArray, R: FloatArray, tie_break: str, tol: float,
) -> dict[str, Any]:
    """Flat-batch kernel: everything has a leading axis B."""
    xi = V[:, None] * p - t
    g = c - P[:, None] * p
    A_mat = (1.0 - p)[:, :, None] * R
    B, K = xi.shape
    crit_u = _critical_points(start, A_mat, xi)
    crit_j = _critical_points(start, A_mat, g)
    r = np.concatenate([np.zeros((B, 1)), np.ones((B, 1)), crit_u, crit_j], axis=1)
    valid = ~np.isnan(r)
    rr = np.where(valid, r, 0.0)
    n = _passes_at(start, R, p, rr)
    U = np.einsum("bmk,bk->bm", n, xi)
    # J = C + P A with A = q sum_k (1 - p_k) n_k: non-negative terms, no cancellation in P
    A = (1.0 - rr) * np.einsum("bmk,bk->bm", n, 1.0 - p)
    J = np.einsum("bmk,bk->bm", n, c) + P[:, None] * A
    # Flat: pi A^m xi = 0 for m = 1..K (then for every m, by Cayley-Hamilton).
    a = _series(start, A_mat, xi, K + 1)[:, 1:]
    mag = np.abs(xi)
    flat = np.abs(a).max(axis=1) <= (tol + ROUND) * mag.max(axis=1)
    M = np.einsum("bmk,bk->bm", n, mag)
    sel = select_response(r, U, J, M, tie_break, tol, flat)
    idx = np.arange(B)
    pick = sel.pick
    return {
        "abandon": 1.0 - rr[idx, pick],
        "user_utility": U[idx, pick],
        "provider_cost": J[idx, pick],
        "indifferent": sel.indifferent,
        "flat": flat,
        "_r": np.where(sel.tied, rr, np.nan),
    }


def _flatten_batch(
    params_arrays: tuple[Any, ...], start: Any, cascade: Any
) -> tuple[tuple[FloatArray, ...], tuple[int, ...]]:
    V, P, t, c, p = (np.asarray(x, dtype=np.float64) for x in params_arrays)
    st = np.asarray(start, dtype=np.float64)
    R = np.asarray(cascade, dtype=np.float64)
    K = t.shape[-1]
    shape = np.broadcast_shapes(
        V.shape, P.shape, t.shape[:-1], c.shape[:-1], p.shape[:-1], st.shape[:-1], R.shape[:-2]
    )
    B = int(np.prod(shape, dtype=np.int64))
    flat = (
        np.broadcast_to(V, shape).reshape(B),
        np.broadcast_to(P, shape).reshape(B),
        np.broadcast_to(t, (*shape, K)).reshape(B, K),
        np.broadcast_to(c, (*shape, K)).reshape(B, K),
        np.broadcast_to(p, (*shape, K)).reshape(B, K),
        np.broadcast_to(st, (*shape, K)).reshape(B, K),
        np.broadcast_to(R, (*shape, K, K)).reshape(B, K, K),
    )
    return flat, shape


def _validated_arrays(
    task_value: Any, penalty: Any, latency: Any, cost: Any, success_prob: Any, start: Any,
    cascade: Any,
) -> tuple[tuple[FloatArray, ...], tuple[int, ...]]:
    g = check_game_arrays(task_value, latency, success_prob, penalty=penalty, cost=cost)
    V, P, t, c, p = (g[k] for k in ("task_value", "penalty", "latency", "cost", "success_prob"))
    K = t.shape[-1]
    st, R = check_policy(start, cascade, K)
    try:
        return _flatten_batch((V, P, t, c, p), st, R)
    except ValueError:
        raise ParameterError("start", "batch shapes of the game and the policy do not broadcast") from None


def stationary_best_response_arrays(
    task_value: Any,
    penalty: Any,
    latency: Any,
    cost: Any,
    success_prob: Any,
    start: Any,
    cascade: Any,
    *,
    tie_break: TieBreak = "strong",
    tol: float = TOL,
) -> dict[str, Any]:
    """Stationary best responses for a batch of games and policies (exact, no grid).

    Parameters
    ----------
    task_value, penalty : array_like, shape (...)
    latency, cost, success_prob : array_like, shape (..., K)
    start : array_like, shape (..., K)
    cascade : array_like, shape (..., K, K)
    tie_break : {"strong", "weak"}
        Break the user's ties by the provider's cost J (for / against the provider).
    tol : float
        Relative tolerance on utilities for ties.

    Returns
    -------
    dict of ndarray
        ``abandon``, ``user_utility``, ``provider_cost``, ``indifferent``, ``flat``, each of the
        broadcast batch shape.

    Examples
    --------
    The paper's policy (route 1, s = 0.6) with xi_1 > 0 > xi_2: a mixed response.

    >>> out = stationary_best_response_arrays(10, 0, [1, 9], [0, 0], [0.3, 0.8], [1, 0],
    ...                                       [[0.4, 0.6], [0, 1]])
    >>> 0 < float(out["abandon"]) < 1
    True
    """
    tie_break = check_tie_break(tie_break)
    tol = check_tol(tol)
    (V, P, t, c, p, st, R), shape = _validated_arrays(
        task_value, penalty, latency, cost, success_prob, start, cascade
    )
    res = _stationary_core(V, P, t, c, p, st, R, tie_break, tol)
    return {k: np.asarray(v).reshape(shape) for k, v in res.items() if not k.startswith("_")}


def _one_policy(
    core: Any, params: Any, start: Any, cascade: Any, tie_break: str, tol: Any
) -> dict[str, Any]:
    """Run a batch kernel on one game and one policy (validated), batch axis of length 1."""
    g = as_params(params)
    tol = check_tol(tol)
    K = g.num_models
    st, R = check_policy(start, cascade, K)
    if st.shape != (K,) or R.shape != (K, K):
        raise ParameterError("start", "give one policy: start (K,), cascade (K, K)")
    V, P, t, c, p = game_arrays(g)
    return dict(core(np.array([V]), np.array([P]), t[None], c[None], p[None], st[None], R[None],
                     tie_break, tol))


def stationary_best_response(
    params: GameParams | Mapping[str, Any],
    start: Any,
    cascade: Any,
    *,
    tie_break: TieBreak = "strong",
    tol: float = TOL,
) -> StationaryResponse:
    """The stationary user's exact best response q* to the policy (start, cascade).

    U(r), r = 1 - q, is a ratio of polynomials; its global maximum on [0, 1] is found among the
    endpoints and the real roots of the numerator of U' (see the module docstring).

    Parameters
    ----------
    params : GameParams or mapping
        The game (K models).
    start : array_like, shape (K,)
        Start distribution pi.
    cascade : array_like, shape (K, K)
        Cascade matrix R (rows sum to 1).
    tie_break : {"strong", "weak"}
        Among several maximisers, the one with the lowest (strong) or highest (weak) J.
    tol : float
        Relative tolerance on utilities for ties.

    Returns
    -------
    StationaryResponse

    Examples
    --------
    >>> g = GameParams.from_lists(10, 0, [1, 9], [1, 1], [0.3, 0.8])   # xi = (2, -1)
    >>> br = stationary_best_response(g, [1, 0], [[0.4, 0.6], [0, 1]])
    >>> round(br.abandon, 6), br.indifferent
    (0.263932, False)
    >>> stationary_best_response(g, [0, 1], [[1, 0], [0, 1]]).abandon   # M2 only: quit
    1.0
    """
    tie_break = check_tie_break(tie_break)
    res = _one_policy(_stationary_core, params, start, cascade, tie_break, tol)
    flat = bool(res["flat"][0])
    if flat:
        argmax: tuple[float, ...] = (0.0, 1.0)
    else:
        rs = np.sort(res["_r"][0][~np.isnan(res["_r"][0])])
        keep = [x for i, x in enumerate(rs) if i == 0 or x - rs[i - 1] > R_SEPARATION]
        argmax = tuple(sorted(float(1.0 - x) for x in keep))
    return StationaryResponse(
        abandon=_num(res["abandon"][0]),
        user_utility=_num(res["user_utility"][0]),
        provider_cost=_num(res["provider_cost"][0]),
        indifferent=bool(res["indifferent"][0]),
        argmax=argmax,
        flat=flat,
        tie_break=tie_break,
    )


# --------------------------------------------------------------------------------------------
# State-aware user
# --------------------------------------------------------------------------------------------


@attrs.frozen
class StateAwareResponse:
    """The state-aware user's best response to one policy.

    Attributes
    ----------
    abandon : tuple of float
        q_j for each model j that just failed, in {0, 1} (ties broken by ``tie_break``).
    user_utility : float
        U, the user's optimal value pi . w.
    provider_cost : float
        J at the chosen response.
    continuation : tuple of float
        v_j = sum_k R[j, k] w_k, the value of re-prompting after a failure on j.
    indifferent : tuple of bool
        True where v_j = 0 within tolerance (continuing and abandoning are equally good).
    tie_break : str
    """

    abandon: tuple[float, ...]
    user_utility: float
    provider_cost: float
    continuation: tuple[float, ...]
    indifferent: tuple[bool, ...]
    tie_break: str = "strong"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "abandon": list(self.abandon),
            "user_utility": self.user_utility,
            "provider_cost": self.provider_cost,
            "continuation": list(self.continuation),
            "indifferent": list(self.indifferent),
            "tie_break": self.tie_break,
        }


def _stopping_values(
    xi: FloatArray, p: FloatArray, R: FloatArray, upward: bool
) -> tuple[FloatArray, FloatArray]:
    """Optimal-stopping values (w, v), batched (B, K): w = xi + (1-p) max(0, v), v = R w."""
    B, K = xi.shape
    if upward:
        w = np.empty((B, K))
        v = np.empty((B, K))
        for j in range(K - 1, -1, -1):
            a = R[:, j, j]
            b = np.einsum("bk,bk->b", R[:, j, j + 1 :], w[:, j + 1 :])
            num = a * xi[:, j] + b  # sign of the continuation value if the user continues at j
            go = num >= 0.0
            # 1 - a (1 - p_j) as (1 - a) + a p_j: exact when p_j is below the precision of 1
            v[:, j] = np.where(go, num / ((1.0 - a) + a * p[:, j]), num)
            w[:, j] = xi[:, j] + (1.0 - p[:, j]) * np.where(go, v[:, j], 0.0)
        return w, v
    cont = np.ones((B, K), dtype=bool)
    eye = np.eye(K)
    for _ in range(4 * K + 50):
        M = eye - ((1.0 - p) * cont)[:, :, None] * R
        # diagonal 1 - (1 - p_j) c_j R_jj as (1 - c_j R_jj) + c_j R_jj p_j (no cancellation)
        cr = cont * np.diagonal(R, axis1=1, axis2=2)
        M[:, np.arange(K), np.arange(K)] = (1.0 - cr) + cr * p
        w = np.asarray(np.linalg.solve(M, xi[..., None])[..., 0], dtype=np.float64)
        v = np.einsum("bjk,bk->bj", R, w)
        small = TOL * np.abs(w).max(axis=1, keepdims=True)
        new = (v > small) | (cont & (v >= -small))
        if np.array_equal(new, cont):
            return w, v
        cont = new
    raise NotSolvableError("policy iteration of the state-aware user did not converge")


def _state_aware_core(
    V: FloatArray, P: FloatArray, t: FloatArray, c: FloatArray, p: FloatArray,
    start: FloatArray, R: FloatArray, tie_break: str, tol: float,
) -> dict[str, Any]:
    xi = V[:, None] * p - t
    c - P[:, None] * p
    w, v = _stopping_values(xi, p, R, is_upward(R))
    scale = np.abs(w).max(axis=1, keepdims=True)  # the values' magnitude (engines.kernel)
    tie = np.abs(v) <= tol * scale
    q = np.where(v > 0.0, 0.0, 1.0)
    q = np.where(tie, 0.0, q)
    # Ties only matter at states the chain can reach (positive passes when nobody abandons).
    reach = np.asarray(_expected_passes(start, R, p, np.zeros_like(q))) > 0.0
    tie_enum = tie & reach
    n = np.asarray(_expected_passes(start, R, p, q))
    U = np.einsum("bk,bk->b", n, xi)
    J = np.einsum("bk,bk->b", n, c) + P * np.einsum("bk,bk->b", n, (1.0 - p) * q)
    for b in np.flatnonzero(tie_enum.any(axis=1)):
        states = np.flatnonzero(tie_enum[b])
        if states.size > MAX_TIE_STATES:  # pragma: no cover - needs > 12 exact ties
            raise NotSolvableError(f"{states.size} indifferent states: too many ties to enumerate")
        choices = np.array(list(itertools.product((0.0, 1.0), repeat=states.size)))
        qs = np.repeat(q[b][None], len(choices), axis=0)
        qs[:, states] = choices
        nn = np.asarray(_expected_passes(start[b], R[b], p[b], qs))
        Us = nn @ xi[b]
        Js = nn @ c[b] + P[b] * np.einsum("mk,mk->m", nn, (1.0 - p[b]) * qs)
        ok = Us >= Us.max() - tol * abs(Us.max())
        cand = np.flatnonzero(ok)  # pick among the tied choices only (J may be inf)
        k = int(cand[Js[cand].argmin() if tie_break == "strong" else Js[cand].argmax()])
        q[b], U[b], J[b] = qs[k], Us[k], Js[k]
    return {
        "abandon": q,
        "user_utility": U,
        "provider_cost": J,
        "continuation": v,
        "indifferent": tie,
        "value": w,
    }


def state_aware_best_response_arrays(
    task_value: Any,
    penalty: Any,
    latency: Any,
    cost: Any,
    success_prob: Any,
    start: Any,
    cascade: Any,
    *,
    tie_break: TieBreak = "strong",
    tol: float = TOL,
) -> dict[str, Any]:
    """State-aware best responses for a batch of games and policies.

    Returns a dict of arrays: ``abandon`` (..., K) in {0, 1}, ``user_utility`` (...),
    ``provider_cost`` (...), ``continuation`` (..., K) (v_j), ``indifferent`` (..., K) and
    ``value`` (..., K) (w_k).

    Examples
    --------
    >>> out = state_aware_best_response_arrays(10, 0, [1, 9], [0, 0], [0.3, 0.8], [1, 0],
    ...                                        [[0.4, 0.6], [0, 1]])
    >>> out["abandon"]       # continue after M1 fails, quit after M2 fails
    array([0., 1.])
    """
    tie_break = check_tie_break(tie_break)
    tol = check_tol(tol)
    (V, P, t, c, p, st, R), shape = _validated_arrays(
        task_value, penalty, latency, cost, success_prob, start, cascade
    )
    res = _state_aware_core(V, P, t, c, p, st, R, tie_break, tol)
    K = t.shape[-1]
    return {
        k: np.asarray(x).reshape(shape + ((K,) if np.ndim(x) == 2 else ())) for k, x in res.items()
    }


def state_aware_best_response(
    params: GameParams | Mapping[str, Any],
    start: Any,
    cascade: Any,
    *,
    tie_break: TieBreak = "strong",
    tol: float = TOL,
) -> StateAwareResponse:
    """The state-aware user's exact best response (one abandon probability per failed model).

    Parameters
    ----------
    params : GameParams or mapping
    start : array_like, shape (K,)
    cascade : array_like, shape (K, K)
    tie_break : {"strong", "weak"}
        At indifferent states (v_j = 0) choose continue/abandon to minimise (strong) or maximise
        (weak) the provider's cost; all 2^m choices of the m indifferent states are compared.
    tol : float
        Relative tolerance for v_j = 0.

    Returns
    -------
    StateAwareResponse

    Examples
    --------
    >>> g = GameParams.from_lists(10, 0, [1, 9], [1, 1], [0.3, 0.8])   # xi = (2, -1)
    >>> br = state_aware_best_response(g, [1, 0], [[0.4, 0.6], [0, 1]])
    >>> br.abandon, round(br.user_utility, 4)
    ((0.0, 1.0), 2.1944)
    """
    tie_break = check_tie_break(tie_break)
    res = _one_policy(_state_aware_core, params, start, cascade, tie_break, tol)
    return StateAwareResponse(
        abandon=tuple(float(x) for x in res["abandon"][0]),
        user_utility=_num(res["user_utility"][0]),
        provider_cost=_num(res["provider_cost"][0]),
        continuation=tuple(float(x) for x in res["continuation"][0]),
        indifferent=tuple(bool(x) for x in res["indifferent"][0]),
        tie_break=tie_break,
    )


# --------------------------------------------------------------------------------------------
# Lookahead user (sees the next model before deciding)
# --------------------------------------------------------------------------------------------


@attrs.frozen
class LookaheadResponse:
    """Best response of a user who sees which model will serve the next pass.

    Attributes
    ----------
    accept : tuple of bool
        accept[k]: the user re-prompts when the next pass is on model k (w_k >= 0).
    value : tuple of float
        w_k, the value of being served by model k.
    abandon : tuple of float
        Equivalent per-model abandon probability after a failure on j:
        sum of R[j, k] over the refused models k.
    cascade : tuple of tuple of float
        Equivalent cascade matrix (R restricted to accepted models, renormalised), so that
        ``chain_outcomes(..., cascade, abandon)`` reproduces this user's outcomes.
    user_utility, provider_cost : float
    indifferent : tuple of bool
        True where w_k = 0 within tolerance.
    """

    accept: tuple[bool, ...]
    value: tuple[float, ...]
    abandon: tuple[float, ...]
    cascade: tuple[tuple[float, ...], ...]
    user_utility: float
    provider_cost: float
    indifferent: tuple[bool, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "accept": list(self.accept),
            "value": list(self.value),
            "abandon": list(self.abandon),
            "cascade": [list(r) for r in self.cascade],
            "user_utility": self.user_utility,
            "provider_cost": self.provider_cost,
            "indifferent": list(self.indifferent),
        }


def lookahead_best_response(
    params: GameParams | Mapping[str, Any],
    start: Any,
    cascade: Any,
    *,
    tie_break: TieBreak = "strong",
    tol: float = TOL,
) -> LookaheadResponse:
    """Best response of a user who sees the next model before deciding whether to re-prompt.

    Solves w = xi + diag(1 - p) R max(0, w) by policy iteration with exact linear solves.
    Models with w_k = 0 (indifference) are accepted under ``"strong"`` when that lowers J
    (compared over all 2^m choices), and under ``"weak"`` when that raises it.

    Examples
    --------
    >>> g = GameParams.from_lists(10, 0, [1, 9], [1, 1], [0.3, 0.8])   # xi = (2, -1)
    >>> br = lookahead_best_response(g, [1, 0], [[0.4, 0.6], [0, 1]])
    >>> br.accept, br.abandon
    ((True, False), (0.6, 1.0))
    """
    g = as_params(params)
    tie_break = check_tie_break(tie_break)
    tol = check_tol(tol)
    K = g.num_models
    st, R = check_policy(start, cascade, K)
    xi, gg = net_costs(g)
    p = g.success_prob
    acc = np.ones(K, dtype=bool)
    for _ in range(4 * K + 50):
        M = np.eye(K) - (1.0 - p)[:, None] * R * acc[None, :]
        ra = np.diagonal(R) * acc  # diagonal without cancellation, as in the chain
        M[np.arange(K), np.arange(K)] = (1.0 - ra) + ra * p
        w = np.linalg.solve(M, xi)
        small = TOL * float(np.abs(w).max())
        new = (w > small) | (acc & (w >= -small))
        if np.array_equal(new, acc):
            break
        acc = new
    else:  # pragma: no cover
        raise NotSolvableError("policy iteration of the lookahead user did not converge")
    tie = np.abs(w) <= tol * float(np.abs(w).max())

    def outcome(accept: BoolArray) -> tuple[FloatArray, FloatArray, float, float]:
        refuse = (R * ~accept[None, :]).sum(axis=1)
        keep = R * accept[None, :]
        rows = keep.sum(axis=1, keepdims=True)
        R_eff = np.where(rows > 0, keep / np.where(rows > 0, rows, 1.0), R)
        q = np.clip(refuse, 0.0, 1.0)
        n = np.asarray(_expected_passes(st, R_eff, p, q))
        return q, R_eff, float(n @ xi), float(g.penalty + n @ gg)

    best = None
    states = np.flatnonzero(tie)
    for choice in itertools.product((True, False), repeat=min(states.size, MAX_TIE_STATES)):
        a = acc.copy()
        a[states[: len(choice)]] = choice
        res = outcome(a)
        key = res[3] if tie_break == "strong" else -res[3]
        if best is None or key < best[0]:
            best = (key, a, res)
    assert best is not None
    _, a, (q, R_eff, U, J) = best
    return LookaheadResponse(
        accept=tuple(bool(x) for x in a),
        value=tuple(float(x) for x in w),
        abandon=tuple(float(x) for x in q),
        cascade=tuple(tuple(float(x) for x in row) for row in R_eff),
        user_utility=U,
        provider_cost=J,
        indifferent=tuple(bool(x) for x in tie),
    )
