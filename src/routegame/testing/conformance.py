"""A conformance checker for engines, in the spirit of Gymnasium's ``check_env``.

:func:`check_engine` runs an engine (anything implementing
:class:`routegame.engines.protocol.Engine`) on a set of games and policies and compares it with
independent references:

* **outcomes** against the Markov-chain oracle's linear solve (relative tolerance
  :data:`OUTCOME_RTOL`);
* **best responses** against a global search of the user's utility over the response
  (:class:`routegame.engines.ChainEngine`): the engine's utility must be at least the search's
  maximum minus :data:`RESPONSE_RTOL` (relative to the terms' magnitude), and the response must
  be a best one;
* **optima** against brute force over a grid of the paper's policies (route, s) with the
  engine's own best responses: no grid policy may beat the engine's equilibrium by more than
  :data:`OPTIMUM_RTOL` under strong tie-breaking.

It raises ``AssertionError`` naming the check, the game and both values at the first failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from routegame.engines.chain import ChainEngine
from routegame.engines.protocol import Engine
from routegame.model.params import GameParams

__all__ = ["OPTIMUM_RTOL", "OUTCOME_RTOL", "RESPONSE_RTOL", "check_engine", "default_games"]

#: Outcomes (S, L, C, U, J) agree with the chain's linear solve to this relative tolerance.
OUTCOME_RTOL = 1e-9
#: A best response's utility is within this (relative) of the global search's maximum.
RESPONSE_RTOL = 1e-6
#: No policy of the brute-force grid beats the equilibrium cost by more than this (relative).
OPTIMUM_RTOL = 1e-9


def default_games() -> list[GameParams]:
    """Games in every regime, at a knife edge, and at extreme valid magnitudes."""
    two = GameParams.two_model
    return [
        two(10, 5, (1, 4), (1, 3), (0.3, 0.8)),             # value-value
        two(10, 20, (4, 5), (1, 4), (0.3, 0.8)),            # latency-value
        two(10, 0, (1, 9), (1, 1), (0.3, 0.8)),             # value-latency
        two(10, 3, (5, 9), (1, 2), (0.3, 0.8)),             # latency-latency
        two(10, 5, (3, 6), (1, 4), (0.3, 0.75)),            # knife edge xi_1 = 0
        two(10, 1e12, (3, 6), (1, 4), (0.25, 0.75)),        # huge penalty
        two(1e-3, 1e-6, (1e-4, 5e-4), (1e-6, 4e-6), (0.25, 0.75)),  # tiny units
    ]


def _policies(K: int) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for m in range(K):
        for s in (0.0, 0.3, 1.0):
            R = np.eye(K)
            if K >= 2:
                R[0] = 0.0
                R[0, 0], R[0, 1] = 1.0 - s, s
            out.append((np.eye(K)[m], R))
    return out


def _mag(params: GameParams, o: Any) -> float:
    return float(params.task_value * o.success + o.latency + o.cost
                 + params.penalty * (1.0 - o.success))


def check_engine(
    engine: Engine,
    games: Iterable[GameParams] | None = None,
    *,
    policies: Sequence[tuple[Any, Any]] | None = None,
    grid: int = 201,
) -> int:
    """Check ``engine`` against independent references; return the number of checks passed.

    Parameters
    ----------
    engine : Engine
        The engine under test.
    games : iterable of GameParams, optional
        Default: :func:`default_games` (the ones the engine :meth:`~Engine.supports`).
    policies : sequence of (start, cascade), optional
        Policies for the outcome and best-response checks (default: route 1 with s in
        {0, 0.3, 1}, and route k for every k).
    grid : int
        Points of the brute-force grid over s for the optimum check.

    Examples
    --------
    >>> from routegame.engines import TwoModelEngine
    >>> check_engine(TwoModelEngine()) > 0
    True
    """
    if not isinstance(engine, Engine):
        raise TypeError(f"{engine!r} does not implement routegame.engines.Engine")
    oracle = ChainEngine(engine.user)
    done = 0
    for params in default_games() if games is None else games:
        if not engine.supports(params):
            continue
        K = params.num_models
        pols = list(policies) if policies is not None else _policies(K)
        for start, R in pols:
            # outcomes against the chain
            for q in (0.0, 0.4, 1.0):
                got = engine.outcomes(params, start, R, q)
                want = oracle.outcomes(params, start, R, q)
                scale = _mag(params, want)
                for name in ("success", "latency", "cost", "user_utility", "provider_cost"):
                    a, b = getattr(got, name), getattr(want, name)
                    assert abs(a - b) <= OUTCOME_RTOL * max(scale, 1e-300), (
                        f"{engine.name}: outcomes.{name} = {a!r}, chain oracle {b!r} "
                        f"for {params}, start={list(start)}, cascade={R.tolist()}, q={q}")
                done += 1
            # best response against a global search
            br = engine.best_response(params, start, R)
            ref = oracle.best_response(params, start, R)
            o = oracle.outcomes(params, start, R, br.abandon)
            scale = max(_mag(params, o), float(np.min(params.task_value * params.success_prob
                                                      + params.latency)))
            assert br.user_utility >= ref.user_utility - RESPONSE_RTOL * scale, (
                f"{engine.name}: best response U = {br.user_utility!r} below the global "
                f"search's {ref.user_utility!r} for {params}, start={list(start)}")
            assert abs(o.user_utility - br.user_utility) <= 1e-6 * scale, (
                f"{engine.name}: best response reports U = {br.user_utility!r} but its "
                f"abandon {br.abandon!r} gives {o.user_utility!r} (chain)")
            done += 1
        # optimum against brute force over the paper's policies
        res = engine.solve(params, "strong")
        J_star = float(np.asarray(res.equilibrium.provider_cost))
        for route in range(1, K + 1):
            for s in (np.linspace(0.0, 1.0, grid) if route == 1 else [0.0]):
                start = np.eye(K)[route - 1]
                R = np.eye(K)
                R[0] = 0.0
                R[0, 0], R[0, 1] = 1.0 - s, s
                J = engine.best_response(params, start, R).provider_cost
                assert J_star - OPTIMUM_RTOL * abs(J_star) - 1e-12 * abs(J) <= J, (
                    f"{engine.name}: policy (route {route}, s = {s}) costs {J!r} < the "
                    f"equilibrium's {J_star!r} for {params}")
        done += 1
    return done
