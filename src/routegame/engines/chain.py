"""The Markov-chain oracle as an engine: linear solves and global searches, no closed form.

It shares no formula with the closed forms, which is what makes it the reference of
:func:`routegame.testing.check_engine`: outcomes by the absorbing chain's linear solve
(:mod:`routegame.markov.chain`), best responses by a global search over the abandon
probability, and (two-model games) the equilibrium by the numeric engine
(:mod:`routegame.markov.numeric`).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame._types import TieBreak
from routegame.engines._common import ChainOutcomes
from routegame.engines.kernel import TOL
from routegame.errors import NotSolvableError
from routegame.markov.chain import chain_outcomes
from routegame.model.params import GameParams
from routegame.model.policy import check_policy, check_tie_break, check_user
from routegame.model.results import GameResult, PolicyResult, Response

__all__ = ["ChainEngine"]

#: Points of the global search over q (stationary user), then golden-section refinement.
GRID = 2001


@attrs.frozen
class ChainEngine(ChainOutcomes):
    """The independent reference engine (slow; for checks, not for production).

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))
    >>> br = ChainEngine().best_response(g, [0, 1], [[1, 0], [0, 1]])
    >>> br.abandon, round(br.user_utility, 6)
    (0.0, 2.0)
    """

    user: str = attrs.field(default="stationary", converter=check_user)
    name: str = "chain"

    def supports(self, params: GameParams) -> bool:
        """:meth:`solve` needs K = 2 and the stationary user; the rest takes any K."""
        return params.num_models == 2 and self.user == "stationary"

    def best_response(
        self, params: GameParams, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> Response:
        """Global search: q on a grid (stationary) or all 2^K stopping rules (state-aware)."""
        tie_break = check_tie_break(tie_break)
        K = params.num_models
        st, R = check_policy(start, cascade, K)
        arrays = (params.task_value, params.penalty, params.latency, params.cost,
                  params.success_prob)
        if self.user == "stationary":
            q = np.linspace(0.0, 1.0, GRID)
            out = chain_outcomes(*arrays, st, R, q, per_model=False)
        else:
            if K > 12:
                raise NotSolvableError(f"2^{K} stopping rules are too many to enumerate")
            grid = np.array(np.meshgrid(*([[0.0, 1.0]] * K), indexing="ij")).reshape(K, -1).T
            q = grid
            out = chain_outcomes(*arrays, st, R, grid, per_model=True)
        U, J = np.asarray(out.user_utility), np.asarray(out.provider_cost)
        umax = U.max()
        scale = max(abs(umax), float(np.min(params.task_value * params.success_prob
                                            + params.latency)))
        tied = umax - 1e3 * TOL * scale <= U
        k = int(np.where(tied, J, np.inf).argmin() if tie_break == "strong"
                else np.where(tied, J, -np.inf).argmax())
        qk = q[k]
        abandon: float | tuple[float, ...] = (
            float(qk) if np.ndim(qk) == 0 else tuple(float(x) for x in qk))
        spread = np.ptp(q[tied], axis=0) if self.user == "stationary" else np.ptp(
            q[tied].sum(axis=1))
        return Response(abandon, float(U[k]), float(J[k]), bool(np.max(spread) > 1.5 / GRID))

    def solve(self, params: GameParams, tie_break: TieBreak = "strong") -> GameResult:
        """The numeric engine's global search over (route, s) (two-model games only)."""
        if not self.supports(params):
            raise NotSolvableError("the chain engine solves two-model games with the "
                                   "stationary user only")
        from routegame.markov.numeric import numeric_solve

        tie_break = check_tie_break(tie_break)
        d = numeric_solve(params, tie_break=tie_break, throttling=False)

        def pol(e: dict[str, Any], attained: bool | None = None) -> PolicyResult:
            return PolicyResult(
                route=np.asarray(e["route"]), cascade=np.asarray(e["cascade"]),
                abandon=np.asarray(e["abandon"]),
                provider_cost=np.asarray(e.get("provider_cost", np.nan)),
                user_utility=np.asarray(e["user_utility"]),
                attained=None if attained is None else np.asarray(attained),
            )

        head = d["equilibrium"] if tie_break == "strong" else d["equilibrium_weak"]
        th = {k: (np.nan if v is None else v) for k, v in d["thresholds"].items()}
        regimes = ("value-value", "latency-latency", "latency-value", "value-latency",
                   "knife-edge")
        return GameResult(
            kind="two-model", tie_break=tie_break, user="stationary",
            net_value=params.net_value(),
            equilibrium=pol(head, head.get("attained", True)),
            equilibrium_weak=pol(d["equilibrium_weak"], d["equilibrium_weak"].get("attained", True)),
            user_preferred=pol(d["user_preferred"]),
            misalignment_gap=np.asarray(d["user_preferred"]["user_utility"] - head["user_utility"]),
            price_of_alignment=np.asarray(d["user_preferred"].get("provider_cost", np.nan)
                                          - head["provider_cost"]),
            regime=np.asarray(regimes.index(d["regime"])),
            s0=np.asarray(th["s0"]), s_low=np.asarray(th["s_low"]), s_high=np.asarray(th["s_high"]),
        )
