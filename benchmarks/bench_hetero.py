"""Speed of the heterogeneous engine (routegame.hetero), each against a same-run baseline.

Run with ``python benchmarks/bench_hetero.py`` (``--quick`` for a 10 x 10 map). Prints:

1. the equilibrium (strong) of a two-model game on 10^3 and 10^4 random tasks (Beta(0.5, 0.5)
   per model), the median of 3 runs;
2. a 100 x 100 (V, P) policy map of one calibrated pair (gpt-4o-mini / o3-mini);
3. for each, the ratio to a **plain per-task Python loop**: the same first step of the search
   (41 policies x 33 responses, U and J summed task by task with Python floats) timed on the
   same tasks; the loop's time is measured on min(T, 200) tasks and scaled linearly in T (the
   loop is linear in T). The ratio compares that one step of the loop with the whole
   vectorised solve, so it understates the speed-up of equal work.

Timings depend on the machine's load; the figures quoted in docs/real_data.md say when and how
they were taken.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from routegame.hetero import HeteroGame
from routegame.hetero.realdata import calibrated_game


def _median_time(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def python_loop_step(tab: np.ndarray, V: float, P: float, t: list[float], c: list[float]) -> float:
    """One grid step of the search, task by task in plain Python; returns the best J seen."""
    best = float("inf")
    for k in range(41):
        s = k / 40
        for j in range(33):
            r = j / 32
            U = J = 0.0
            w = 1.0 / len(tab)
            for p1, p2 in tab:
                a = (1 - p1) * (1 - s) * r
                b = (1 - p2) * r
                n1 = 1 / (1 - a)
                n2 = (1 - p1) * s * r * n1 / (1 - b)
                S = p1 * n1 + p2 * n2
                U += w * (V * S - t[0] * n1 - t[1] * n2)
                J += w * (c[0] * n1 + c[1] * n2 + P * (1 - S))
            best = min(best, J)
    return best


def bench_equilibrium(T: int, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    tab = rng.beta(0.5, 0.5, (T, 2)).clip(1e-3, 1 - 1e-3)
    V, P, t, c = 10.0, 5.0, [1.0, 4.0], [1.0, 3.0]
    game = HeteroGame(tab, V, P, t, c)
    fast = _median_time(lambda: game.equilibrium("strong"))
    sub = tab[: min(T, 200)]
    slow = _median_time(lambda: python_loop_step([tuple(r) for r in sub], V, P, t, c), 1)
    return fast, slow * T / sub.shape[0]


def bench_map(n: int) -> tuple[float, float]:
    g = calibrated_game("gpt-4o-mini/o3-mini", 120.0, 0.1)
    Vs = np.geomspace(10.0, 600.0, n)
    Ps = np.geomspace(1e-3, 3.0, n)
    t0 = time.perf_counter()
    g.policy_map(Vs, Ps)
    fast = time.perf_counter() - t0
    tab = [tuple(r) for r in g.tasks.prob[:, :, 0]]
    slow_one = _median_time(lambda: python_loop_step(tab, 120.0, 0.1, list(g.latency),
                                                     list(g.cost)), 1)
    return fast, slow_one * n  # one loop step per V (the response does not depend on P)


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"{'case':42s} {'engine':>10s} {'py loop':>10s} {'ratio':>8s} {'target':>8s}")
    for T, target in ((1_000, 0.1), (10_000, 1.0)):
        fast, slow = bench_equilibrium(T)
        print(f"{f'equilibrium, {T} tasks':42s} {fast:10.3f} {slow:10.3f} {slow / fast:8.1f} "
              f"{target:8.1f}")
    n = 10 if quick else 100
    fast, slow = bench_map(n)
    print(f"{f'{n}x{n} (V, P) map, gpt-4o-mini/o3-mini':42s} {fast:10.3f} {slow:10.3f} "
          f"{slow / fast:8.1f} {60.0:8.1f}")


if __name__ == "__main__":
    main()
