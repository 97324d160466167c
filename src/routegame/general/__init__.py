"""The exact K-model routing game: any number of models, stationary and state-aware users.

* :mod:`routegame.general.user`: exact best responses of the stationary user (rational U(q),
  roots of the derivative's numerator), the state-aware user (optimal stopping) and a
  lookahead user (sees the next model), single and batched.
* :mod:`routegame.general.provider`: the provider's exact Stackelberg optimum over all policies
  (pi, R) in O(K^2) candidates, strong and weak tie-breaking; user-preferred policy; gap.
* :class:`GeneralGame`: a thin object over both; :func:`solve_general` answers a batch line.

Theory and verified examples: ``docs/theory_kmodel.md``.
"""

from routegame.general.game import GeneralGame, GeneralSolution, solve_general
from routegame.general.provider import (
    USERS,
    Equilibrium,
    continuation_vertices,
    equilibrium,
    misalignment_gap,
    policy_outcomes,
    user_preferred,
)
from routegame.general.user import (
    LookaheadResponse,
    StateAwareResponse,
    StationaryResponse,
    lookahead_best_response,
    state_aware_best_response,
    state_aware_best_response_arrays,
    stationary_best_response,
    stationary_best_response_arrays,
)

__all__ = [
    "USERS",
    "Equilibrium",
    "GeneralGame",
    "GeneralSolution",
    "LookaheadResponse",
    "StateAwareResponse",
    "StationaryResponse",
    "continuation_vertices",
    "equilibrium",
    "lookahead_best_response",
    "misalignment_gap",
    "policy_outcomes",
    "solve_general",
    "state_aware_best_response",
    "state_aware_best_response_arrays",
    "stationary_best_response",
    "stationary_best_response_arrays",
    "user_preferred",
]
