"""Running a sweep: numpy batches, dask (threads, processes or a dask.distributed cluster), progress.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.closed_form.provider import prepare_compiled
from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
from routegame.sweep.grid import _Plan
from routegame.sweep.kernel import BATCH, VARIABLES, _solve_values, _ufunc_kernel
from routegame.sweep.meta import _assemble

__all__ = []


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
    try:  # the loop of this client: it need not be the default one (set_as_default=False)
        for fut in as_completed(futures, loop=client.loop):
            fut.result()  # re-raises a task's exception here
            advance(1)
    finally:
        client.cancel(futures)

def _sweep_numpy(plan: _Plan, progress: bool | None) -> xr.Dataset:
    ndim = len(plan.dims)
    values = {}
    for k, d in enumerate(plan.dims):
        shape = [1] * ndim
        shape[k] = plan.grids[d].size
        values[d] = plan.grids[d].reshape(shape)
    n = math.prod(plan.shape)
    prepare_compiled(n)  # a large sweep loads the compiled kernel once, for all its batches
    batches = -(-n // BATCH)
    with _progress_bar(_progress_enabled(progress, batches), n, "sweep") as advance:
        data = _solve_values(plan.kernel, values, on_batch=advance)
    return _assemble(plan, data)

def _sweep_dask(plan: _Plan, chunks: tuple[int, ...]) -> xr.Dataset:
    import xarray as xr

    prepare_compiled(math.prod(plan.shape))  # for the chunks solved in this process (threads)

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
            for fut in as_completed(futures, loop=sched.loop):
                fut.result()
                advance(1)
        return sched.compute(persisted).result()
