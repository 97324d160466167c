"""Speed of the heterogeneous engine (routegame.hetero), each against a same-run baseline.

Run with ``python benchmarks/bench_hetero.py`` (``--quick`` for a 10 x 10 map, no cold-cache
run). Every case is timed on the numpy path (``_jit.forced(False)``, the oracle) and on the
compiled kernels (``_jit.forced(True)``) with 1 and 2 numba threads, in one run. Prints:

1. the equilibrium (strong) of a two-model game on 10^3 and 10^4 random tasks (Beta(0.5, 0.5)
   per model), the median of 5 runs;
2. the equilibrium on LiveCodeBench's raw per-problem table (1055 rows), with identical rows
   merged (what :class:`HeteroGame` does) against the same search on the unmerged table;
3. a 100 x 100 (V, P) policy map of one calibrated pair (gpt-4o-mini / o3-mini);
4. for 1 and 3, the ratio to a **plain per-task Python loop**: the same first step of the search
   (41 policies x 33 responses, U and J summed task by task with Python floats) timed on the
   same tasks; the loop's time is measured on min(T, 200) tasks and scaled linearly in T (the
   loop is linear in T). The ratio compares that one step of the loop with the whole
   solve, so it understates the speed-up of equal work;
5. first-call latency: a fresh process solving the 10^3- or 10^4-task game once: on the numpy
   path (``ROUTEGAME_JIT=0``), by default (the kernels are loaded only for batches of
   ``chain.FIRST_LOAD`` evaluations, i.e. for 10^4 tasks, not 10^3), and with the kernels
   forced for 10^3 tasks with a cold numba cache (compilation) and with the cache filled.

Timings depend on the machine's load (printed first); compare the ratios of one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numba
import numpy as np

from routegame import _jit
from routegame.hetero import HeteroGame
from routegame.hetero.realdata import calibrated_game


def _median_time(fn: Callable[[], object], repeat: int = 5) -> float:
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


#: (label, compiled?, numba threads) of every timed configuration
CONFIGS = (("numpy", False, 1), ("jit 1 thr", True, 1), ("jit 2 thr", True, 2))


def _configs(fn: Callable[[], object], repeat: int = 5) -> list[float]:
    """Median time of fn on the numpy path and on the compiled path with 1 and 2 threads."""
    out = []
    for _, compiled, threads in CONFIGS:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        with _jit.forced(compiled):
            fn()  # warm-up: loads the compiled kernels once
            out.append(_median_time(fn, repeat))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return out


def _game(T: int, seed: int = 0) -> tuple[HeteroGame, np.ndarray]:
    rng = np.random.default_rng(seed)
    tab = rng.beta(0.5, 0.5, (T, 2)).clip(1e-3, 1 - 1e-3)
    return HeteroGame(tab, 10.0, 5.0, [1.0, 4.0], [1.0, 3.0]), tab


def bench_equilibrium(T: int, seed: int = 0) -> tuple[list[float], float]:
    game, tab = _game(T, seed)
    times = _configs(lambda: game.equilibrium("strong"))
    sub = tab[: min(T, 200)]
    slow = _median_time(lambda: python_loop_step([tuple(r) for r in sub], 10.0, 5.0, [1.0, 4.0],
                                                 [1.0, 3.0]), 1)
    return times, slow * T / sub.shape[0]


def bench_raw_livecodebench() -> tuple[int, int, float, float]:
    """The raw per-problem table of LiveCodeBench (GPT-4o-mini's 10-sample rate, o3-mini's 0/1
    result: 1055 rows) with and without merging identical rows (same distribution)."""
    from routegame.hetero.calibration import PAIRS, load_livecodebench
    from routegame.hetero.provider import search_paper_class

    lcb = load_livecodebench()
    pr = PAIRS["gpt-4o-mini/o3-mini"]
    tab = np.stack([lcb.column(pr.standard), lcb.column(pr.reasoning)], axis=1)
    game = HeteroGame(tab, 120.0, 0.1, [8.7, 26.1], [7.2e-4, 2.2e-2])
    merged = _median_time(lambda: game.equilibrium("strong"))
    ctx = game.ctx._replace(prob=game.tasks.prob, weight=game.tasks.weight)  # not merged
    raw = _median_time(lambda: search_paper_class(ctx, "strong"))
    return tab.shape[0], game.ctx.prob.shape[0], merged, raw


def bench_map(n: int) -> tuple[list[float], float]:
    g = calibrated_game("gpt-4o-mini/o3-mini", 120.0, 0.1)
    Vs = np.geomspace(10.0, 600.0, n)
    Ps = np.geomspace(1e-3, 3.0, n)
    times = _configs(lambda: g.policy_map(Vs, Ps), repeat=1)
    tab = [tuple(r) for r in g.tasks.prob[:, :, 0]]
    slow_one = _median_time(lambda: python_loop_step(tab, 120.0, 0.1, list(g.latency),
                                                     list(g.cost)), 1)
    return times, slow_one * n  # one loop step per V (the response does not depend on P)


_FIRST_CALL = (
    "import sys, time; t0 = time.perf_counter()\n"
    "import numpy as np\n"
    "from routegame.hetero import HeteroGame\n"
    "T = int(sys.argv[1])\n"
    "tab = np.random.default_rng(0).beta(0.5, 0.5, (T, 2)).clip(1e-3, 1 - 1e-3)\n"
    "HeteroGame(tab, 10.0, 5.0, [1.0, 4.0], [1.0, 3.0]).equilibrium('strong')\n"
    "print(time.perf_counter() - t0, 'numba' in sys.modules)\n"
)


def bench_first_call() -> list[tuple[str, float, bool]]:
    """Wall time of a fresh process solving a 10^3- and a 10^4-task game once (imports
    included), and whether it loaded numba. The cold run compiles into an empty temporary
    numba cache; the others use the package's cache (filled by the runs above)."""
    out = []
    env = dict(os.environ)
    env.pop("ROUTEGAME_JIT_MIN_SIZE", None)
    env.pop("ROUTEGAME_JIT", None)
    kernels = {"ROUTEGAME_JIT_MIN_SIZE": "20001"}  # a user's threshold: load the kernels
    with tempfile.TemporaryDirectory() as cache:
        for label, T, extra in (
            ("numpy path (ROUTEGAME_JIT=0)", 1000, {"ROUTEGAME_JIT": "0"}),
            ("default", 1000, {}),
            ("kernels, cold cache (compiles)", 1000, kernels | {"NUMBA_CACHE_DIR": cache}),
            ("kernels, cached", 1000, kernels),
            ("numpy path (ROUTEGAME_JIT=0)", 10000, {"ROUTEGAME_JIT": "0"}),
            ("default", 10000, {}),
        ):
            res = subprocess.run([sys.executable, "-c", _FIRST_CALL, str(T)], env=env | extra,
                                 capture_output=True, text=True, check=True)
            t, loaded = res.stdout.split()[-2:]
            out.append((f"{T} tasks, {label}", float(t), loaded == "True"))
    return out


