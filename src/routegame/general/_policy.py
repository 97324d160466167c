"""Validation of games and policies for the K-model solvers (private helpers).

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
from routegame.params import GameParams

#: Absolute tolerance on the row sums of a start distribution or a cascade matrix.
STOCHASTIC_TOL = 1e-9


def as_params(params: GameParams | Mapping[str, Any]) -> GameParams:
    """A :class:`GameParams` from itself or from its dict form."""
    if isinstance(params, GameParams):
        return params
    if isinstance(params, Mapping):
        return GameParams.from_dict(params)
    raise ParameterError("params", f"must be a GameParams or a mapping, got {params!r}")


def check_tol(tol: Any) -> float:
    """A relative tolerance in [0, 1e-2]."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)) or not (
        0.0 <= float(tol) <= 1e-2
    ):
        raise ParameterError("tol", f"must be a number in [0, 0.01], got {tol!r}")
    return float(tol)


def check_distribution(value: Any, field: str, shape: tuple[int, ...]) -> FloatArray:
    """A float array of the given trailing shape whose last axis sums to 1, entries in [0, 1]."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(field, f"must be an array of probabilities, got {value!r}") from None
    if arr.shape[arr.ndim - len(shape):] != shape or arr.ndim < len(shape):
        raise ParameterError(field, f"must have shape (..., {', '.join(map(str, shape))}), got {arr.shape}")
    ok = np.isfinite(arr) & (arr >= 0.0) & (arr <= 1.0)
    if not np.all(ok):
        bad = tuple(int(b) for b in np.argwhere(~ok)[0])
        raise ParameterError(field, f"entries must be in [0, 1], got {arr[bad]:g} (entry {bad})")
    sums = arr.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > STOCHASTIC_TOL):
        got = np.atleast_1d(sums)[np.argmax(np.atleast_1d(np.abs(sums - 1.0)))]
        raise ParameterError(field, f"rows must sum to 1, got a row summing to {got:.12g}")
    return arr


def check_policy(start: Any, cascade: Any, K: int) -> tuple[FloatArray, FloatArray]:
    """Validate a policy (start (..., K), cascade (..., K, K)) of a K-model game."""
    return check_distribution(start, "start", (K,)), check_distribution(cascade, "cascade", (K, K))


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
