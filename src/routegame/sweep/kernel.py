"""The sweep kernel: the parameters of a block of games -> the output arrays.

:func:`_solve_flat` is the one place where a sweep calls the solver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    pass
from routegame.sweep.grid import _auto_chunks, _block_slices, _chunk_grid, _game_arrays, _Kernel

__all__ = ['BATCH', 'VARIABLES']


#: Games solved per call of the solver (bounds its temporaries at ~1 kB per game).
BATCH = 1 << 16

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
