r"""Certified global maximisation of the user's utility over a box of continuation probabilities.

On a task table the user's utility U(r) = V S(r) - lambda L(r) is a weighted sum of per-task
rational functions: it is not of the i.i.d. shape (several local maxima, interior maxima in
regimes where the i.i.d. user never mixes), so no candidate list is exact. But every expected
pass count and the success probability S are **nondecreasing in every continuation probability**
(:mod:`routegame.hetero.chain`). Hence on a box B = [lo, hi] of continuation probabilities

    max_{r in B} U(r)  <=  V S(hi) - lambda L(lo)       (an upper bound from two corners)

and J(r) = C(r) + P (1 - S(r)) >= C(lo) + P (1 - S(hi)). The search is

1. a grid of nodes (65 per axis in one dimension, 17 in two; 33 inside the provider's search)
   gives the lower bound LB = max_node U;
2. local refinement from the best node and the best node two steps away from it raises LB to
   the local maxima: for the stationary user without schedules a safeguarded Newton iteration
   on U' (exact derivatives, :func:`routegame.hetero.chain.stationary_slopes`), otherwise a zoom
   (17 points shrunk 8-fold per level, or 9 x 9 points shrunk 4-fold in two dimensions,
   12 levels);
3. **certificate** (only for reported responses): every grid cell whose upper bound exceeds
   LB by more than 1e-7 (relative) is split into 2^d children and re-bounded, for at most
   5 rounds; the certified gap ``max(UB over the cells) - LB`` (>= 0) bounds how much better
   than the reported response any response could be. It shrinks linearly with the cell size
   around a smooth maximum (about h (V S' + lambda L')), and is 0 when every cell is excluded.

Ties: every evaluated point within ``tol`` (relative 1e-9) of the best utility is a maximiser;
among them the provider's cost J decides (``strong``: the lowest, ``weak``: the highest), and the
response is ``indifferent`` when tied maximisers lie more than 1e-3 apart, or more than 1e-6
apart with a non-tied point between them (two separate maxima).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from routegame._types import FloatArray, IntArray

__all__ = ["Response", "maximise"]

#: relative tolerance of ties in U
TIE_TOL = 1e-9
#: tied maximisers further apart than this make the user indifferent
SPREAD = 1e-6

#: evalf(items, r) -> (U, J) or (U, J, A, B): utility and provider cost of items (M,) at r (M, d),
#: optionally with the nondecreasing parts U = A - B (A = V S, B = lambda L)
EvalFn = Callable[[IntArray, FloatArray], tuple[FloatArray, ...]]
#: slopes(items, r) -> (U', U''): derivatives along r (one dimension), for Newton refinement
SlopeFn = Callable[[IntArray, FloatArray], tuple[FloatArray, FloatArray]]


def newton(
    evalf: EvalFn, slopes: SlopeFn, items: IntArray, r0: FloatArray, lo: FloatArray,
    hi: FloatArray, iters: int = 60,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A local maximum of U in [lo, hi] by a safeguarded Newton iteration on U' (rtsafe).

    If U'(lo) <= 0 the bracket's maximum is taken at lo, if U'(hi) >= 0 at hi; otherwise U'
    changes sign from + to - inside and Newton steps that stay inside the shrinking bracket
    are taken, bisection steps otherwise. The result is the better of it and r0.
    """
    m = items.shape[0]
    g2, _ = slopes(np.concatenate([items, items]), np.concatenate([lo, hi])[:, None])
    # NaN slope: a chain that runs for ever at this r (only possible at r = 1), where U falls
    # to -inf: the slope is -inf there
    g2 = np.where(np.isnan(g2), -np.inf, g2)
    g_lo, g_hi = g2[:m], g2[m:]
    r = np.where(g_lo <= 0, lo, np.where(g_hi >= 0, hi, 0.5 * (lo + hi)))
    active = (g_lo > 0) & (g_hi < 0)
    a, b = lo.copy(), hi.copy()
    for _ in range(iters):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        g, h = slopes(items[idx], r[idx, None])
        g = np.where(np.isnan(g), -np.inf, g)
        ra, rb = a[idx], b[idx]
        ra = np.where(g > 0, r[idx], ra)
        rb = np.where(g > 0, rb, r[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = g / h
        conv = (h < 0) & (np.abs(dx) <= 1e-13)
        step = r[idx] - dx
        ok = (h < 0) & (step >= ra) & (step <= rb) & np.isfinite(step)
        new = np.where(ok, step, 0.5 * (ra + rb))
        done = conv | (rb - ra <= 1e-13) | (g == 0)
        a[idx], b[idx] = ra, rb
        r[idx] = np.where(conv, np.clip(step, ra, rb), np.where(g == 0, r[idx], new))
        active[idx[done]] = False
    u, j = evalf(items, r[:, None])[:2]
    u0, j0 = evalf(items, r0)[:2]
    keep0 = ~(u > u0)
    r = np.where(keep0, r0[:, 0], r)
    return r[:, None], np.where(keep0, u0, u), np.where(keep0, j0, j)


class Response(NamedTuple):
    """Best responses of n items (policies, or user types at a policy)."""

    cont: FloatArray  #: r*, shape (n, d): continuation probabilities (1 - abandon)
    user_utility: FloatArray  #: U at r*
    provider_cost: FloatArray  #: J at r*
    indifferent: np.ndarray  #: tied maximisers far apart
    gap: FloatArray  #: certified: no response beats U by more than this (NaN: not certified)


def _grid(d: int, g: int) -> FloatArray:
    axes = [np.linspace(0.0, 1.0, g)] * d
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _zoom(
    evalf: EvalFn, items: IntArray, r0: FloatArray, step: float, levels: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Local refinement: a 9-point (per axis) grid in the box r0 +- h, re-centred on its best
    point with h / 4, ``levels`` times (all items at once; one call per level)."""
    d = r0.shape[1]
    k = 17 if d == 1 else 9
    offs = np.linspace(-1.0, 1.0, k)
    mesh = np.stack(np.meshgrid(*[offs] * d, indexing="ij"), axis=-1).reshape(-1, d)
    m = items.shape[0]
    r = r0.copy()
    h = np.full(m, step)
    best_u, best_j = evalf(items, r)[:2]
    for _ in range(levels):
        pts = np.clip(r[:, None, :] + h[:, None, None] * mesh[None], 0.0, 1.0).reshape(-1, d)
        u, j = evalf(np.repeat(items, mesh.shape[0]), pts)[:2]
        u = np.where(np.isnan(u), -np.inf, u).reshape(m, -1)
        j = j.reshape(m, -1)
        kbest = np.argmax(u, axis=1)
        ub = u[np.arange(m), kbest]
        better = ub > best_u
        r = np.where(better[:, None], pts.reshape(m, -1, d)[np.arange(m), kbest], r)
        best_u = np.where(better, ub, best_u)
        best_j = np.where(better, j[np.arange(m), kbest], best_j)
        h = h * (2.0 / (k - 1))
    return r, best_u, best_j


def maximise(
    evalf: EvalFn,
    bounds: Callable[[IntArray, FloatArray, FloatArray], FloatArray],
    n: int,
    d: int,
    tie_break: str = "strong",
    rounds: int = 5,
    zoom_levels: int = 12,
    certify: bool = True,
    cert_tol: float = 1e-7,
    slopes: SlopeFn | None = None,
    grid: int | None = None,
) -> Response:
    """Certified maximisation of U over [0, 1]^d for n items at once.

    Parameters
    ----------
    evalf : callable
        ``evalf(items, r) -> (U, J)`` for item indices (M,) and points r (M, d).
    bounds : callable
        ``bounds(items, lo, hi) -> UB``, an upper bound of U on each box (for the certificate).
    n, d : int
        Number of items and dimension of the response.
    tie_break : {"strong", "weak"}

    Examples
    --------
    A concave toy problem, U(r) = -(r - 0.3)^2, whose box bound uses monotone pieces:

    >>> f = lambda it, r: (-(r[:, 0] - 0.3) ** 2, np.zeros(len(it)))
    >>> ub = lambda it, lo, hi: -np.maximum(0, np.maximum(lo[:, 0] - 0.3, 0.3 - hi[:, 0])) ** 2
    >>> res = maximise(f, ub, 1, 1)
    >>> round(float(res.cont[0, 0]), 6), bool(res.gap[0] < 1e-6)
    (0.3, True)
    """
    g1 = grid or (65 if d == 1 else 17)
    nodes = _grid(d, g1)
    G = nodes.shape[0]
    items = np.repeat(np.arange(n), G)
    pts = np.tile(nodes, (n, 1))
    full = evalf(items, pts)
    U, J = full[0], full[1]
    # monotone parts U = A - B at the nodes (A = V S, B = lambda L), when evalf returns them:
    # in one dimension the certificate's box bounds A(hi) - B(lo) then need no extra evaluation
    cached = d == 1 and len(full) == 4
    # candidate store (flat): item, point, U, J
    c_item, c_pts, c_U, c_J = [items], [pts], [U], [J]
    Ug = U.reshape(n, G)
    best = np.argmax(Ug, axis=1)
    step = 1.0 / (g1 - 1)
    # a second start: the best node at least two steps away from the best
    dist = np.abs(nodes[None, :, :] - nodes[best][:, None, :]).max(axis=2)
    far = np.where(dist > 1.5 * step, Ug, -np.inf)
    second = np.argmax(far, axis=1)
    has2 = np.isfinite(far[np.arange(n), second])
    starts = [(np.arange(n), best)]
    if np.any(has2):
        idx = np.flatnonzero(has2)
        starts.append((idx, second[idx]))
    it = np.concatenate([x for x, _ in starts])
    r0 = np.concatenate([nodes[nd] for _, nd in starts])
    if slopes is not None and d == 1:
        r, u, j = newton(evalf, slopes, it, r0, np.clip(r0[:, 0] - step, 0, 1),
                         np.clip(r0[:, 0] + step, 0, 1))
    else:
        r, u, j = _zoom(evalf, it, r0, step, zoom_levels)
    c_item.append(it)
    c_pts.append(r)
    c_U.append(u)
    c_J.append(j)
    ci = np.concatenate(c_item)
    cU = np.concatenate(c_U)
    LB = np.full(n, -np.inf)
    np.maximum.at(LB, ci, np.where(np.isnan(cU), -np.inf, cU))
    # certificate: cells of the grid
    corners = np.stack(np.meshgrid(*[np.arange(g1 - 1)] * d, indexing="ij"), axis=-1).reshape(-1, d)
    lo = np.tile(corners * step, (n, 1))
    hi = lo + step
    cell_item = np.repeat(np.arange(n), corners.shape[0])
    if not certify:
        ub = np.full(cell_item.shape, np.inf)
    elif cached:
        A = np.asarray(full[2]).reshape(n, G)
        B = np.asarray(full[3]).reshape(n, G)
        a_hi = A[:, 1:].ravel()
        b_lo = B[:, :-1].ravel()
        ub = a_hi - b_lo
    else:
        ub = bounds(cell_item, lo, hi)
    for _ in range(rounds if certify else 0):
        tol = cert_tol * np.maximum(1.0, np.abs(LB))
        viol = ub > LB[cell_item] + tol[cell_item]
        if not np.any(viol):
            break
        vi, vlo, vhi = cell_item[viol], lo[viol], hi[viol]
        keep = ~viol
        mid = (vlo + vhi) / 2.0
        children_lo, children_hi, children_item = [], [], []
        for corner in np.ndindex(*([2] * d)):
            cmask = np.array(corner, dtype=bool)
            clo = np.where(cmask, mid, vlo)
            chi = np.where(cmask, vhi, mid)
            children_lo.append(clo)
            children_hi.append(chi)
            children_item.append(vi)
        # evaluate the centres of the split cells (new nodes raise LB)
        fm = evalf(vi, mid)
        u, j = fm[0], fm[1]
        c_item.append(vi)
        c_pts.append(mid)
        c_U.append(u)
        c_J.append(j)
        np.maximum.at(LB, vi, np.where(np.isnan(u), -np.inf, u))
        nlo = np.concatenate(children_lo)
        nhi = np.concatenate(children_hi)
        nit = np.concatenate(children_item)
        if cached:
            # children [lo, mid] and [mid, hi] (the order of np.ndindex: (0,), (1,))
            a_mid, b_mid = np.asarray(fm[2]), np.asarray(fm[3])
            va_hi, vb_lo = a_hi[viol], b_lo[viol]
            n_a_hi = np.concatenate([a_mid, va_hi])
            n_b_lo = np.concatenate([vb_lo, b_mid])
            nub = n_a_hi - n_b_lo
            a_hi = np.concatenate([a_hi[keep], n_a_hi])
            b_lo = np.concatenate([b_lo[keep], n_b_lo])
        else:
            nub = bounds(nit, nlo, nhi)
        lo = np.concatenate([lo[keep], nlo])
        hi = np.concatenate([hi[keep], nhi])
        cell_item = np.concatenate([cell_item[keep], nit])
        ub = np.concatenate([ub[keep], nub])
        if lo.shape[0] > 16 * n + 128:  # stop refining; the gap reports what is left
            break
    UBmax = np.full(n, -np.inf)
    np.maximum.at(UBmax, cell_item, ub)
    gap = np.maximum(UBmax - LB, 0.0) if certify else np.full(n, np.nan)
    # choose among tied candidates
    ci = np.concatenate(c_item)
    cP = np.concatenate(c_pts)
    cU = np.concatenate(c_U)
    cJ = np.concatenate(c_J)
    tol = TIE_TOL * np.maximum(1.0, np.abs(LB))
    tied = cU >= LB[ci] - tol[ci]
    key = np.where(tied, cJ if tie_break == "strong" else -cJ, np.inf)
    order = np.lexsort((key, ci))
    first = np.ones(order.size, dtype=bool)
    first[1:] = ci[order][1:] != ci[order][:-1]
    pick = order[first]
    cont = cP[pick]
    # indifference: tied maximisers far apart (> 1e-3), or separated by a non-tied point
    spread = np.zeros(n)
    for ax in range(d):
        mx = np.full(n, -np.inf)
        mn = np.full(n, np.inf)
        np.maximum.at(mx, ci[tied], cP[tied, ax])
        np.minimum.at(mn, ci[tied], cP[tied, ax])
        spread = np.maximum(spread, mx - mn)
    indiff = spread > 1e-3
    if d == 1:
        inside = (cP[:, 0] > mn[ci] + SPREAD) & (cP[:, 0] < mx[ci] - SPREAD) & ~tied
        sep = np.zeros(n, dtype=bool)
        np.logical_or.at(sep, ci, inside)
        indiff |= sep & (spread > SPREAD)
    return Response(cont, cU[pick], cJ[pick], indiff, gap)
