"""The K-model game as an object: a thin layer over the functions of this subpackage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from routegame._types import TieBreak
from routegame.errors import ParameterError
from routegame.general._policy import as_params
from routegame.general.provider import (
    Equilibrium,
    User,
    check_user,
    equilibrium,
    policy_outcomes,
    user_preferred,
)
from routegame.general.user import (
    StateAwareResponse,
    StationaryResponse,
    state_aware_best_response,
    stationary_best_response,
)
from routegame.model.results import GameResult
from routegame.params import GameParams, check_tie_break

__all__ = ["GeneralGame", "GeneralSolution", "solve_general"]


#: The result of :meth:`GeneralGame.solve` (the one result type; the name of routegame 0.1).
GeneralSolution = GameResult


def _to_params(value: Any) -> GameParams:
    return as_params(value)


def _to_user(value: Any) -> User:
    return check_user(value)


@attrs.frozen
class GeneralGame:
    """The routing game with K >= 2 models and a stationary or state-aware user.

    Parameters
    ----------
    params : GameParams or mapping
        The game.
    user : {"stationary", "state-aware"}
        The follower: one abandon probability after every failure, or one per failed model.

    Examples
    --------
    >>> game = GeneralGame.from_lists(10, 6, latency=[1, 5, 2], cost=[1, 0.5, 3],
    ...                               success_prob=[0.3, 0.4, 0.8], user="state-aware")
    >>> sol = game.solve()
    >>> sol["equilibrium"]["route"], sol["equilibrium"]["abandon"]
    (2, [0.0, 0.0, 0.0])
    >>> game.best_response([1, 0, 0], [[0, 0, 1]] * 3).abandon
    (0.0, 0.0, 0.0)
    """

    params: GameParams = attrs.field(converter=_to_params)
    user: User = attrs.field(default="stationary", converter=_to_user)

    @classmethod
    def from_lists(
        cls,
        task_value: float,
        penalty: float,
        latency: Sequence[float],
        cost: Sequence[float],
        success_prob: Sequence[float],
        user: User = "stationary",
    ) -> GeneralGame:
        """Build from V, P and per-model lists."""
        return cls(GameParams.from_lists(task_value, penalty, latency, cost, success_prob), user)

    @property
    def num_models(self) -> int:
        """K."""
        return self.params.num_models

    def best_response(
        self, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> StationaryResponse | StateAwareResponse:
        """The user's exact best response to the policy (start, cascade)."""
        if self.user == "stationary":
            return stationary_best_response(self.params, start, cascade, tie_break=tie_break)
        return state_aware_best_response(self.params, start, cascade, tie_break=tie_break)

    def equilibrium(self, tie_break: TieBreak = "strong") -> Equilibrium:
        """The provider's exact optimum over all policies (see :func:`equilibrium`)."""
        return equilibrium(self.params, self.user, tie_break)

    def user_preferred(self) -> Equilibrium:
        """The policy that maximises the user's utility."""
        return user_preferred(self.params, self.user)

    def outcomes(self, start: Any, cascade: Any, abandon: Any) -> dict[str, float]:
        """S, L, C, U, J of a policy and a response (q, or q_j per model), by linear solve."""
        return policy_outcomes(self.params, start, cascade, abandon)

    def solve(self, tie_break: TieBreak = "strong") -> GameResult:
        """Equilibrium, user-preferred policy, misalignment gap and price of alignment."""
        from routegame.engines import KModelEngine, solve

        return solve(self.params, tie_break=tie_break, engine=KModelEngine(self.user))


def solve_general(
    record: GameParams | Mapping[str, Any],
    user: str | None = None,
    tie_break: TieBreak = "strong",
) -> dict[str, Any]:
    """Solve one game given as a batch line and return the JSON-ready answer.

    ``record`` is a :class:`GameParams` or a mapping accepted by :meth:`GameParams.from_dict`
    (per-model lists or ``"models": [...]``), optionally with ``"user"`` and ``"tie_break"``
    keys (the arguments win when given).

    Examples
    --------
    >>> out = solve_general({"task_value": 10, "penalty": 5, "user": "state-aware",
    ...     "models": [{"latency": 1, "cost": 1, "success_prob": 0.3},
    ...                {"latency": 4, "cost": 3, "success_prob": 0.8}]})
    >>> sorted(out)
    ['equilibrium', 'misalignment_gap', 'price_of_alignment', 'tie_break', 'user', 'user_preferred']
    """
    if isinstance(record, Mapping):
        rec = dict(record)
        u = user if user is not None else rec.pop("user", "stationary")
        tb = rec.pop("tie_break", tie_break)
        rec.pop("id", None)
        rec.pop("user", None)
        params = GameParams.from_dict(rec)
    elif isinstance(record, GameParams):
        params, u, tb = record, user or "stationary", tie_break
    else:
        raise ParameterError("record", f"must be a mapping or GameParams, got {record!r}")
    tb = check_tie_break(tb)
    out = GeneralGame(params, check_user(u)).solve(tb).to_json_dict()
    return out
