"""The decision guideline: one plain-language sentence per game saying why the equilibrium is
what it is (which threshold rule applied). Mirrors the paper's Figure 1."""

from __future__ import annotations

import math
from typing import Any

from routegame.errors import ParameterError
from routegame.model.results import GameResult
from routegame.present.wording import fmt, policy_words, response_words

__all__ = ["guideline"]


def _f(x: float) -> str:
    return fmt(x)


def guideline(sol: Any, params: Any = None) -> str:
    """One sentence explaining the equilibrium of a solved two-model game.

    Parameters
    ----------
    sol : GameResult or dict
        A solved game (:func:`routegame.solve`), or its JSON form (then ``params`` is needed).
    params : GameParams, optional
        The game's parameters (default: ``sol.params``).

    Examples
    --------
    >>> import routegame as rg
    >>> g = rg.GameParams.two_model(10, 1, (4, 5), (1, 4), (0.3, 0.8))
    >>> guideline(rg.solve(g))[:60]
    'M1 is not worth its wait (ξ1 = -1) but M2 is (ξ2 = 3): the u'
    """
    if isinstance(sol, GameResult):
        params = sol.params if params is None else params
        xi1, xi2 = (float(x) for x in sol.net_value)
        route = int(sol.equilibrium.route)
        s, q = float(sol.equilibrium.cascade), float(sol.equilibrium.abandon)
        regime = str(sol.regime_names)
        th = {k: float(getattr(sol, k)) for k in ("s0", "s_low", "s_high")}
    else:
        xi1, xi2 = sol["net_value"]
        eq = sol["equilibrium"]
        route, s, q = eq["route"], eq["cascade"], eq["abandon"]
        regime = sol["regime"]
        th = sol["thresholds"]
    if params is None:
        raise ParameterError("params", "needed to explain a solution given as a dict")
    c1, c2 = params.cost
    p1, p2 = params.success_prob
    P = params.penalty
    policy = policy_words(route, s, q)
    stay = response_words(q)
    if regime == "value-value":
        why = (f"Both models are worth their wait (ξ1 = {_f(xi1)}, ξ2 = {_f(xi2)}), so the user never "
               f"abandons and the provider pays only compute: it picks the lower cost per success "
               f"(c1/p1 = {_f(c1 / p1)}, c2/p2 = {_f(c2 / p2)})")
    elif regime == "latency-latency":
        bar = (c2 - c1) / (p2 - p1) if p2 != p1 else math.inf
        why = (f"Neither model is worth its wait (ξ1 = {_f(xi1)}, ξ2 = {_f(xi2)}), so the user leaves "
               f"after the first failure whatever the policy; M2 pays only if the churn penalty "
               f"P = {_f(P)} exceeds (c2 - c1)/(p2 - p1) = {_f(bar)}")
    elif regime == "latency-value":
        why = (f"M1 is not worth its wait (ξ1 = {_f(xi1)}) but M2 is (ξ2 = {_f(xi2)}): the user stays "
               f"on route 1 only if failures are escalated to M2 with probability at least "
               f"s0 = {_f(th['s0'])}")
    elif regime == "value-latency":
        why = (f"M1 is worth its wait (ξ1 = {_f(xi1)}) but M2 is not (ξ2 = {_f(xi2)}): on route 1 the "
               f"user stays while the cascade is at most s_low = {_f(th['s_low'])}, mixes up to "
               f"s_high = {_f(th['s_high'])} and leaves after the first failure beyond")
    else:
        why = (f"A model is exactly worth its wait (ξ1 = {_f(xi1)}, ξ2 = {_f(xi2)}), a knife edge where "
               f"the user is indifferent and the tie-breaking convention decides")
    return f"{why}; so the provider's best reply is to {policy}, and {stay}."
