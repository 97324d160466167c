"""Resources checked before a sweep starts: memory and disk estimates, and the store lock.

* :func:`check_grid_size` refuses a 1-D grid whose values alone would not fit in memory, before
  ``numpy.linspace`` allocates it.
* :func:`check_budget` estimates the memory an in-memory sweep needs (its output arrays) or the
  disk a store or table needs (uncompressed, an upper bound) and refuses, in one line naming
  the option, the estimate and what is free, when it does not fit.
* :func:`store_lock` takes an exclusive lock (``fcntl.flock``) on ``.<name>.routegame-lock``
  beside an output, so a second run into the same output is refused in one line instead of
  corrupting it; the lock file is removed when the run ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from routegame.io.errors import ResourceError
from routegame.sweep.kernel import VARIABLES

__all__ = ["BYTES_PER_POINT", "available_memory", "check_budget", "check_grid_size", "store_lock"]

#: Bytes of output per grid point (all variables, uncompressed).
BYTES_PER_POINT = sum(np.dtype(dt).itemsize for dt, _, _ in VARIABLES.values())
#: Bytes per row of a CSV table (about 20 significant digits per column), an upper estimate.
CSV_BYTES_PER_POINT = 24 * (len(VARIABLES) + 10)
_MEMORY_SHARE = 0.5  # refuse an in-memory sweep that needs more than this share of free memory


def _fmt(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(n) < 1024 or unit == "EiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def available_memory() -> int:
    """Memory available to a new allocation (``MemAvailable`` on Linux), in bytes."""
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 1 << 62


def check_grid_size(field: str, num: float) -> None:
    """Refuse a grid of ``num`` points whose values would not fit in memory.

    Examples
    --------
    >>> check_grid_size("--grid penalty", 3e30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.io.errors.ResourceError: --grid penalty: 3e+30 points need ... of memory ...
    """
    need = float(num) * 8
    free = available_memory()
    if need > _MEMORY_SHARE * free:
        raise ResourceError(
            field,
            f"{num:.4g} points need {_fmt(need)} of memory for the grid alone; "
            f"{_fmt(free)} available: use fewer points",
        )


def check_budget(
    points: int, *, field: str, target: str | os.PathLike[str] | None = None, kind: str = "memory"
) -> None:
    """Refuse a sweep of ``points`` games that does not fit (see the module docstring).

    ``kind`` is ``"memory"`` (the result is held in memory), ``"store"`` (Zarr/netCDF at
    ``target``) or ``"csv"``/``"parquet"`` (a table at ``target``, built through a store).
    """
    if kind == "memory":
        need = points * BYTES_PER_POINT
        free = available_memory()
        if need > _MEMORY_SHARE * free:
            raise ResourceError(
                field,
                f"the sweep has {points:,} points and needs about {_fmt(need)} of memory; "
                f"{_fmt(free)} available: write it to a store (--out X.zarr, store=...), which "
                "is solved chunk by chunk, or use fewer points",
            )
        return
    assert target is not None
    per_point = BYTES_PER_POINT + (CSV_BYTES_PER_POINT if kind == "csv" else 0)
    need = points * per_point
    directory = Path(target).parent
    try:
        free = shutil.disk_usage(directory if directory.is_dir() else ".").free
    except OSError:  # pragma: no cover
        return
    if need > free:
        raise ResourceError(
            field,
            f"the sweep has {points:,} points and needs up to {_fmt(need)} of disk "
            f"(uncompressed); {_fmt(free)} free in {directory}: use fewer points or "
            "another disk",
        )


_HELD: dict[Path, int] = {}  # lock file -> depth (a lock is reentrant within a process)


@contextlib.contextmanager
def store_lock(target: str | os.PathLike[str], field: str = "store") -> Iterator[None]:
    """Hold an exclusive lock on ``target`` (an output path) for the duration of the block.

    Raises
    ------
    ResourceError
        Another process holds the lock (one line naming the output and that process).
    """
    t = Path(target).absolute()
    lock = t.parent / f".{t.name}.routegame-lock"
    if _HELD.get(lock):
        _HELD[lock] += 1
        try:
            yield
        finally:
            _HELD[lock] -= 1
        return
    import fcntl

    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ResourceError(
                field,
                f"{target} is being written by another routegame run (pid {other}); "
                "wait for it to finish or choose another path",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _HELD[lock] = 1
        try:
            yield
        finally:
            del _HELD[lock]
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
    finally:
        os.close(fd)
