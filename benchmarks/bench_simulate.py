"""Benchmark of the Monte Carlo simulator (``routegame.simulate``): numpy path and compiled path.

Every comparison is measured in the same run, on both paths of :func:`routegame.simulate.simulate`:
the numpy loops (``_jit.forced(False)``, the reference: "before") and the compiled numba loops
(``_jit.forced(True)``, :mod:`routegame.simulate._compiled`: "after"), which draw the same
uniforms from the same generator and give the same episodes for a seed.

1. episodes per second against a plain Python loop over episodes (one episode at a time, scalar
   draws from the stdlib ``random``), for K = 2 (the paper's game), K = 5 (a random game and
   policy) and a K = 2 game with long visits (small p, R[j, j] near 1: where ``method="run"``
   pays off); target ratio >= 50x (issue 10);
2. random draws consumed per second by the simulator against the raw throughput of
   ``numpy.random.Generator.random`` (drawn in blocks of 2·CHUNK_SIZE); target: within 3x.
   **Draws** are the uniforms the simulator consumes: ``method="pass"`` one per pass (plus one
   per episode when the first model is random), the least a pass-by-pass simulation can use;
   ``method="run"`` two per visit (run of passes on one model: its length by inversion, then how
   it ends). The ratio is the cost of one draw's bookkeeping in units of one raw uniform.
3. the paper's game (printed first): raw uniforms per second (numpy, blocks of 2·CHUNK_SIZE),
   the draws alone as the compiled loops take them, and the simulator in memory (``simulate``,
   and ``simulate(...).summary()``) and streamed (:func:`routegame.simulate.simulate_summary`,
   blocks of 2^18 episodes reduced to moments; on the compiled path inside the loop, no
   per-episode array) on the numpy path (before) and the compiled path (after), with raw / sim
   (target: within 3x) and the ratio to the plain Python loop (target >= 50x); the minor page
   faults of an in-memory call, and ``simulate`` in memory again in fresh interpreters with
   fresh output pages on every call (glibc ``mallopt``: arrays over 1 MiB mmapped) and with
   recycled pages (no mmap, no trimming), as a page fault costs microseconds on this machine
   and the first touch of ~40 bytes of output per episode can cost more than the simulation;
   the compiled stream on one thread against two (``scheduler="threads"``: blocks with their
   own spawned generators, so the result does not depend on the number of threads), wall
   clock and CPU time; peak traced memory of the numpy path (``tracemalloc``); the load.
4. the first compiled call: compile time with a cold numba cache (a fresh cache directory, in a
   subprocess) against loading the cached machine code (a second subprocess on that directory).

Times are CPU times of this process (``time.process_time``), best of ``--repeat`` runs, so
other jobs on a shared machine disturb them less than wall-clock times (except where stated).

Run it as a script (``python benchmarks/bench_simulate.py [--episodes N] [--paper-only]``) or with
pytest-benchmark (``pytest benchmarks/bench_simulate.py``). It is never collected by the normal
test suite: pyproject's testpaths are ``tests`` and ``src/routegame``, and the file name does
not match ``test_*.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import numpy as np

from routegame import _jit
from routegame.params import GameParams
from routegame.simulate import CHUNK_SIZE, simulate
from routegame.simulate.kernels import _run, _run_visits

# --------------------------------------------------------------------------------------------
# games
# --------------------------------------------------------------------------------------------


def game_k2() -> tuple[GameParams, np.ndarray, np.ndarray, np.ndarray]:
    """The paper's two-model game, route 1 with cascade s = 0.5, q = 0.2."""
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    start = np.array([1.0, 0.0])
    R = np.array([[0.5, 0.5], [0.0, 1.0]])
    return params, start, R, np.full(2, 0.2)


def game_k5() -> tuple[GameParams, np.ndarray, np.ndarray, np.ndarray]:
    """A random five-model game with a random start distribution and cascade matrix."""
    rng = np.random.default_rng(5)
    params = GameParams.from_lists(
        12.0, 4.0, rng.uniform(0.5, 5, 5).tolist(), rng.uniform(0, 3, 5).tolist(),
        rng.uniform(0.1, 0.6, 5).tolist(),
    )
    return params, rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5), size=5), rng.uniform(
        0.05, 0.3, 5)


