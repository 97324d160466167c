"""The candidate helpers shared by the paper-class and the all-policy searches.

Every expected value below is written by hand from the rule: lowest value; candidates within
1e-10 * max(1, |lowest|) are tied; among the tied an attained one wins, then the smallest order
key, then the first listed; an unattained candidate wins only when lower than every attained
one by more than the tolerance; NaN is never picked.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from routegame.hetero._candidates import pick_candidate, put_row

NAN, INF = math.nan, math.inf


def pick(cands: list[tuple[float, bool, object, str]]) -> str:
    """Candidates (value, attained, order key, name): the picked name."""
    return pick_candidate(cands, lambda c: c[0], lambda c: c[1], lambda c: c[2])[3]


def test_lowest_value_wins() -> None:
    assert pick([(3.0, True, 0, "a"), (1.0, True, 9, "b"), (2.0, True, 0, "c")]) == "b"
    assert pick([(-1.0, True, 5, "a"), (-3.0, True, 9, "b")]) == "b"


def test_ties_within_the_tolerance_go_by_order() -> None:
    # |lowest| <= 1: absolute tolerance 1e-10
    assert pick([(1.0, True, 2, "a"), (1.0 + 5e-11, True, 1, "b")]) == "b"
    assert pick([(1.0, True, 2, "a"), (1.0 + 2e-10, True, 1, "b")]) == "a"
    assert pick([(0.0, True, 2, "a"), (-5e-11, True, 3, "b"), (5e-11, True, 1, "c")]) == "c"
    # |lowest| > 1: relative, 1e-10 * 1e6 = 1e-4
    assert pick([(1e6, True, 2, "a"), (1e6 + 5e-5, True, 1, "b")]) == "b"
    assert pick([(1e6, True, 2, "a"), (1e6 + 2e-4, True, 1, "b")]) == "a"
    assert pick([(-1e6, True, 2, "a"), (-1e6 + 5e-5, True, 1, "b")]) == "b"


def test_equal_order_keys_keep_the_first_listed() -> None:
    assert pick([(1.0, True, 1, "a"), (1.0, True, 1, "b")]) == "a"
    assert pick([(1.0, True, 1, "b"), (1.0, True, 1, "a")]) == "b"
    # the order key decides among tied values, not the value itself
    assert pick([(1.0, True, (1, 0.5), "a"), (1.0 + 1e-11, True, (0, 0.9), "b")]) == "b"


def test_attained_preferred_among_tied() -> None:
    # the unattained one is lower, but only within the tolerance
    assert pick([(1.0, False, 0, "u"), (1.0 + 5e-11, True, 1, "a")]) == "a"
    assert pick([(1.0 + 5e-11, True, 1, "a"), (1.0, False, 0, "u")]) == "a"


def test_unattained_kept_only_when_strictly_lower() -> None:
    assert pick([(1.0, False, 0, "u"), (1.0 + 1e-6, True, 0, "a")]) == "u"
    # two unattained tied: the lower value first, then the order key
    assert pick([(1.0 + 5e-11, False, 0, "u1"), (1.0, False, 1, "u2"),
                 (2.0, True, 0, "a")]) == "u2"
    assert pick([(1.0, False, 1, "u1"), (1.0, False, 0, "u2"), (2.0, True, 0, "a")]) == "u2"


def test_nan_is_never_picked() -> None:
    assert pick([(NAN, True, 0, "n"), (2.0, True, 1, "a")]) == "a"
    assert pick([(2.0, True, 1, "a"), (NAN, True, 0, "n")]) == "a"
    assert pick([(NAN, True, 0, "n"), (3.0, False, 1, "u"), (4.0, True, 0, "a")]) == "u"
    with pytest.raises(ValueError, match="NaN"):
        pick([(NAN, True, 0, "n")])
    with pytest.raises(ValueError, match="none"):
        pick([])


def test_infinite_values() -> None:
    # all +inf: all tied, the order decides (an attained one first)
    assert pick([(INF, True, 2, "a"), (INF, False, 0, "u"), (INF, True, 1, "b")]) == "b"
    # a finite value beats +inf
    assert pick([(INF, True, 0, "a"), (7.0, True, 1, "b")]) == "b"
    # -inf ties only with -inf
    assert pick([(-INF, True, 2, "a"), (-1e300, True, 0, "b"), (-INF, True, 1, "c")]) == "c"


def test_the_two_callers_orders() -> None:
    """The order keys the two searches pass, on hand-made candidate tuples."""
    # paper class (value, route, s, attained): route 2 before route 1, then the smaller s
    paper = [(1.0, 1, 0.3, True), (1.0, 1, 0.1, True), (1.0, 2, 0.0, True)]
    got = pick_candidate(paper, lambda c: c[0], lambda c: c[3], lambda c: (c[1] == 1, c[2]))
    assert got == (1.0, 2, 0.0, True)
    got = pick_candidate(paper[:2], lambda c: c[0], lambda c: c[3], lambda c: (c[1] == 1, c[2]))
    assert got == (1.0, 1, 0.1, True)
    # all policies (value, 0 = extra / 1 = lattice or refined, attained): an extra candidate
    # (the paper class) before the others, then the lower value
    allp = [(1.0, 1, True), (1.0 + 5e-11, 0, True), (1.0 + 1e-11, 1, True)]
    got = pick_candidate(allp, lambda c: c[0], lambda c: c[2], lambda c: (c[1], c[0]))
    assert got == (1.0 + 5e-11, 0, True)
    got = pick_candidate([allp[0], allp[2]], lambda c: c[0], lambda c: c[2],
                         lambda c: (c[1], c[0]))
    assert got == (1.0, 1, True)


def test_put_row_replaces_one_row_of_every_field() -> None:
    from routegame.hetero.provider import PolicyResponses

    n = len(PolicyResponses._fields)
    batch = PolicyResponses(*(np.arange(3.0 * (k + 1)).reshape(3, k + 1) for k in range(n)))
    row = PolicyResponses(*(np.full((1, k + 1), -1.0) for k in range(n)))
    got = put_row(batch, 2, row)
    assert type(got) is PolicyResponses
    for k in range(n):
        want = np.arange(3.0 * (k + 1)).reshape(3, k + 1)
        want[2] = -1.0
        np.testing.assert_array_equal(got[k], want)
        np.testing.assert_array_equal(batch[k], np.arange(3.0 * (k + 1)).reshape(3, k + 1))
    # 1-D fields and a row given as a plain list; the first row
    from routegame.hetero.allpolicies import PolicyEval

    m = len(PolicyEval._fields)
    ev = PolicyEval(*(np.array([1.0, 2.0]) for _ in range(m)))
    got2 = put_row(ev, 0, PolicyEval(*([7.0] for _ in range(m))))
    assert type(got2) is PolicyEval
    for k in range(m):
        np.testing.assert_array_equal(got2[k], [7.0, 2.0])
