"""Benchmark: ``routegame solve --table IN.parquet --out OUT.parquet`` (goal: 1 M games/s with I/O).

For each of ``--sizes`` rows (default 1, 4 and 10 million random games, the games of
``bench_solve.random_games``) a Parquet input is written, then timed, every run in a fresh
process:

* including process start: ``routegame solve --table ... --out ... --overwrite`` (process start,
  imports, numba import and cached-kernel load, Parquet read, solve, Parquet write), with the
  compiled path off (``ROUTEGAME_JIT=0``) and on;
* in-process: a process that imports routegame, loads the kernel, solves the table once to warm
  up, then times the CLI's table function (Parquet read, checks, solve, write: process start
  and the kernel load excluded), compiled on the default threads and on 1 kernel thread, and
  the numpy path.

``--baseline-src DIR`` (a ``src`` directory of another checkout, e.g. ``git archive <commit>
src | tar -x -C /tmp/base``) runs the same compiled measurements on that code too (through
``PYTHONPATH``), alternated with this checkout's, so before and after come from the same run.
Rates are games per second of wall clock and [per CPU second] (user + system of the process:
all threads); the machine is shared, so the load (``os.getloadavg``) is printed before and after
each size. Each figure is the best of ``--repeats`` runs. Run::

    .venv/bin/python benchmarks/bench_table.py [--sizes 1000000,4000000,10000000]
        [--baseline-src /tmp/base/src] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_solve import random_games  # the same games as the array benchmark


def write_table_input(games: dict[str, np.ndarray], path: Path) -> None:
    import pandas as pd

    pd.DataFrame({
        "task_value": games["task_value"], "penalty": games["penalty"],
        "latency_1": games["latency"][:, 0], "latency_2": games["latency"][:, 1],
        "cost_1": games["cost"][:, 0], "cost_2": games["cost"][:, 1],
        "success_prob_1": games["success_prob"][:, 0],
        "success_prob_2": games["success_prob"][:, 1],
    }).to_parquet(path)


def _env(src: str | None, jit: bool) -> dict[str, str]:
    env = {**os.environ}
    if src is not None:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    if not jit:
        env["ROUTEGAME_JIT"] = "0"
    return env


def bench_table(src: Path, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of ``routegame solve --table`` in a fresh process
    (process start, imports, Parquet read and write included)."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "routegame", "solve", "--table", str(src), "--out",
                    str(out), "--overwrite"], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


_IN_PROCESS = """
import contextlib, io, sys, time
from routegame import _jit
from routegame.cli import solve_cmd
src, out, compiled, threads = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
if compiled:
    from routegame.closed_form import _compiled
    _compiled.set_threads(threads or None)