def game_sticky() -> tuple[GameParams, np.ndarray, np.ndarray, np.ndarray]:
    """Long visits (where ``method="run"`` pays off): small p, R[j, j] near 1, small q."""
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.05, 0.2))
    start = np.array([1.0, 0.0])
    R = np.array([[0.9, 0.1], [0.0, 1.0]])
    return params, start, R, np.full(2, 0.02)


# --------------------------------------------------------------------------------------------
# the plain Python loop (the baseline)
# --------------------------------------------------------------------------------------------


def python_loop(params: GameParams, start: np.ndarray, R: np.ndarray, q: np.ndarray,
                n_episodes: int, seed: int = 0, uniform: str = "stdlib") -> dict[str, np.ndarray]:
    """One episode at a time, one pass at a time, recording what ``simulate`` records.

    ``uniform`` is ``"stdlib"`` (scalar draws from ``random.Random``, the fastest scalar
    source) or ``"numpy"`` (scalar draws from a ``numpy.random.Generator``, as the project's
    ``rng`` convention would have it).
    """
    draw: Callable[[], float] = (
        random.Random(seed).random if uniform == "stdlib" else np.random.default_rng(seed).random
    )
    p = params.success_prob.tolist()
    t = params.latency.tolist()
    c = params.cost.tolist()
    qq = q.tolist()
    cum_start = np.cumsum(start).tolist()
    cum_R = np.cumsum(R, axis=1).tolist()
    K = len(p)

    def pick(cum: list[float], u: float) -> int:
        for k in range(K - 1):
            if u < cum[k]:
                return k
        return K - 1

    passes = [[0] * K for _ in range(n_episodes)]
    latency = [0.0] * n_episodes
    cost = [0.0] * n_episodes
    solved = [False] * n_episodes
    for e in range(n_episodes):
        row = passes[e]
        k = pick(cum_start, draw())
        while True:
            row[k] += 1
            latency[e] += t[k]
            cost[e] += c[k]
            if draw() < p[k]:
                solved[e] = True
                break
            if draw() < qq[k]:
                break
            k = pick(cum_R[k], draw())
    return {"passes": np.array(passes), "latency": np.array(latency), "cost": np.array(cost),
            "solved": np.array(solved)}


# --------------------------------------------------------------------------------------------
# measurements
# --------------------------------------------------------------------------------------------


