"""Benchmark: the two-model solver through the array API and the numeric engine.

Same run, same games: the numpy path (``_jit.forced(False)``), the compiled kernel
(``closed_form._compiled``, numba) on 1 and 2 threads, and the memory-bound baseline (one fused
numpy pass that reads the same inputs and writes the same outputs once: the floor no kernel can
beat). The first-call latency of the compiled path is measured in fresh processes: cold numba
cache (compile) and warm cache (load). ``routegame solve --table`` has its own benchmark,
``benchmarks/bench_table.py``.

Equilibrium (strong and weak), thresholds, misalignment and throttling for N random games
(default 10^6) through ``routegame.solve_arrays``, and for a sample through the independent
numerical engine (``routegame.markov.numeric.numeric_equilibrium`` + ``numeric_user_preferred``:
the engine's throttling search is far slower still, so it is left out, which flatters the
baseline). Prints games per second for each and the ratios. Run::

    .venv/bin/python benchmarks/bench_solve.py [--games 1000000] [--numeric-sample 40]

numpy's element-wise kernels use one core; the compiled kernel uses ``numba`` threads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np


def random_games(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.sort(rng.uniform(0.02, 0.98, (n, 2)), axis=1)
    t = np.sort(rng.uniform(0.1, 10, (n, 2)), axis=1)
    c = np.sort(rng.uniform(0, 10, (n, 2)), axis=1)
    return {"task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
            "latency": t, "cost": c, "success_prob": p}


#: Best CPU seconds of this thread seen by the last :func:`_best` (a loaded machine steals
#: wall time; the thread's CPU time is what the work itself took on one core).
LAST_CPU = [np.inf]


def _best(fn: Any, repeats: int = 3) -> float:
    """Best wall seconds of ``repeats`` calls (the best thread CPU seconds go to LAST_CPU)."""
    best = cpu = np.inf
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.thread_time() - c0)
    LAST_CPU[0] = cpu
    return best


def memory_baseline(games: dict[str, np.ndarray]) -> float:
    """Seconds of one fused pass: read every input once, write every output of solve_arrays once.

    The outputs (floats, int64 codes, bools, two (n, 2) arrays: 37 arrays, ~300 bytes per game)
    are allocated and written from one combination of the 8 inputs (64 bytes per game), so the
    time is that of memory traffic alone.
    """
    from routegame.closed_form import _compiled

    V, P = games["task_value"], games["penalty"]
    t, c, p = games["latency"], games["cost"], games["success_prob"]
    n = V.shape[0]

    def once() -> None:
        x = V + P + t[:, 0] + t[:, 1] + c[:, 0] + c[:, 1] + p[:, 0] + p[:, 1]
        F = np.empty((len(_compiled.FLOAT_OUT), n))
        F[...] = x
        I = np.empty((len(_compiled.INT_OUT), n), dtype=np.int64)  # noqa: E741
        I[...] = x
        B = np.empty((len(_compiled.BOOL_OUT), n), dtype=bool)
        B[...] = x > 0
        pair = np.empty((2, n, 2))
        pair[...] = x[:, None]

    return _best(once)


def bench_array_api(games: dict[str, np.ndarray], repeats: int = 3) -> float:
    """Seconds per call of ``solve_arrays`` (best of ``repeats``), on the dispatcher's path."""
    import routegame as rg

    return _best(lambda: rg.solve_arrays(**games), repeats)


_FIRST_CALL = """
import time, numpy as np
t0 = time.perf_counter()
import routegame as rg
from routegame import _jit
n = 2 * _jit.min_size()
rng = np.random.default_rng(0)
with _jit.forced(True):
    rg.solve_arrays(rng.uniform(1, 30, n), rng.uniform(0, 50, n), rng.uniform(0.1, 10, (n, 2)),
                    rng.uniform(0, 10, (n, 2)), rng.uniform(0.02, 0.98, (n, 2)))
    rg.model.results.round_sig(rng.uniform(0, 1, n))
print(time.perf_counter() - t0)
"""


def first_call(cache_dir: str) -> float:
    """Seconds of a fresh process's first compiled solve (imports included)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", _FIRST_CALL], check=True, env=env,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_numeric(games: dict[str, np.ndarray], sample: int) -> float:
    import routegame as rg
    from routegame.markov.numeric import numeric_equilibrium, numeric_user_preferred

    t0 = time.perf_counter()
    for i in range(sample):
        g = rg.GameParams.two_model(
            games["task_value"][i], games["penalty"][i], games["latency"][i].tolist(),
            games["cost"][i].tolist(), games["success_prob"][i].tolist(),
        )
        numeric_equilibrium(g, tie_break="strong")
        numeric_equilibrium(g, tie_break="weak")
        numeric_user_preferred(g)
    return sample / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=1_000_000)
    ap.add_argument("--numeric-sample", type=int, default=40)
    ap.add_argument("--skip-first-call", action="store_true")
    args = ap.parse_args(argv)
    from routegame import _jit

    games = random_games(args.games)
    n = args.games
    print(f"games: {n:,}  (cpu count {os.cpu_count()}, load {os.getloadavg()[0]:.2f})")
    base = memory_baseline(games)
    base_cpu = LAST_CPU[0]
    print("rates: wall clock, and [per CPU second of the working thread] (load steals wall time)")
    print(f"memory-bound baseline (one fused pass):    {n / base:14,.0f} games/s "
          f"[{n / base_cpu:,.0f}]")
    with _jit.forced(False):
        api_np = n / bench_array_api(games)
    np_cpu = n / LAST_CPU[0]
    print(f"array API, numpy path:                     {api_np:14,.0f} games/s [{np_cpu:,.0f}]")
    api = api_np
    if _jit.available():
        from routegame.closed_form import _compiled

        threads = _compiled.set_threads(None)
        with _jit.forced(True):
            bench_array_api(games, 1)  # compile or load
            rates = {}
            for k in sorted({1, threads}):
                _compiled.set_threads(k)
                rates[k] = n / bench_array_api(games)
                cpu = f" [{n / LAST_CPU[0]:,.0f}]" if k == 1 else ""
                print(f"array API, compiled, {k} thread(s):         {rates[k]:14,.0f} games/s{cpu}")
                if k == 1:
                    c_cpu = n / LAST_CPU[0]
            _compiled.set_threads(threads)
        api = rates[threads]
        print(f"ratio compiled(1 thread) / numpy path:     {rates[1] / api_np:14.1f}x "
              f"[{c_cpu / np_cpu:.1f}x]")
        if threads > 1:
            print(f"ratio {threads} threads / 1 thread:                {rates[threads] / rates[1]:14.2f}x")
        print(f"memory baseline / compiled(1 thread):      {(n / base) / rates[1]:14.1f}x  "
              f"[{(n / base_cpu) / c_cpu:.1f}x] (goal <= 5)")
        print(f"compiled 1 thread goal 5e6 games/s: wall {'met' if rates[1] >= 5e6 else 'NOT met'}"
              f", per CPU second {'met' if c_cpu >= 5e6 else 'NOT met'}")
        if not args.skip_first_call:
            with tempfile.TemporaryDirectory() as cache:
                cold = first_call(cache)
                warm = first_call(cache)
            print(f"first compiled call, fresh process: cold cache {cold:.1f} s, "
                  f"cached {warm:.2f} s (imports included)")
    num = bench_numeric(games, args.numeric_sample)
    print(f"numeric engine (sample {args.numeric_sample}):            {num:14,.1f} games/s")
    print(f"ratio array API / numeric engine:          {api / num:14,.0f}x  (goal >= 10^4)")


if __name__ == "__main__":
    main()
