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


def engine_for(params: GameParams, user: str | None = None) -> Engine:
    """The engine that answers ``params`` for ``user``.

    The paper's two-model closed form for K = 2 without a ``user``; the exact K-model engine
    with the stationary user for K > 2, or with the user asked for.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))
    >>> engine_for(g).name, engine_for(g, "state-aware").name
    ('two-model', 'k-model')
    """
    if not isinstance(params, GameParams):
        from routegame.errors import ParameterError

        raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
    if user is None:
        return TwoModelEngine() if params.num_models == 2 else KModelEngine("stationary")
    return KModelEngine(check_user(user))


def solve(params: GameParams, *, user: str | None = None, tie_break: TieBreak = "strong",
          engine: Engine | None = None) -> GameResult:
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
    eng = engine if engine is not None else engine_for(params, user)
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