def _best_time(func: Callable[[], Any], repeat: int,
               clock: Callable[[], float] = time.process_time) -> float:
    """Best time of ``repeat`` calls (CPU time of this process unless ``clock`` says)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        func()
        best = min(best, clock() - t0)
    return best


def count_draws(game: tuple[GameParams, np.ndarray, np.ndarray, np.ndarray], n: int,
                seed: int, method: str = "pass") -> int:
    """Uniforms ``simulate(..., method=method)`` consumes for this game and seed (same kernel,
    same draws; both paths draw the same)."""
    params, start, R, q = game
    gen = np.random.default_rng(seed)
    with _jit.forced(False):
        if method == "run":
            run = _run_visits(n, start, R, params.success_prob, params.latency, params.cost, q,
                              None, 10_000, gen)
        else:
            run = _run(n, start, R, params.success_prob, params.latency, params.cost, None, None,
                       q, None, 10_000, gen)
    return run.draws


def raw_random_seconds(n_draws: int, repeat: int = 3) -> tuple[float, float]:
    """Seconds for ``n_draws`` raw uniforms: in blocks of 2·CHUNK_SIZE, and as one block."""
    gen = np.random.default_rng(0)
    block = 2 * CHUNK_SIZE

    def blocks() -> None:
        left = n_draws
        while left > 0:
            gen.random(min(block, left))
            left -= block

    return _best_time(blocks, repeat), _best_time(lambda: gen.random(n_draws), repeat)


def measure_game(game: tuple[GameParams, np.ndarray, np.ndarray, np.ndarray], n_episodes: int,
                 n_loop: int, repeat: int) -> dict[str, Any]:
    """Figures for one game: loop episodes/s, and per method (``"pass"``, ``"run"``) and path
    (``"numpy"``, ``"compiled"``) episodes/s, speed-up and draws/s against raw uniforms/s."""
    params, start, R, q = game
    loop = _best_time(lambda: python_loop(params, start, R, q, n_loop), repeat)
    loop_np = _best_time(lambda: python_loop(params, start, R, q, n_loop, uniform="numpy"),
                         repeat)
    out: dict[str, Any] = {
        "loop_eps": n_loop / loop,
        "loop_numpy_eps": n_loop / loop_np,
        "success_loop": float(python_loop(params, start, R, q, n_loop)["solved"].mean()),
    }
    methods: tuple[Literal["pass", "run"], ...] = ("pass", "run")
    for method in methods:
        draws = count_draws(game, n_episodes, 1, method)
        raw_blocks, raw_one = raw_random_seconds(draws, repeat)
        for path, flag in (("numpy", False), ("compiled", True)):
            with _jit.forced(flag):
                simulate(params, start, R, q, 100, rng=1, method=method)  # compile / load
                vec = _best_time(
                    partial(simulate, params, start, R, q, n_episodes, rng=1, method=method),
                    repeat)
                ep = simulate(params, start, R, q, n_episodes, rng=1, method=method)
            out[method, path] = {
                "vectorised_eps": n_episodes / vec,
                "speedup": (n_episodes / vec) / (n_loop / loop),
                "speedup_numpy": (n_episodes / vec) / (n_loop / loop_np),
                "passes_per_episode": float(ep.passes.sum()) / n_episodes,
                "passes_per_s": float(ep.passes.sum()) / vec,
                "draws_per_episode": draws / n_episodes,
                "draws_per_pass": draws / float(ep.passes.sum()),
                "draws_per_s": draws / vec,
                "raw_blocks_per_s": draws / raw_blocks,
                "raw_one_block_per_s": draws / raw_one,
                "raw_ratio": vec / raw_blocks,
                "raw_ratio_one_block": vec / raw_one,
                "success_vectorised": float(ep.solved.mean()),
                "seconds": vec,
            }
        out[method, "gain"] = out[method, "numpy"]["seconds"] / out[method, "compiled"]["seconds"]
    return out


def measure(n_episodes: int = 1_000_000, n_loop: int = 20_000, repeat: int = 3) -> dict[str, Any]:
    """Run every comparison and return the figures, by game."""
    return {name: measure_game(game, n_episodes, n_loop, repeat)
            for name, game in (("K=2", game_k2()), ("K=5", game_k5()),
                               ("K=2 sticky (long visits)", game_sticky()))}


def compiled_draws_seconds(n_draws: int, repeat: int = 3) -> float:
    """Seconds for ``n_draws`` uniforms as the compiled loops draw them (numpy's PCG64 stepped
    inline, :func:`routegame.simulate._compiled._fill`), in blocks of 2·CHUNK_SIZE: the draws
    alone, without the simulation."""
    from routegame.simulate._compiled import _fill, _source

    gen = np.random.default_rng(0)
    buf = np.empty(2 * CHUNK_SIZE)

    def blocks() -> None:
        src, st, _ = _source(gen)
        left = n_draws
        while left > 0:
            st = tuple(np.uint64(x) for x in _fill(buf[: min(buf.size, left)], src, st))
            left -= buf.size

    blocks()  # compile / load
    return _best_time(blocks, repeat)


def _faults() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure_paper(n_episodes: int = 2_000_000, n_loop: int = 20_000,
                  repeat: int = 3) -> dict[str, float]:
    """The paper's game (route 1, cascade 0.5, q = 0.2; ``simulate`` picks ``method="pass"``):
    raw uniforms, the draws alone, and the simulator in memory (``simulate``) and streamed
    (``simulate_summary``, blocks of 2^18) on the numpy path (before) and the compiled path
    (after), episodes per CPU second; the compiled stream on one and two threads (wall clock
    and CPU); the plain Python loop; peak traced memory (numpy path)."""
    import tracemalloc

    from routegame.simulate import simulate_summary

    params, start, R, q = game_k2()
    block = 1 << 18

    def in_memory() -> Any:
        return simulate(params, start, R, q, n_episodes, rng=1)

    def in_memory_summary() -> Any:
        return simulate(params, start, R, q, n_episodes, rng=1).summary()

    def streamed(scheduler: Any = None) -> Any:
        return simulate_summary(params, start, R, q, n_episodes, rng=1, block=block,
                                scheduler=scheduler)

    out: dict[str, float] = {}
    draws_per_episode = count_draws(game_k2(), block, 1) / block
    n_draws = int(draws_per_episode * n_episodes)
    out["draws_per_episode"] = draws_per_episode
    out["raw_eps"] = n_episodes / raw_random_seconds(n_draws, repeat)[0]
    out["loop_eps"] = n_loop / _best_time(lambda: python_loop(params, start, R, q, n_loop),
                                          repeat)
    for path, flag in (("numpy", False), ("compiled", True)):
        with _jit.forced(flag):
            streamed()  # compile / load
            f0 = _faults()
            out[f"{path}_memory_eps"] = n_episodes / _best_time(in_memory, repeat)
            out[f"{path}_memory_faults"] = (_faults() - f0) / repeat
            out[f"{path}_memory_summary_eps"] = n_episodes / _best_time(in_memory_summary,
                                                                        repeat)
            out[f"{path}_stream_eps"] = n_episodes / _best_time(streamed, repeat)
    out["draws_alone_eps"] = n_episodes / compiled_draws_seconds(n_draws, repeat)
    with _jit.forced(False):
        for name, func in (("memory", in_memory_summary), ("stream", streamed)):
            tracemalloc.start()
            func()
            out[f"{name}_peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    with _jit.forced(True):
        one = streamed()
        for name, sched in (("threads1", None), ("threads2", "threads")):
            wall = cpu = float("inf")
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                streamed(sched)
                wall = min(wall, time.perf_counter() - t0)
                cpu = min(cpu, time.process_time() - c0)
            out[f"{name}_eps"] = n_episodes / wall
            out[f"{name}_cpu_eps"] = n_episodes / cpu
        out["same_result"] = float(one == streamed("threads"))
    out["thread_scaling"] = out["threads2_eps"] / out["threads1_eps"]
    return out


_PAGES_SNIPPET = """
import ctypes, ctypes.util, resource, sys, time
libc = ctypes.CDLL(ctypes.util.find_library("c"))
if sys.argv[1] == "fresh":  # arrays over 1 MiB (the outputs) mmapped: first-touched per call
    ok = libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD (chunk scratch stays below it)
