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

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from routegame.model.params import BOUNDS, GameParams

__all__ = [
    "WINDOWS", "extreme_two_model_games", "field", "game_arrays", "policies", "two_model_games",
]

#: Typical magnitudes drawn by :func:`two_model_games` (a window inside :data:`BOUNDS`);
#: :func:`extreme_two_model_games` spans many orders of magnitude instead.
WINDOWS: dict[str, tuple[float, float]] = {
    "task_value": (0.5, 40.0),
    "penalty": (0.0, 60.0),
    "latency": (0.05, 20.0),
    "cost": (0.0, 20.0),
    "success_prob": (0.02, 0.98),
}


def field(name: str, window: tuple[float, float] | None = None) -> st.SearchStrategy[float]:
    """Floats valid for parameter ``name``: inside :data:`BOUNDS` (open ends excluded).

    ``window`` narrows the range (it is clipped to the bounds); default :data:`WINDOWS`.
    """
    lo, hi, lo_in, hi_in = BOUNDS[name]
    wlo, whi = window if window is not None else WINDOWS.get(name, (lo, hi))
    a, b = max(lo, wlo), min(hi, whi)
    return st.floats(a, b, exclude_min=(a == lo and not lo_in), exclude_max=(b == hi and not hi_in),
                     allow_nan=False, allow_infinity=False)


_prob = field("success_prob")
_pos = field("latency")
_cost = field("cost")


def _log_uniform(name: str, lo: float, hi: float) -> st.SearchStrategy[float]:
    """Log-uniform floats in [lo, hi], plus exactly 0 where :data:`BOUNDS` allows it."""
    blo, _, lo_in, _ = BOUNDS[name]
    body = st.floats(np.log10(lo), np.log10(hi)).map(lambda e: float(10.0 ** e))
    return st.one_of(st.just(0.0), body) if (blo == 0.0 and lo_in) else body


@st.composite
def extreme_two_model_games(draw: Any) -> GameParams:
    """Two-model games over many orders of magnitude (issue 11's domain).

    P and c log-uniform in [1e-6, 1e15] or exactly 0, p in [1e-12, 1 - 1e-12] (log-uniform
    in p or in 1 - p), V and t log-uniform in [1e-6, 1e6].
    """
    V = draw(_log_uniform("task_value", 1e-6, 1e6))
    P = draw(_log_uniform("penalty", 1e-6, 1e15))
    t = [draw(_log_uniform("latency", 1e-6, 1e6)) for _ in range(2)]
    c = [draw(_log_uniform("cost", 1e-6, 1e15)) for _ in range(2)]
    p = []
    for _ in range(2):
        e = draw(st.floats(-12.0, np.log10(0.5)))
        p.append(float(10.0 ** e) if draw(st.booleans()) else 1.0 - float(10.0 ** e))
    return GameParams.two_model(V, P, t, c, p)


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
    V = draw(field("task_value"))
    P = draw(field("penalty"))
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
            frac = draw(st.floats(0.05, 0.95))  # margin of the sign of xi_i
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
    s = draw(st.one_of(st.just(0.0), st.just(1.0), field("cascade")))
    return route, s


def game_arrays(games: list[GameParams]) -> dict[str, np.ndarray]:
    """Two-model games as the keyword arrays of :func:`routegame.solve_arrays` (one row each).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> a = game_arrays([g, g])
    >>> a["latency"].shape, float(a["penalty"][1])
    ((2, 2), 5.0)
    """
    return {
        "task_value": np.array([g.task_value for g in games], dtype=float),
        "penalty": np.array([g.penalty for g in games], dtype=float),
        "latency": np.array([g.latency for g in games], dtype=float),
        "cost": np.array([g.cost for g in games], dtype=float),
        "success_prob": np.array([g.success_prob for g in games], dtype=float),
    }
