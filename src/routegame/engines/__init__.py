"""Engines: every way of solving a routing game, behind one protocol.

* :class:`~routegame.engines.protocol.Engine`: the protocol (outcomes, best response, solve);
* :class:`TwoModelEngine`: the paper's closed forms (K = 2, stationary user);
* :class:`KModelEngine`: the exact K-model solver (stationary or state-aware user);
* :class:`ChainEngine`: the Markov-chain oracle (linear solves and global searches);
* :mod:`~routegame.engines.kernel`: the one best-response selection and tolerance policy;
* :func:`solve` / :func:`engine_for`: the library, not the CLI, picks the engine.

See ``docs/architecture.md`` for how to add an engine.
"""

from __future__ import annotations

from typing import Any

from routegame._types import TieBreak
from routegame.engines.chain import ChainEngine
from routegame.engines.kmodel import KModelEngine
from routegame.engines.protocol import Engine
from routegame.engines.two_model import TwoModelEngine
from routegame.model.params import GameParams
from routegame.model.policy import check_tie_break, check_user
from routegame.model.results import GameResult

__all__ = ["ChainEngine", "Engine", "KModelEngine", "TwoModelEngine", "engine_for", "solve"]


def engine_for(params: GameParams, user: str | None = None, tasks: Any = None,
               policies: str = "paper") -> Engine:
    """The engine that answers ``params`` for ``user``.

    The paper's two-model closed form for K = 2 without a ``user``; the exact K-model engine
    with the stationary user for K > 2, or with the user asked for. With a task table
    (``tasks``: a :class:`routegame.hetero.TaskTable` or (T, 2) rows), or the user ``"bayes"``
    or ``"hazard"``, the heterogeneous engine :class:`routegame.hetero.HeteroEngine`, over the
    paper's policy class (``policies="paper"``) or all policies (``policies="all"``; only with
    a task table or those users: the i.i.d. engines already search all policies for K > 2).
    A task table with K > 2 models: :class:`routegame.hetero.kengine.HeteroKModelEngine`
    (stationary or hazard user, all policies).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))
    >>> engine_for(g).name, engine_for(g, "state-aware").name
    ('two-model', 'k-model')
    """
    from routegame.errors import ParameterError

    if not isinstance(params, GameParams):
        raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
    if tasks is not None or user in ("bayes", "hazard"):
        from routegame.hetero.protocol import HeteroEngine

        if params.num_models != 2:
            from routegame.hetero.kengine import HeteroKModelEngine

            if user not in (None, "stationary", "hazard"):
                raise ParameterError("user", f"a task table with {params.num_models} models is "
                                     f"solved for the users 'stationary' and 'hazard', got {user!r}")
            from routegame.hetero.engine import _check_policies

            _check_policies(policies)
            # with more than two models the paper's (route, s) class is not defined: all policies
            return HeteroKModelEngine(tasks, user or "stationary")
        return HeteroEngine(tasks, user or "stationary", policies=policies)
    if policies != "paper":
        raise ParameterError("policies", "'all' is an option of task-table games (tasks=...); "
                             f"got {policies!r} without a task table")
    if user is None:
        return TwoModelEngine() if params.num_models == 2 else KModelEngine("stationary")
    return KModelEngine(check_user(user))


def solve(params: GameParams, *, user: str | None = None, tie_break: TieBreak = "strong",
          engine: Engine | None = None, tasks: Any = None, policies: str = "paper") -> GameResult:
    """Solve one game with the right engine and return the one result type.

    Parameters
    ----------
    params : GameParams
        The game (K >= 2 models).
    user : {"stationary", "state-aware"}, optional
        Without it a two-model game is the paper's game (closed form) and a K-model game has
        the stationary user; with it, the exact K-model engine answers for that user.
    tie_break : {"strong", "weak"}
        Resolve the user's indifference for (strong) or against (weak) the provider.
    engine : Engine, optional
        Use this engine instead of choosing one.
    tasks : TaskTable or (T, 2) rows, optional
        A task table (tasks of different difficulty): the heterogeneous engine answers, and
        ``result.iid`` holds the i.i.d. game with the mean success probabilities.
    policies : {"paper", "all"}
        With a task table: the provider's optimum over the paper's class (route, cascade s) or
        over all policies (start mixture, cascade matrix; a lattice search with refinement,
        see :mod:`routegame.hetero.allpolicies`).

    Returns
    -------
    GameResult
        ``result.to_json_dict()`` is the ``--json`` answer; ``result["equilibrium"]`` its part.

    Examples
    --------
    >>> import routegame as rg
    >>> g = rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))
    >>> res = rg.solve(g)
    >>> res["equilibrium"]["route"], res["equilibrium"]["provider_cost"]
    (1, 4.5)
    """
    tie_break = check_tie_break(tie_break)
    eng = engine if engine is not None else engine_for(params, user, tasks, policies)
    res = eng.solve(params, tie_break)
    _check_representable(res)
    return _with_params(res, params)


def _check_representable(res: GameResult) -> None:
    """NotSolvableError when an answer of a valid game lies beyond double precision."""
    import numpy as np

    from routegame.errors import NotSolvableError

    for label, pol in (("equilibrium", res.equilibrium), ("user_preferred", res.user_preferred),
                       ("equilibrium_weak", res.equilibrium_weak)):
        if pol is None:
            continue
        for name in ("provider_cost", "user_utility"):
            x = np.asarray(getattr(pol, name), dtype=float)
            if not np.all(np.isfinite(x)):
                raise NotSolvableError(
                    f"{label}.{name}: the exact value lies beyond double precision (about "
                    "1.8e308) for these inputs; rescale the costs, penalty or task value")


def _with_params(res: GameResult, params: GameParams) -> Any:
    import attrs

    return attrs.evolve(res, params=params)