def _row(label: str, times: list[float], loop: float, target: float | None) -> str:
    numpy_t = times[0]
    cells = " ".join(f"{t:9.3f}" for t in times)
    ratios = " ".join(f"{numpy_t / t:6.1f}" for t in times[1:])
    best = min(times[1:])
    tgt = f"{target:7.2f}" if target is not None else f"{'-':>7s}"
    return f"{label:34s} {cells} {ratios} {loop:9.2f} {loop / best:8.1f} {tgt}"


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores; numba threads {numba.config.NUMBA_NUM_THREADS}")
    head = " ".join(f"{c[0]:>9s}" for c in CONFIGS)
    print(f"{'case (seconds)':34s} {head} {'x1thr':>6s} {'x2thr':>6s} {'py loop':>9s} "
          f"{'vs loop':>8s} {'target':>7s}")
    for T, target in ((1_000, 0.1), (10_000, 1.0)):
        times, slow = bench_equilibrium(T)
        print(_row(f"equilibrium, {T} tasks", times, slow, target))
    n = 10 if quick else 100
    times, slow = bench_map(n)
    print(_row(f"{n}x{n} (V, P) map, 4o-mini/o3-mini", times, slow, 60.0))
    print("(x1thr, x2thr: numpy time / compiled time; vs loop: loop / best compiled time)")
    with _jit.forced(False):
        rows, distinct, merged, raw = bench_raw_livecodebench()
    print(f"LCB raw {rows} rows -> {distinct} merged (numpy path): {merged:.3f} s merged, "
          f"{raw:.3f} s unmerged, ratio {raw / merged:.1f}")
    if not quick:
        for label, t, loaded in bench_first_call():
            print(f"fresh process, one solve, {label:42s} {t:6.2f} s"
                  f"{' (numba loaded)' if loaded else ''}")


if __name__ == "__main__":
    main()
