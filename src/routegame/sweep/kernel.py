"""The sweep kernel: the parameters of a block of games -> the output arrays.

:func:`_solve_flat` is the one place where a sweep calls the solver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from routegame.sweep.grid import _auto_chunks, _block_slices, _chunk_grid, _game_arrays, _Kernel

__all__ = ['BATCH', 'SWEEP_VARIABLES', 'VARIABLES']


#: Games solved per call of the solver (bounds its temporaries at ~1 kB per game).
BATCH = 1 << 16

#: The variables a sweep stores, in this order: a selection of the flat variables of the one
#: result type (:meth:`routegame.GameResult.variables`), whose field metadata gives each its
#: dtype, unit and description (docs/sweeps.md lists them).
SWEEP_VARIABLES: tuple[str, ...] = (
    "route", "cascade", "abandon", "provider_cost", "user_utility", "success", "regime",
    "s0", "s_low", "s_high", "net_value_1", "net_value_2",
    "pref_route", "pref_cascade", "pref_user_utility", "pref_provider_cost",
    "misalignment_gap", "price_of_alignment", "throttling_pays", "throttling_gain",
    "weak_provider_cost", "weak_attained",
)


def _variables() -> dict[str, tuple[str, str, str]]:
    from routegame.model.results import GameResult

    every = GameResult.variables()
    return {name: (every[name]["dtype"], every[name]["units"], every[name]["description"])
            for name in SWEEP_VARIABLES}


#: Output variables: name -> (dtype, unit kind, long name), from GameResult's field metadata.
#: Unit kinds "latency" and "cost" are replaced by the base game's units; "probability" and "1"
#: (dimensionless) are kept.
VARIABLES: dict[str, tuple[str, str, str]] = _variables()


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
    """The output variables of a flat batch of games (one solve_arrays call), taken by name
    from the result's flat variables (:meth:`routegame.GameResult.data_vars`)."""
    from routegame.closed_form import solve_arrays

    sol = solve_arrays(
        f["task_value"],
        f["penalty"],
        np.stack([f["latency_1"], f["latency_2"]], axis=-1),
        np.stack([f["cost_1"], f["cost_2"]], axis=-1),
        np.stack([f["success_prob_1"], f["success_prob_2"]], axis=-1),
        tie_break=kernel.tie_break,
    )
    flat = sol.data_vars()
    return {name: np.asarray(flat[name][0]).astype(dtype, copy=False)
            for name, (dtype, _, _) in VARIABLES.items()}


def _ufunc_kernel(*blocks: np.ndarray, kernel: _Kernel) -> tuple[np.ndarray, ...]:
    """``apply_ufunc`` entry point: blocks of the swept coordinates, in ``kernel.dims`` order."""
    res = _solve_values(kernel, dict(zip(kernel.dims, blocks, strict=True)))
    return tuple(res[name] for name in VARIABLES)
