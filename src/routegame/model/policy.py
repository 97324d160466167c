"""Structural validation of policies and solver options, written once for every engine.

A provider policy of a K-model game is a start distribution pi (shape (K,)) and a row-stochastic
cascade matrix R (shape (K, K)): R[j, k] is the probability that the re-prompt after a failure
on model j goes to model k. The paper's two-model policy (route i, cascade s) is the special
case pi = e_i, R = [[1 - s, s], [0, 1]] (:func:`routegame.markov.chain.two_model_policy`).

Every check raises :class:`~routegame.errors.ParameterError` with one message style: the field,
what is allowed, what was given, and 1-based indices ("entry 2", "row 1") as the user counts.

Examples
--------
>>> check_route(2, num_models=3)
2
>>> check_distribution([[0.5, 0.5], [0.2, 0.7]], "cascade", (2, 2))
Traceback (most recent call last):
...
routegame.errors.ParameterError: cascade: rows must sum to 1, got 0.9 (row 2)
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np

from routegame._types import FloatArray
from routegame.errors import ParameterError
from routegame.model.params import as_real_array, check_scalar, check_tie_break

__all__ = [
    "STOCHASTIC_TOL",
    "TOL_RANGE",
    "USERS",
    "User",
    "check_cascade",
    "check_distribution",
    "check_policy",
    "check_route",
    "check_routes",
    "check_tie_break",
    "check_tol",
    "check_user",
]

#: Absolute tolerance on the row sums of a start distribution or a cascade matrix.
STOCHASTIC_TOL = 1e-9

#: Allowed range of every ``tol`` argument (a relative tolerance), inclusive.
TOL_RANGE = (0.0, 1e-2)

User = Literal["stationary", "state-aware"]
#: The kinds of user the Stackelberg solvers accept.
USERS: tuple[str, ...] = ("stationary", "state-aware")


def check_route(route: Any, field: str = "route", num_models: int = 2) -> int:
    """A route number 1..K (an integer, not a bool).

    Examples
    --------
    >>> check_route(1)
    1
    >>> check_route(3)
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: route: must be 1 or 2, got 3
    """
    ok = (
        not isinstance(route, (bool, np.bool_))
        and isinstance(route, (int, np.integer, float, np.floating))
        and float(route).is_integer()
        and 1 <= route <= num_models
    )
    if not ok:
        raise ParameterError(field, f"{_allowed_routes(num_models)}, got {route!r}")
    return int(route)


def _allowed_routes(num_models: int) -> str:
    return "must be 1 or 2" if num_models == 2 else f"must be an integer from 1 to {num_models}"


def check_routes(route: Any, field: str = "route", num_models: int = 2) -> FloatArray:
    """An array of route numbers 1..K (as floats, for broadcasting), one message style.

    Examples
    --------
    >>> check_routes([1, 2]).tolist()
    [1.0, 2.0]
    >>> check_routes([1, 2.5])
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: route: must be 1 or 2, got 2.5 (entry 2)
    """
    r = as_real_array(route, field)
    ok = np.isfinite(r) & (r == np.round(r)) & (r >= 1) & (r <= num_models)
    if not np.all(ok):
        bad = tuple(int(b) for b in np.argwhere(~ok)[0]) if r.ndim else ()
        where = f" ({_where(bad, 'entry')})" if bad else ""
        raise ParameterError(field, f"{_allowed_routes(num_models)}, got {r[bad]:g}{where}")
    return r


def check_cascade(cascade: Any, field: str = "cascade") -> float:
    """The two-model cascade probability s in [0, 1]."""
    return check_scalar(cascade, "cascade", field)


def check_tol(tol: Any, field: str = "tol") -> float:
    """A relative tolerance in :data:`TOL_RANGE` ([0, 0.01]).

    Examples
    --------
    >>> check_tol(1e-9)
    1e-09
    >>> check_tol(0.5)
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: tol: must be a number in [0, 0.01], got 0.5
    """
    lo, hi = TOL_RANGE
    if (
        isinstance(tol, (bool, np.bool_))
        or not isinstance(tol, (int, float, np.integer, np.floating))
        or not (lo <= float(tol) <= hi)
    ):
        raise ParameterError(field, f"must be a number in [{lo:g}, {hi:g}], got {tol!r}")
    return float(tol)


def check_user(user: Any, field: str = "user") -> User:
    """``'stationary'`` or ``'state-aware'``."""
    if user not in USERS:
        raise ParameterError(field, f"must be 'stationary' or 'state-aware', got {user!r}")
    return cast(User, str(user))


def _where(index: tuple[int, ...], kind: str) -> str:
    return f"{kind} {', '.join(str(i + 1) for i in index)}"


def check_distribution(value: Any, field: str, shape: tuple[int, ...]) -> FloatArray:
    """A float array of trailing ``shape`` with entries in [0, 1] and last axis summing to 1.

    Leading (batch) axes are allowed. Indices in messages are 1-based.
    """
    arr = as_real_array(value, field)
    if arr.ndim < len(shape) or arr.shape[arr.ndim - len(shape):] != shape:
        want = ", ".join(map(str, shape))
        raise ParameterError(field, f"must have shape (..., {want}), got {arr.shape}")
    ok = np.isfinite(arr) & (arr >= 0.0) & (arr <= 1.0)
    if not np.all(ok):
        bad = tuple(int(b) for b in np.argwhere(~ok)[0])
        raise ParameterError(
            field, f"entries must be in [0, 1], got {arr[bad]:g} ({_where(bad, 'entry')})"
        )
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > STOCHASTIC_TOL
    if np.any(off):
        bad = tuple(int(b) for b in np.argwhere(np.atleast_1d(off))[0])
        got = np.atleast_1d(sums)[bad]
        what = "rows must sum to 1" if len(shape) > 1 else "entries must sum to 1"
        where = f" ({_where(bad, 'row')})" if np.ndim(sums) else ""
        raise ParameterError(field, f"{what}, got {got:.12g}{where}")
    return arr


def check_policy(start: Any, cascade: Any, num_models: int) -> tuple[FloatArray, FloatArray]:
    """Validate a K-model policy: start (..., K) and cascade (..., K, K)."""
    K = num_models
    return check_distribution(start, "start", (K,)), check_distribution(cascade, "cascade", (K, K))
