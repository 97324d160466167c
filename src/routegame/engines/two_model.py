"""The paper's two-model game in closed form (:mod:`routegame.closed_form`) as an engine."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame import closed_form as cf
from routegame._types import TieBreak
from routegame.engines._common import as_two_model_policy, chain_outcome
from routegame.errors import ParameterError
from routegame.model.params import GameParams
from routegame.model.policy import check_tie_break
from routegame.model.results import GameResult, Outcome, Response

__all__ = ["TwoModelEngine"]


@attrs.frozen
class TwoModelEngine:
    """Exact closed forms of the paper's game (K = 2, stationary user, policies (i, s)).

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))
    >>> float(TwoModelEngine().solve(g).equilibrium.provider_cost)
    4.5
    """

    name: str = "two-model"
    user: str = "stationary"

    def supports(self, params: GameParams) -> bool:
        """K = 2 only."""
        return params.num_models == 2

    def _check(self, params: GameParams) -> None:
        if params.num_models != 2:
            raise ParameterError(
                "models", f"the two-model game needs 2 models, got {params.num_models}")

    def outcomes(self, params: GameParams, start: Any, cascade: Any, abandon: Any) -> Outcome:
        """Closed-form outcomes of (route, s) against a stationary q."""
        self._check(params)
        route, s = as_two_model_policy(start, cascade)
        if np.ndim(abandon) > 0:
            return chain_outcome(params, start, cascade, abandon)  # per-model q: the chain
        o = cf.outcomes(params.task_value, params.penalty, params.latency, params.cost,
                        params.success_prob, route, s, abandon)
        return Outcome(
            success=float(min(max(float(o.success), 0.0), 1.0)), latency=float(o.latency),
            cost=float(o.cost), user_utility=float(o.user_utility),
            provider_cost=float(o.provider_cost), passes=tuple(float(v) for v in o.passes),
        )

    def best_response(
        self, params: GameParams, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> Response:
        """Closed-form best response (Theorems 1-2) to (route, s)."""
        self._check(params)
        tie_break = check_tie_break(tie_break)
        route, s = as_two_model_policy(start, cascade)
        br = cf.best_response(params.task_value, params.latency, params.success_prob, route, s,
                              cost=params.cost, penalty=params.penalty, tie_break=tie_break)
        return Response(abandon=float(br.abandon), user_utility=float(br.user_utility),
                        provider_cost=float(br.provider_cost), indifferent=bool(br.indifferent))

    def solve(self, params: GameParams, tie_break: TieBreak = "strong") -> GameResult:
        """Everything :func:`routegame.closed_form.solve_arrays` computes, for one game."""
        self._check(params)
        return cf.solve_arrays(params.task_value, params.penalty, params.latency, params.cost,
                               params.success_prob, tie_break=check_tie_break(tie_break))
