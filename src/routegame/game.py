"""The two-model game as an object: a thin layer over :mod:`routegame.closed_form`.

:class:`TwoModelGame` holds validated :class:`~routegame.params.GameParams` (K = 2) and answers
every question of the paper for that game; :func:`solve_record` answers one line of the batch
format used by ``routegame solve --batch``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from routegame import closed_form as cf
from routegame._types import TieBreak
from routegame.errors import ParameterError, RouteGameError
from routegame.model.params import GameParams, check_scalar, check_tie_break
from routegame.model.policy import check_cascade, check_route
from routegame.model.results import GameResult, Outcome, round_sig

__all__ = ["Solution", "TwoModelGame", "check_route", "solve_record"]


def _num(x: Any) -> Any:
    """A JSON-ready Python number (NaN -> None)."""
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    v = float(x)
    return None if math.isnan(v) else round_sig(v)


#: The solved game (the one result type; the name of routegame 0.1).
Solution = GameResult


@attrs.frozen
class TwoModelGame:
    """The paper's two-model routing game.

    Parameters
    ----------
    params : GameParams
        Must have exactly two models (M1 standard, M2 reasoning).

    Examples
    --------
    >>> g = TwoModelGame.from_values(task_value=10, penalty=20, latency=[4, 5], cost=[1, 4],
    ...                              success_prob=[0.3, 0.8])
    >>> g.regime
    'latency-value'
    >>> round(g.thresholds()["s0"], 4)
    0.2105
    >>> eq = g.solve()["equilibrium"]
    >>> eq["route"], round(eq["cascade"], 4), eq["abandon"]
    (1, 0.2105, 0.0)
    """

    params: GameParams = attrs.field()

    @params.validator
    def _two(self, attribute: Any, value: GameParams) -> None:
        if value.num_models != 2:
            raise ParameterError("models", f"the two-model game needs 2 models, got {value.num_models}")

    @classmethod
    def from_values(
        cls,
        task_value: float,
        penalty: float,
        latency: Sequence[float],
        cost: Sequence[float],
        success_prob: Sequence[float],
    ) -> TwoModelGame:
        """Build from V, P and the per-model pairs (validated)."""
        return cls(GameParams.two_model(task_value, penalty, latency, cost, success_prob))

    # -- arrays of the parameters
    def _arrays(self) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        return p.task_value, p.penalty, p.latency, p.cost, p.success_prob

    @property
    def net_value(self) -> tuple[float, float]:
        """(ξ_1, ξ_2) = (V p_1 - t_1, V p_2 - t_2)."""
        x = self.params.net_value()
        return float(x[0]), float(x[1])

    @property
    def regime(self) -> str:
        """Sign pattern of (ξ_1, ξ_2), see :data:`routegame.closed_form.REGIMES`."""
        return cf.regime_name(*self.net_value)

    def outcomes(self, route: int, cascade: float, abandon: float) -> dict[str, Any]:
        """S, L, C, U, J and expected passes of a policy against an abandon probability."""
        route = check_route(route)
        cascade = check_cascade(cascade)
        abandon = check_scalar(abandon, "abandon")
        o = cf.outcomes(*self._arrays(), route, cascade, abandon)
        return Outcome(
            success=float(np.clip(o.success, 0.0, 1.0)), latency=float(o.latency),
            cost=float(o.cost), user_utility=float(o.user_utility),
            provider_cost=float(o.provider_cost), passes=tuple(float(v) for v in o.passes),
        ).to_json_dict()

    def best_response(
        self, route: int, cascade: float, tie_break: TieBreak = "strong"
    ) -> dict[str, Any]:
        """The user's best response q*(route, cascade), with ``indifferent`` flagged."""
        route = check_route(route)
        cascade = check_cascade(cascade)
        check_tie_break(tie_break)
        V, P, t, c, p = self._arrays()
        br = cf.best_response(V, t, p, route, cascade, cost=c, penalty=P, tie_break=tie_break)
        return {
            "route": route, "cascade": cascade, "abandon": _num(br.abandon),
            "user_utility": _num(br.user_utility), "indifferent": bool(br.indifferent),
        }

    def thresholds(self) -> dict[str, float | None]:
        """Thresholds s0, s_low, s_high of the route-1 response (None where undefined)."""
        V, _, t, _, p = self._arrays()
        s0, sl, sh = cf.thresholds(V, t, p)
        return {"s0": _num(s0), "s_low": _num(sl), "s_high": _num(sh)}

    def solve(self, tie_break: TieBreak = "strong") -> GameResult:
        """Equilibria, user-preferred policy, gap, price of alignment, throttling.

        Returns the one result type; ``sol["equilibrium"]`` and ``sol.to_dict()`` give the
        JSON form (with the guideline sentence).
        """
        from routegame.engines import TwoModelEngine, solve

        return solve(self.params, tie_break=tie_break, engine=TwoModelEngine())


def _error(record_id: Any, exc: RouteGameError) -> dict[str, Any]:
    field = getattr(exc, "field", None)
    reason = getattr(exc, "reason", str(exc))
    return {"id": record_id, "error": {"field": field, "message": f"{field}: {reason}" if field else reason}}


def solve_record(record: Any, tie_break: TieBreak = "strong") -> dict[str, Any]:
    """Answer one batch input line (already parsed from JSON); errors become an error object.

    Input: ``{"id", "task_value", "penalty", "latency": [t1, t2], "cost": [c1, c2],
    "success_prob": [p1, p2], "queries": [{"route": 1, "cascade": 0.3}, ...]}`` (queries optional).

    Examples
    --------
    >>> out = solve_record({"id": 7, "task_value": 10, "penalty": 20, "latency": [4, 5],
    ...                     "cost": [1, 4], "success_prob": [0.3, 0.8],
    ...                     "queries": [{"route": 2, "cascade": 0}]})
    >>> out["id"], out["regime"], out["responses"][0]["abandon"]
    (7, 'latency-value', 0.0)
    >>> solve_record({"id": "x", "task_value": -1})["error"]["field"]
    'task_value'
    """
    rid = record.get("id") if isinstance(record, Mapping) else None
    try:
        if not isinstance(record, Mapping):
            raise ParameterError("line", "must be a JSON object")
        known = {"id", "task_value", "penalty", "latency", "cost", "success_prob", "queries",
                 "models", "names", "user", "policy", "abandon"}
        unknown = sorted(set(record) - known)
        if unknown:
            raise ParameterError(unknown[0], "unknown field")
        game = TwoModelGame(GameParams.from_dict({k: v for k, v in record.items()
                                                  if k not in ("id", "queries")}))
        queries = record.get("queries", [])
        if not isinstance(queries, list):
            raise ParameterError("queries", "must be a list of {route, cascade}")
        responses = []
        for k, qd in enumerate(queries):
            if not isinstance(qd, Mapping) or "route" not in qd:
                raise ParameterError(f"queries[{k + 1}]", "must be an object with route and cascade")
            route = check_route(qd["route"], f"queries[{k + 1}].route")
            cascade = check_cascade(qd.get("cascade", 0.0), f"queries[{k + 1}].cascade")
            responses.append(game.best_response(route, cascade, tie_break))
        out = {"id": rid, **game.solve(tie_break).to_dict()}
        out["responses"] = responses
        return out
    except RouteGameError as exc:
        return _error(rid, exc)
