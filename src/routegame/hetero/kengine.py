"""K-model games on task tables behind the engine protocol (:class:`HeteroKModelEngine`).

The maths is in :mod:`routegame.hetero.kmodel` (exact outcomes as weighted sums of per-task
chains, the stationary user's certified best response) and :mod:`routegame.hetero.allpolicies`
(the provider's optimum over all policies: a lattice over start distributions and cascade
matrices with the user's certified response at each point, then a pattern refinement; the
value reported is attained by the policy reported, and is an upper bound on the true optimum,
never worse than any lattice policy). This module only adapts it to
:class:`~routegame.engines.protocol.Engine` and :class:`~routegame.model.results.GameResult`
(``kind="k-model"``; ``result.iid`` is the exact K-model engine's answer for the table's mean
success probabilities).

Users: the paper's stationary user and the behavioural hazard user (abandon probability after
the a-th failure). The state-aware and Bayes users on K-model tables are not solved here (the
two-model engine :class:`routegame.hetero.HeteroEngine` has them).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame._types import TieBreak
from routegame.errors import NotSolvableError, ParameterError
from routegame.hetero.protocol import _check_tasks
from routegame.hetero.tasks import TaskTable
from routegame.model.params import GameParams
from routegame.model.policy import check_tie_break
from routegame.model.results import GameResult, Outcome, PolicyResult, Response

__all__ = ["HeteroKModelEngine"]

_USERS = ("stationary", "hazard")


def _check_user(user: Any) -> str:
    if user not in _USERS:
        raise ParameterError("user", f"must be one of {', '.join(_USERS)} for a task table with more "
                             f"than two models, got {user!r}")
    return str(user)


def _policy_result(d: dict[str, Any]) -> PolicyResult:
    return PolicyResult(
        route=np.asarray(d["route"] or 0), start=np.asarray(d["start"], dtype=float),
        cascade=np.asarray(d["cascade"], dtype=float), abandon=np.asarray(d["abandon"], dtype=float),
        provider_cost=np.asarray(d["provider_cost"]), user_utility=np.asarray(d["user_utility"]),
        success=np.asarray(d["success"]), attained=np.asarray(d["attained"]),
        indifferent=np.asarray(d["indifferent"]))


@attrs.frozen
class HeteroKModelEngine:
    """Task-table games with any number of models K >= 2 (see the module docstring).

    Parameters
    ----------
    tasks : TaskTable or (T, K) rows, optional
        Per-task success probabilities (one column per model); default: the one-row table of
        ``params.success_prob`` (the i.i.d. game).
    user : {"stationary", "hazard"}
    hazard : sequence of float
        The hazard user's abandon probability after the a-th failure.
    lattice : int, optional
        Simplex lattice step 1/m of the global search (default: the search's own, at most
        about 2500 policies).
    iid : bool
        Also solve the i.i.d. game with the mean success probabilities (``result.iid``).

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.from_lists(10, 5, [1, 2, 6], [1, 2, 5], [0.2, 0.4, 0.7])
    >>> eng = HeteroKModelEngine([[0.3, 0.6, 0.9], [0.1, 0.2, 0.5]])
    >>> res = eng.solve(g)
    >>> res.kind, res.equilibrium.start.shape, res.iid.kind
    ('k-model', (3,), 'k-model')
    >>> bool(res.equilibrium.provider_cost <= eng.best_response(g, [1, 0, 0], np.eye(3)).provider_cost)
    True
    """

    tasks: TaskTable | None = attrs.field(default=None, converter=_check_tasks)
    user: str = attrs.field(default="stationary", converter=_check_user)
    hazard: tuple[float, ...] = (1.0,)
    lattice: int | None = None
    iid: bool = True
    name: str = "hetero-k-model"

    def supports(self, params: GameParams) -> bool:
        """Any K >= 2 whose number of models matches the table's columns."""
        return self.tasks is None or self.tasks.num_models == params.num_models

    def table(self, params: GameParams) -> TaskTable:
        """The task table of the game (the engine's, or the one row of ``params``)."""
        if not isinstance(params, GameParams):
            raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
        if self.tasks is None:
            return TaskTable.iid([float(x) for x in np.asarray(params.success_prob)])
        if self.tasks.num_models != params.num_models:
            raise ParameterError("tasks", f"has {self.tasks.num_models} columns but the game has "
                                 f"{params.num_models} models")
        return self.tasks

    @staticmethod
    def _args(params: GameParams) -> tuple[float, float, Any, Any]:
        return (float(params.task_value), float(params.penalty), np.asarray(params.latency, float),
                np.asarray(params.cost, float))

    def outcomes(self, params: GameParams, start: Any, cascade: Any, abandon: Any) -> Outcome:
        """Exact outcomes of a policy against q or (q_1, ..., q_K) (weighted per-task chains)."""
        from routegame.hetero.kmodel import k_model_outcomes

        o = k_model_outcomes(self.table(params), *self._args(params), start, cascade, abandon)
        return Outcome(success=float(np.clip(o["success"], 0.0, 1.0)), latency=o["latency"],
                       cost=o["cost"], user_utility=o["user_utility"],
                       provider_cost=o["provider_cost"], passes=tuple(o["passes"]))

    def best_response(
        self, params: GameParams, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> Response:
        """The stationary user's certified best response (the hazard user does not choose)."""
        from routegame.hetero.kmodel import k_model_best_response

        if self.user != "stationary":
            raise NotSolvableError("the hazard user does not best-respond: its abandon "
                                   "probabilities are given")
        r = k_model_best_response(self.table(params), *self._args(params), start, cascade,
                                  check_tie_break(tie_break))
        return Response(abandon=float(r["abandon"]), user_utility=r["user_utility"],
                        provider_cost=r["provider_cost"], indifferent=bool(r["indifferent"]))

    def solve(self, params: GameParams, tie_break: TieBreak = "strong") -> GameResult:
        """Optimum over all policies (strong and weak), user-preferred policy, gap, ``iid``."""
        from routegame.hetero.kmodel import k_model_optimum

        tb = check_tie_break(tie_break)
        tab = self.table(params)
        args = self._args(params)
        kw: dict[str, Any] = {"user": self.user, "hazard": self.hazard, "lattice": self.lattice}
        eq = k_model_optimum(tab, *args, tie_break=tb, **kw)
        weak = eq if tb == "weak" else k_model_optimum(tab, *args, tie_break="weak", **kw)
        up = k_model_optimum(tab, *args, tie_break=tb, objective="user", **kw)
        iid = None
        if self.iid and self.user == "stationary":
            from routegame.engines.kmodel import KModelEngine

            m = np.clip(tab.mean(), 1e-12, 1.0 - 1e-12)
            iid_params = GameParams.from_lists(args[0], args[1], list(args[2]), list(args[3]),
                                               [float(x) for x in m])
            iid = KModelEngine("stationary").solve(iid_params, tb)
        return GameResult(
            kind="k-model", tie_break=tb, user=self.user,
            net_value=np.asarray(args[0] * tab.mean() - args[2]),
            equilibrium=_policy_result(eq), equilibrium_weak=_policy_result(weak),
            user_preferred=_policy_result(up),
            misalignment_gap=np.asarray(max(up["user_utility"] - eq["user_utility"], 0.0)),
            price_of_alignment=np.asarray(up["provider_cost"] - eq["provider_cost"]),
            tasks=tab, iid=iid,
        )
