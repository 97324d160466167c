"""Helpers of the K-model solvers (private); policy validation lives in :mod:`routegame.model.policy`.

A policy is a start distribution pi (shape (K,)) and a row-stochastic cascade matrix R
(shape (K, K)); R[j, k] is the probability that the re-prompt after a failure on model j goes
to model k. ``g_k = c_k - P p_k`` is the provider's net cost of one pass and
``xi_k = V p_k - t_k`` the user's net value of one pass, so that

    U = sum_k xi_k E[passes on k],    J = P + sum_k g_k E[passes on k].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from routegame._types import FloatArray
from routegame.errors import ParameterError
from routegame.model.params import GameParams
from routegame.model.policy import STOCHASTIC_TOL, check_distribution, check_policy, check_tol

__all__ = [
    "STOCHASTIC_TOL",
    "as_params",
    "check_distribution",
    "check_policy",
    "check_tol",
    "game_arrays",
    "is_upward",
    "net_costs",
]

def as_params(params: GameParams | Mapping[str, Any]) -> GameParams:
    """A :class:`GameParams` from itself or from its dict form."""
    if isinstance(params, GameParams):
        return params
    if isinstance(params, Mapping):
        return GameParams.from_dict(params)
    raise ParameterError("params", f"must be a GameParams or a mapping, got {params!r}")


def is_upward(cascade: FloatArray) -> bool:
    """True when every cascade matrix of the batch is upper triangular (upward-only)."""
    K = cascade.shape[-1]
    return bool(np.all(np.tril(cascade, -1) == 0.0)) if K > 1 else True


def game_arrays(params: GameParams) -> tuple[float, float, FloatArray, FloatArray, FloatArray]:
    """(V, P, t, c, p) of a validated game."""
    return params.task_value, params.penalty, params.latency, params.cost, params.success_prob


def net_costs(params: GameParams) -> tuple[FloatArray, FloatArray]:
    """(xi, g): the user's net value and the provider's net cost of one pass of each model."""
    V, P, t, c, p = game_arrays(params)
    return V * p - t, c - P * p
