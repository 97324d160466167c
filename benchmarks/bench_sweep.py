"""Benchmark of parameter sweeps (``routegame.sweep``): time and peak memory.

Configurations, all solving the same grid of ``--points`` games (a 3-D grid penalty × cost_ratio
× task_value around the ``default`` scenario) in one run:

* ``array_api``: the grid's games as flat arrays, one call of :func:`routegame.solve_arrays`
  (the reference: no labels, no chunking);
* ``numpy``: :func:`routegame.sweep.sweep` without chunks (numpy, batches of 2^16 games);
* ``dask_threads``: ``sweep(..., chunks=...)`` on dask's threaded scheduler, result in memory;
* ``distributed``: the same on a local ``dask.distributed`` cluster (2 worker processes,
  1 thread each, warmed up by a tiny sweep first), result gathered into this process;
* ``distributed_store``: the same cluster streaming to a Zarr store (the workers write their
  chunks; nothing is gathered);
* ``store_small``, ``store_large``: ``sweep(..., store="x.zarr", chunks=...)`` on dask threads,
  streaming to a Zarr store, for two chunk sizes (``--chunk-small``, ``--chunk-large``, rounded
  to whole rows of the leading dimension). Memory here must stay bounded by the chunk size,
  not by the grid (this is what lets a sweep larger than memory run).

Every configuration runs in a fresh subprocess. Memory is measured two ways: the kernel's
high-water mark of the subprocess (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and, with
psutil installed, the resident set of the subprocess plus all its children (worker processes)
sampled every 10 ms; the table reports the larger one, minus the resident set after imports
and before solving ("extra"). Times are wall-clock (``time.perf_counter``) of the solve alone.

Run: ``python benchmarks/bench_sweep.py [--points N] [--configs a,b,...] [--json]``. It is not
collected by the test suite (pyproject's testpaths are ``tests`` and ``src/routegame``, and
functions are named ``bench_*``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

CONFIGS = (
    "array_api",
    "numpy",
    "dask_threads",
    "distributed",
    "distributed_store",
    "store_small",
    "store_large",
)


# ---------------------------------------------------------------------------------------------
# the grid


def grid_for(points: int) -> dict[str, np.ndarray]:
    """A 3-D grid of about ``points`` games: penalty × cost_ratio × task_value."""
    side = max(1, round(points ** (1 / 3)))
    n_v = side
    n_c = side
    n_p = max(1, round(points / (n_v * n_c)))
    return {
        "penalty": np.linspace(0.0, 60.0, n_p),
        "cost_ratio": np.geomspace(0.5, 20.0, n_c),
        "task_value": np.geomspace(2.0, 50.0, n_v),
    }


def _base() -> Any:
    """The base game, after warming up: imports and one tiny sweep are not part of the timing."""
    from routegame.scenarios import load_scenario
    from routegame.sweep import sweep

    base = load_scenario("default")
    sweep(base, penalty=[1.0, 2.0], progress=False)
    # the compiled kernel's one-time load (numba import + cached machine code, ~1 s; see
    # bench_solve.py for the first-call latency) is part of the warm-up, as the imports are
    from routegame.closed_form.provider import prepare_compiled

    prepare_compiled(10**9)
    sweep(base, penalty=[1.0, 2.0], chunks=1, progress=False)
    import zarr  # noqa: F401

    return base


# ---------------------------------------------------------------------------------------------
# memory measurement


def _rss_tree() -> int:
    import psutil

    proc = psutil.Process()
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with suppress(psutil.Error):
            total += child.memory_info().rss
    return int(total)


@contextmanager
def peak_memory() -> Iterator[dict[str, Any]]:
    """Measure the peak resident memory of this process (+ children, with psutil)."""
    out: dict[str, Any] = {}
    try:
        import psutil  # noqa: F401

        have_psutil = True
    except ImportError:
        have_psutil = False
    stop = threading.Event()
    peak = [0]
    if have_psutil:
        out["baseline"] = _rss_tree()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_tree())
                stop.wait(0.01)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
    else:
        out["baseline"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        yield out
    finally:
        stop.set()
        if have_psutil:
            thread.join()
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out["peak"] = max(peak[0], maxrss)
        out["method"] = "psutil tree + ru_maxrss" if have_psutil else "ru_maxrss"


# ---------------------------------------------------------------------------------------------
# the configurations (each runs in its own subprocess)


def _output_bytes(ds: Any) -> int:
    return int(sum(ds[v].dtype.itemsize for v in ds.data_vars) * math.prod(ds.sizes.values()))


def bench_array_api(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """One call of solve_arrays on the flat arrays of the grid's games."""
    from routegame import solve_arrays

    g = grid_for(points)
    base = _base().params
    P, R, V = np.meshgrid(g["penalty"], g["cost_ratio"], g["task_value"], indexing="ij")
    n = P.size
    t = np.broadcast_to(base.latency, (n, 2))
    c = np.empty((n, 2))
    c[:, 0] = base.cost[0]
    c[:, 1] = R.reshape(-1) * base.cost[0]
    p = np.broadcast_to(base.success_prob, (n, 2))
    V, P = V.reshape(-1), P.reshape(-1)
    del R
    with peak_memory() as mem:
        start = time.perf_counter()
        sol = solve_arrays(V, P, t, c, p)
        seconds = time.perf_counter() - start
    import attrs

    out_bytes = sum(v.nbytes for v in attrs.asdict(sol).values() if isinstance(v, np.ndarray))
    return {"points": n, "seconds": seconds, "memory": mem, "chunk": None,
            "output_bytes": out_bytes}


