"""Batch lines with a task table: ``solve_record`` (what ``routegame solve --batch`` calls for them).

A line is today's two-model line with ``success_prob`` replaced by

    "tasks": {"success_prob": [[p1, p2], ...], "weight": [w, ...]}

(weights optional, equal by default) and an optional ``"user"``: ``"stationary"``,
``"state-aware"``, ``"bayes"`` (or ``"hazard"`` with ``"hazard": [q(1), q(2), ...]``) and
``"latency_weight"``, and ``"policies": "paper" | "all"``. The answer has the keys of the
two-model output (``equilibrium``, ``equilibrium_weak``, ``user_preferred``,
``misalignment_gap``, ``throttling``, ...) plus ``"iid"``: the same answers for the i.i.d. game
with the tasks' mean success probabilities. Every policy block carries its certificate:
``response_gap`` (no response of the user beats the reported one by more than this) and
``truncation_bound`` (the Bayes user's truncation bound; 0 for the other users). With
``"policies": "all"`` an ``all_policies`` block gives the optimum over all policies (start
mixture, cascade matrix; :mod:`routegame.hetero.allpolicies`) beside the paper class's.
A bad line gives ``{"id": ..., "error": {"field": ..., "message": ...}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routegame.errors import ParameterError, RouteGameError
from routegame.hetero.engine import HeteroGame
from routegame.hetero.protocol import HeteroEngine
from routegame.hetero.tasks import TaskTable
from routegame.params import check_tie_break

__all__ = ["solve_record"]

_KNOWN = {"id", "task_value", "penalty", "latency", "cost", "tasks", "user", "tie_break",
          "latency_weight", "hazard", "policies"}


def _game(record: Mapping[str, Any]) -> HeteroGame:
    lat = record.get("latency")
    if "models" in record or (isinstance(lat, list) and len(lat) != 2):
        k = len(record["models"]) if isinstance(record.get("models"), list) else (
            len(lat) if isinstance(lat, list) else "?")
        raise ParameterError("tasks", f"a task-table line is a two-model game (latency [t1, t2], "
                             f"cost [c1, c2]), got {k} models; K-model task tables: "
                             "routegame.solve(params, tasks=rows) in Python")
    for key in ("task_value", "penalty", "latency", "cost", "tasks"):
        if key not in record:
            raise ParameterError(key, "is required")
    if "success_prob" in record:
        raise ParameterError("success_prob", "give either success_prob or tasks, not both")
    unknown = sorted(set(record) - _KNOWN)
    if unknown:
        raise ParameterError(unknown[0], "is not a field of a task-table line")
    tasks = record["tasks"]
    if not isinstance(tasks, Mapping) or "success_prob" not in tasks:
        raise ParameterError("tasks", 'must be {"success_prob": [[p1, p2], ...], "weight": [...]}')
    rows = tasks["success_prob"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise ParameterError("tasks.success_prob", "must be a non-empty list of [p1, p2] rows")
    if any(len(r) != 2 for r in rows):
        bad = next(i for i, r in enumerate(rows) if len(r) != 2)
        raise ParameterError("tasks.success_prob", f"row {bad + 1} must have 2 entries "
                             f"(model 1, model 2), got {len(rows[bad])}")
    if any(isinstance(x, bool) or not isinstance(x, (int, float)) for r in rows for x in r):
        raise ParameterError("tasks.success_prob", "entries must be numbers in [0, 1]")
    weight = tasks.get("weight")
    if weight is not None and (not isinstance(weight, list) or any(
            isinstance(x, bool) or not isinstance(x, (int, float)) for x in weight)):
        raise ParameterError("tasks.weight", "must be a list of numbers >= 0")
    extra = set(tasks) - {"success_prob", "weight"}
    if extra:
        raise ParameterError(f"tasks.{sorted(extra)[0]}", "is not a field of tasks")
    try:
        table = TaskTable.from_rows(rows, weight, field="tasks.success_prob")
    except ParameterError as exc:
        if exc.field == "weight":
            raise ParameterError("tasks.weight", exc.reason) from None
        raise
    user = record.get("user", "stationary")
    kwargs: dict[str, Any] = {}
    if "hazard" in record:
        kwargs["hazard"] = tuple(record["hazard"])
    if "latency_weight" in record:
        kwargs["latency_weight"] = record["latency_weight"]
    return HeteroGame(table, record["task_value"], record["penalty"], record["latency"],
                      record["cost"], user=user, **kwargs)


def _answer(game: HeteroGame, tie_break: str, policies: str = "paper") -> dict[str, Any]:
    """The JSON answer through the engine protocol (:class:`HeteroEngine`, one result type)."""
    import numpy as np

    from routegame.model.params import GameParams

    m = np.clip(game.tasks.mean(), 1e-12, 1.0 - 1e-12)  # params' own p: unused by the engine
    params = GameParams.two_model(game.task_value, game.penalty, tuple(game.latency),
                                  tuple(game.cost), tuple(float(x) for x in m))
    eng = HeteroEngine(game.tasks, game.user, game.latency_weight, game.hazard, policies=policies)
    return eng.solve_json(params, tie_break)  # type: ignore[arg-type]


def solve_record(record: Any, tie_break: str = "strong") -> dict[str, Any]:
    """Answer one batch line with a task table (see the module docstring).

    Examples
    --------
    >>> out = solve_record({"id": 7, "task_value": 10, "penalty": 5, "latency": [1, 4],
    ...                     "cost": [1, 3], "tasks": {"success_prob": [[0.9, 0.95], [0.05, 0.6]]}})
    >>> out["id"], out["equilibrium"]["route"], out["iid"]["equilibrium"]["route"]
    (7, 1, 1)
    >>> solve_record({"id": 8, "task_value": 10, "penalty": 5, "latency": [1, 4], "cost": [1, 3],
    ...               "tasks": {"success_prob": [[0.9, 1.5]]}})["error"]["field"]
    'tasks.success_prob'
    """
    rid = record.get("id") if isinstance(record, Mapping) else None
    try:
        if not isinstance(record, Mapping):
            raise ParameterError("record", "must be a JSON object")
        tb = check_tie_break(record.get("tie_break", tie_break))
        game = _game(record)
        policies = record.get("policies", "paper")
        if policies not in ("paper", "all"):
            raise ParameterError("policies", f"must be 'paper' (route, s) or 'all' (start, "
                                 f"cascade matrix), got {policies!r}")
        if policies == "all" and game.user == "bayes":
            raise ParameterError("policies", "'all' is not available for the Bayes user (it is "
                                 "solved on the paper's class (route, s)); use 'paper'")
        out: dict[str, Any] = {"id": rid}
        out.update(_answer(game, tb, policies))
        return out
    except RouteGameError as exc:
        field = getattr(exc, "field", None)
        reason = getattr(exc, "reason", str(exc))
        return {"id": rid, "error": {"field": field, "message": f"{field}: {reason}" if field
                                     else str(reason)}}
    except (TypeError, ValueError) as exc:  # malformed numbers deep inside
        return {"id": rid, "error": {"field": None, "message": str(exc)}}

