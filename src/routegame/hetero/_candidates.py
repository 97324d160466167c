"""What the paper-class and the all-policy searches do alike with their candidates (private).

:func:`pick_candidate`, the rule that picks the reported optimum, serves the paper-class search
(:func:`routegame.hetero.provider.search_paper_class`) and the search over all policies
(:func:`routegame.hetero.allpolicies.global_search`), each passing its own order among tied
candidates; :func:`put_row` replaces one policy's row of a batch (``PolicyResponses``,
``PolicyEval``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import numpy as np

__all__ = ["PICK_RTOL", "pick_candidate", "put_row"]

C = TypeVar("C")
B = TypeVar("B", bound=tuple[Any, ...])

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


def put_row(batch: B, i: int, row: B) -> B:
    """A copy of ``batch`` with the row of policy ``i`` replaced by ``row``.

    Parameters
    ----------
    batch : NamedTuple of arrays
        One row (first axis) per policy in every field.
    i : int
        The row to replace.
    row : NamedTuple of arrays
        The same NamedTuple with one row.

    Returns
    -------
    NamedTuple
        A new ``type(batch)``; ``batch`` is not changed.

    Examples
    --------
    >>> from typing import NamedTuple
    >>> class Batch(NamedTuple):
    ...     value: np.ndarray
    ...     pair: np.ndarray
    >>> b = Batch(np.array([1.0, 2.0, 3.0]), np.zeros((3, 2)))
    >>> put_row(b, 1, Batch(np.array([9.0]), np.array([[4.0, 5.0]])))
    Batch(value=array([1., 9., 3.]), pair=array([[0., 0.],
           [4., 5.],
           [0., 0.]]))
    """
    fields = []
    for f, g in zip(batch, row, strict=True):
        f = np.array(f, copy=True)
        f[i] = np.asarray(g)[0]
        fields.append(f)
    cls: Any = type(batch)
    return cast(B, cls(*fields))
