r"""The one best-response selection kernel and the one tolerance policy of every engine.

Every engine finds the user's best response the same way: it evaluates the user's utility U and
the provider's cost J at a finite set of candidate responses (the ends r = 0 and r = 1 of the
continuation probability, the stationary points of U and, for flat stretches, of J), then

1. the **tie set** is every candidate whose utility is within the tolerance of the maximum;
2. the tie is broken by J: ``"strong"`` takes the lowest J (the provider's favourite),
   ``"weak"`` the highest;
3. the user is **indifferent** when the tie set spans responses further apart than
   :data:`SPREAD` (or U does not depend on the response at all).

Tolerance policy (one, for all engines)
---------------------------------------
Two utilities U_a, U_b of the same game are "equal" when

    |U_a - U_b| <= TOL * max(|U_a|, |U_b|) + ROUND * (M_a + M_b),

where M = sum_k |xi_k| n_k is the magnitude of the terms of U = sum_k xi_k n_k (n_k the expected
passes). The first part is relative (no fixed absolute floor such as 1, so the test is invariant
under a change of units and does not swallow small utilities next to large penalties); the
second bounds the rounding error of the sum when its terms cancel, so that utilities that are
equal in exact arithmetic (a threshold s0, a flat stretch) stay tied however they were computed.
The net values xi_k = V p_k - t_k are computed once per game and shared by every candidate, so
their own rounding does not enter the comparison (an xi_k that rounds to 4e-16 instead of 0 is
a tiny positive net value for every engine alike).

Provider costs J = C + P A (A the probability of abandonment) are sums of non-negative terms,
with no cancellation, so they are compared relatively: within TOL of the minimum
(:func:`first_min`).

``TOL = ROUND = 64 eps`` (1.4e-14): above the rounding error of the closed forms and of the
polynomial roots of the K-model engine (a few ulps after Newton polishing), and below every
genuine difference on the valid domain (with p up to 1 - 1e-12, two responses can differ by a
relative 1e-12, which an older tolerance of 1e-12 called a tie). Responses (continuation
probabilities) closer than :data:`SPREAD` are the same response.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from routegame._types import BoolArray, FloatArray, IntArray

__all__ = ["ROUND", "SPREAD", "TOL", "Selection", "first_min", "select_response"]

#: Relative tolerance for equal utilities or costs (see the module docstring): 64 ulps.
TOL = 64 * float(np.finfo(np.float64).eps)

#: Rounding bound per unit of term magnitude (64 ulps of 1).
ROUND = TOL

#: Two responses (continuation probabilities r) closer than this are the same response.
SPREAD = 1e-7


class Selection(NamedTuple):
    """Index of the chosen candidate (last axis) and the tie information."""

    pick: IntArray
    tied: BoolArray
    indifferent: BoolArray


def select_response(
    r: FloatArray,
    U: FloatArray,
    J: FloatArray,
    M: FloatArray,
    tie_break: str,
    tol: float = TOL,
    flat: BoolArray | None = None,
) -> Selection:
    """Pick the user's best response among candidates on the last axis.

    Parameters
    ----------
    r : ndarray, shape (..., M)
        Candidate continuation probabilities (NaN where a candidate does not exist).
    U, J : ndarray, shape (..., M)
        User utility and provider cost at each candidate (U = -inf where r is NaN).
    M : ndarray, shape (..., M)
        Magnitude of the utility's terms, sum_k |xi_k| n_k, at each candidate.
    tie_break : {"strong", "weak"}
    tol : float
        Relative tolerance (default :data:`TOL`).
    flat : ndarray of bool, shape (...), optional
        True where U does not depend on r (every candidate is a best response).

    Examples
    --------
    >>> r = np.array([0.0, 1.0]); U = np.array([2.0, 2.0]); J = np.array([5.0, 3.0])
    >>> M = np.array([4.0, 4.0])
    >>> sel = select_response(r, U, J, M, "strong")
    >>> int(sel.pick), bool(sel.indifferent)
    (1, True)
    >>> int(select_response(r, U, J, M, "weak").pick)
    0
    """
    valid = ~np.isnan(r)
    U = np.where(valid, U, -np.inf)
    k = U.argmax(axis=-1)[..., None]
    umax = np.take_along_axis(U, k, axis=-1)
    Mv = np.where(valid, M, 0.0)
    M_max = np.take_along_axis(Mv, k, axis=-1)
    with np.errstate(invalid="ignore"):
        rel = np.maximum(np.abs(umax), np.abs(np.where(valid, U, 0.0)))
        tied = valid & (umax - (tol * rel + ROUND * (M_max + Mv)) <= U)
    if flat is not None:
        tied = tied | (valid & np.asarray(flat)[..., None])
    if tie_break == "strong":
        pick = np.where(tied, J, np.inf).argmin(axis=-1)
    else:
        pick = np.where(tied, J, -np.inf).argmax(axis=-1)
    # where every tied J is +-inf (beyond the double range) the masked arg-min/max can land on
    # an untied candidate: take the first tied one instead
    stray = ~np.take_along_axis(tied, pick[..., None], axis=-1)[..., 0]
    pick = np.where(stray, tied.argmax(axis=-1), pick)
    r_t = np.where(tied, r, np.nan)
    spread = np.nanmax(r_t, axis=-1) - np.nanmin(r_t, axis=-1)
    indifferent = spread > SPREAD
    if flat is not None:
        indifferent = indifferent | np.asarray(flat)
    return Selection(pick, tied, indifferent)


def first_min(values: FloatArray, tol: float = TOL, axis: int = 0) -> IntArray:
    """Index of the first candidate within ``tol`` (relative) of the minimum of costs >= 0.

    Costs J = C + P A are sums of non-negative terms, so the minimum itself is the right scale
    (no absolute floor): a cost of 4.5 is not "equal" to 5 because a penalty of 1e12 is around.

    Examples
    --------
    >>> int(first_min(np.array([5.0, 4.5, 4.5 + 1e-13])))
    1
    """
    vmin = values.min(axis=axis, keepdims=True)
    ok = values <= vmin + tol * np.abs(vmin)
    return ok.argmax(axis=axis)
