"""The engine protocol: what every way of solving a routing game provides.

An engine answers three questions about a game (validated :class:`~routegame.GameParams`), with
policies always written in the K-model form (start distribution pi of shape (K,), cascade
matrix R of shape (K, K), see :mod:`routegame.model.policy`):

* :meth:`Engine.outcomes`: S, L, C, U, J of a policy against an abandon rule (a stationary q,
  or one q_j per model);
* :meth:`Engine.best_response`: the user's best response to a policy, ties broken by the
  provider's cost (``"strong"`` for it, ``"weak"`` against it; the one kernel of
  :mod:`routegame.engines.kernel`);
* :meth:`Engine.solve`: the Stackelberg equilibrium and the rest of the one result type
  :class:`~routegame.model.results.GameResult`.

An engine that cannot answer a question for a game (the two-model closed form for K = 3, or a
policy outside the paper's (route, cascade) family) raises
:class:`~routegame.errors.NotSolvableError`; :meth:`Engine.supports` says which games it takes.
:func:`routegame.testing.check_engine` checks any engine against the chain oracle.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from routegame._types import TieBreak
from routegame.model.params import GameParams
from routegame.model.results import GameResult, Outcome, Response

__all__ = ["Engine"]


@runtime_checkable
class Engine(Protocol):
    """A solver of routing games (see the module docstring)."""

    @property
    def name(self) -> str:
        """Short name, e.g. ``"two-model"``, ``"k-model"``, ``"chain"``."""
        ...

    @property
    def user(self) -> str:
        """The follower: ``"stationary"`` or ``"state-aware"``."""
        ...

    def supports(self, params: GameParams) -> bool:
        """Whether :meth:`solve` can answer this game."""
        ...

    def outcomes(self, params: GameParams, start: Any, cascade: Any, abandon: Any) -> Outcome:
        """Expected outcomes of the policy (start, cascade) against ``abandon``."""
        ...

    def best_response(
        self, params: GameParams, start: Any, cascade: Any, tie_break: TieBreak = "strong"
    ) -> Response:
        """The user's best response to the policy (start, cascade)."""
        ...

    def solve(self, params: GameParams, tie_break: TieBreak = "strong") -> GameResult:
        """Equilibria, user-preferred policy, gap (and, where defined, throttling)."""
        ...
