"""The exact K-model engine (:mod:`routegame.general`) for the stationary or state-aware user."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame._types import TieBreak
from routegame.engines._common import ChainOutcomes
from routegame.model.params import GameParams
from routegame.model.policy import check_tie_break, check_user
from routegame.model.results import GameResult, PolicyResult, Response

__all__ = ["KModelEngine"]


def policy_result(eq: Any) -> PolicyResult:
    """A :class:`PolicyResult` of one K-model policy (from :class:`routegame.general.Equilibrium`)."""
    return PolicyResult(
        route=np.asarray(eq.route or 0), start=np.asarray(eq.start),
        cascade=np.asarray(eq.cascade), abandon=np.asarray(eq.abandon),
        provider_cost=np.asarray(eq.provider_cost), user_utility=np.asarray(eq.user_utility),
        success=np.asarray(eq.success), attained=np.asarray(eq.attained),
        kind=eq.kind, continuation=np.asarray(eq.continuation),
        indifferent=np.asarray(eq.indifferent),
    )


@attrs.frozen
class KModelEngine(ChainOutcomes):
    """Exact Stackelberg solver over all policies (pi, R) of a K-model game.

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.from_lists(10, 6, [1, 5, 2], [1, 0.5, 3], [0.3, 0.4, 0.8])
    >>> res = KModelEngine("state-aware").solve(g)
    >>> int(res.equilibrium.route), round(float(res.misalignment_gap), 4)
    (2, 8.5)
    """

    user: str = attrs.field(default="stationary", converter=check_user)
    name: str = "k-model"

    def supports(self, params: GameParams) -> bool:
        """Any K >= 2."""
        return params.num_models >= 2

    def best_response(
        self, params: GameParams, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> Response:
        """The stationary or state-aware user's exact best response."""
        from routegame.general import state_aware_best_response, stationary_best_response

        tie_break = check_tie_break(tie_break)
        if self.user == "stationary":
            br = stationary_best_response(params, start, cascade, tie_break=tie_break)
            return Response(br.abandon, br.user_utility, br.provider_cost, br.indifferent)
        sa = state_aware_best_response(params, start, cascade, tie_break=tie_break)
        return Response(sa.abandon, sa.user_utility, sa.provider_cost, any(sa.indifferent))

    def solve(self, params: GameParams, tie_break: TieBreak = "strong") -> GameResult:
        """Equilibrium, user-preferred policy, misalignment gap and price of alignment."""
        from routegame.general.provider import equilibrium, user_preferred

        tie_break = check_tie_break(tie_break)
        with np.errstate(all="ignore"):  # overflow beyond the double range: inf, checked by solve
            eq = equilibrium(params, self.user, tie_break)  # type: ignore[arg-type]
            up = user_preferred(params, self.user)  # type: ignore[arg-type]
        return GameResult(
            kind="k-model", tie_break=tie_break, user=self.user,
            net_value=params.net_value(),
            equilibrium=policy_result(eq), user_preferred=policy_result(up),
            misalignment_gap=np.asarray(max(up.user_utility - eq.user_utility, 0.0)),
            price_of_alignment=np.asarray(up.provider_cost - eq.provider_cost),
        )
