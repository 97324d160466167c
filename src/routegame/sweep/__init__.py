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

import sys
from typing import Any

from routegame.sweep.api import SweepReport, sweep, sweep_to_file
from routegame.sweep.files import load_sweep_file
from routegame.sweep.grid import AXES, PARAMETERS, linear_or_log_grid
from routegame.sweep.kernel import BATCH, VARIABLES
from routegame.sweep.meta import sweep_fingerprint
from routegame.sweep.store import write_table

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


class _CallableModule(type(sys)):  # type: ignore[misc]
    """Lets ``routegame.sweep(...)`` call :func:`sweep` while ``routegame.sweep.sweep`` and the
    module's other names keep working (the package imports this module lazily)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
