"""Timing of the exact K-model solvers (routegame.general) as the number of models grows.

Run with ``python benchmarks/bench_general.py`` (prints two tables); ``--stats`` prints instead how
often the optimum cascades over random games (docs/theory_kmodel.md, section 5). The ``bench_*`` functions are
not collected by the normal test run; each times one solve on a fixed random game.

Issue 10 ("K-model chain evaluation"): profiling showed the solver's time at large K went to the
Python loop that enumerates the O(K^3) candidate optima (``provider._candidates``), not to linear
solves or scipy, so it was vectorised with numpy instead of compiled with numba (a single game
cannot pay numba's ~1 s load). The first table times, in one run, the solver with the loop
enumeration (``before``: ``provider._candidates_reference``, the oracle) and the vectorised one
(``after``), and prints the ratio; weak tie-breaking also evaluates the user's responses to
the non-strict candidates in one batched call (``provider._weak_costs``) instead of one call each.
No numba is imported, so there is no compile / cache-load time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from routegame.engines import KModelEngine
from routegame.general import (
    equilibrium,
    provider,
    state_aware_best_response,
    stationary_best_response,
    user_preferred,
)
from routegame.params import GameParams

SIZES = (2, 3, 5, 10, 20)


def random_game(K: int, seed: int = 0) -> GameParams:
    """A game with K models of mixed net values (some value-, some latency-dominated)."""
    rng = np.random.default_rng(seed)
    return GameParams.from_lists(
        10.0, 8.0, rng.uniform(0.5, 9.0, K).tolist(), rng.uniform(0.1, 5.0, K).tolist(),
        rng.uniform(0.1, 0.9, K).tolist(),
    )


def random_policy(K: int, seed: int = 0, upward: bool = False) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed + 1)
    R = rng.dirichlet(np.ones(K), size=K)
    if upward:
        R = np.triu(R) + np.diag(np.full(K, 1e-3))
        R /= R.sum(axis=1, keepdims=True)
    return rng.dirichlet(np.ones(K)), R


def _time(fn: Callable[[], Any], repeat: int = 5) -> float:
    fn()  # warm up
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def bench_equilibrium(K: int = 5, user: str = "stationary", tie_break: str = "strong") -> float:
    """Seconds for one exact Stackelberg optimum over all (pi, R)."""
    g = random_game(K)
    return _time(lambda: equilibrium(g, user, tie_break))  # type: ignore[arg-type]


def bench_user_preferred(K: int = 5) -> float:
    """Seconds for the user-preferred policy."""
    g = random_game(K)
    return _time(lambda: user_preferred(g))


def bench_stationary_best_response(K: int = 5, upward: bool = False) -> float:
    """Seconds for one exact stationary best response (polynomial roots)."""
    g = random_game(K)
    start, R = random_policy(K, upward=upward)
    return _time(lambda: stationary_best_response(g, start, R))


def bench_state_aware_best_response(K: int = 5, upward: bool = False) -> float:
    """Seconds for one exact state-aware best response (backward induction / policy iteration)."""
    g = random_game(K)
    start, R = random_policy(K, upward=upward)
    return _time(lambda: state_aware_best_response(g, start, R))


def before_after(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float]:
    """Seconds (best of ``repeat``) of ``fn`` on the loop enumeration and on the vectorised one."""
    with provider._reference_loops():
        before = _time(fn, repeat)
    return before, _time(fn, repeat)


def cascade_frequency(
    K: int, n: int = 2000, ordered: bool = False, rng: int | np.random.Generator | None = 2026
) -> dict[str, float]:
    """Share of random games whose strong optimum is of each kind, and the mean misalignment gap.

    Kinds: ``"abandon"`` (one pass, then the user quits), ``"stay"`` (re-prompt on the start
    model), ``"switch"`` (re-prompt on one other model), ``"mix"`` (randomised two-model
    cascade). Games: V ~ U(1, 20), P ~ U(0, 30), t ~ U(0.1, 10), c ~ U(0, 5), p ~ U(0.05, 0.95),
    per model; ``ordered`` sorts t, c and p increasing (the paper's standing assumptions).
    """
    gen = np.random.default_rng(rng)
    counts = {"abandon": 0, "stay": 0, "switch": 0, "mix": 0}
    gap = 0.0
    for _ in range(n):
        V, P = gen.uniform(1, 20), gen.uniform(0, 30)
        t, c, p = gen.uniform(0.1, 10, K), gen.uniform(0, 5, K), gen.uniform(0.05, 0.95, K)
        if ordered:
            t, c, p = np.sort(t), np.sort(c), np.sort(p)
        g = GameParams.from_lists(V, P, t.tolist(), c.tolist(), p.tolist())
        eq = equilibrium(g)
        rho = np.array(eq.continuation)
        m = int(np.argmax(eq.start))
        if eq.kind == "abandon":
            counts["abandon"] += 1
        elif (rho > 0).sum() > 1:
            counts["mix"] += 1
        elif rho[m] == 1.0:
            counts["stay"] += 1
        else:
            counts["switch"] += 1
        gap += user_preferred(g).user_utility - eq.user_utility
    out = {k: v / n for k, v in counts.items()}
    out["mean_gap"] = gap / n
    return out


def main() -> None:
    import sys

    if "--stats" in sys.argv:  # the table of docs/theory_kmodel.md section 5 (~2 minutes)
        for ordered in (False, True):
            for K in (2, 3, 4, 5):
                print(K, ordered, cascade_frequency(K, ordered=ordered))
        return
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"exact K-model solver, best of 5, milliseconds (1-min load {load:.2f}); "
          "before = loop forms, after = vectorised / batched")
    cases: list[tuple[str, Callable[[GameParams], Callable[[], Any]]]] = [
        ("solve stat", lambda g: lambda: KModelEngine("stationary").solve(g)),
        ("solve s-a", lambda g: lambda: KModelEngine("state-aware").solve(g)),
        ("eq stat", lambda g: lambda: equilibrium(g, "stationary", "strong")),
        ("eq s-a", lambda g: lambda: equilibrium(g, "state-aware", "strong")),
        ("eq stat weak", lambda g: lambda: equilibrium(g, "stationary", "weak")),
        ("eq s-a weak", lambda g: lambda: equilibrium(g, "state-aware", "weak")),
        ("candidates", lambda g: lambda: provider._candidates(g)),
    ]
    print(f"{'K':>3} | " + " | ".join(f"{name:>24}" for name, _ in cases))
    print(f"{'':>3} | " + " | ".join(f"{'before -> after (x)':>24}" for _ in cases))
    for K in SIZES:
        g = random_game(K)
        cells = []
        for name, make in cases:
            fn = make(g)
            if name == "candidates":
                t_after = _time(fn)
                t_before = _time(lambda g=g: provider._candidates_reference(g))  # type: ignore[misc]
            else:
                t_before, t_after = before_after(fn)
            cells.append(f"{1e3 * t_before:7.2f} -> {1e3 * t_after:6.2f} ({t_before / t_after:4.1f})")
        print(f"{K:>3} | " + " | ".join(f"{c:>24}" for c in cells))
    print()
    rows = []
    for K in SIZES:
        rows.append((
            K,
            bench_user_preferred(K),
            bench_stationary_best_response(K),
            bench_stationary_best_response(K, upward=True),
            bench_state_aware_best_response(K),
            bench_state_aware_best_response(K, upward=True),
        ))
    head = ("K", "user-pref", "BR stat", "BR stat up", "BR s-a", "BR s-a up")
    print("unchanged by issue 10 (no candidate enumeration), best of 5, milliseconds")
    print(" | ".join(f"{h:>12}" for h in head))
    for r in rows:
        print(" | ".join([f"{r[0]:>12d}"] + [f"{1e3 * x:>12.2f}" for x in r[1:]]))


if __name__ == "__main__":
    main()
