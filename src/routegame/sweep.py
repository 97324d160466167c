r"""Parameter sweeps of the two-model game: a grid of games → an ``xarray.Dataset``.

:func:`sweep` solves the game (:func:`routegame.solve_arrays`) at every point of a grid built
from 1-D grids of any of the eight parameters, the others held at a base game. The result has
one dimension per swept parameter (named after it, the grid as its coordinate), the equilibrium,
thresholds, user-preferred policy, misalignment gap and throttling as variables, units in each
variable's ``attrs`` and the provenance (base game, grids, routegame version, tie-breaking,
creation time) in ``Dataset.attrs``.

Swept axes (:data:`AXES`)

* the parameters ``task_value`` (V), ``penalty`` (P), ``latency_1``, ``latency_2`` (t_i),
  ``cost_1``, ``cost_2`` (c_i), ``success_prob_1``, ``success_prob_2`` (p_i);
* two derived axes: ``cost_ratio`` sets c_2 = cost_ratio × c_1 and ``latency_ratio`` sets
  t_2 = latency_ratio × t_1, with c_1 (t_1) at its base value or swept itself. A derived axis
  cannot be swept together with the parameter it sets.

How it runs

* Without ``chunks`` (and without ``store``) the grid is solved with numpy in this process,
  in batches of :data:`BATCH` games so the solver's temporaries stay small.
* With ``chunks`` the grid is solved on dask: ``xarray.apply_ufunc(..., dask="parallelized")``
  over the chunked grid, on the local threaded scheduler or on ``scheduler`` (a
  ``dask.distributed`` address ``"tcp://..."``, a ``Client``, or a local scheduler name).
* With ``store`` (``.zarr`` or ``.nc``) every chunk is solved by one dask task that writes its
  block into a Zarr store and then records that chunk as done (in the store's ``_sweep/chunk_run``
  array, holding the number of the run that wrote it). A sweep larger than memory thus streams
  chunk by chunk, and an interrupted sweep resumes: running the same sweep on the same store
  solves only the chunks not yet recorded. A ``.nc`` target is built in a hidden Zarr store beside
  it (``.NAME.nc.partial.zarr``) and converted to netCDF when complete. A store written by a
  different sweep (other grids, base game, routegame version or tie-breaking) is refused with a
  one-line :class:`~routegame.errors.ParameterError` naming the difference.

The solver is elementwise in the games, so every route (numpy, dask, distributed, store) gives
bit-identical values.

Examples
--------
>>> import numpy as np
>>> from routegame import GameParams
>>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
>>> ds = sweep(g, penalty=np.linspace(0, 20, 5), cost_ratio=[2, 4, 8])
>>> dict(ds.sizes)
{'penalty': 5, 'cost_ratio': 3}
>>> ds.route.sel(cost_ratio=4).values
array([1, 1, 1, 1, 1], dtype=int8)
>>> ds.provider_cost.attrs["units"], ds.attrs["tie_break"]
('cost unit', 'strong')
>>> sweep(g, colour=[1, 2])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
routegame.errors.ParameterError: colour: unknown sweep axis; allowed: task_value, penalty, ...
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from routegame.errors import ParameterError
from routegame.params import TWO_MODEL_FIELDS, GameParams, check_array, check_tie_break

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = [
    "AXES",
    "BATCH",
    "PARAMETERS",
    "VARIABLES",
    "SweepReport",
    "linear_or_log_grid",
    "load_sweep_file",
    "sweep",
    "sweep_fingerprint",
    "sweep_to_file",
    "write_table",
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

#: Games solved per call of the solver (bounds its temporaries at ~1 kB per game).
BATCH = 1 << 16

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

#: Output variables: name -> (dtype, unit kind, long name). Unit kinds "latency" and "cost" are
#: replaced by the base game's units; "probability" and "1" (dimensionless) are kept.
VARIABLES: dict[str, tuple[str, str, str]] = {
    "route": ("int8", "1", "provider's first route at equilibrium (1 = M1, 2 = M2)"),
    "cascade": ("float64", "probability", "cascade probability s at equilibrium"),
    "abandon": ("float64", "probability", "user's abandon probability q at equilibrium"),
    "provider_cost": ("float64", "cost", "provider's expected cost J at equilibrium"),
    "user_utility": ("float64", "latency", "user's expected utility U = V S - L at equilibrium"),
    "success": ("float64", "probability", "probability S that the task is solved at equilibrium"),
    "regime": ("int8", "1", "regime: sign pattern of the net values (xi_1, xi_2)"),
    "s0": ("float64", "probability", "cascade threshold s0 (regime latency-value), NaN elsewhere"),
    "s_low": ("float64", "probability", "lower cascade threshold s_L (regime value-latency)"),
    "s_high": ("float64", "probability", "upper cascade threshold s_H (regime value-latency)"),
    "net_value_1": ("float64", "latency", "net value xi_1 = V p_1 - t_1 of one pass of model 1"),
    "net_value_2": ("float64", "latency", "net value xi_2 = V p_2 - t_2 of one pass of model 2"),
    "pref_route": ("int8", "1", "user-preferred first route (1 = M1, 2 = M2)"),
    "pref_cascade": ("float64", "probability", "user-preferred cascade probability"),
    "pref_user_utility": ("float64", "latency", "user's utility at the user-preferred policy"),
    "misalignment_gap": ("float64", "latency", "user-preferred minus equilibrium user utility"),
    "throttling_pays": ("bool", "1", "raising latencies strictly lowers the provider's cost"),
    "throttling_gain": ("float64", "cost", "provider's cost saved by throttling (>= 0)"),
    "weak_provider_cost": ("float64", "cost", "provider's cost at the weak Stackelberg value"),
    "weak_attained": ("bool", "1", "the weak Stackelberg value is attained by some policy"),
}

_REFERENCE = (
    'R. Mahmood, "Routing, Cascades, and User Choice for LLMs", ICLR 2026, arXiv 2602.09902'
)
_FORMAT = 1
_RECORD = "_sweep"  # zarr subgroup holding the per-chunk completion record
_DELAY_ENV = "ROUTEGAME_SWEEP_CHUNK_DELAY"  # testing hook: seconds to sleep after each chunk


# ---------------------------------------------------------------------------------------------
# the kernel: parameters of a block of games -> output arrays


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


def _solve_values(
    kernel: _Kernel,
    values: Mapping[str, np.ndarray],
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Solve the games of a block whose swept coordinates are ``values`` (broadcastable).

    The block is solved in slabs of at most :data:`BATCH` games (whole trailing dimensions times
    a range of the leading one), each broadcast from the coordinates only when it is solved, so
    the memory used beyond the outputs is that of one slab.
    """
    games = _game_arrays(kernel, values)
    shape = np.broadcast_shapes(*(np.shape(v) for v in games.values()))
    ndim = len(shape)
    full = {k: np.reshape(v, (1,) * (ndim - np.ndim(v)) + np.shape(v)) for k, v in games.items()}
    out = {name: np.empty(shape, dtype=dtype) for name, (dtype, _, _) in VARIABLES.items()}
    slab = _auto_chunks(shape, BATCH)
    for idx in np.ndindex(*_chunk_grid(shape, slab)):
        sel = _block_slices(idx, slab)
        block = {
            k: v[tuple(s if n > 1 else slice(None) for s, n in zip(sel, v.shape, strict=True))]
            for k, v in full.items()
        }
        block_shape = np.broadcast_shapes(*(v.shape for v in block.values()))
        flat = {k: np.broadcast_to(v, block_shape).reshape(-1) for k, v in block.items()}
        for name, col in _solve_flat(kernel, flat).items():
            out[name][sel] = col.reshape(block_shape)
        if on_batch is not None:
            on_batch(math.prod(block_shape))
    return out


