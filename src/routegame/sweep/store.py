"""The store: a Zarr directory written chunk by chunk with a per-chunk completion record, netCDF,
flat tables, and the lock that keeps two runs out of one store.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
from routegame.sweep.execute import (
    _compute_distributed,
    _compute_local,
    _progress_bar,
    _progress_enabled,
    _scheduler,
)
from routegame.sweep.grid import (
    AXES,
    PARAMETERS,
    _auto_chunks,
    _block_slices,
    _chunk_grid,
    _game_arrays,
    _Kernel,
    _Plan,
)
from routegame.sweep.kernel import VARIABLES, _solve_values
from routegame.sweep.meta import (
    _coords,
    _dataset_attrs,
    _fingerprint,
    _jsonable,
    _mismatch,
    _parse_fingerprint,
    _var_attrs,
)
from routegame.sweep.resources import check_budget, store_lock

__all__ = ['write_table']


_RECORD = "_sweep"  # zarr subgroup holding the per-chunk completion record

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

def _refuse_if_different(stored: Mapping[str, Any], plan: _Plan, path: Path) -> None:
    diff = _mismatch(stored, _fingerprint(plan))
    if diff is not None:
        raise ParameterError(
            "store",
            f"{path} holds a different sweep: {diff}; pass overwrite=True "
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

    from routegame.io import atomic_write

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
        with atomic_write(path, overwrite=True, field="store") as tmp:
            ds.to_netcdf(tmp, engine=engine, encoding=encoding)
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
    if not path.exists():
        check_budget(math.prod(plan.shape), field="store", target=path, kind="store")
    with store_lock(path, "store"):
        return _sweep_store_locked(plan, path, chunks, scheduler, progress, overwrite)


def _sweep_store_locked(
    plan: _Plan,
    path: Path,
    chunks: tuple[int, ...] | None,
    scheduler: Any,
    progress: bool | None,
    overwrite: bool,
) -> tuple[xr.Dataset, int, int]:
    suffix = path.suffix.lower()
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

def _table_fingerprint(path: Path) -> dict[str, Any]:
    if path.suffix.lower() == ".csv":
        raise ParameterError(
            "out",
            f"{path} is a finished CSV table, which keeps no provenance to check a resume "
            "against; pass overwrite=True to recompute it",
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
    last dimension varies fastest. Written by :func:`routegame.io.write_table` in slabs of about
    2^20 rows (bounded memory, also for a lazy dataset opened from a store), atomically. Parquet
    files keep the provenance (``Dataset.attrs``) in their schema metadata under ``routegame``.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> from routegame import GameParams
    >>> from routegame.sweep import sweep
    >>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    >>> ds = sweep(g, penalty=[0, 10], cost_ratio=[2, 4])
    >>> f = write_table(ds, pathlib.Path(tempfile.mkdtemp()) / "s.csv")
    >>> t = pd.read_csv(f)
    >>> len(t), t.loc[3, ["penalty", "cost_ratio", "cost_2"]].astype(float).tolist()
    (4, [10.0, 4.0, 4.0])
    """
    from routegame import io

    p = Path(path)
    if p.suffix.lower() not in (".parquet", ".csv"):
        raise ParameterError("path", f"must end in .parquet or .csv, got {str(p)!r}")
    meta = {
        "routegame": json.dumps({k: _jsonable(v) for k, v in ds.attrs.items()}, sort_keys=True)
    }
    return io.write_table(_table_blocks(ds), p, overwrite=overwrite, field="path", metadata=meta)
