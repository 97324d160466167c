"""Hypothesis strategies for two-model games, by regime and at the knife edges.

Examples
--------
>>> from hypothesis import given
>>> @given(two_model_games(regime="latency-value"))
... def check(g):
...     xi1, xi2 = g.net_value()
...     assert xi1 < 0 < xi2
>>> check()
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from routegame.params import GameParams

__all__ = ["policies", "two_model_games"]

_prob = st.floats(0.02, 0.98)
_pos = st.floats(0.05, 20.0)
_cost = st.floats(0.0, 20.0)


@st.composite
def two_model_games(
    draw: Any, regime: str | None = None, standing: bool = False, knife_edge: bool = False
) -> GameParams:
    """Random valid two-model games.

    Parameters
    ----------
    regime : str, optional
        Force a sign pattern of (ξ_1, ξ_2): one of ``"value-value"``, ``"latency-latency"``,
        ``"latency-value"``, ``"value-latency"``. Latencies are then drawn so that the pattern
        holds with a margin.
    standing : bool
        Impose the paper's standing assumptions t1 < t2, c1 < c2, p1 < p2.
    knife_edge : bool
        Make ξ_1 or ξ_2 (or both) exactly zero (t_i = V p_i, exact in floating point).
    """
    V = draw(st.floats(0.5, 40.0))
    P = draw(st.floats(0.0, 60.0))
    p = [draw(_prob), draw(_prob)]
    c = [draw(_cost), draw(_cost)]
    if standing:
        assume(abs(p[0] - p[1]) > 1e-3 and abs(c[0] - c[1]) > 1e-6)
        p.sort()
        c.sort()
    t = [draw(_pos), draw(_pos)]
    if regime is not None:
        signs = {"value-value": (1, 1), "latency-latency": (-1, -1),
                 "latency-value": (-1, 1), "value-latency": (1, -1)}[regime]
        for i, sg in enumerate(signs):
            frac = draw(st.floats(0.05, 0.95))
            vp = V * p[i]
            t[i] = vp * frac if sg > 0 else vp / frac
    if knife_edge:
        which = draw(st.sampled_from([(0,), (1,), (0, 1)]))
        for i in which:
            t[i] = V * p[i]
    if standing:
        assume(t[0] < t[1])
    assume(min(t) > 1e-6 and max(t) < 1e6)
    return GameParams.two_model(V, P, t, c, p)


@st.composite
def policies(draw: Any) -> tuple[int, float]:
    """A provider policy (route, cascade), with extra weight on s = 0 and s = 1."""
    route = draw(st.sampled_from([1, 2]))
    s = draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
    return route, s