def _solve_flat(kernel: _Kernel, f: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The output variables of a flat batch of games (one solve_arrays call)."""
    from routegame.closed_form import solve_arrays

    sol = solve_arrays(
        f["task_value"],
        f["penalty"],
        np.stack([f["latency_1"], f["latency_2"]], axis=-1),
        np.stack([f["cost_1"], f["cost_2"]], axis=-1),
        np.stack([f["success_prob_1"], f["success_prob_2"]], axis=-1),
        tie_break=kernel.tie_break,
    )
    return {
        "route": sol.route,
        "cascade": sol.cascade,
        "abandon": sol.abandon,
        "provider_cost": sol.provider_cost,
        "user_utility": sol.user_utility,
        "success": sol.success,
        "regime": sol.regime,
        "s0": sol.s0,
        "s_low": sol.s_low,
        "s_high": sol.s_high,
        "net_value_1": sol.net_value[..., 0],
        "net_value_2": sol.net_value[..., 1],
        "pref_route": sol.pref_route,
        "pref_cascade": sol.pref_cascade,
        "pref_user_utility": sol.pref_user_utility,
        "misalignment_gap": sol.misalignment_gap,
        "throttling_pays": sol.throttle_pays,
        "throttling_gain": sol.provider_cost - sol.throttle_provider_cost,
        "weak_provider_cost": sol.weak_provider_cost,
        "weak_attained": sol.weak_attained,
    }


def _ufunc_kernel(*blocks: np.ndarray, kernel: _Kernel) -> tuple[np.ndarray, ...]:
    """``apply_ufunc`` entry point: blocks of the swept coordinates, in ``kernel.dims`` order."""
    res = _solve_values(kernel, dict(zip(kernel.dims, blocks, strict=True)))
    return tuple(res[name] for name in VARIABLES)


# ---------------------------------------------------------------------------------------------
# validation of the request


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
    t, c, p = params.latency, params.cost, params.success_prob
    base_values = (
        params.task_value,
        params.penalty,
        float(t[0]),
        float(t[1]),
        float(c[0]),
        float(c[1]),
        float(p[0]),
        float(p[1]),
    )
    kernel = _Kernel(dims=tuple(checked), base=base_values, tie_break=tie_break)
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


# ---------------------------------------------------------------------------------------------
# metadata


def _grid_summary(grid: np.ndarray) -> dict[str, Any]:
    digest = hashlib.sha256(np.ascontiguousarray(grid, dtype="<f8").tobytes()).hexdigest()
    return {
        "num": int(grid.size),
        "first": float(grid[0]),
        "last": float(grid[-1]),
        "sha256": digest[:16],
    }


def _fingerprint(plan: _Plan) -> dict[str, Any]:
    import routegame

    return {
        "format": _FORMAT,
        "routegame_version": routegame.__version__,
        "tie_break": plan.kernel.tie_break,
        "base": dict(zip(PARAMETERS, plan.kernel.base, strict=True)),
        "dims": list(plan.dims),
        "grids": {d: _grid_summary(plan.grids[d]) for d in plan.dims},
    }


def sweep_fingerprint(ds: xr.Dataset) -> dict[str, Any]:
    """The identity of the sweep that produced ``ds`` (what a resumed store must match).

    Keys: ``format``, ``routegame_version``, ``tie_break``, ``base`` (the eight parameters),
    ``dims`` and ``grids`` (per axis: ``num``, ``first``, ``last`` and a hash of the values).

    Examples
    --------
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    >>> fp = sweep_fingerprint(sweep(g, penalty=[0, 5, 10]))
    >>> fp["dims"], fp["grids"]["penalty"]["num"], fp["base"]["cost_2"]
    (['penalty'], 3, 4.0)
    """
    raw = ds.attrs.get("routegame_sweep")
    if not isinstance(raw, str):
        raise ParameterError("ds", "is not a routegame sweep (no routegame_sweep attribute)")
    return _parse_fingerprint(raw, "ds")


def _describe_grid(g: Mapping[str, Any]) -> str:
    return f"{g.get('num')} points {g.get('first'):g} to {g.get('last'):g}"


def _mismatch(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> str | None:
    """What differs between two fingerprints (None when they describe the same sweep)."""
    if stored.get("format") != wanted["format"]:
        return f"store format {stored.get('format')} (this routegame writes {wanted['format']})"
    if stored.get("dims") != wanted["dims"]:
        have = ", ".join(stored.get("dims") or [])
        return f"swept axes differ (store: {have}; requested: {', '.join(wanted['dims'])})"
    for d in wanted["dims"]:
        s, w = stored.get("grids", {}).get(d, {}), wanted["grids"][d]
        if s != w:
            if s.get("num") == w["num"] and s.get("first") == w["first"] and s.get(
                "last"
            ) == w["last"]:
                return f"grid {d} differs (same size and ends, different values)"
            return f"grid {d} differs (store: {_describe_grid(s)}; requested: {_describe_grid(w)})"
    for name in PARAMETERS:
        s_val, w_val = stored.get("base", {}).get(name), wanted["base"][name]
        if s_val != w_val:
            return f"base {name} differs (store: {s_val}; requested: {w_val})"
    if stored.get("tie_break") != wanted["tie_break"]:
        return (
            f"tie_break differs (store: {stored.get('tie_break')}; "
            f"requested: {wanted['tie_break']})"
        )
    if stored.get("routegame_version") != wanted["routegame_version"]:
        return (
            f"written by routegame {stored.get('routegame_version')}, "
            f"this is {wanted['routegame_version']}"
        )
    return None


def _unit(kind: str, units: Mapping[str, str]) -> str:
    if kind == "latency":
        return units.get("latency", "latency unit")
    if kind == "cost":
        return units.get("cost", "cost unit")
    return kind


def _var_attrs(name: str, units: Mapping[str, str]) -> dict[str, Any]:
    from routegame.closed_form import REGIMES

    _, kind, long_name = VARIABLES[name]
    out: dict[str, Any] = {"long_name": long_name, "units": _unit(kind, units)}
    if name == "regime":
        out["flag_values"] = np.arange(len(REGIMES), dtype=np.int8)
        out["flag_meanings"] = " ".join(REGIMES)
    elif name in ("route", "pref_route"):
        out["flag_values"] = np.array([1, 2], dtype=np.int8)
        out["flag_meanings"] = "M1 M2"
    return out


def _dataset_attrs(plan: _Plan) -> dict[str, Any]:
    import routegame

    fp = _fingerprint(plan)
    attrs_: dict[str, Any] = {
        "title": "routegame parameter sweep of the two-model routing game",
        "source": f"routegame {routegame.__version__}: closed-form solver (solve_arrays)",
        "references": _REFERENCE,
        "routegame_version": routegame.__version__,
        "tie_break": plan.kernel.tie_break,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "scenario": plan.scenario,
        "model_names": json.dumps(list(plan.names)),
        "latency_unit": _unit("latency", plan.units),
        "cost_unit": _unit("cost", plan.units),
        "swept": " ".join(plan.dims),
    }
    for name, value in zip(PARAMETERS, plan.kernel.base, strict=True):
        attrs_[f"base_{name}"] = value
    derived = [f"{t} = {d} * {f}" for d, (t, f) in DERIVED.items() if d in plan.dims]
    if derived:
        attrs_["derived_axes"] = "; ".join(derived)
    attrs_["grids"] = json.dumps(fp["grids"])
    attrs_["routegame_sweep"] = json.dumps(fp, sort_keys=True)
    return attrs_


def _coords(plan: _Plan) -> dict[str, Any]:
    out = {}
    for d in plan.dims:
        kind, long_name = _AXIS_INFO[d]
        out[d] = (d, plan.grids[d], {"long_name": long_name, "units": _unit(kind, plan.units)})
    return out


def _assemble(plan: _Plan, data: Mapping[str, Any]) -> xr.Dataset:
    import xarray as xr

    variables = {
        name: (plan.dims, data[name], _var_attrs(name, plan.units)) for name in VARIABLES
    }
    return xr.Dataset(variables, coords=_coords(plan), attrs=_dataset_attrs(plan))


# ---------------------------------------------------------------------------------------------
# progress and schedulers


def _progress_enabled(progress: bool | None, work: int) -> bool:
    if progress is not None:
        return bool(progress)
    return work > 1 and sys.stderr.isatty()


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; shows a rich progress bar on stderr when ``enabled``."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


_LOCAL_SCHEDULERS = ("threads", "synchronous", "sync", "single-threaded", "processes")
_REMOTE_PREFIXES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


def _check_scheduler(scheduler: Any) -> None:
    """Raise ParameterError unless ``scheduler`` is usable (does not connect)."""
    if scheduler is None:
        return
    if isinstance(scheduler, str):
        if scheduler in _LOCAL_SCHEDULERS or scheduler.startswith(_REMOTE_PREFIXES):
            return
        raise ParameterError(
            "scheduler",
            f"must be a dask.distributed address (tcp://host:port), a Client, or one of "
            f"{', '.join(_LOCAL_SCHEDULERS)}; got {scheduler!r}",
        )
    if not (hasattr(scheduler, "submit") and hasattr(scheduler, "gather")):
        raise ParameterError(
            "scheduler",
            f"must be an address string or a dask.distributed Client, got {scheduler!r}",
        )


@contextlib.contextmanager
def _scheduler(scheduler: Any) -> Iterator[tuple[str, Any]]:
    """Yield ``("local", name)`` or ``("distributed", client)``; closes clients it opened."""
    _check_scheduler(scheduler)
    if scheduler is None:
        yield "local", "threads"
    elif isinstance(scheduler, str) and scheduler in _LOCAL_SCHEDULERS:
        yield "local", scheduler
    elif isinstance(scheduler, str):
        from distributed import Client

        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ParameterError("scheduler", f"cannot connect to {scheduler}: {msg}") from None
        try:
            yield "distributed", client
        finally:
            client.close()
    else:
        yield "distributed", scheduler


def _compute_local(tasks: Sequence[Any], scheduler: str, advance: Callable[[int], None]) -> None:
    import dask
    from dask.callbacks import Callback

    names = {t.key for t in tasks}

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        if key in names:
            advance(1)

    with Callback(posttask=posttask):
        dask.compute(*tasks, scheduler=scheduler)


def _compute_distributed(tasks: Sequence[Any], client: Any, advance: Callable[[int], None]) -> None:
    from distributed import as_completed

    futures = client.compute(list(tasks))
    try:
        for fut in as_completed(futures):
            fut.result()  # re-raises a task's exception here
            advance(1)
    finally:
        client.cancel(futures)


# ---------------------------------------------------------------------------------------------
# the store: a Zarr directory written chunk by chunk, with a per-chunk completion record


def _chunk_grid(shape: tuple[int, ...], chunks: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-(-n // c) for n, c in zip(shape, chunks, strict=True))


def _block_slices(index: tuple[int, ...], chunks: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, chunks, strict=True))


def _chunk_task(
    kernel: _Kernel,
    coords: tuple[np.ndarray, ...],
    store: str,
    index: tuple[int, ...],
    chunks: tuple[int, ...],
    run: int,
    token: str,
) -> tuple[int, ...]:
    """Solve one chunk, write it into the store, then record it as done by run ``run``."""

    ndim = len(coords)
    values = {}
    for k, (d, c) in enumerate(zip(kernel.dims, coords, strict=True)):
        shape = [1] * ndim
        shape[k] = c.size
        values[d] = c.reshape(shape)
    res = _solve_values(kernel, values)
    slices = tuple(
        slice(i * c, i * c + coord.size) for i, c, coord in zip(index, chunks, coords, strict=True)
    )
    _write_chunk(store, token, slices, res, index, run)
    delay = os.environ.get(_DELAY_ENV)
    if delay:
        time.sleep(float(delay))
    return index


_OPEN_STORES: dict[tuple[str, str], Any] = {}  # (store, run token) -> its async arrays


def _write_chunk(
    store: str,
    token: str,
    slices: tuple[slice, ...],
    res: Mapping[str, np.ndarray],
    index: tuple[int, ...],
    run: int,
) -> None:
    """Write a solved chunk into every variable, then (only then) mark it done.

    The variables are written concurrently through zarr's asynchronous API (one round trip to
    zarr's event loop instead of two per variable), with the opened arrays kept for the rest of
    the run (``token``); if that API is unavailable, the synchronous one is used.
    """
    try:
        from zarr.api.asynchronous import open_group as open_group_async
        from zarr.core.sync import sync
    except ImportError:  # pragma: no cover - other zarr versions
        group = _open_group(store, "r+")
        for name in VARIABLES:
            group[name][slices] = res[name]
        group[f"{_RECORD}/chunk_run"][index] = run
        return
    import asyncio

    async def open_arrays() -> list[Any]:
        group = await open_group_async(store=store, mode="r+")
        names = [*VARIABLES, f"{_RECORD}/chunk_run"]
        return list(await asyncio.gather(*(group.getitem(name) for name in names)))

    async def write(arrays: list[Any]) -> None:
        *data, record = arrays
        await asyncio.gather(
            *(a.setitem(slices, res[name]) for a, name in zip(data, VARIABLES, strict=True))
        )
        await record.setitem(index, np.int32(run))

    key = (store, token)
    arrays = _OPEN_STORES.get(key)
    if arrays is None:
        arrays = sync(open_arrays())
        if len(_OPEN_STORES) >= 8:
            _OPEN_STORES.clear()
        _OPEN_STORES[key] = arrays
    sync(write(arrays))


def _open_group(path: Path | str, mode: str) -> Any:
    """``zarr.open_group`` (typed ``Any``: zarr's stubs do not type item access on groups)."""
    import zarr

    return zarr.open_group(str(path), mode=mode)  # type: ignore[arg-type]


def _is_zarr_store(path: Path) -> bool:
    return path.is_dir() and ((path / "zarr.json").exists() or (path / ".zgroup").exists())


def _remove(path: Path) -> None:
    if path.is_dir():
        if not _is_zarr_store(path):
            raise ParameterError(
                "store", f"{path} is a directory but not a Zarr store; refusing to delete it"
            )
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _read_fingerprint_zarr(path: Path) -> dict[str, Any]:

    if not _is_zarr_store(path):
        raise ParameterError("store", f"{path} exists and is not a Zarr store")
    group = _open_group(str(path), "r")
    raw = group.attrs.get("routegame_sweep")
    if not isinstance(raw, str):
        raise ParameterError("store", f"{path} is not a routegame sweep store")
    return _parse_fingerprint(raw, path)


def _parse_fingerprint(raw: str, path: Path | str) -> dict[str, Any]:
    try:
        fp = json.loads(raw)
    except json.JSONDecodeError:
        raise ParameterError("store", f"{path} has a corrupt routegame_sweep attribute") from None
    if not isinstance(fp, dict):
        raise ParameterError("store", f"{path} has a corrupt routegame_sweep attribute")
    return fp


def _refuse_if_different(stored: Mapping[str, Any], plan: _Plan, path: Path) -> None:
    diff = _mismatch(stored, _fingerprint(plan))
    if diff is not None:
        raise ParameterError(
            "store",
            f"{path} holds a different sweep: {diff}; pass overwrite=True (--overwrite) "
            "or choose another path",
        )


def _create_store(plan: _Plan, path: Path, chunks: tuple[int, ...]) -> None:
    """Create the Zarr (v3) store: coordinates, empty variables and the chunk record.

    Written with zarr directly, in the layout xarray reads (``dimension_names`` on every array,
    attributes as JSON), which is much faster than a lazy ``to_zarr(compute=False)``.
    """
    import zarr

    def jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in d.items()}

    group = zarr.open_group(str(path), mode="w", attributes=jsonable(_dataset_attrs(plan)))
    for d, (_, values, meta) in _coords(plan).items():
        arr = group.create_array(
            d, shape=values.shape, dtype="float64", dimension_names=[d],
            attributes=jsonable(meta), fill_value=np.nan,
        )
        arr[...] = values
    for name, (dtype, _, _) in VARIABLES.items():
        fill: Any = np.nan if dtype == "float64" else (False if dtype == "bool" else 0)
        group.create_array(
            name, shape=plan.shape, chunks=chunks, dtype=dtype, fill_value=fill,
            dimension_names=list(plan.dims), attributes=jsonable(_var_attrs(name, plan.units)),
        )
    record = group.create_group(_RECORD)
    nchunks = _chunk_grid(plan.shape, chunks)
    record.create_array(
        "chunk_run", shape=nchunks, chunks=(1,) * len(nchunks), dtype="int32", fill_value=0
    )
    record.attrs.update({"chunks": list(chunks), "runs": 0, "complete": False})


def _store_chunks(path: Path) -> tuple[int, ...]:

    record = _open_group(path, "r")[_RECORD]
    chunks: list[int] = record.attrs["chunks"]
    return tuple(int(c) for c in chunks)


def _run_store(
    plan: _Plan,
    path: Path,
    chunks: tuple[int, ...] | None,
    scheduler: Any,
    progress: bool | None,
) -> tuple[int, int]:
    """Create or resume the Zarr store at ``path``; solve every chunk not yet recorded.

    Returns the number of chunks of the sweep and the number solved by this call.
    """
    if path.exists():
        _refuse_if_different(_read_fingerprint_zarr(path), plan, path)
        if _RECORD not in _open_group(path, "r"):
            raise ParameterError("store", f"{path} has no chunk record; pass overwrite=True")
    with _scheduler(scheduler) as (kind, sched):  # connect before creating anything
        if path.exists():
            chunks = _store_chunks(path)  # a resumed store keeps its own chunking
        else:
            chunks = chunks if chunks is not None else _auto_chunks(plan.shape)
            _create_store(plan, path, chunks)
        record = _open_group(path, "r+")[_RECORD]
        done = np.asarray(record["chunk_run"][...]) > 0
        todo = [tuple(int(i) for i in idx) for idx in np.argwhere(~done)]
        if todo:
            run = int(record.attrs.get("runs", 0)) + 1
            record.attrs["runs"] = run
            tasks = _chunk_tasks(plan, path, todo, chunks, run)
            with _progress_bar(_progress_enabled(progress, len(tasks)), len(tasks), "sweep") as advance:
                if kind == "local":
                    _compute_local(tasks, sched, advance)
                else:
                    _compute_distributed(tasks, sched, advance)
            done = np.asarray(record["chunk_run"][...]) > 0
        record.attrs["complete"] = bool(done.all())
    return done.size, len(todo)


def _chunk_tasks(
    plan: _Plan, path: Path, todo: list[tuple[int, ...]], chunks: tuple[int, ...], run: int
) -> list[Any]:
    """One dask task per chunk to solve; each carries only its own slice of the grids."""
    import uuid

    import dask

    token = uuid.uuid4().hex[:12]  # keys unique per run: a shared Client never reuses them
    tasks = []
    for idx in todo:
        slices = _block_slices(idx, chunks)
        coords = tuple(plan.grids[d][sl] for d, sl in zip(plan.dims, slices, strict=True))
        key = f"routegame-chunk-{token}-{'-'.join(map(str, idx))}"
        task = dask.delayed(_chunk_task, pure=False)(
            plan.kernel, coords, str(path), idx, chunks, run, token, dask_key_name=key
        )
        tasks.append(task)
    return tasks


def _open_zarr(path: Path) -> xr.Dataset:
    import xarray as xr

    ds = xr.open_zarr(str(path), consolidated=False, chunks={})
    return ds[list(VARIABLES)]


def _netcdf_engine() -> str:
    import importlib.util

    return "h5netcdf" if importlib.util.find_spec("h5py") is not None else "scipy"


def _open_netcdf(path: Path) -> xr.Dataset:
    import xarray as xr

    ds = xr.open_dataset(path, engine=_netcdf_engine(), chunks={})
    return ds[list(VARIABLES)]


def _partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial.zarr")


def _netcdf_fingerprint(path: Path) -> dict[str, Any]:
    import xarray as xr

    try:
        with xr.open_dataset(path, engine=_netcdf_engine()) as ds:
            raw = ds.attrs.get("routegame_sweep")
    except (OSError, ValueError) as exc:
        raise ParameterError("store", f"{path} is not a readable netCDF file: {exc}") from None
    if not isinstance(raw, str):
        raise ParameterError("store", f"{path} is not a routegame sweep file")
    return _parse_fingerprint(raw, path)


def _zarr_to_netcdf(zpath: Path, path: Path) -> None:
    """Convert the finished store to netCDF (streamed chunk by chunk), atomically."""
    import xarray as xr

    tmp = path.with_name(f".{path.name}.tmp")
    ds = xr.open_zarr(str(zpath), consolidated=False, chunks={})
    try:
        ds = ds[list(VARIABLES)]
        engine = _netcdf_engine()
        encoding: dict[str, dict[str, Any]] = {}
        for name in VARIABLES:
            ds[name].encoding = {}
            encoding[name] = {"_FillValue": np.nan} if VARIABLES[name][0] == "float64" else {}
        for d in ds.dims:
            ds[d].encoding = {}
            encoding[str(d)] = {"_FillValue": None}
        ds.to_netcdf(tmp, engine=engine, encoding=encoding)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        ds.close()


def _sweep_store(
    plan: _Plan,
    store: str | os.PathLike[str],
    chunks: tuple[int, ...] | None,
    scheduler: Any,
    progress: bool | None,
    overwrite: bool,
) -> tuple[xr.Dataset, int, int]:
    """Run a sweep into a store; returns the opened dataset, chunks in all, chunks solved."""
    path = Path(store)
    suffix = path.suffix.lower()
    if suffix not in (".zarr", ".nc"):
        raise ParameterError("store", f"must end in .zarr or .nc, got {str(path)!r}")
    if not path.parent.exists():
        raise ParameterError("store", f"directory {path.parent} does not exist")
    zpath = path if suffix == ".zarr" else _partial_path(path)
    if overwrite:
        _remove(path)
        if zpath != path:
            _remove(zpath)
    if suffix == ".nc" and path.exists():
        _refuse_if_different(_netcdf_fingerprint(path), plan, path)
        return _open_netcdf(path), 0, 0
    total, solved = _run_store(plan, zpath, chunks, scheduler, progress)
    if suffix == ".nc":
        _zarr_to_netcdf(zpath, path)
        shutil.rmtree(zpath)
        return _open_netcdf(path), total, solved
    return _open_zarr(path), total, solved


# ---------------------------------------------------------------------------------------------
# the public entry point


def sweep(
    base: Any,
    /,
    *,
    grid: Mapping[str, Any] | None = None,
    chunks: int | Mapping[str, int] | str | None = None,
    store: str | os.PathLike[str] | None = None,
    scheduler: Any = None,
    tie_break: str = "strong",
    progress: bool | None = None,
    overwrite: bool = False,
    lazy: bool = False,
    **grids: Any,
) -> xr.Dataset:
    """Solve the two-model game over a grid of parameters.

    Parameters
    ----------
    base : GameParams, Scenario or str
        The game that fixes every parameter not swept: a two-model
        :class:`~routegame.params.GameParams`, a :class:`~routegame.scenarios.Scenario`, the
        name of a shipped scenario (``"default"``) or the path of a scenario ``.toml`` file.
        A scenario's ``units`` name the latency and cost units in the output.
    grid : mapping, optional
        Axes to sweep, as a dict (merged with ``**grids``; useful when names are computed).
    chunks : int, dict or "auto", optional
        Run on dask with this chunking: an int is the chunk size along every swept dimension,
        a dict maps dimension -> size (-1 or missing: whole dimension). Without ``chunks`` the
        sweep runs on numpy (unless ``store`` or ``scheduler`` is given: then ``"auto"``,
        about 2^18 points per chunk).
    store : path, optional
        Write the sweep, chunk by chunk, to a Zarr directory (``.zarr``) or a netCDF file
        (``.nc``) and return the dataset opened lazily from it. If the store exists and holds
        the same sweep, only the chunks not yet written are solved (resume); a store of a
        different sweep raises ParameterError. A resumed store keeps its own chunking.
    scheduler : str or distributed.Client, optional
        ``"threads"`` (default with dask), ``"synchronous"``, ``"processes"``, a
        ``dask.distributed`` scheduler address (``"tcp://host:8786"``) or a ``Client``.
    tie_break : {"strong", "weak"}
        Convention of the headline equilibrium (``route`` ... ``success``, throttling); the weak
        Stackelberg cost is always in ``weak_provider_cost``.
    progress : bool, optional
        Show a rich progress bar on stderr; default: when stderr is a terminal and the sweep has
        more than one chunk (or numpy batch of :data:`BATCH` games).
    overwrite : bool
        Delete an existing ``store`` first (only a file or a Zarr directory is deleted).
    lazy : bool
        With ``chunks`` and no ``store``: return the dask-backed dataset without computing it.
    **grids : array_like
        1-D grids (lists or arrays of distinct numbers) named after the axes in :data:`AXES`:
        ``task_value``, ``penalty``, ``latency_1``, ``latency_2``, ``cost_1``, ``cost_2``,
        ``success_prob_1``, ``success_prob_2``, or the derived ``cost_ratio`` (c_2 = ratio ×
        c_1) and ``latency_ratio`` (t_2 = ratio × t_1). Dimensions follow the order given.

    Returns
    -------
    xarray.Dataset
        Dimensions: the swept axes. Variables (see :data:`VARIABLES`): ``route``, ``cascade``,
        ``abandon``, ``provider_cost``, ``user_utility``, ``success``, ``regime`` (code into
        :data:`routegame.REGIMES`; ``flag_values``/``flag_meanings`` in its attrs), ``s0``,
        ``s_low``, ``s_high``, ``net_value_1``, ``net_value_2``, ``pref_route``,
        ``pref_cascade``, ``pref_user_utility``, ``misalignment_gap``, ``throttling_pays``,
        ``throttling_gain``, ``weak_provider_cost``, ``weak_attained``. ``attrs``: base game
        (``base_*``), grids, ``routegame_version``, ``tie_break``, ``created``, units.

    Raises
    ------
    ParameterError
        Unknown axis (the message lists the allowed ones), an empty, non-numeric, repeated or
        out-of-range grid, bad ``chunks``/``scheduler``/``store``, or a store of another sweep.

    Examples
    --------
    >>> import routegame as rg
    >>> g = rg.GameParams.two_model(10, 20, latency=[4, 5], cost=[1, 4], success_prob=[0.3, 0.8])
    >>> ds = sweep(g, penalty=[0.0, 20.0], tie_break="strong")
    >>> ds.route.values.tolist(), ds.cascade.round(4).values.tolist()
    ([1, 1], [0.0, 0.2105])
    >>> [rg.REGIMES[k] for k in ds.regime.values]
    ['latency-value', 'latency-value']
    >>> lazy = sweep(g, penalty=[0.0, 20.0], chunks=1, lazy=True)
    >>> lazy.route.chunks
    ((1, 1),)
    """
    all_grids: dict[str, Any] = dict(grid or {})
    for name, values in grids.items():
        if name in all_grids:
            raise ParameterError(name, "given twice (in grid= and as a keyword)")
        all_grids[name] = values
    plan = _plan(base, all_grids, tie_break)
    _check_scheduler(scheduler)
    dask_chunks = None
    if chunks is not None:
        dask_chunks = _normalize_chunks(chunks, plan)
    elif scheduler is not None:
        dask_chunks = _auto_chunks(plan.shape)
    if store is not None:
        return _sweep_store(plan, store, dask_chunks, scheduler, progress, overwrite)[0]
    if overwrite:
        raise ParameterError("overwrite", "applies only with store=")
    if dask_chunks is None:
        if lazy:
            raise ParameterError("lazy", "needs chunks= (a lazy sweep runs on dask)")
        return _sweep_numpy(plan, progress)
    ds = _sweep_dask(plan, dask_chunks)
    if lazy:
        return ds
    return _compute_dataset(ds, scheduler, progress)


def _sweep_numpy(plan: _Plan, progress: bool | None) -> xr.Dataset:
    ndim = len(plan.dims)
    values = {}
    for k, d in enumerate(plan.dims):
        shape = [1] * ndim
        shape[k] = plan.grids[d].size
        values[d] = plan.grids[d].reshape(shape)
    n = math.prod(plan.shape)
    batches = -(-n // BATCH)
    with _progress_bar(_progress_enabled(progress, batches), n, "sweep") as advance:
        data = _solve_values(plan.kernel, values, on_batch=advance)
    return _assemble(plan, data)


def _sweep_dask(plan: _Plan, chunks: tuple[int, ...]) -> xr.Dataset:
    import xarray as xr

    inputs = [
        xr.DataArray(plan.grids[d], dims=(d,)).chunk({d: c})
        for d, c in zip(plan.dims, chunks, strict=True)
    ]
    outs = xr.apply_ufunc(
        _ufunc_kernel,
        *inputs,
        kwargs={"kernel": plan.kernel},
        dask="parallelized",
        output_core_dims=[[] for _ in VARIABLES],
        output_dtypes=[np.dtype(dt) for dt, _, _ in VARIABLES.values()],
    )
    data = {
        name: out.transpose(*plan.dims).data for name, out in zip(VARIABLES, outs, strict=True)
    }
    return _assemble(plan, data)


def _compute_dataset(ds: xr.Dataset, scheduler: Any, progress: bool | None) -> xr.Dataset:
    nblocks = math.prod(len(c) for c in ds.chunks.values())
    enabled = _progress_enabled(progress, nblocks)
    with _scheduler(scheduler) as (kind, sched):
        if kind == "local":
            if not enabled:
                return ds.compute(scheduler=sched)
            from dask.callbacks import Callback
            from dask.core import flatten

            outputs = set(flatten(ds.__dask_keys__()))

            def posttask(key: Any, *args: Any) -> None:
                if key in outputs:
                    advance(1)

            with (
                _progress_bar(True, len(outputs), "sweep") as advance,
                Callback(posttask=posttask),
            ):
                return ds.compute(scheduler=sched)
        from distributed import as_completed, futures_of

        persisted = sched.persist(ds)
        futures = futures_of(persisted)
        with _progress_bar(enabled, len(futures), "sweep") as advance:
            for fut in as_completed(futures):
                fut.result()
                advance(1)
        return persisted.compute()


# ---------------------------------------------------------------------------------------------
# sweeps to a file (the engine of ``routegame sweep``) and sweep files

_OUT_SUFFIXES = (".zarr", ".nc", ".parquet", ".csv")


@attrs.frozen
class SweepReport:
    """What :func:`sweep_to_file` did.

    Attributes
    ----------
    path : pathlib.Path
        The output written.
    dims : tuple of str
        Swept dimensions, in order.
    shape : tuple of int
        Grid size along each dimension.
    chunks_total, chunks_solved : int
        Chunks of the sweep, and how many this call solved (fewer on a resumed sweep; 0 when
        the output was already complete).
    seconds : float
        Wall-clock time of the call.
    """

    path: Path
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    chunks_total: int
    chunks_solved: int
    seconds: float

    @property
    def points(self) -> int:
        """Number of games in the sweep."""
        return math.prod(self.shape)


def _table_fingerprint(path: Path) -> dict[str, Any]:
    if path.suffix.lower() == ".csv":
        raise ParameterError(
            "out",
            f"{path} is a finished CSV table, which keeps no provenance to check a resume "
            "against; pass --overwrite to recompute it",
        )
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as exc:
        raise ParameterError("out", f"{path} is not a readable Parquet file: {exc}") from None
    raw = meta.get(b"routegame")
    try:
        attrs_ = json.loads(raw) if raw is not None else None
    except json.JSONDecodeError:
        attrs_ = None
    if not isinstance(attrs_, dict) or not isinstance(attrs_.get("routegame_sweep"), str):
        raise ParameterError("out", f"{path} is not a routegame sweep table")
    return _parse_fingerprint(attrs_["routegame_sweep"], path)


def sweep_to_file(
    base: Any,
    out: str | os.PathLike[str],
    *,
    grid: Mapping[str, Any],
    chunks: int | Mapping[str, int] | str | None = None,
    scheduler: Any = None,
    tie_break: str = "strong",
    progress: bool | None = None,
    overwrite: bool = False,
    resume: bool = False,
) -> SweepReport:
    """Run a sweep into a file, refusing to clobber one: the engine of ``routegame sweep``.

    ``out`` ends in ``.zarr`` or ``.nc`` (see :func:`sweep`'s ``store``) or ``.parquet``/``.csv``
    (the sweep is solved into a hidden resumable Zarr store ``.NAME.partial.zarr`` beside it,
    then flattened by :func:`write_table` and the store removed). An existing output, or the
    unfinished store of one, is refused unless ``overwrite`` (start again) or ``resume``
    (continue the same sweep; a different sweep is refused naming the difference).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.zarr"
    >>> r = sweep_to_file("default", out, grid={"penalty": [0, 5, 10]}, chunks=2)
    >>> r.points, r.chunks_total, r.chunks_solved
    (3, 2, 2)
    >>> sweep_to_file("default", out, grid={"penalty": [0, 5, 10]}, resume=True).chunks_solved
    0
    >>> sweep_to_file("default", out, grid={"penalty": [0, 5]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: out: ...s.zarr exists; pass --overwrite to replace it ...
    """
    start = time.perf_counter()
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in _OUT_SUFFIXES:
        raise ParameterError(
            "out", f"must end in {', '.join(_OUT_SUFFIXES)}, got {str(path)!r}"
        )
    if overwrite and resume:
        raise ParameterError("resume", "cannot be combined with overwrite")
    plan = _plan(base, grid, tie_break)
    _check_scheduler(scheduler)
    dask_chunks = None if chunks is None else _normalize_chunks(chunks, plan)
    if not path.parent.exists():
        raise ParameterError("out", f"directory {path.parent} does not exist")
    partial = path if suffix == ".zarr" else _partial_path(path)
    if not overwrite and not resume:
        if path.exists():
            raise ParameterError(
                "out", f"{path} exists; pass --overwrite to replace it or --resume to continue it"
            )
        if partial.exists():
            raise ParameterError(
                "out",
                f"an unfinished sweep to {path} exists ({partial.name}); pass --resume to "
                "continue it or --overwrite to start again",
            )
    if overwrite:
        _remove(path)
        _remove(partial)

    def report(total: int, solved: int) -> SweepReport:
        return SweepReport(
            path, plan.dims, plan.shape, total, solved, time.perf_counter() - start
        )

    if suffix in (".zarr", ".nc"):
        ds, total, solved = _sweep_store(plan, path, dask_chunks, scheduler, progress, False)
        ds.close()
        return report(total, solved)
    if path.exists():  # resume of a finished table: check it is the same sweep
        _refuse_if_different(_table_fingerprint(path), plan, path)
        return report(0, 0)
    ds, total, solved = _sweep_store(plan, partial, dask_chunks, scheduler, progress, False)
    try:
        write_table(ds, path, overwrite=True)
    finally:
        ds.close()
    shutil.rmtree(partial)
    return report(total, solved)


_FILE_KEYS = ("scenario", "description", "tie_break", "chunks", "base", "grid")
_BASE_KEYS = ("task_value", "penalty", "latency", "cost", "success_prob", "names", "models")


def _grid_entry(name: str, value: Any, label: str) -> Any:
    where = f" (in {label})"
    if isinstance(value, Mapping):
        allowed = ("start", "stop", "num", "log")
        extra = [k for k in value if k not in allowed]
        if extra:
            raise ParameterError(
                f"grid.{name}.{extra[0]}", f"unknown key; allowed: {', '.join(allowed)}{where}"
            )
        for key in ("start", "stop", "num"):
            if key not in value:
                raise ParameterError(f"grid.{name}", f"missing {key} (start, stop, num){where}")
            v = value[key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ParameterError(f"grid.{name}.{key}", f"must be a number, got {v!r}{where}")
        num = value["num"]
        if not isinstance(num, int) or num < 1:
            raise ParameterError(
                f"grid.{name}.num", f"must be an integer >= 1, got {num!r}{where}"
            )
        log = value.get("log", False)
        if not isinstance(log, bool):
            raise ParameterError(f"grid.{name}.log", f"must be true or false, got {log!r}{where}")
        return linear_or_log_grid(name, value["start"], value["stop"], num, log)
    if isinstance(value, list):
        bad = [v for v in value if isinstance(v, bool) or not isinstance(v, int | float)]
        if bad:
            raise ParameterError(
                f"grid.{name}", f"must be a list of numbers, got {bad[0]!r}{where}"
            )
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    raise ParameterError(
        f"grid.{name}",
        f"must be a list of numbers or {{start, stop, num}}, got {value!r}{where}",
    )


def linear_or_log_grid(name: str, start: float, stop: float, num: int, log: bool) -> np.ndarray:
    """``num`` points from ``start`` to ``stop`` (both included), evenly or geometrically spaced.

    Examples
    --------
    >>> linear_or_log_grid("penalty", 0, 10, 3, False)
    array([ 0.,  5., 10.])
    >>> linear_or_log_grid("cost_ratio", 1, 100, 3, True)
    array([  1.,  10., 100.])
    """
    if num < 1:
        raise ParameterError(name, f"num must be an integer >= 1, got {num}")
    if num > 1 and start == stop:
        raise ParameterError(name, f"start and stop are equal ({start:g}) but num is {num}")
    if log:
        if start <= 0 or stop <= 0:
            raise ParameterError(name, "a log grid needs start > 0 and stop > 0")
        return np.geomspace(start, stop, num)
    return np.linspace(start, stop, num)


def load_sweep_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    r"""Read a TOML sweep file into the arguments of :func:`sweep` / :func:`sweep_to_file`.

    Schema::

        scenario = "default"       # a shipped scenario, or a scenario .toml (relative path)
        tie_break = "strong"       # optional
        chunks = 50                # optional: int, or a table {penalty = 50}
        [base]                     # optional: a whole game, or overrides of the scenario
        penalty = 4.0              #   task_value, penalty, latency_1 ... success_prob_2,
        cost = [1.0, 4.0]          #   or the lists latency, cost, success_prob
        [grid]                     # one entry per swept axis, in dimension order
        penalty = {start = 0, stop = 50, num = 101}   # optional: log = true
        cost_ratio = [1, 2, 4, 8]

    Returns
    -------
    dict
        ``base`` (a Scenario or GameParams), ``grid`` (dict), ``chunks`` and ``tie_break``
        (None when not given).

    Raises
    ------
    DataFormatError
        The file is not TOML (the message gives the line and column).
    ParameterError
        A key is unknown or a value out of range (the message names it and the file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = f.write_text('scenario = "default"\n[base]\npenalty = 2\n'
    ...                  '[grid]\npenalty = {start = 0, stop = 10, num = 3}\n')
    >>> spec = load_sweep_file(f)
    >>> spec["base"].params.penalty, spec["grid"]["penalty"].tolist()
    (2.0, [0.0, 5.0, 10.0])
    >>> _ = f.write_text("[grid]\npenalty = [0 1]\n")
    >>> load_sweep_file(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.DataFormatError: ...s.toml: invalid TOML: ... (at line 2, column 14)
    """
    import tomllib

    from routegame.errors import DataFormatError
    from routegame.scenarios import load_config, load_scenario

    p = Path(path)
    label = str(p)
    where = f" (in {label})"
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ParameterError(label, "no such file") from None
    except IsADirectoryError:
        raise ParameterError(label, "is a directory, not a TOML sweep file") from None
    except UnicodeDecodeError:
        raise DataFormatError(label, "not a UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if "line" not in msg:  # "(at end of document)": say which line that is
            msg = msg.replace("end of document", f"end of document, line {len(text.splitlines())}")
        raise DataFormatError(label, f"invalid TOML: {msg}") from None
    unknown = [k for k in data if k not in _FILE_KEYS]
    if unknown:
        raise ParameterError(unknown[0], f"unknown key; allowed: {', '.join(_FILE_KEYS)}{where}")
    base: Any = None
    scenario = data.get("scenario")
    if scenario is not None:
        if not isinstance(scenario, str):
            raise ParameterError("scenario", f"must be a name or a .toml path{where}")
        if scenario.endswith(".toml"):
            scen_path = Path(scenario)
            if not scen_path.is_absolute():
                scen_path = p.parent / scen_path
            base = load_config(scen_path)
        else:
            base = load_scenario(scenario)
    table = data.get("base")
    if table is not None:
        if not isinstance(table, Mapping):
            raise ParameterError("base", f"must be a table{where}")
        base = _base_from_table(table, base, label)
    grid_table = data.get("grid")
    if not isinstance(grid_table, Mapping) or not grid_table:
        raise ParameterError("grid", f"missing: give a [grid] table with at least one axis{where}")
    grid = {}
    for name, value in grid_table.items():
        if name not in AXES:
            raise ParameterError(
                f"grid.{name}", f"unknown sweep axis; allowed: {', '.join(AXES)}{where}"
            )
        grid[name] = _grid_entry(name, value, label)
    chunks = data.get("chunks")
    if chunks is not None and not (
        (isinstance(chunks, int) and not isinstance(chunks, bool)) or isinstance(chunks, Mapping)
    ):
        raise ParameterError("chunks", f"must be an integer or a table, got {chunks!r}{where}")
    tie_break = data.get("tie_break")
    if tie_break is not None and tie_break not in ("strong", "weak"):
        raise ParameterError("tie_break", f"must be 'strong' or 'weak', got {tie_break!r}{where}")
    return {
        "base": base if base is not None else load_scenario("default"),
        "grid": grid,
        "chunks": dict(chunks) if isinstance(chunks, Mapping) else chunks,
        "tie_break": tie_break,
    }


def _base_from_table(table: Mapping[str, Any], start: Any, label: str) -> Any:
    """Apply a ``[base]`` table to a scenario (overrides) or build a whole game from it."""
    where = f" (in {label})"
    allowed = _BASE_KEYS + PARAMETERS
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ParameterError(
            f"base.{unknown[0]}", f"unknown key; allowed: {', '.join(allowed)}{where}"
        )
    whole = {k: v for k, v in table.items() if k in _BASE_KEYS}
    flat = {k: v for k, v in table.items() if k in PARAMETERS}
    try:
        if start is None:
            for field in ("latency", "cost", "success_prob"):
                pair = (f"{field}_1", f"{field}_2")
                if field not in whole and all(k in flat for k in pair):
                    whole[field] = [flat.pop(k) for k in pair]
            params = GameParams.from_dict(
                {**whole, **{k: flat.pop(k) for k in ("task_value", "penalty") if k in flat}}
            )
        else:
            params = start.params
            if "models" in whole or "names" in whole:
                raise ParameterError(
                    "base", f"models and names cannot override a scenario{where}"
                )
            params = params.replace(**whole)
        lists = {
            "latency": list(params.latency),
            "cost": list(params.cost),
            "success_prob": list(params.success_prob),
        }
        changes: dict[str, Any] = {}
        for name, value in flat.items():
            if name in ("task_value", "penalty"):
                changes[name] = value
            else:
                field, k = name.rsplit("_", 1)
                lists[field][int(k) - 1] = value
                changes[field] = lists[field]
        params = params.replace(**changes) if changes else params
    except ParameterError as exc:
        if exc.reason.endswith(where):
            raise
        raise ParameterError(f"base.{exc.field}", f"{exc.reason}{where}") from None
    if params.num_models != 2:
        raise ParameterError("base", f"a sweep needs a two-model game{where}")
    if start is None:
        return params
    return attrs.evolve(start, params=params)


# ---------------------------------------------------------------------------------------------
# flat tables


def _table_blocks(ds: xr.Dataset, rows: int = 1 << 20) -> Iterator[dict[str, np.ndarray]]:
    """Flat columns of ``ds`` in grid (C) order, in slabs of at most ``rows`` points.

    A slab is whole trailing dimensions times a range of the leading one, so only the chunks it
    overlaps are loaded from a lazy (dask-backed) dataset.
    """
    dims = [str(d) for d in ds.dims]
    shape = tuple(int(ds.sizes[d]) for d in dims)
    slab = _auto_chunks(shape, rows)
    for idx in np.ndindex(*_chunk_grid(shape, slab)):
        sel = dict(zip(dims, _block_slices(idx, slab), strict=True))
        yield _flatten(ds.isel(sel).load(), dims)


def _flatten(block: xr.Dataset, dims: list[str]) -> dict[str, np.ndarray]:
    from routegame.closed_form import REGIMES

    grids = [np.asarray(block[d].values) for d in dims]
    mesh = np.meshgrid(*grids, indexing="ij") if grids else []
    cols: dict[str, np.ndarray] = {}
    coords = {d: m.reshape(-1) for d, m in zip(dims, mesh, strict=True)}
    base = [block.attrs.get(f"base_{name}") for name in PARAMETERS]
    numbers = [float(v) for v in base if isinstance(v, int | float | np.floating | np.integer)]
    if len(numbers) == len(PARAMETERS):
        kernel = _Kernel(tuple(dims), tuple(numbers), "strong")
        games = _game_arrays(kernel, {d: coords[d] for d in dims if d in AXES})
        n = coords[dims[0]].size if dims else 1
        for name in PARAMETERS:
            cols[name] = np.broadcast_to(np.asarray(games[name], dtype=float), (n,)).copy()
    for d in dims:
        if d not in cols:
            cols[d] = coords[d]
    for var in block.data_vars:
        values = np.asarray(block[var].values).reshape(-1)
        if var == "regime":
            cols[str(var)] = np.asarray(REGIMES, dtype=object)[values]
        else:
            cols[str(var)] = values
    return cols


def write_table(ds: xr.Dataset, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a sweep as a flat table, one row per grid point: Parquet (``.parquet``) or CSV.

    Columns: the eight game parameters (their values at each point, swept or fixed), any derived
    axis, then the variables; ``regime`` is written as its name. Rows are in grid (C) order: the
    last dimension varies fastest. The file is written in slabs of about 2^20 rows (bounded
    memory, also for a lazy dataset opened from a store) to a temporary file renamed into place
    at the end. Parquet files keep
    the provenance (``Dataset.attrs``) in their schema metadata under ``routegame``.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    >>> ds = sweep(g, penalty=[0, 10], cost_ratio=[2, 4])
    >>> f = write_table(ds, pathlib.Path(tempfile.mkdtemp()) / "s.csv")
    >>> t = pd.read_csv(f)
    >>> len(t), t.loc[3, ["penalty", "cost_ratio", "cost_2"]].tolist()
    (4, [10.0, 4.0, 4.0])
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ParameterError("path", f"must end in .parquet or .csv, got {str(p)!r}")
    if p.exists() and not overwrite:
        raise ParameterError("path", f"{p} exists; pass overwrite=True (--overwrite) to replace it")
    if not p.parent.exists():
        raise ParameterError("path", f"directory {p.parent} does not exist")
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        if suffix == ".parquet":
            _write_parquet(ds, tmp)
        else:
            _write_csv(ds, tmp)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return p


def _write_parquet(ds: xr.Dataset, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {
        "routegame": json.dumps({k: _jsonable(v) for k, v in ds.attrs.items()}, sort_keys=True)
    }
    writer = None
    try:
        for cols in _table_blocks(ds):
            table = pa.table(cols)
            if writer is None:
                schema = table.schema.with_metadata(meta)
                writer = pq.ParquetWriter(str(path), schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()


def _write_csv(ds: xr.Dataset, path: Path) -> None:
    import pandas as pd

    with open(path, "w", newline="") as f:
        first = True
        for cols in _table_blocks(ds):
            pd.DataFrame(cols).to_csv(f, header=first, index=False)
            first = False


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


class _CallableModule(type(sys)):  # type: ignore[misc]
    """Lets ``routegame.sweep(...)`` call :func:`sweep` while ``routegame.sweep.sweep`` and the
    module's other names keep working (the package imports this module lazily)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
