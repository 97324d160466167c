"""The rule that picks the reported optimum among a search's candidates (private).

One rule for the paper-class search (:func:`routegame.hetero.provider.search_paper_class`) and
the search over all policies (:func:`routegame.hetero.allpolicies.global_search`); each passes
its own order among tied candidates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["PICK_RTOL", "pick_candidate"]

C = TypeVar("C")

#: candidates within PICK_RTOL * max(1, |lowest value|) of the lowest value are tied
PICK_RTOL = 1e-10


def pick_candidate(
    cands: Sequence[C],
    value: Callable[[C], float],
    attained: Callable[[C], bool],
    order: Callable[[C], Any],
    rtol: float = PICK_RTOL,
) -> C:
    """The candidate to report: the lowest value, an attained one preferred, then ``order``.

    Candidates whose value is within ``rtol * max(1, |lowest|)`` of the lowest value are tied.
    Among the tied, an attained candidate wins over an unattained one (an unattained value, e.g.
    a weak tie-break's infimum at a jump, is kept only when it is lower than every attained value
    by more than the tolerance); among tied attained candidates the smallest ``order`` key wins,
    among tied unattained ones the lowest (value, ``order``). Equal keys: the first in ``cands``.
    NaN values are never picked; an infinite lowest value ties only with equal values.

    Parameters
    ----------
    cands : sequence
        The candidates.
    value : callable
        ``value(c)``: the score to minimise.
    attained : callable
        ``attained(c)``: whether the value is attained by a policy and its response.
    order : callable
        ``order(c)``: the sort key among tied candidates (a stable reporting order).
    rtol : float
        Relative tolerance of a tie.

    Returns
    -------
    object
        One element of ``cands``.

    Raises
    ------
    ValueError
        If there is no candidate with a value other than NaN.

    Examples
    --------
    >>> cands = [(1.0, True, "b"), (0.5, False, "a"), (1.0 + 1e-12, True, "a")]
    >>> pick_candidate(cands, lambda c: c[0], lambda c: c[1], lambda c: c[2])
    (0.5, False, 'a')
    >>> cands[1] = (1.0, False, "a")  # tied with attained values: an attained one wins
    >>> pick_candidate(cands, lambda c: c[0], lambda c: c[1], lambda c: c[2])
    (1.000000000001, True, 'a')
    """
    vals = [float(value(c)) for c in cands]
    live = [i for i, v in enumerate(vals) if not math.isnan(v)]
    if not live:
        raise ValueError("no candidate with a value (all are NaN or there are none)")
    best = min(vals[i] for i in live)
    limit = best + rtol * max(1.0, abs(best)) if math.isfinite(best) else best
    tied = [i for i in live if vals[i] <= limit]
    att = [i for i in tied if attained(cands[i])]
    if att:
        return cands[min(att, key=lambda i: order(cands[i]))]
    return cands[min(tied, key=lambda i: (vals[i], order(cands[i])))]
