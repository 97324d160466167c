"""The heterogeneous two-model game as an object: a thin facade over the maths modules.

``HeteroGame.outcomes(policy, abandon_rule)``, ``best_response(policy, tie_break)`` and
``solve(tie_break)`` mirror the engine protocol of the other engines; results are plain frozen
attrs classes with ``to_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from routegame._types import FloatArray, TieBreak
from routegame.errors import ParameterError
from routegame.hetero.allpolicies import AllPolicyOptimum, search_all_policies
from routegame.hetero.provider import (
    USERS,
    Ctx,
    PolicyResponses,
    abandon_continuation,
    outcomes_at,
    policy_map,
    population_optimum,
    respond,
    search_paper_class,
)
from routegame.hetero.tasks import TaskTable
from routegame.params import check_scalar, check_tie_break

__all__ = ["POLICY_CLASSES", "HeteroGame", "HeteroOutcomes", "HeteroSolution", "Policy", "PolicyPoint"]


@attrs.frozen
class Policy:
    """A two-model policy: the paper's (route, cascade), optionally a start mixture and a way back.

    ``start1`` (probability that the first pass is on M1) overrides ``route`` when given;
    ``back`` is R_21, the probability that a re-prompt after an M2 failure goes to M1.

    Examples
    --------
    >>> Policy(1, 0.5)
    Policy(route=1, cascade=0.5, start1=None, back=0.0)
    """

    route: int = 1
    cascade: float = 0.0
    start1: float | None = None
    back: float = 0.0

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(pi_1, s, u) as length-1 arrays."""
        if self.route not in (1, 2):
            raise ParameterError("route", f"must be 1 or 2, got {self.route!r}")
        s = check_scalar(self.cascade, "cascade")
        u = check_scalar(self.back, "cascade", "back")
        p1 = float(self.route == 1) if self.start1 is None else check_scalar(
            self.start1, "cascade", "start1")
        if self.start1 is None and self.route == 2:
            s = 0.0 if self.cascade == 0.0 else s
        return np.array([p1]), np.array([s]), np.array([u])


def _as_policy(policy: Any) -> Policy:
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        return Policy(**policy)
    if isinstance(policy, Sequence) and len(policy) == 2:
        return Policy(int(policy[0]), float(policy[1]))
    raise ParameterError("policy", f"must be a Policy, (route, cascade) or a mapping, got {policy!r}")


@attrs.frozen
class HeteroOutcomes:
    """S, L, C, U, J and expected passes (M1, M2) of a policy against an abandon rule."""

    success: float
    latency: float
    cost: float
    user_utility: float
    provider_cost: float
    passes: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return attrs.asdict(self) | {"passes": list(self.passes)}


