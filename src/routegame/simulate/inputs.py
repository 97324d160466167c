"""Validation and normalisation of the simulator's inputs (policy, abandon, task values, rng).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from routegame._types import ArrayLike, FloatArray, RNGLike
from routegame.errors import ParameterError
from routegame.params import check_array

if TYPE_CHECKING:  # pragma: no cover
    pass


__all__ = ['DEFAULT_MAX_PASSES', 'AbandonLike', 'TaskValueLike']


#: method="auto" samples whole visits when some model's stay probability reaches this.
_RUN_THRESHOLD = 0.5


DEFAULT_MAX_PASSES = 10_000

"""Default cap on the number of passes of one episode."""


_SUM_TOL = 1e-9


AbandonLike: TypeAlias = "float | ArrayLike | Callable[[FloatArray], Any]"

"""Abandon probabilities: a scalar q, a (K,) per-model vector, a (n, 1) or (n, K) per-episode
table, or a function of the per-episode task values (n,) returning (n,) or (n, K)."""


TaskValueLike: TypeAlias = "float | ArrayLike | Callable[[int, np.random.Generator], Any]"

"""Task values V: a scalar, an (n,) array, or a sampler ``f(n, rng) -> (n,)``."""


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _as_float_array(value: Any, field: str) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(field, f"must be an array of numbers, got {value!r}") from None
    return arr


def _check_unit_interval(arr: FloatArray, field: str, *, open_: bool = False) -> None:
    ok = np.isfinite(arr) & ((arr > 0) & (arr < 1) if open_ else (arr >= 0) & (arr <= 1))
    if not np.all(ok):
        bad = tuple(np.argwhere(~ok)[0])
        where = f" (entry {', '.join(str(int(b)) for b in bad)})" if arr.ndim else ""
        interval = "(0, 1)" if open_ else "[0, 1]"
        raise ParameterError(field, f"must be in {interval}, got {arr[bad]:g}{where}")


def _check_distribution(value: Any, field: str, shape: tuple[int, ...]) -> FloatArray:
    """Probability vector(s) along the last axis: non-negative, summing to 1 (to 1e-9)."""
    arr = _as_float_array(value, field)
    if arr.shape != shape:
        raise ParameterError(
            field, f"must have shape {_fmt_shape(shape)}, got {_fmt_shape(arr.shape)}"
        )
    _check_unit_interval(arr, field)
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > _SUM_TOL
    if np.any(bad):
        if arr.ndim == 1:
            raise ParameterError(field, f"entries must sum to 1, got {float(sums):.12g}")
        row = int(np.argmax(bad))
        raise ParameterError(
            field, f"every row must sum to 1, row {row + 1} sums to {float(sums[row]):.12g}"
        )
    return arr / sums[..., None]


def _cumulative(prob: FloatArray) -> FloatArray:
    """Cumulative sums along the last axis, set to exactly 1 from the last positive entry on.

    Inverse-CDF sampling then never picks a zero-probability entry through rounding.
    """
    cum = np.cumsum(prob, axis=-1)
    last = prob.shape[-1] - 1 - np.argmax((prob > 0)[..., ::-1], axis=-1)
    cols = np.arange(prob.shape[-1])
    cum[cols >= last[..., None]] = 1.0
    return cum


def _check_n_episodes(n_episodes: Any) -> int:
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)):
        raise ParameterError("n_episodes", f"must be an integer >= 1, got {n_episodes!r}")
    if n_episodes < 1:
        raise ParameterError("n_episodes", f"must be an integer >= 1, got {int(n_episodes)}")
    return int(n_episodes)


def _check_max_passes(max_passes: Any) -> int:
    if isinstance(max_passes, bool) or not isinstance(max_passes, (int, np.integer)):
        raise ParameterError("max_passes", f"must be an integer >= 1, got {max_passes!r}")
    if max_passes < 1:
        raise ParameterError("max_passes", f"must be an integer >= 1, got {int(max_passes)}")
    return int(max_passes)


def _normalise_rng(rng: RNGLike) -> np.random.Generator:
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise ParameterError(
            "rng", f"must be None, an integer seed >= 0 or a numpy Generator, got {rng!r}"
        ) from None


def _task_values(task_value: TaskValueLike | None, default: float, n: int,
                 gen: np.random.Generator) -> FloatArray:
    if task_value is None:
        return np.full(n, default)
    if callable(task_value):
        arr = _as_float_array(task_value(n, gen), "task_value")
        if arr.shape != (n,):
            raise ParameterError("task_value", f"sampler must return shape ({n},), got "
                                               f"{_fmt_shape(arr.shape)}")
    else:
        arr = _as_float_array(task_value, "task_value")
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        elif arr.shape != (n,):
            raise ParameterError("task_value", f"must be a scalar or have shape ({n},) (one per "
                                               f"episode), got {_fmt_shape(arr.shape)}")
    return check_array(arr, "task_value")


def _abandon_table(abandon: Any, values: FloatArray, n: int, K: int
                   ) -> tuple[FloatArray | None, FloatArray | None]:
    """Return (per-model q (K,), None) or (None, per-episode q (n, K))."""
    shapes = f"a scalar, shape ({K},) (per model), ({n}, 1) or ({n}, {K}) (per episode)"
    if callable(abandon):
        arr = _as_float_array(abandon(values), "abandon")
        _check_unit_interval(arr, "abandon")
        if arr.shape == (n,):
            arr = arr[:, None]
        if arr.ndim == 0:
            return np.full(K, float(arr)), None
        if arr.shape not in ((n, 1), (n, K)):
            raise ParameterError("abandon", f"function must return shape ({n},) or ({n}, {K}), "
                                            f"got {_fmt_shape(arr.shape)}")
        return None, np.ascontiguousarray(np.broadcast_to(arr, (n, K)))
    arr = _as_float_array(abandon, "abandon")
    _check_unit_interval(arr, "abandon")
    if arr.ndim == 0:
        return np.full(K, float(arr)), None
    if arr.shape == (K,):
        return arr.copy(), None
    if arr.shape in ((n, 1), (n, K)):
        return None, np.ascontiguousarray(np.broadcast_to(arr, (n, K)))
    hint = " (for one q per episode use shape (n, 1))" if arr.ndim == 1 else ""
    raise ParameterError("abandon", f"must be {shapes}, got {_fmt_shape(arr.shape)}{hint}")
