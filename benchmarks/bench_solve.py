"""Benchmark: the two-model solver through the array API, ``--table`` and the numeric engine.

Equilibrium (strong and weak), thresholds, misalignment and throttling for N random games
(default 10^6) through ``routegame.solve_arrays`` and through ``routegame solve --table`` (a
subprocess on a Parquet file), and for a sample through the independent numerical engine
(``routegame.markov.numeric.numeric_equilibrium`` + ``numeric_user_preferred``: the engine's
throttling search is far slower still, so it is left out, which flatters the baseline).
Prints games per second for each and the ratios. Run::

    .venv/bin/python benchmarks/bench_solve.py [--games 1000000] [--numeric-sample 40]

Single core: numpy's element-wise kernels do not use threads.
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


def random_games(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.sort(rng.uniform(0.02, 0.98, (n, 2)), axis=1)
    t = np.sort(rng.uniform(0.1, 10, (n, 2)), axis=1)
    c = np.sort(rng.uniform(0, 10, (n, 2)), axis=1)
    return {"task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
            "latency": t, "cost": c, "success_prob": p}


def bench_array_api(games: dict[str, np.ndarray], repeats: int = 3) -> float:
    import routegame as rg

    n = games["task_value"].shape[0]
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        rg.solve_arrays(**games)
        best = min(best, time.perf_counter() - t0)
    return n / best


def bench_table(games: dict[str, np.ndarray]) -> float:
    import pandas as pd

    n = games["task_value"].shape[0]
    df = pd.DataFrame({
        "task_value": games["task_value"], "penalty": games["penalty"],
        "latency_1": games["latency"][:, 0], "latency_2": games["latency"][:, 1],
        "cost_1": games["cost"][:, 0], "cost_2": games["cost"][:, 1],
        "success_prob_1": games["success_prob"][:, 0], "success_prob_2": games["success_prob"][:, 1],
    })
    exe = Path(sys.executable).with_name("routegame")
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.parquet", Path(d) / "out.parquet"
        df.to_parquet(src)
        t0 = time.perf_counter()
        subprocess.run([str(exe), "solve", "--table", str(src), "--out", str(out)], check=True)
        dt = time.perf_counter() - t0
        assert len(pd.read_parquet(out)) == n
    return n / dt


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
    ap.add_argument("--skip-table", action="store_true")
    args = ap.parse_args(argv)
    games = random_games(args.games)
    print(f"games: {args.games:,}  (cpu count {os.cpu_count()}, one core used)")
    api = bench_array_api(games)
    print(f"array API (solve_arrays, best of 3):      {api:14,.0f} games/s")
    if not args.skip_table:
        tab = bench_table(games)
        print(f"CLI --table (parquet in/out, incl. start): {tab:14,.0f} games/s")
    num = bench_numeric(games, args.numeric_sample)
    print(f"numeric engine (sample {args.numeric_sample}):            {num:14,.1f} games/s")
    print(f"ratio array API / numeric engine:          {api / num:14,.0f}x  (goal >= 10^4)")
    if not args.skip_table:
        print(f"ratio --table / numeric engine:            {tab / num:14,.0f}x")
    print(f"array API goal 10^6 games/s: {'met' if api >= 1e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