@attrs.frozen
class PolicyPoint:
    """A policy with the user's response and the outcomes.

    ``abandon`` is q (stationary), (q_1, q_2) (state-aware), q(1..H) (hazard) or the
    probability of abandoning after the first failure (Bayes). ``response_gap`` is the certified
    bound on how much better the user could do than the reported response; ``truncation_bound``
    the Bayes user's truncation bound. Policies outside the paper's class (the search over all
    policies, ``policies="all"``) also carry ``start1`` (pi_1, the probability that the first
    pass is on M1; ``route`` is 0 when it is mixed) and ``back`` (R_21); paper-class points
    have ``start1 = None``.
    """

    route: int
    cascade: float
    abandon: float | tuple[float, ...]
    provider_cost: float
    user_utility: float
    success: float
    passes: tuple[float, float]
    attained: bool = True
    indifferent: bool = False
    response_gap: float = 0.0
    truncation_bound: float = 0.0
    start1: float | None = None
    back: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (routes 1 and 2; ``start1`` and ``back`` for general policies)."""
        d = attrs.asdict(self)
        if self.start1 is None:
            del d["start1"], d["back"]
        d["abandon"] = list(self.abandon) if isinstance(self.abandon, tuple) else self.abandon
        d["passes"] = list(self.passes)
        return d


def _general_point(opt: AllPolicyOptimum) -> PolicyPoint:
    """A policy of the search over all policies as a :class:`PolicyPoint` (route 0: mixed)."""
    e = opt.point
    p1, s, u = float(e.start[0, 0]), float(e.cascade[0, 0, 1]), float(e.cascade[0, 1, 0])
    q = [float(x) for x in np.asarray(e.abandon)[0]]
    return PolicyPoint(
        route=1 if p1 == 1.0 else (2 if p1 == 0.0 else 0), cascade=s,
        abandon=q[0] if len(q) == 1 else tuple(q),
        provider_cost=float(e.provider_cost[0]), user_utility=float(e.user_utility[0]),
        success=float(e.success[0]), passes=(float(e.passes[0, 0]), float(e.passes[0, 1])),
        attained=opt.attained, indifferent=bool(e.indifferent[0]),
        response_gap=float(e.gap[0]), truncation_bound=float(e.truncation[0]),
        start1=p1, back=u)


def _point(route: int, s: float, r: PolicyResponses, attained: bool = True) -> PolicyPoint:
    q = [float(x) for x in np.asarray(r.abandon)[0]]
    return PolicyPoint(
        route=route,
        cascade=float(s) if route == 1 else 0.0,
        abandon=q[0] if len(q) == 1 else tuple(q),
        provider_cost=float(r.provider_cost[0]),
        user_utility=float(r.user_utility[0]),
        success=float(r.success[0]),
        passes=(float(r.passes[0, 0]), float(r.passes[0, 1])),
        attained=attained,
        indifferent=bool(r.indifferent[0]),
        response_gap=float(r.gap[0]),
        truncation_bound=float(r.truncation[0]),
    )


@attrs.frozen
class HeteroSolution:
    """Equilibrium (strong and weak), user-preferred policy, misalignment and alignment price.

    ``price_of_alignment`` = J at the user-preferred policy - J*; ``throttling`` compares J*
    with the cheapest one-pass outcome min_i (c_i + P (1 - mean p_i)), which a provider reaches by
    raising latencies until the user abandons after the first failure (sufficient, not necessary,
    for throttling to pay on a task table).
    """

    equilibrium: PolicyPoint
    equilibrium_weak: PolicyPoint
    user_preferred: PolicyPoint
    misalignment_gap: float
    price_of_alignment: float
    throttling: dict[str, Any]
    user: str
    tie_break: str
    policies: str = "paper"
    #: with ``policies="all"``: the paper-class optimum's J (strong, weak) and the searches'
    #: bookkeeping (lattice step, evaluations), else None
    paper_class: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        extra: dict[str, Any] = {}
        if self.paper_class is not None:
            extra = {"policies": self.policies, "paper_class": dict(self.paper_class)}
        return extra | {
            "equilibrium": self.equilibrium.to_dict(),
            "equilibrium_weak": self.equilibrium_weak.to_dict(),
            "user_preferred": self.user_preferred.to_dict(),
            "misalignment_gap": self.misalignment_gap,
            "price_of_alignment": self.price_of_alignment,
            "throttling": dict(self.throttling),
            "user": self.user,
            "tie_break": self.tie_break,
        }


def _check_pair(value: Any, field: str) -> FloatArray:
    arr = np.asarray(value, dtype=float) if not isinstance(value, str) else np.array([])
    if arr.shape != (2,):
        raise ParameterError(field, f"must be a pair [model 1, model 2], got {value!r}")
    for x in arr:
        check_scalar(float(x), field)
    return arr


def _tasks(value: Any) -> TaskTable:
    if isinstance(value, TaskTable):
        return value
    if isinstance(value, Mapping):
        if "success_prob" not in value:
            raise ParameterError("tasks.success_prob", "is required")
        return TaskTable.from_rows(value["success_prob"], value.get("weight"),
                                   schedule=value.get("schedule"), field="tasks.success_prob")
    return TaskTable.from_rows(value, field="tasks.success_prob")


def _task_value(v: Any) -> float:
    return check_scalar(v, "task_value")


def _penalty(v: Any) -> float:
    return check_scalar(v, "penalty")


def _latency(v: Any) -> FloatArray:
    return _check_pair(v, "latency")


def _cost(v: Any) -> FloatArray:
    return _check_pair(v, "cost")


def _lam(v: Any) -> float:
    return check_scalar(v, "latency", "latency_weight")


def _hazard(v: Any) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in v)
    except (TypeError, ValueError):
        raise ParameterError("hazard", f"must be a list of numbers in [0, 1], got {v!r}") from None


@attrs.frozen
class HeteroGame:
    """The two-model routing game on a task table (tasks of different difficulty).

    Parameters
    ----------
    tasks : TaskTable or (T, 2) rows
        Per-task success probabilities (with an optional per-attempt schedule).
    task_value, penalty : float
        V > 0 and P >= 0.
    latency, cost : pair of float
        (t_1, t_2) > 0 and (c_1, c_2) >= 0.
    user : {"stationary", "state-aware", "hazard", "bayes"}
    latency_weight : float
        lambda > 0 in U = V S - lambda L (1 for the paper's user).
    hazard : sequence of float
        q(a), the hazard user's abandon probability after the a-th failure (the last repeats).
    depth : int
        Largest truncation depth of the Bayes user.

    Examples
    --------
    >>> g = HeteroGame([[0.9, 0.95], [0.05, 0.6]], 10, 5, [1, 4], [1, 3])
    >>> sol = g.solve()
    >>> sol.equilibrium.route, sol.equilibrium.cascade, round(sol.equilibrium.provider_cost, 4)
    (1, 1.0, 3.5329)
    >>> round(g.outcomes((2, 0.0), 0.0).success, 6)
    1.0
    """

    tasks: TaskTable = attrs.field(converter=_tasks)
    task_value: float = attrs.field(converter=_task_value)
    penalty: float = attrs.field(converter=_penalty)
    latency: FloatArray = attrs.field(converter=_latency, eq=False)
    cost: FloatArray = attrs.field(converter=_cost, eq=False)
    user: str = "stationary"
    latency_weight: float = attrs.field(default=1.0, converter=_lam)
    hazard: tuple[float, ...] = attrs.field(default=(1.0,), converter=_hazard)
    depth: int = 1024

    def __attrs_post_init__(self) -> None:
        if self.user not in USERS:
            raise ParameterError("user", f"must be one of {', '.join(USERS)}, got {self.user!r}")
        if self.tasks.num_models != 2:
            raise ParameterError("tasks", f"need 2 columns (M1, M2), got {self.tasks.num_models}")
        h = np.asarray(self.hazard, dtype=float)
        if h.ndim != 1 or h.size < 1 or not np.all((h >= 0) & (h <= 1)):
            raise ParameterError("hazard", "must be a list of abandon probabilities in [0, 1]")
        if not isinstance(self.depth, int) or not 8 <= self.depth <= 1 << 14:
            raise ParameterError("depth", f"must be an integer in [8, 16384], got {self.depth!r}")

    @property
    def ctx(self) -> Ctx:
        """The maths context, on the table with identical rows merged (the same distribution:
        most real problems are solved always or never, so a raw table has few distinct rows)."""
        tab = self.tasks.compressed() if self.tasks.num_tasks > 1 else self.tasks
        return Ctx(tab.prob, tab.weight, self.task_value, self.penalty,
                   self.latency, self.cost, self.latency_weight, self.user,
                   np.asarray(self.hazard, dtype=float), self.depth)

    def outcomes(self, policy: Any, abandon_rule: Any) -> HeteroOutcomes:
        """Exact outcomes of a policy against an abandon rule.

        ``abandon_rule``: q (float), (q_1, q_2) by the model that failed, or
        ``{"hazard": [q(1), q(2), ...]}`` by the number of failures so far.
        """
        p1, s, u = _as_policy(policy).arrays()
        cont = abandon_continuation(abandon_rule, hazard=True)
        o = outcomes_at(self.ctx, p1, s, u, cont)
        return HeteroOutcomes(float(o.success[0]), float(o.latency[0]), float(o.cost[0]),
                              float(o.user_utility[0]), float(o.provider_cost[0]),
                              (float(o.passes[0, 0]), float(o.passes[0, 1])))

    def best_response(self, policy: Any, tie_break: TieBreak = "strong") -> PolicyPoint:
        """The user's best response to a policy, with outcomes and its certified gap."""
        tb = check_tie_break(tie_break)
        pol = _as_policy(policy)
        p1, s, u = pol.arrays()
        r = respond(self.ctx, p1, s, u, tb)
        return _point(pol.route, float(s[0]), r)

    def equilibrium(self, tie_break: TieBreak = "strong", policies: str = "paper") -> PolicyPoint:
        """The provider's optimum over (route, s) (see :mod:`routegame.hetero.provider`), or with
        ``policies="all"`` over all policies (pi_1, s, u) (:mod:`routegame.hetero.allpolicies`:
        the best found on a lattice plus refinement, never worse than the paper class)."""
        tb = check_tie_break(tie_break)
        if _check_policies(policies) == "all":
            return _general_point(search_all_policies(self.ctx, tb, "provider")[0])
        c = search_paper_class(self.ctx, tb, "provider")
        return _point(c.route, c.cascade, c.resp, c.attained)

    def user_preferred(self, policies: str = "paper") -> PolicyPoint:
        """The policy that maximises the user's utility (with the user's response), over the
        paper's class or, with ``policies="all"``, over all policies."""
        if _check_policies(policies) == "all":
            return _general_point(search_all_policies(self.ctx, "strong", "user")[0])
        c = search_paper_class(self.ctx, "strong", "user")
        return _point(c.route, c.cascade, c.resp, True)

    def policy_map(self, task_values: Any, penalties: Any, s_grid: int = 81) -> dict[str, Any]:
        """Optimal policy over a (V, P) grid (see :func:`routegame.hetero.provider.policy_map`).

        Stationary and state-aware users only (their response does not depend on P).
        """
        if self.user not in ("stationary", "state-aware"):
            raise ParameterError("user", "policy maps need a stationary or state-aware user")
        V = np.asarray(task_values, dtype=float).ravel()
        P = np.asarray(penalties, dtype=float).ravel()
        for x, name in ((V, "task_value"), (P, "penalty")):
            for v in x:
                check_scalar(float(v), name)
        return policy_map(self.ctx, V, P, s_grid)

    def population(self, types: Any, s_grid: int = 81,
                   tie_break: TieBreak = "strong") -> dict[str, Any]:
        """The provider's optimum against a population of users.

        ``types``: rows (V, latency weight, mass); see
        :func:`routegame.hetero.provider.population_optimum`. The report lists each type's
        response and whether it leaves after the first failure.

        Examples
        --------
        >>> g = HeteroGame([[0.9, 0.95], [0.05, 0.6]], 10, 5, [1, 4], [1, 3])
        >>> out = g.population([[10, 1, 0.5], [3, 1, 0.5]], s_grid=11)
        >>> [t["leaves"] for t in out["types"]]
        [False, True]
        """
        arr = np.asarray(types, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] < 1:
            raise ParameterError("types", "must be rows (task_value, latency_weight, mass)")
        for v, lam, m in arr:
            check_scalar(float(v), "task_value")
            check_scalar(float(lam), "latency", "latency_weight")
            check_scalar(float(m), "penalty", "mass")
        if arr[:, 2].sum() <= 0:
            raise ParameterError("mass", "must not be all zero")
        return population_optimum(self.ctx, arr, s_grid, check_tie_break(tie_break))

    def solve(self, tie_break: TieBreak = "strong", policies: str = "paper") -> HeteroSolution:
        """Equilibria, user-preferred policy, misalignment gap, price of alignment, throttling.

        ``policies="all"`` searches all policies (start mixture pi_1, cascade s, way back u)
        instead of the paper's (route, s); ``paper_class`` then gives the paper-class optimum's
        J beside it (the all-policies J is never larger).

        Examples
        --------
        >>> g = HeteroGame([[0.9, 0.95], [0.05, 0.6]], 10, 5, [1, 4], [1, 3])
        >>> sol = g.solve(policies="all")
        >>> bool(sol.equilibrium.provider_cost <= sol.paper_class["provider_cost"] + 1e-12)
        True
        """
        tb = check_tie_break(tie_break)
        pol = _check_policies(policies)
        paper_info: dict[str, Any] | None = None
        if pol == "all":
            ctx = self.ctx
            runs = {k: search_all_policies(ctx, k, "provider") for k in ("strong", "weak")}
            strong, weak = (_general_point(runs[k][0]) for k in ("strong", "weak"))
            pref = _general_point(search_all_policies(ctx, "strong", "user")[0])
            paper_info = {
                "provider_cost": float(runs[tb][1].provider_cost[0]),
                "provider_cost_strong": float(runs["strong"][1].provider_cost[0]),
                "provider_cost_weak": float(runs["weak"][1].provider_cost[0]),
                "saving": float(runs[tb][1].provider_cost[0]) - (
                    strong if tb == "strong" else weak).provider_cost,
                "lattice_step": 1.0 / runs[tb][0].lattice,
                "refine_step": runs[tb][0].step,
                "evaluations": int(runs[tb][0].evaluations),
            }
        else:
            strong = self.equilibrium("strong")
            weak = self.equilibrium("weak")
            pref = self.user_preferred()
        eq = strong if tb == "strong" else weak
        m = self.tasks.mean()
        one_pass = self.cost + self.penalty * (1.0 - m)
        k = int(np.argmin(one_pass))
        thr = {
            "pays": bool(one_pass[k] < eq.provider_cost - 1e-12 * max(1.0, abs(eq.provider_cost))),
            "route": k + 1,
            "provider_cost": float(min(one_pass[k], eq.provider_cost)),
            "one_pass_cost": [float(x) for x in one_pass],
        }
        return HeteroSolution(
            equilibrium=eq,
            equilibrium_weak=weak,
            user_preferred=pref,
            misalignment_gap=pref.user_utility - eq.user_utility,
            price_of_alignment=pref.provider_cost - eq.provider_cost,
            throttling=thr,
            user=self.user,
            tie_break=tb,
            policies=pol,
            paper_class=paper_info,
        )


#: the policy classes of the heterogeneous searches
POLICY_CLASSES = ("paper", "all")


def _check_policies(policies: Any) -> str:
    if policies not in POLICY_CLASSES:
        raise ParameterError("policies", f"must be 'paper' (route, s) or 'all' (start, cascade "
                             f"matrix), got {policies!r}")
    return str(policies)
