"""Benchmark of the Monte Carlo simulator (``routegame.simulate``).

Two comparisons, measured in the same run:

1. episodes per second of :func:`routegame.simulate.simulate` against a plain Python loop over
   episodes (one episode at a time, scalar draws from the stdlib ``random``), for K = 2 (the
   paper's game) and K = 5 (a random game and policy), plus a K = 2 game with long visits
   (small p, R[j, j] near 1: where ``method="run"`` pays off); target ratio >= 20x;
2. random draws consumed per second by the simulator against the raw throughput of
   ``numpy.random.Generator.random`` (drawn in blocks of the same size as the simulator's);
   target: within 3x. **Draws** are the uniforms plus the geometric variates the simulator
   consumes, each variate counted as one draw (whatever numpy uses inside to make it).
   ``method="pass"`` consumes one uniform per pass (plus one per episode when the first model
   is random), the least a pass-by-pass simulation can use; ``method="run"`` (the default for
   these games) consumes one geometric variate and one uniform per visit (run of passes on one
   model). The ratio is the cost of one draw's bookkeeping in units of one raw uniform.

Both methods are measured, with the Python-loop baseline, in the same run.

3. the streamed summary (:func:`routegame.simulate.simulate_summary`, blocks of 2^18 episodes
   reduced to moments) against the in-memory ``simulate(...).summary()`` of the same number of
   episodes: episodes per second (target: within 1.3x) and peak traced memory (numpy's
   allocations, ``tracemalloc``), which stays at one block for the stream.

Times are CPU times of this process (``time.process_time``), best of ``--repeat`` runs, so
other jobs on a shared machine disturb them less than wall-clock times.

Run it as a script (``python benchmarks/bench_simulate.py [--episodes N]``) or with
pytest-benchmark (``pytest benchmarks/bench_simulate.py``). It is never collected by the normal
test suite: pyproject's testpaths are ``tests`` and ``src/routegame``, and the file name does
not match ``test_*.py``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import numpy as np

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


def _best_time(func: Callable[[], Any], repeat: int) -> float:
    """Best CPU time of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        func()
        best = min(best, time.process_time() - t0)
    return best


def count_draws(game: tuple[GameParams, np.ndarray, np.ndarray, np.ndarray], n: int,
                seed: int, method: str = "pass") -> int:
    """Draws (uniforms + geometric variates) ``simulate(..., method=method)`` consumes for
    this game and seed (same kernel, same draws)."""
    params, start, R, q = game
    gen = np.random.default_rng(seed)
    if method == "run":
        run = _run_visits(n, start, R, params.success_prob, params.latency, params.cost, q,
                          None, 10_000, gen)
    else:
        run = _run(n, start, R, params.success_prob, params.latency, params.cost, None, None, q,
                   None, 10_000, gen)
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
    """Figures for one game: loop episodes/s, and per method (``"pass"``, ``"run"``)
    vectorised episodes/s, speed-up and draws/s against raw uniforms/s."""
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
        vec = _best_time(
            partial(simulate, params, start, R, q, n_episodes, rng=1, method=method), repeat)
        ep = simulate(params, start, R, q, n_episodes, rng=1, method=method)
        draws = count_draws(game, n_episodes, 1, method)
        raw_blocks, raw_one = raw_random_seconds(draws, repeat)
        out[method] = {
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
        }
    return out


def measure(n_episodes: int = 1_000_000, n_loop: int = 20_000, repeat: int = 3) -> dict[str, Any]:
    """Run every comparison and return the figures, by game."""
    return {name: measure_game(game, n_episodes, n_loop, repeat)
            for name, game in (("K=2", game_k2()), ("K=5", game_k5()),
                               ("K=2 sticky (long visits)", game_sticky()))}


def measure_stream(n_episodes: int = 2_000_000, repeat: int = 3) -> dict[str, float]:
    """Streamed summary against the in-memory one: episodes/s and peak traced memory."""
    import tracemalloc

    from routegame.simulate import simulate_summary

    params, start, R, q = game_k2()
    block = 1 << 18

    def in_memory() -> Any:
        return simulate(params, start, R, q, n_episodes, rng=1).summary()

    def streamed() -> Any:
        return simulate_summary(params, start, R, q, n_episodes, rng=1, block=block)

    out: dict[str, float] = {}
    for name, func in (("memory", in_memory), ("stream", streamed)):
        out[f"{name}_eps"] = n_episodes / _best_time(func, repeat)
        tracemalloc.start()
        func()
        out[f"{name}_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out["ratio"] = out["memory_eps"] / out["stream_eps"]
    return out


def report_stream(f: dict[str, float]) -> str:
    return (f"streamed summary: {f['stream_eps']:,.0f} episodes/s, peak {f['stream_peak'] / 2**20:.1f}"
            f" MiB; in memory: {f['memory_eps']:,.0f} episodes/s, peak "
            f"{f['memory_peak'] / 2**20:.1f} MiB; in-memory / streamed speed {f['ratio']:.2f}x "
            "(target <= 1.3x)")


def report(figures: dict[str, Any]) -> str:
    lines = ["draws = uniforms + geometric variates consumed (one variate = one draw)"]
    for name, g in figures.items():
        lines += [
            f"{name}: python loop {g['loop_eps']:,.0f} episodes/s (stdlib random scalar draws), "
            f"{g['loop_numpy_eps']:,.0f} episodes/s (numpy scalar draws); "
            f"success {g['success_loop']:.4f}",
        ]
        for method in ("pass", "run"):
            f = g[method]
            lines += [
                f"  method={method!r}: {f['passes_per_episode']:.2f} passes per episode, "
                f"{f['draws_per_episode']:.2f} draws per episode, "
                f"{f['draws_per_pass']:.2f} draws per pass",
                f"    vectorised   {f['vectorised_eps']:>14,.0f} episodes/s",
                f"    speed-up     {f['speedup']:>14.1f}x   (vs stdlib loop; target >= 20x; "
                f"vs numpy loop {f['speedup_numpy']:.1f}x)",
                f"    passes       {f['passes_per_s']:>14,.0f} passes/s",
                f"    draws        {f['draws_per_s']:>14,.0f} draws/s consumed by the simulator",
                f"    raw random   {f['raw_blocks_per_s']:>14,.0f} uniforms/s (blocks of "
                f"{2 * CHUNK_SIZE}); one block: {f['raw_one_block_per_s']:,.0f}/s",
                f"    raw / sim    {f['raw_ratio']:>14.2f}x   (target <= 3x; vs one block: "
                f"{f['raw_ratio_one_block']:.2f}x)",
                f"    success      {f['success_vectorised']:.4f}",
            ]
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
            assert g[method]["speedup"] >= 3.0
            assert abs(g[method]["success_vectorised"] - g["success_loop"]) < 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--loop-episodes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(report(measure(args.episodes, args.loop_episodes, args.repeat)))
    print(report_stream(measure_stream(2 * args.episodes, args.repeat)))


if __name__ == "__main__":
    main()
