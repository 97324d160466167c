"""Grids of games: the swept axes, their validation, chunking, and the grid builder.

:func:`game_grid` turns the swept coordinates and a base game into the eight parameter arrays
(broadcast, derived axes applied); the sweep kernel and the figures use it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from routegame.errors import ParameterError
from routegame.params import TWO_MODEL_FIELDS, GameParams, check_array, check_tie_break

if TYPE_CHECKING:  # pragma: no cover
    pass


__all__ = [
    'AUTO_CHUNK_POINTS',
    'AXES',
    'DERIVED',
    'PARAMETERS',
    'base_values',
    'game_grid',
    'linear_or_log_grid',
]


#: The eight parameters of the two-model game, as sweep axes (model numbers 1-based).
PARAMETERS: tuple[str, ...] = TWO_MODEL_FIELDS

#: Derived axes: name -> (parameter it sets, parameter it multiplies).
DERIVED: dict[str, tuple[str, str]] = {
    "latency_ratio": ("latency_2", "latency_1"),
    "cost_ratio": ("cost_2", "cost_1"),
}

#: Every name :func:`sweep` accepts as a grid.
AXES: tuple[str, ...] = PARAMETERS + tuple(DERIVED)

#: Default number of grid points per chunk when a store is written without ``chunks``.
AUTO_CHUNK_POINTS = 1 << 18

_FIELD = {  # axis -> BOUNDS field that validates its grid
    "task_value": "task_value",
    "penalty": "penalty",
    "latency_1": "latency",
    "latency_2": "latency",
    "cost_1": "cost",
    "cost_2": "cost",
    "success_prob_1": "success_prob",
    "success_prob_2": "success_prob",
    "latency_ratio": "latency",
    "cost_ratio": "cost",
}

_AXIS_INFO = {  # axis -> (unit kind, long name)
    "task_value": ("latency", "task value V"),
    "penalty": ("cost", "abandonment penalty P"),
    "latency_1": ("latency", "latency t_1 of model 1"),
    "latency_2": ("latency", "latency t_2 of model 2"),
    "cost_1": ("cost", "cost c_1 of model 1"),
    "cost_2": ("cost", "cost c_2 of model 2"),
    "success_prob_1": ("probability", "success probability p_1 of model 1"),
    "success_prob_2": ("probability", "success probability p_2 of model 2"),
    "latency_ratio": ("1", "latency ratio t_2 / t_1"),
    "cost_ratio": ("1", "cost ratio c_2 / c_1"),
}

@attrs.frozen
class _Kernel:
    """What a chunk needs besides its coordinates: swept dims, base values, tie-breaking."""

    dims: tuple[str, ...]
    base: tuple[float, ...]  # values of PARAMETERS, in that order
    tie_break: str

    def value(self, name: str) -> float:
        return self.base[PARAMETERS.index(name)]

def _game_arrays(kernel: _Kernel, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The eight parameters of every game of a block (broadcast, not yet materialised)."""
    out: dict[str, Any] = {}
    for name in PARAMETERS:
        out[name] = values[name] if name in values else np.float64(kernel.value(name))
    for derived, (target, factor) in DERIVED.items():
        if derived in values:
            out[target] = values[derived] * out[factor]
    return out

@attrs.frozen(eq=False)
class _Plan:
    """A validated sweep request."""

    kernel: _Kernel
    grids: dict[str, np.ndarray]
    scenario: str
    names: tuple[str, str]
    units: dict[str, str]

    @property
    def dims(self) -> tuple[str, ...]:
        return self.kernel.dims

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.grids[d]) for d in self.dims)

def base_values(params: GameParams) -> tuple[float, ...]:
    """The values of :data:`PARAMETERS` in a two-model game, in that order."""
    t, c, p = params.latency, params.cost, params.success_prob
    return (params.task_value, params.penalty, float(t[0]), float(t[1]), float(c[0]),
            float(c[1]), float(p[0]), float(p[1]))