def _sweep_kwargs(points: int) -> dict[str, Any]:
    return dict(grid_for(points))


def bench_numpy(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """sweep() without chunks: numpy in this process."""
    from routegame.sweep import sweep

    base = _base()
    grid = _sweep_kwargs(points)
    with peak_memory() as mem:
        start = time.perf_counter()
        ds = sweep(base, progress=False, **grid)
        seconds = time.perf_counter() - start
    return {"points": math.prod(ds.sizes.values()), "seconds": seconds, "memory": mem,
            "chunk": None, "output_bytes": _output_bytes(ds)}


def _chunks_for(grid: dict[str, np.ndarray], chunk: int) -> dict[str, int]:
    """Chunk the leading dimension so a chunk holds about ``chunk`` points."""
    inner = len(grid["cost_ratio"]) * len(grid["task_value"])
    return {"penalty": max(1, chunk // inner)}


def bench_dask_threads(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """sweep(chunks=...) on dask's threaded scheduler, result in memory."""
    from routegame.sweep import sweep

    base = _base()
    grid = _sweep_kwargs(points)
    chunks = _chunks_for(grid, chunk)
    with peak_memory() as mem:
        start = time.perf_counter()
        ds = sweep(base, chunks=chunks, progress=False, **grid)
        seconds = time.perf_counter() - start
    return {"points": math.prod(ds.sizes.values()), "seconds": seconds, "memory": mem,
            "chunk": chunks, "output_bytes": _output_bytes(ds)}


def bench_distributed(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """sweep(chunks=..., scheduler=client) on a local cluster of 2 worker processes."""
    from distributed import Client, LocalCluster

    from routegame.sweep import sweep

    base = _base()
    grid = _sweep_kwargs(points)
    chunks = _chunks_for(grid, chunk)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit=0) as cluster, Client(cluster) as client:
        # warm the workers (imports, first task) outside the timing
        sweep(base, chunks=1, scheduler=client, progress=False, penalty=[1.0, 2.0, 3.0, 4.0])
        with peak_memory() as mem:
            start = time.perf_counter()
            ds = sweep(base, chunks=chunks, scheduler=client, progress=False, **grid)
            seconds = time.perf_counter() - start
    return {"points": math.prod(ds.sizes.values()), "seconds": seconds, "memory": mem,
            "chunk": chunks, "output_bytes": _output_bytes(ds)}


def bench_distributed_store(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """sweep(chunks=..., scheduler=client, store=...): the workers write the store themselves."""
    from distributed import Client, LocalCluster

    from routegame.sweep import sweep

    base = _base()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit=0) as cluster, Client(cluster) as client:
        sweep(base, chunks=1, scheduler=client, progress=False, penalty=[1.0, 2.0, 3.0, 4.0])
        return _bench_store(points, chunk, workdir, scheduler=client, warm=False)


def _bench_store(points: int, chunk: int, workdir: Path, scheduler: Any = None,
                 warm: bool = True) -> dict[str, Any]:
    from routegame.scenarios import load_scenario
    from routegame.sweep import sweep

    base = _base() if warm else load_scenario("default")
    grid = _sweep_kwargs(points)
    chunks = _chunks_for(grid, chunk)
    store = workdir / f"sweep-{chunk}.zarr"
    with peak_memory() as mem:
        start = time.perf_counter()
        ds = sweep(base, chunks=chunks, store=store, scheduler=scheduler, progress=False, **grid)
        seconds = time.perf_counter() - start
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    out = {"points": math.prod(ds.sizes.values()), "seconds": seconds, "memory": mem,
           "chunk": chunks, "output_bytes": _output_bytes(ds), "store_bytes": size}
    shutil.rmtree(store)
    return out


def bench_store_small(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """Streaming to a Zarr store with the small chunk size."""
    return _bench_store(points, chunk, workdir)


def bench_store_large(points: int, chunk: int, workdir: Path) -> dict[str, Any]:
    """Streaming to a Zarr store with the large chunk size."""
    return _bench_store(points, chunk, workdir)


BENCHES: dict[str, Callable[[int, int, Path], dict[str, Any]]] = {
    "array_api": bench_array_api,
    "numpy": bench_numpy,
    "dask_threads": bench_dask_threads,
    "distributed": bench_distributed,
    "distributed_store": bench_distributed_store,
    "store_small": bench_store_small,
    "store_large": bench_store_large,
}


# ---------------------------------------------------------------------------------------------
# driver


def _run_child(config: str, points: int, chunk: int, workdir: Path,
               jit: bool = True) -> dict[str, Any]:
    """Run one configuration in a subprocess; ``jit=False`` switches the compiled kernel off
    (``ROUTEGAME_JIT=0``: the numpy path, i.e. the solver before issue 10)."""
    cmd = [sys.executable, __file__, "--child", config, "--points", str(points),
           "--chunk", str(chunk), "--workdir", str(workdir)]
    env = {**os.environ, "ROUTEGAME_JIT": "1" if jit else "0"}
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    label = config if jit else f"{config}[numpy]"
    if res.returncode != 0:
        return {"config": label, "error": res.stderr.strip().splitlines()[-1:]}
    return {**json.loads(res.stdout.strip().splitlines()[-1]), "config": label}


def _mb(x: float) -> str:
    return f"{x / 2**20:,.0f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**6,
                        help="games in the sweep (default 10^6; the target is 10^7)")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {','.join(CONFIGS)}")
    parser.add_argument("--chunk-small", type=int, default=2**15,
                        help="points per chunk of store_small (default 2^15)")
    parser.add_argument("--chunk-large", type=int, default=2**18,
                        help="points per chunk of store_large and the dask runs (default 2^18)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--jit", choices=("both", "on", "off"), default="both",
                        help="compiled kernel on, off (numpy path), or both in one run "
                             "(default; '[numpy]' rows are the numpy path)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, default=2**18, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = BENCHES[args.child](args.points, args.chunk, Path(args.workdir))
        print(json.dumps(result))
        return

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in BENCHES]
    if unknown:
        parser.error(f"unknown config {unknown[0]!r}; known: {', '.join(CONFIGS)}")
    workdir = Path(tempfile.mkdtemp(prefix="bench_sweep-"))
    results = []
    try:
        for config in configs:
            chunk = args.chunk_small if config == "store_small" else args.chunk_large
            for jit in {"both": (False, True), "on": (True,), "off": (False,)}[args.jit]:
                results.append(_run_child(config, args.points, chunk, workdir, jit))
            if not args.json:
                print(f"  done {config}", file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    import routegame

    shape = [len(v) for v in grid_for(args.points).values()]
    print(f"routegame {routegame.__version__}: sweep of {math.prod(shape):,} games "
          f"(penalty x cost_ratio x task_value = {' x '.join(map(str, shape))}), "
          f"{os.cpu_count()} CPUs")
    head = (f"{'config':<26}{'chunk (points)':>16}{'seconds':>10}{'games/s':>12}"
            f"{'peak MB':>10}{'extra MB':>10}{'output MB':>11}")
    print(head)
    print("-" * len(head))
    inner = shape[1] * shape[2]
    method = ""
    for r in results:
        if "error" in r:
            print(f"{r['config']:<26} failed: {r['error']}")
            continue
        mem = r["memory"]
        method = mem["method"]
        chunk = r["chunk"]
        chunk_pts = "-" if chunk is None else f"{min(chunk['penalty'], shape[0]) * inner:,}"
        out_mb = _mb(r["output_bytes"]) if "output_bytes" in r else "-"
        print(f"{r['config']:<26}{chunk_pts:>16}{r['seconds']:>10.1f}"
              f"{r['points'] / r['seconds']:>12,.0f}{_mb(mem['peak']):>10}"
              f"{_mb(mem['peak'] - mem['baseline']):>10}{out_mb:>11}")
    print(f"memory: {method}; 'extra' = peak minus the resident set before solving; "
          "'output' = size of the dataset's variables")
    rate = {r["config"]: r["points"] / r["seconds"] for r in results if "error" not in r}
    for name in configs:
        if name in rate and f"{name}[numpy]" in rate:
            print(f"{name}: compiled / numpy path = {rate[name] / rate[name + '[numpy]']:.1f}x "
                  f"(same run, load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