else:  # no mmap, no trimming: freed pages are handed out again
    ok = libc.mallopt(-4, 0) and libc.mallopt(-1, 2**31 - 1)  # M_MMAP_MAX, M_TRIM_THRESHOLD
from routegame import _jit
from routegame.simulate import simulate
sys.path.insert(0, sys.argv[4])
from bench_simulate import game_k2
params, start, R, q = game_k2()
n, repeat = int(sys.argv[2]), int(sys.argv[3])
for flag in (False, True):
    with _jit.forced(flag):
        simulate(params, start, R, q, 100, rng=1)
        best = float("inf")
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(repeat):
            t0 = time.process_time()
            simulate(params, start, R, q, n, rng=1)
            best = min(best, time.process_time() - t0)
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / repeat
        print(n / best, faults)
print(ok)
"""


def measure_pages(n_episodes: int, repeat: int) -> dict[str, float]:
    """``simulate`` in memory (paper's game) with fresh output pages on every call and with
    recycled pages (glibc's ``mallopt`` in a fresh interpreter): numpy and compiled
    episodes per CPU second and minor page faults per call."""
    out: dict[str, float] = {}
    here = os.path.dirname(os.path.abspath(__file__))
    for regime in ("fresh", "recycled"):
        proc = subprocess.run([sys.executable, "-c", _PAGES_SNIPPET, regime, str(n_episodes),
                               str(repeat), here], check=True, capture_output=True, text=True)
        lines = proc.stdout.split("\n")
        for path, line in zip(("numpy", "compiled"), lines[:2], strict=True):
            eps, faults = (float(x) for x in line.split())
            out[f"{regime}_{path}_eps"] = eps
            out[f"{regime}_{path}_faults"] = faults
        out[f"{regime}_ok"] = float(lines[2].strip() == "1")
    return out


_COMPILE_SNIPPET = """
import time
t0 = time.perf_counter()
from routegame import GameParams, _jit
from routegame.simulate import simulate
g = GameParams.from_lists(10, 5, [1, 4, 2], [1, 3, 2], [0.3, 0.8, 0.5])
with _jit.forced(True):
    t1 = time.perf_counter()
    simulate(g, [1, 0, 0], [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]], 0.2, 10, rng=0, method="pass")
    simulate(g, [1, 0, 0], [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]], 0.2, 10, rng=0, method="run")
    t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def measure_compile() -> dict[str, float]:
    """First compiled call (pass and visit loops) with a cold numba cache, then with the cache
    that call wrote; each in a fresh interpreter (seconds, wall clock)."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for name in ("cold", "cached"):
            proc = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env, check=True,
                                  capture_output=True, text=True)
            imports, first = (float(x) for x in proc.stdout.split())
            out[f"{name}_import"] = imports
            out[f"{name}_first_call"] = first
    return out


def report_compile(f: dict[str, float]) -> str:
    return (f"first compiled call (pass + visit loops): {f['cold_first_call']:.2f} s with a cold "
            f"numba cache (compiling), {f['cached_first_call']:.3f} s from the cache "
            f"(import of routegame.simulate {f['cached_import']:.2f} s)")


def report_paper(f: dict[str, float], n_episodes: int) -> str:
    raw = f["raw_eps"]
    lines = [
        f"paper's game (route 1, s = 0.5, q = 0.2, p = (0.3, 0.8); method 'pass'), "
        f"{n_episodes:,} episodes, {f['draws_per_episode']:.3f} uniforms per episode; "
        "episodes per CPU second, best of the repeats:",
        f"  raw numpy uniforms (Generator.random, blocks of {2 * CHUNK_SIZE}): "
        f"{raw * f['draws_per_episode']:,.0f} uniforms/s = {raw:,.0f} episodes/s of draws",
        f"  the draws alone as the compiled loops take them (PCG64 inline): "
        f"{f['draws_alone_eps']:,.0f} episodes/s (raw / this {raw / f['draws_alone_eps']:.2f}x)",
        f"  plain Python loop: {f['loop_eps']:,.0f} episodes/s",
        f"    {'':38} {'episodes/s':>13} {'raw / sim':>10} {'vs loop':>8}",
    ]
    rows = [
        ("numpy in memory (simulate), before", "numpy_memory_eps"),
        ("compiled in memory (simulate), after", "compiled_memory_eps"),
        ("numpy in memory + .summary()", "numpy_memory_summary_eps"),
        ("compiled in memory + .summary()", "compiled_memory_summary_eps"),
        ("numpy streamed summary, before", "numpy_stream_eps"),
        ("compiled streamed summary, after", "compiled_stream_eps"),
        ("compiled streamed, 2 threads (CPU s)", "threads2_cpu_eps"),
    ]
    for label, key in rows:
        lines.append(f"    {label:38} {f[key]:>13,.0f} {raw / f[key]:>9.2f}x "
                     f"{f[key] / f['loop_eps']:>7.1f}x")
    for regime in ("fresh", "recycled"):
        if f"{regime}_compiled_eps" not in f:
            continue
        for path in ("numpy", "compiled"):
            eps = f[f"{regime}_{path}_eps"]
            lines.append(f"    {path + ' in memory, ' + regime + ' pages':38} {eps:>13,.0f} "
                         f"{raw / eps:>9.2f}x {eps / f['loop_eps']:>7.1f}x   "
                         f"({f[f'{regime}_{path}_faults']:,.0f} page faults per call)")
    lines += [
        f"  targets: raw / sim <= 3x, vs loop >= 50x. compiled / numpy: in memory "
        f"{f['compiled_memory_eps'] / f['numpy_memory_eps']:.2f}x, streamed "
        f"{f['compiled_stream_eps'] / f['numpy_stream_eps']:.2f}x faster",
        f"  in memory, minor page faults per call: numpy {f['numpy_memory_faults']:,.0f}, "
        f"compiled {f['compiled_memory_faults']:,.0f}; a fault costs microseconds on this "
        "machine, so the in-memory figure depends on whether the allocator hands out fresh "
        "pages (measured apart in fresh interpreters: 'fresh pages' mmaps every output, "
        "'recycled pages' reuses freed ones)",
        f"  compiled stream, wall clock: 1 thread {f['threads1_eps']:,.0f} episodes/s, "
        f"2 threads {f['threads2_eps']:,.0f} episodes/s: {f['thread_scaling']:.2f}x (raw / "
        f"sim {raw / f['threads2_eps']:.2f}x against one thread of raw uniforms); same result "
        f"on 1 and 2 threads: {bool(f['same_result'])}",
        f"  streamed (numpy path) peak traced memory {f['stream_peak'] / 2**20:.1f} MiB, in "
        f"memory {f['memory_peak'] / 2**20:.1f} MiB",
    ]
    return "\n".join(lines)


def report(figures: dict[str, Any]) -> str:
    lines = ["draws = uniforms consumed; numpy = the numpy path (before), compiled = the numba "
             "path (after), same run"]
    for name, g in figures.items():
        lines += [
            f"{name}: python loop {g['loop_eps']:,.0f} episodes/s (stdlib random scalar draws), "
            f"{g['loop_numpy_eps']:,.0f} episodes/s (numpy scalar draws); "
            f"success {g['success_loop']:.4f}",
        ]
        for method in ("pass", "run"):
            f0 = g[method, "numpy"]
            lines += [
                f"  method={method!r}: {f0['passes_per_episode']:.2f} passes per episode, "
                f"{f0['draws_per_episode']:.2f} draws per episode, "
                f"{f0['draws_per_pass']:.2f} draws per pass; raw random "
                f"{f0['raw_blocks_per_s']:,.0f} uniforms/s (blocks of {2 * CHUNK_SIZE}), one "
                f"block {f0['raw_one_block_per_s']:,.0f}/s",
                f"    {'':10} {'episodes/s':>14} {'vs loop':>9} {'draws/s':>14} "
                f"{'raw / sim':>10} {'success':>8}",
            ]
            for path in ("numpy", "compiled"):
                f = g[method, path]
                lines.append(
                    f"    {path:10} {f['vectorised_eps']:>14,.0f} {f['speedup']:>8.1f}x "
                    f"{f['draws_per_s']:>14,.0f} {f['raw_ratio']:>9.2f}x "
                    f"{f['success_vectorised']:>8.4f}")
            lines.append(f"    compiled / numpy: {g[method, 'gain']:.2f}x faster (targets: raw / "
                         "sim <= 3x, vs loop >= 50x)")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# pytest-benchmark entry points (only collected when this file is named on the command line)
# --------------------------------------------------------------------------------------------


def test_bench_simulate_k2(benchmark: Any) -> None:
    params, start, R, q = game_k2()
    benchmark.pedantic(simulate, args=(params, start, R, q, 200_000), kwargs={"rng": 1},
                       rounds=5)


def test_bench_simulate_k5(benchmark: Any) -> None:
    params, start, R, q = game_k5()
    benchmark.pedantic(simulate, args=(params, start, R, q, 200_000), kwargs={"rng": 1},
                       rounds=5)


def test_bench_python_loop_k2(benchmark: Any) -> None:
    params, start, R, q = game_k2()
    benchmark.pedantic(python_loop, args=(params, start, R, q, 5_000), rounds=3)


def test_bench_raw_random(benchmark: Any) -> None:
    gen = np.random.default_rng(0)
    benchmark.pedantic(gen.random, args=(1_000_000,), rounds=5)


def test_speedup_targets() -> None:
    """The printed comparison, with loose floors (the machine is shared)."""
    figures = measure(n_episodes=200_000, n_loop=5_000, repeat=3)
    print("\n" + report(figures))
    for g in figures.values():
        for method in ("pass", "run"):
            for path in ("numpy", "compiled"):
                assert g[method, path]["speedup"] >= 3.0
                assert abs(g[method, path]["success_vectorised"] - g["success_loop"]) < 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--loop-episodes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--paper-only", action="store_true",
                        help="only the paper's game section (about 15 s)")
    args = parser.parse_args()
    print(f"load before: {_load()}")
    repeat = max(args.repeat, 5)  # the section the goal is judged on: more repeats (shared machine)
    paper = measure_paper(2 * args.episodes, args.loop_episodes, repeat)
    paper.update(measure_pages(2 * args.episodes, repeat))
    print(report_paper(paper, 2 * args.episodes))
    if not args.paper_only:
        print(report(measure(args.episodes, args.loop_episodes, args.repeat)))
        print(report_compile(measure_compile()))
    print(f"load after: {_load()}")


def _load() -> str:
    """The load averages (1, 5, 15 min) of this shared machine."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
