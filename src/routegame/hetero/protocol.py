"""The heterogeneous two-model game behind the engine protocol (:class:`HeteroEngine`).

The game is the paper's two-model game with the success probabilities replaced by a weighted
task table (one row per task, one column per model; see :class:`~routegame.hetero.TaskTable`):
passes are independent *given the task*, the task is drawn once per episode. ``params`` gives
V, P, (t_1, t_2), (c_1, c_2); the table comes with the engine. Without a table the engine uses
the one-row table ``[params.success_prob]``, i.e. the paper's i.i.d. game, which makes the
closed forms an exact oracle (:func:`routegame.testing.check_engine`).

The maths is in :mod:`routegame.hetero.provider` (exact outcomes as weighted sums of per-task
chains, certified best responses, the provider's global search over (route, s)); this module
only converts between the protocol's K-model policy form (start pi, cascade matrix R) and the
(pi_1, s, u) of those functions, and the answers into :class:`~routegame.model.results.GameResult`.

The result is of ``kind="two-model"``: policies are (route, cascade s); ``net_value`` and
``regime`` are those of the tasks' mean success probabilities; the thresholds s0, s_low, s_high
(i.i.d. notions) are NaN; ``throttling.pays`` is the sufficient test of
:meth:`~routegame.hetero.HeteroGame.solve` (the cheapest one-pass outcome beats J*), with NaN
latencies (no least throttle is computed on a table). ``result.iid`` is the same answer for the
i.i.d. game with the tasks' mean success probabilities (same user), and ``result.tasks`` the table.

``HeteroEngine(..., policies="all")`` searches all policies (start mixture, cascade s, way back
u: :mod:`routegame.hetero.allpolicies`) and answers with a result of ``kind="k-model"``
(policies as start distribution and cascade matrix); its ``iid`` is the exact K-model engine's
answer over all policies for the mean probabilities (stationary and state-aware users).

:meth:`HeteroEngine.solve_json` is the JSON answer of a batch line: the result's JSON with the
certificates in every policy block (``response_gap``: no response beats the reported one by
more; ``truncation_bound``: the Bayes user's truncation bound) and, with ``policies="all"``,
an ``all_policies`` block beside the paper-class answer.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame._types import TieBreak
from routegame.errors import NotSolvableError, ParameterError
from routegame.hetero.engine import (
    POLICY_CLASSES,
    HeteroGame,
    HeteroSolution,
    PolicyPoint,
    _check_policies,
)
from routegame.hetero.provider import USERS, abandon_continuation, outcomes_at, respond
from routegame.hetero.tasks import TaskTable
from routegame.model.params import GameParams
from routegame.model.policy import check_policy, check_tie_break
from routegame.model.results import GameResult, Outcome, PolicyResult, Response, ThrottleResult

__all__ = ["POLICY_CLASSES", "HeteroEngine"]


def _check_user(user: Any) -> str:
    if user not in USERS:
        raise ParameterError("user", f"must be one of {', '.join(USERS)}, got {user!r}")
    return str(user)


def _check_tasks(tasks: Any) -> TaskTable | None:
    if tasks is None or isinstance(tasks, TaskTable):
        return tasks
    if isinstance(tasks, dict):
        if "success_prob" not in tasks:
            raise ParameterError("tasks.success_prob", "is required")
        return TaskTable.from_rows(tasks["success_prob"], tasks.get("weight"),
                                   field="tasks.success_prob")
    return TaskTable.from_rows(tasks, field="tasks.success_prob")


@attrs.frozen
class HeteroEngine:
    """Exact engine for two-model games on a task table (see the module docstring).

    Parameters
    ----------
    tasks : TaskTable or (T, 2) rows, optional
        Per-task success probabilities; default: the one-row table of ``params.success_prob``.
    user : {"stationary", "state-aware", "hazard", "bayes"}
    latency_weight : float
        lambda in U = V S - lambda L (1: the paper's user).
    hazard : sequence of float
        The hazard user's abandon probability after the a-th failure.
    iid : bool
        Also solve the i.i.d. game with the mean success probabilities (``result.iid``).
    policies : {"paper", "all"}
        The provider's policy class: the paper's (route, s) or all policies (start mixture,
        cascade matrix); see :mod:`routegame.hetero.allpolicies`.

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 5, (1, 4), (1, 3), (0.5, 0.8))
    >>> eng = HeteroEngine([[0.9, 0.95], [0.05, 0.6]])
    >>> res = eng.solve(g)
    >>> int(res.equilibrium.route), float(res.equilibrium.cascade)
    (1, 1.0)
    >>> int(res.iid.equilibrium.route), round(float(res.iid.equilibrium.provider_cost), 4)  # = closed form
    (1, 2.1053)
    >>> res_all = HeteroEngine([[0.9, 0.95], [0.05, 0.6]], policies="all").solve(g)
    >>> res_all.kind, res_all.equilibrium.start.tolist()
    ('k-model', [1.0, 0.0])
    """

    tasks: TaskTable | None = attrs.field(default=None, converter=_check_tasks)
    user: str = attrs.field(default="stationary", converter=_check_user)
    latency_weight: float = 1.0
    hazard: tuple[float, ...] = (1.0,)
    iid: bool = True
    name: str = "hetero"
    policies: str = attrs.field(default="paper", converter=_check_policies, kw_only=True)

    def supports(self, params: GameParams) -> bool:
        """Two-model games (the table, if given, has two columns)."""
        return params.num_models == 2 and (self.tasks is None or self.tasks.num_models == 2)

    # -- the game ------------------------------------------------------------------------------
    def table(self, params: GameParams) -> TaskTable:
        """The task table of the game (the engine's, or the one row of ``params``)."""
        if self.tasks is not None:
            return self.tasks
        return TaskTable.iid([float(x) for x in np.asarray(params.success_prob)])

    def game(self, params: GameParams, tasks: TaskTable | None = None) -> HeteroGame:
        """The :class:`HeteroGame` of ``params`` on the table (or on ``tasks``)."""
        if not isinstance(params, GameParams):
            raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
        if params.num_models != 2:
            raise NotSolvableError(
                f"the heterogeneous engine solves two-model games, got {params.num_models} models")
        return HeteroGame(self.table(params) if tasks is None else tasks, params.task_value,
                          params.penalty, np.asarray(params.latency), np.asarray(params.cost),
                          user=self.user, latency_weight=self.latency_weight, hazard=self.hazard)

    @staticmethod
    def _policy(start: Any, cascade: Any) -> tuple[Any, Any, Any]:
        st, R = check_policy(start, cascade, 2)
        if st.shape != (2,) or R.shape != (2, 2):
            raise NotSolvableError("give one policy: start (2,), cascade (2, 2)")
        return np.array([st[0]]), np.array([R[0, 1]]), np.array([R[1, 0]])

    # -- the protocol --------------------------------------------------------------------------
    def outcomes(self, params: GameParams, start: Any, cascade: Any, abandon: Any) -> Outcome:
        """Exact outcomes of any two-model policy against q or (q_1, q_2)."""
        g = self.game(params)
        p1, s, u = self._policy(start, cascade)
        o = outcomes_at(g.ctx, p1, s, u, abandon_continuation(abandon))
        return Outcome(
            success=float(np.clip(o.success[0], 0.0, 1.0)), latency=float(o.latency[0]),
            cost=float(o.cost[0]), user_utility=float(o.user_utility[0]),
            provider_cost=float(o.provider_cost[0]),
            passes=(float(o.passes[0, 0]), float(o.passes[0, 1])))

    def best_response(
        self, params: GameParams, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> Response:
        """The user's certified best response to any two-model policy."""
        g = self.game(params)
        p1, s, u = self._policy(start, cascade)
        r = respond(g.ctx, p1, s, u, check_tie_break(tie_break))
        q = [float(x) for x in np.asarray(r.abandon)[0]]
        return Response(abandon=q[0] if len(q) == 1 else tuple(q),
                        user_utility=float(r.user_utility[0]),
                        provider_cost=float(r.provider_cost[0]),
                        indifferent=bool(r.indifferent[0]))

    def solve(self, params: GameParams, tie_break: TieBreak = "strong") -> GameResult:
        """Equilibria, user-preferred policy, gap, price of alignment (and ``iid``)."""
        return self._solve(params, check_tie_break(tie_break))[0]

    def _solve(self, params: GameParams, tb: str) -> tuple[GameResult, HeteroSolution,
                                                            HeteroSolution | None]:
        g = self.game(params)
        sol = g.solve(tb, self.policies)  # type: ignore[arg-type]
        if self.policies == "all":
            return _general_result(g, sol, params, self.iid), sol, None
        res = _result(g, sol)
        if not self.iid:
            return res, sol, None
        if g.tasks.num_tasks == 1 and g.tasks.num_attempts == 1:  # already the i.i.d. game
            return attrs.evolve(res, iid=res), sol, sol
        iid_game = self.game(params, TaskTable.iid([float(x) for x in g.tasks.mean()]))
        iid_sol = iid_game.solve(tb)  # type: ignore[arg-type]
        return attrs.evolve(res, iid=_result(iid_game, iid_sol)), sol, iid_sol

    def solve_json(self, params: GameParams, tie_break: TieBreak = "strong") -> dict[str, Any]:
        """The JSON answer (the batch schema) with the certificates; see the module docstring.

        Examples
        --------
        >>> from routegame import GameParams
        >>> g = GameParams.two_model(10, 5, (1, 4), (1, 3), (0.5, 0.8))
        >>> d = HeteroEngine([[0.9, 0.95], [0.05, 0.6]]).solve_json(g)
        >>> d["equilibrium"]["response_gap"] >= 0, d["equilibrium"]["truncation_bound"]
        (True, 0.0)
        """
        tb = check_tie_break(tie_break)
        if self.policies == "all":
            paper = attrs.evolve(self, policies="paper")
            out = paper.solve_json(params, tb)
            res, sol, _ = self._solve(params, tb)
            out["all_policies"] = _all_json(sol)
            return out
        res, sol, iid_sol = self._solve(params, tb)
        out = res.to_json_dict()
        _certify(out, sol)
        if iid_sol is not None and isinstance(out.get("iid"), dict):
            _certify(out["iid"], iid_sol)
        return out


def _certify(block: dict[str, Any], sol: HeteroSolution) -> None:
    """Add ``response_gap`` and ``truncation_bound`` to the policy blocks of a JSON answer."""
    for key in ("equilibrium", "equilibrium_weak", "user_preferred"):
        p: PolicyPoint = getattr(sol, key)
        if isinstance(block.get(key), dict):
            block[key]["response_gap"] = p.response_gap
            block[key]["truncation_bound"] = p.truncation_bound


def _general_json(p: PolicyPoint) -> dict[str, Any]:
    """A general two-model policy: start, cascade matrix, the response and its certificate."""
    assert p.start1 is not None
    return {
        "route": p.route or None,
        "start": [p.start1, 1.0 - p.start1],
        "cascade": [[1.0 - p.cascade, p.cascade], [p.back, 1.0 - p.back]],
        "abandon": list(p.abandon) if isinstance(p.abandon, tuple) else p.abandon,
        "provider_cost": p.provider_cost, "user_utility": p.user_utility, "success": p.success,
        "passes": list(p.passes), "attained": p.attained, "indifferent": p.indifferent,
        "response_gap": p.response_gap, "truncation_bound": p.truncation_bound,
    }


def _all_json(sol: HeteroSolution) -> dict[str, Any]:
    """The ``all_policies`` block of a JSON answer."""
    info = dict(sol.paper_class or {})
    out: dict[str, Any] = {k: _general_json(getattr(sol, k))
                           for k in ("equilibrium", "equilibrium_weak", "user_preferred")}
    out.update(misalignment_gap=sol.misalignment_gap, price_of_alignment=sol.price_of_alignment,
               paper_class_cost=info.get("provider_cost"), saving=info.get("saving"),
               lattice_step=info.get("lattice_step"), refine_step=info.get("refine_step"),
               evaluations=info.get("evaluations"),
               certified=("the best found on the lattice plus refinement; every value is "
                          "attained and the response certified up to response_gap; no lower "
                          "bound on the optimum is claimed"))
    return out


def _general_policy_result(p: PolicyPoint) -> PolicyResult:
    assert p.start1 is not None
    return PolicyResult(
        route=np.asarray(p.route), start=np.array([p.start1, 1.0 - p.start1]),
        cascade=np.array([[1.0 - p.cascade, p.cascade], [p.back, 1.0 - p.back]]),
        abandon=np.asarray(p.abandon, dtype=float), provider_cost=np.asarray(p.provider_cost),
        user_utility=np.asarray(p.user_utility), success=np.asarray(p.success),
        attained=np.asarray(p.attained), indifferent=np.asarray(p.indifferent))


def _general_result(game: HeteroGame, sol: HeteroSolution, params: GameParams,
                    with_iid: bool) -> GameResult:
    iid = None
    if with_iid and game.user in ("stationary", "state-aware"):
        from routegame.engines.kmodel import KModelEngine

        m = np.clip(game.tasks.mean(), 1e-12, 1.0 - 1e-12)
        iid_params = GameParams.two_model(game.task_value, game.penalty, tuple(game.latency),
                                          tuple(game.cost), (float(m[0]), float(m[1])))
        iid = KModelEngine(game.user).solve(iid_params, sol.tie_break)  # type: ignore[arg-type]
    m = game.tasks.mean()
    return GameResult(
        kind="k-model", tie_break=sol.tie_break, user=game.user,
        net_value=np.asarray(game.task_value * m - game.latency),
        equilibrium=_general_policy_result(sol.equilibrium),
        equilibrium_weak=_general_policy_result(sol.equilibrium_weak),
        user_preferred=_general_policy_result(sol.user_preferred),
        misalignment_gap=np.asarray(sol.misalignment_gap),
        price_of_alignment=np.asarray(sol.price_of_alignment),
        tasks=game.tasks, iid=iid,
    )


def _policy_result(p: PolicyPoint, with_attained: bool = True) -> PolicyResult:
    return PolicyResult(
        route=np.asarray(p.route), cascade=np.asarray(p.cascade),
        abandon=np.asarray(p.abandon, dtype=float), provider_cost=np.asarray(p.provider_cost),
        user_utility=np.asarray(p.user_utility), success=np.asarray(p.success),
        attained=np.asarray(p.attained) if with_attained else None,
        indifferent=np.asarray(p.indifferent))


def _result(game: HeteroGame, sol: HeteroSolution) -> GameResult:
    from routegame.closed_form.user import regime_code

    tie_break = sol.tie_break
    m = game.tasks.mean()
    xi = game.task_value * m - game.latency
    eq = _policy_result(sol.equilibrium)
    thr = sol.throttling
    if thr["pays"]:
        k = int(thr["route"])
        tp = PolicyResult(route=np.asarray(k), cascade=np.asarray(0.0), abandon=np.asarray(1.0),
                          provider_cost=np.asarray(thr["provider_cost"]),
                          user_utility=np.asarray(np.nan), attained=np.asarray(True))
    else:
        tp = eq
    nan = np.asarray(np.nan)
    return GameResult(
        kind="two-model", tie_break=tie_break, user=game.user, net_value=np.asarray(xi),
        equilibrium=eq, equilibrium_weak=_policy_result(sol.equilibrium_weak),
        user_preferred=_policy_result(sol.user_preferred, with_attained=False),
        misalignment_gap=np.asarray(sol.misalignment_gap),
        price_of_alignment=np.asarray(sol.price_of_alignment),
        regime=np.asarray(regime_code(xi[0], xi[1])), s0=nan, s_low=nan, s_high=nan,
        throttling=ThrottleResult(pays=np.asarray(bool(thr["pays"])),
                                  latency=np.array([np.nan, np.nan]), policy=tp),
        tasks=game.tasks,
    )
