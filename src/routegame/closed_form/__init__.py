"""Exact closed forms of the paper's two-model game, broadcasting over numpy arrays.

* :func:`outcomes`, :func:`expected_passes`: S, L, C, U, J of any policy and abandon probability.
* :func:`best_response`, :func:`thresholds`, :func:`regime_code`: the user's side.
* :func:`solve_arrays`: equilibria (strong and weak), user-preferred policy, misalignment gap and
  throttling for many games at once.
"""

from routegame.closed_form.outcomes import Outcomes, expected_passes, outcomes
from routegame.closed_form.provider import TwoModelSolution, solve_arrays
from routegame.closed_form.user import (
    REGIMES,
    BestResponse,
    best_response,
    regime_code,
    regime_name,
    thresholds,
)

__all__ = [
    "REGIMES",
    "BestResponse",
    "Outcomes",
    "TwoModelSolution",
    "best_response",
    "expected_passes",
    "outcomes",
    "regime_code",
    "regime_name",
    "solve_arrays",
    "thresholds",
]