with _jit.forced(compiled), contextlib.redirect_stdout(io.StringIO()):
    solve_cmd._run_table(src, out, True, "strong", False)  # warm: imports, kernel, page cache
    t0, c0 = time.perf_counter(), time.process_time()
    solve_cmd._run_table(src, out, True, "strong", False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(wall, cpu)
"""


def table_in_process(src: Path, out: Path, compiled: bool, code: str | None = None,
                     threads: int = 0) -> tuple[float, float]:
    """Wall and CPU seconds of the ``--table`` function in a process that has already imported
    everything, loaded the kernel and solved the table once (process start excluded; Parquet
    read, checks, solve and write included). ``code``: a ``src`` directory to run instead of
    this checkout; ``threads``: kernel threads (0: the default)."""
    res = subprocess.run([sys.executable, "-c", _IN_PROCESS, str(src), str(out),
                          "1" if compiled else "0", str(threads)],
                         check=True, env=_env(code, True), capture_output=True, text=True)
    wall, cpu = res.stdout.split()[-2:]
    return float(wall), float(cpu)


def _best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The run with the least wall time, and the least CPU time of all runs."""
    return min(w for w, _ in runs), min(c for _, c in runs)


def _rate(n: int, wall_cpu: tuple[float, float]) -> str:
    wall, cpu = wall_cpu
    return f"{n / wall / 1e6:6.2f} M/s [{n / cpu / 1e6:5.2f}]"


def bench_tables(sizes: list[int], baseline: str | None, repeats: int) -> None:
    """``--table`` on Parquet files of each size: numpy path vs compiled, this code vs the
    baseline, including process start and in-process."""
    from routegame import _jit

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "routegame", "--help"], check=True,
                   stdout=subprocess.DEVNULL)
    start = time.perf_counter() - t0
    print(f"--table (Parquet in and out; cpu count {os.cpu_count()}, load "
          f"{os.getloadavg()[0]:.2f}); process start + CLI import (routegame --help): "
          f"{start:.2f} s wall")
    print("rates: M games/s of wall clock [per CPU second, all threads], best of "
          f"{repeats}; 'before' = {baseline or '(no --baseline-src)'}")
    codes: list[tuple[str, str | None]] = [("after", None)]
    if baseline is not None:
        codes.insert(0, ("before", baseline))
    jit = _jit.available()
    for n in sizes:
        load0 = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as d:
            src, out = Path(d) / "in.parquet", Path(d) / "out.parquet"
            write_table_input(random_games(n), src)
            runs: dict[str, list[tuple[float, float]]] = {}
            if jit:  # make sure every numba cache is warm (a cold one compiles for seconds)
                for _, code in codes:
                    bench_table(src, out, _env(code, True))
            for _ in range(repeats):  # alternated: the load changes from minute to minute
                for label, code in codes:
                    runs.setdefault(f"start {label} numpy", []).append(
                        bench_table(src, out, _env(code, False)))
                    if jit:
                        runs.setdefault(f"start {label} compiled", []).append(
                            bench_table(src, out, _env(code, True)))
                        runs.setdefault(f"in {label} compiled", []).append(
                            table_in_process(src, out, True, code))
                runs.setdefault("in after numpy", []).append(table_in_process(src, out, False))
                if jit:
                    runs.setdefault("in after compiled 1 thread", []).append(
                        table_in_process(src, out, True, threads=1))
        best = {k: _best(v) for k, v in runs.items()}
        print(f"{n:>11,} rows (load {load0:.2f} -> {os.getloadavg()[0]:.2f})")
        for label, _ in codes:
            line = f"    {label:6s} incl. start: numpy {_rate(n, best[f'start {label} numpy'])}"
            if jit:
                c = best[f"start {label} compiled"]
                ratio = best[f"start {label} numpy"][0] / c[0]
                line += (f"  compiled {_rate(n, c)} ({ratio:.2f}x numpy)  | in-process "
                         f"compiled {_rate(n, best[f'in {label} compiled'])}")
            print(line)
        np_in = best["in after numpy"]
        print(f"    after  in-process: numpy {_rate(n, np_in)}", end="")
        if jit:
            one = best["in after compiled 1 thread"]
            two = best["in after compiled"]
            print(f"  compiled 1 kernel thread {_rate(n, one)}; default threads / 1 thread "
                  f"{one[0] / two[0]:.2f}x; compiled / numpy {np_in[0] / two[0]:.2f}x")
            if baseline is not None:
                for where in ("start", "in"):
                    b, a = best[f"{where} before compiled"], best[f"{where} after compiled"]
                    print(f"    after / before ({'incl. start' if where == 'start' else 'in-process'})"
                          f": wall {b[0] / a[0]:.2f}x, per CPU s {b[1] / a[1]:.2f}x")
            for where, key in (("in-process", "in after compiled"),
                               ("incl. process start", "start after compiled")):
                ok = n / best[key][0] >= 1e6
                print(f"    goal 1e6 games/s {where}: {'met' if ok else 'NOT met'} "
                      f"({n / best[key][0] / 1e6:.2f} M/s wall)")
        else:
            print()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,4000000,10000000",
                    help="rows of the input tables, comma separated")
    ap.add_argument("--baseline-src", default=None,
                    help="a src directory of another checkout, timed in the same run")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    bench_tables([int(v) for v in args.sizes.split(",")], args.baseline_src, args.repeats)


if __name__ == "__main__":
    main()
