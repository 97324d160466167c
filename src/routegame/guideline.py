"""The decision guideline: one plain-language sentence per game saying why the equilibrium is
what it is (which threshold rule applied). Mirrors the paper's Figure 1."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["guideline"]


def _f(x: float) -> str:
    return f"{x:.3g}"


def guideline(sol: dict[str, Any], params: Any) -> str:
    """One sentence explaining the equilibrium of a solved two-model game.

    Parameters
    ----------
    sol : dict
        A solution as returned by :meth:`routegame.TwoModelGame.solve` ``.to_dict()``.
    params : GameParams
        The game's parameters.

    Examples
    --------
    >>> from routegame import TwoModelGame
    >>> g = TwoModelGame.from_values(task_value=10, penalty=1, latency=[4, 5], cost=[1, 4],
    ...                              success_prob=[0.3, 0.8])
    >>> guideline(g.solve().to_dict(), g.params)[:60]
    'M1 is not worth its wait (ξ1 = -1) but M2 is (ξ2 = 3): the u'
    """
    xi1, xi2 = sol["net_value"]
    eq = sol["equilibrium"]
    th = sol["thresholds"]
    c1, c2 = params.cost
    p1, p2 = params.success_prob
    P = params.penalty
    route, s, q = eq["route"], eq["cascade"], eq["abandon"]
    if route == 2:
        policy = "route every task to M2"
    elif q == 1 and s > 0:
        policy = ("route to M1 with a cascade high enough that the user leaves after the first "
                  "failure (every s >= s_high gives the same outcome; s = 1 is reported)")
    elif s == 0:
        policy = "route to M1 with no cascade"
    elif s == 1:
        policy = "route to M1 and send every re-prompt to M2"
    else:
        policy = f"route to M1 and cascade re-prompts to M2 with probability {_f(s)}"
    stay = "the user never abandons" if q == 0 else (
        "the user abandons after the first failure" if q == 1 else
        f"the user abandons after a failure with probability {_f(q)}")
    regime = sol["regime"]
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