def game_grid(params: GameParams, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The grid builder: the eight parameters at every point of a grid of games.

    ``values`` maps axes of :data:`AXES` to arrays broadcastable against each other (e.g. a
    column and a row for a plane); the other parameters stay at ``params``; a derived axis
    multiplies the (possibly swept) parameter it scales. Not validated here (see :func:`_plan`).

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    >>> out = game_grid(g, {"cost_1": np.array([[1.0], [2.0]]), "cost_ratio": np.array([[3.0, 4.0]])})
    >>> out["cost_2"].tolist(), out["penalty"].shape
    ([[3.0, 4.0], [6.0, 8.0]], (2, 2))
    """
    kernel = _Kernel(dims=tuple(values), base=base_values(params), tie_break="strong")
    games = _game_arrays(kernel, {k: np.asarray(v, dtype=float) for k, v in values.items()})
    shape = np.broadcast_shapes(*(np.shape(v) for v in games.values()))
    return {k: np.broadcast_to(v, shape) for k, v in games.items()}


def _resolve_base(base: Any) -> tuple[GameParams, str, dict[str, str]]:
    from routegame.scenarios import Scenario, load_config, load_scenario

    scenario: Any
    if isinstance(base, GameParams):
        params, name, units = base, "", {}
    else:
        if isinstance(base, str | os.PathLike) and str(base).endswith(".toml"):
            scenario = load_config(base)
        elif isinstance(base, str):
            scenario = load_scenario(base)
        elif isinstance(base, Scenario):
            scenario = base
        else:
            raise ParameterError(
                "base",
                "must be a GameParams, a Scenario, a scenario name or a scenario .toml file, "
                f"got {type(base).__name__}",
            )
        params, name, units = scenario.params, scenario.name, dict(scenario.units)
    if params.num_models != 2:
        raise ParameterError(
            "base", f"a sweep needs a two-model game, got {params.num_models} models"
        )
    return params, name, units

def _check_grid(name: str, values: Any) -> np.ndarray:
    if name not in AXES:
        raise ParameterError(name, f"unknown sweep axis; allowed: {', '.join(AXES)}")
    if isinstance(values, str | bytes | Mapping):
        raise ParameterError(name, f"grid must be a 1-D list of numbers, got {values!r}")
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError):
        raise ParameterError(name, "grid must be a 1-D list of numbers") from None
    if raw.dtype == bool or raw.dtype.kind not in "iuf":
        shown = values if raw.size <= 5 else f"{raw.dtype} array"
        raise ParameterError(name, f"grid must be a 1-D list of numbers, got {shown!r}")
    if raw.ndim != 1:
        raise ParameterError(name, f"grid must be 1-D, got shape {raw.shape}")
    if raw.size == 0:
        raise ParameterError(name, "grid is empty; give at least one value")
    field = _FIELD[name]
    try:
        grid = check_array(raw, field, label=name)
    except ParameterError as exc:
        raise ParameterError(name, f"grid values {exc.reason}") from None
    if np.unique(grid).size != grid.size:
        raise ParameterError(name, "grid values must not repeat")
    return np.ascontiguousarray(grid, dtype=np.float64)

def _plan(base: Any, grids: Mapping[str, Any], tie_break: str) -> _Plan:
    check_tie_break(tie_break)
    if not grids:
        raise ParameterError("grid", f"give at least one axis to sweep; allowed: {', '.join(AXES)}")
    checked = {name: _check_grid(name, values) for name, values in grids.items()}
    for derived, (target, _factor) in DERIVED.items():
        if derived in checked and target in checked:
            raise ParameterError(
                derived, f"cannot be swept together with {target} (it sets {target})"
            )
    params, scenario, units = _resolve_base(base)
    kernel = _Kernel(dims=tuple(checked), base=base_values(params), tie_break=tie_break)
    # a derived axis must give valid values with every value of the parameter it multiplies;
    # both are positive (or >= 0), so the extreme products decide
    for derived, (target, factor) in DERIVED.items():
        if derived in checked:
            f = checked.get(factor, np.array([kernel.value(factor)]))
            r = checked[derived]
            extremes = np.array([r.min() * f.min(), r.max() * f.max()])
            check_array(extremes, _FIELD[target], label=f"{target} = {derived} * {factor}")
    names = (params.names[0], params.names[1])
    return _Plan(kernel=kernel, grids=checked, scenario=scenario, names=names, units=units)

def _normalize_chunks(chunks: Any, plan: _Plan) -> tuple[int, ...]:
    dims, shape = plan.dims, plan.shape
    if isinstance(chunks, str) and chunks == "auto":
        return _auto_chunks(shape)
    if isinstance(chunks, bool) or not isinstance(chunks, int | np.integer | Mapping):
        raise ParameterError(
            "chunks", f"must be a positive integer, a dict dim -> size, or 'auto', got {chunks!r}"
        )
    if isinstance(chunks, Mapping):
        unknown = [k for k in chunks if k not in dims]
        if unknown:
            raise ParameterError(
                "chunks", f"unknown dimension {unknown[0]!r}; swept: {', '.join(dims)}"
            )
        sizes = [chunks.get(d, -1) for d in dims]
    else:
        sizes = [int(chunks)] * len(dims)
    out = []
    for d, n, size in zip(dims, shape, sizes, strict=True):
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ParameterError(f"chunks.{d}", f"must be a positive integer or -1, got {size!r}")
        if size == -1:
            size = n
        if size < 1:
            raise ParameterError(f"chunks.{d}", f"must be a positive integer or -1, got {size}")
        out.append(min(int(size), n))
    return tuple(out)

def _auto_chunks(shape: tuple[int, ...], target: int = AUTO_CHUNK_POINTS) -> tuple[int, ...]:
    """Whole trailing dimensions, then a slab of the next one, about ``target`` points a chunk."""
    out = list(shape)
    inner = 1
    for k in range(len(shape) - 1, -1, -1):
        if inner * shape[k] <= target:
            inner *= shape[k]
            continue
        out[k] = max(1, target // inner)
        for j in range(k):
            out[j] = 1
        break
    return tuple(out)

def _chunk_grid(shape: tuple[int, ...], chunks: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-(-n // c) for n, c in zip(shape, chunks, strict=True))

def _block_slices(index: tuple[int, ...], chunks: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, chunks, strict=True))

def linear_or_log_grid(name: str, start: float, stop: float, num: int, log: bool) -> np.ndarray:
    """``num`` points from ``start`` to ``stop`` (both included), evenly or geometrically spaced.

    Examples
    --------
    >>> linear_or_log_grid("penalty", 0, 10, 3, False)
    array([ 0.,  5., 10.])
    >>> linear_or_log_grid("cost_ratio", 1, 100, 3, True)
    array([  1.,  10., 100.])
    """
    from routegame.params import describe_range
    from routegame.sweep.resources import check_grid_size

    if num < 1:
        raise ParameterError(name, f"num must be an integer >= 1, got {num}")
    for which, v in (("start", start), ("stop", stop)):
        if not math.isfinite(v):
            raise ParameterError(
                name, f"{which} must be a number {describe_range(_FIELD[name])}, got {v}"
            )
    check_grid_size(name, num)
    if num > 1 and start == stop:
        raise ParameterError(name, f"start and stop are equal ({start:g}) but num is {num}")
    if log:
        if start <= 0 or stop <= 0:
            raise ParameterError(name, "a log grid needs start > 0 and stop > 0")
        return np.geomspace(start, stop, num)
    return np.linspace(start, stop, num)
