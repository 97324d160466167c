"""The front-end: :func:`sweep` (a grid of games -> an ``xarray.Dataset``) and :func:`sweep_to_file`.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
from routegame.sweep.execute import _check_scheduler, _compute_dataset, _sweep_dask, _sweep_numpy
from routegame.sweep.grid import _auto_chunks, _normalize_chunks, _Plan, _plan
from routegame.sweep.resources import check_budget, store_lock
from routegame.sweep.store import (
    _partial_path,
    _refuse_if_different,
    _remove,
    _sweep_store,
    _table_fingerprint,
    write_table,
)

__all__ = ['SweepReport', 'sweep', 'sweep_to_file']


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

    A heterogeneous ``base`` (a shipped ``lcb-...`` scenario or a ``routegame calibrate``
    TOML: a task table) is solved by :func:`routegame.sweep.hetero.hetero_sweep` (same
    variables; axes ``task_value``, ``penalty``, ``latency_1/2``, ``cost_1/2``; in memory, so
    no ``chunks``/``store``/``scheduler``/``lazy``).

    Returns
    -------
    xarray.Dataset
        Dimensions: the swept axes. Variables (see :data:`VARIABLES`): ``route``, ``cascade``,
        ``abandon``, ``provider_cost``, ``user_utility``, ``success``, ``regime`` (code into
        :data:`routegame.REGIMES`; ``flag_values``/``flag_meanings`` in its attrs), ``s0``,
        ``s_low``, ``s_high``, ``net_value_1``, ``net_value_2``, ``pref_route``,
        ``pref_cascade``, ``pref_user_utility``, ``pref_provider_cost``, ``misalignment_gap``,
        ``price_of_alignment``, ``throttling_pays``, ``throttling_gain``,
        ``weak_provider_cost``, ``weak_attained`` (names, units and descriptions from
        :meth:`routegame.GameResult.variables`). ``attrs``: base game
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
    from routegame.sweep.hetero import hetero_base, hetero_sweep, refuse_options

    if hetero_base(base) is not None:  # a task table: routegame.sweep.hetero (in memory)
        refuse_options(chunks=chunks, store=store, scheduler=scheduler, lazy=lazy,
                       overwrite=overwrite)
        return hetero_sweep(base, all_grids, tie_break=tie_break)
    plan = _plan(base, all_grids, tie_break)
    _check_scheduler(scheduler)
    dask_chunks = None
    if chunks is not None:
        dask_chunks = _normalize_chunks(chunks, plan)
    elif scheduler is not None:
        dask_chunks = _auto_chunks(plan.shape)
    if store is not None:
        return _sweep_store(plan, store, dask_chunks, scheduler, progress, overwrite)[0]
    if not lazy:
        check_budget(math.prod(plan.shape), field="grid")
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
    routegame.errors.ParameterError: out: ...s.zarr exists; pass overwrite=True to replace it ...
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
    from routegame.sweep.hetero import hetero_base, hetero_sweep_to_file, refuse_options

    if hetero_base(base) is not None:  # a task table: routegame.sweep.hetero (in memory)
        refuse_options(chunks=chunks, scheduler=scheduler, resume=resume)
        return hetero_sweep_to_file(base, path, grid, tie_break=tie_break, overwrite=overwrite)
    plan = _plan(base, grid, tie_break)
    _check_scheduler(scheduler)
    dask_chunks = None if chunks is None else _normalize_chunks(chunks, plan)
    if not path.parent.exists():
        raise ParameterError("out", f"directory {path.parent} does not exist")
    kind = {".zarr": "store", ".nc": "store", ".csv": "csv"}.get(suffix, "parquet")
    check_budget(math.prod(plan.shape), field="out", target=path, kind=kind)
    with store_lock(path, "out"):
        return _sweep_to_file_locked(
            plan, path, dask_chunks, scheduler, progress, overwrite, resume, start
        )


def _sweep_to_file_locked(
    plan: _Plan,
    path: Path,
    dask_chunks: tuple[int, ...] | None,
    scheduler: Any,
    progress: bool | None,
    overwrite: bool,
    resume: bool,
    start: float,
) -> SweepReport:
    suffix = path.suffix.lower()
    partial = path if suffix == ".zarr" else _partial_path(path)
    if not overwrite and not resume:
        if path.exists():
            raise ParameterError(
                "out", f"{path} exists; pass overwrite=True to replace it or resume=True to continue it"
            )
        if partial.exists():
            raise ParameterError(
                "out",
                f"an unfinished sweep to {path} exists ({partial.name}); pass resume=True to "
                "continue it or overwrite=True to start again",
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
