"""Markov-chain engine: the routing game as an absorbing chain, solved by linear algebra.

:mod:`routegame.markov.chain` solves the K-model chain for batches of games and policies;
:mod:`routegame.markov.numeric` searches the two-model Stackelberg game numerically on top of
it, sharing no formula with :mod:`routegame.closed_form` (it is the independent check).
"""

from __future__ import annotations

from typing import Any

from routegame.markov.chain import ChainOutcomes, chain_outcomes, two_model_policy

_NUMERIC = (
    "numeric_best_response",
    "numeric_equilibrium",
    "numeric_solve",
    "numeric_thresholds",
    "numeric_throttling",
    "numeric_user_preferred",
)


def __getattr__(name: str) -> Any:
    """Import the numeric engine (and scipy.optimize) only when one of its functions is used."""
    if name in _NUMERIC:
        from routegame.markov import numeric

        return getattr(numeric, name)
    raise AttributeError(f"module 'routegame.markov' has no attribute {name!r}")

__all__ = [
    "ChainOutcomes",
    "chain_outcomes",
    "numeric_best_response",
    "numeric_equilibrium",
    "numeric_solve",
    "numeric_thresholds",
    "numeric_throttling",
    "numeric_user_preferred",
    "two_model_policy",
]
