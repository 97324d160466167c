"""Compile (cold numba cache) or load (warm cache) the compiled kernels ahead of their first use.

The kernels (:mod:`routegame._jit`) are compiled on the first large call after an install:
two-model equilibrium about 16 s, simulator about 12 s, heterogeneous engine about 3 s on a
two-core machine. ``make warm`` (or ``python -m routegame._warm [GROUP ...]``, groups
``two-model``, ``simulate``, ``hetero``; all by default) runs each group's kernels once on
tiny inputs with the compiled path forced on, so that later processes only load the cached
machine code (about 1 s). ``make test`` runs the groups in two processes before the suite, so
that its workers do not each compile the same kernels. Nothing is computed that a caller
sees; without numba (the ``fast`` extra) it does nothing.

Examples
--------
>>> from routegame._warm import GROUPS
>>> sorted(GROUPS)
['hetero', 'simulate', 'two-model']
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from routegame import _jit

__all__ = ["GROUPS", "main", "warm"]


def _two_model() -> None:
    from routegame.closed_form import _compiled

    _compiled.warm()


def _simulate() -> None:
    from routegame.params import GameParams
    from routegame.simulate import TaskDistribution, simulate, simulate_summary

    paper = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    three = GameParams.from_lists(12.0, 4.0, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.3, 0.5, 0.7])
    R2 = [[0.5, 0.5], [0.0, 1.0]]
    R3 = [[0.2, 0.4, 0.4], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]]
    for method in ("pass", "run"):
        simulate(paper, [1.0, 0.0], R2, 0.2, 100, 1, method=method)
        simulate(three, [0.2, 0.3, 0.5], R3, [0.1, 0.2, 0.3], 100, 1, method=method)
        simulate_summary(paper, [1.0, 0.0], R2, 0.2, 100, 1, method=method)
    simulate(paper, [0.5, 0.5], R2, 0.2, 100, np.random.Generator(np.random.MT19937(1)))
    simulate(paper, [0.5, 0.5], R2, 0.2, 100, 1,
             tasks=TaskDistribution.beta_mean([0.3, 0.8], 3.0))


def _hetero() -> None:
    from routegame.hetero.chain import stationary_slopes, two_model_sums

    rng = np.random.default_rng(0)
    w = np.full(3, 1 / 3)
    start, s, u = np.array([1.0, 0.0]), np.array([0.5, 0.2]), np.zeros(2)
    for A in (1, 2):
        two_model_sums(rng.uniform(0.1, 0.9, (3, 2, A)), w, start, s, u,
                       rng.uniform(0.1, 0.9, (2, 2, A)))
    p1, p2 = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3)
    stationary_slopes(p1, p2, w, -p1, p2, start, s, u, np.array([0.5, 0.9]))


#: The groups of kernels, by name.
GROUPS: dict[str, Callable[[], None]] = {
    "two-model": _two_model, "simulate": _simulate, "hetero": _hetero,
}


def warm(*groups: str) -> dict[str, float]:
    """Compile or load the kernels of ``groups`` (all by default); seconds per group.

    Raises
    ------
    ValueError
        For a group that is not in :data:`GROUPS`.

    Examples
    --------
    >>> sorted(warm("hetero"))
    ['hetero']
    """
    names = groups or tuple(GROUPS)
    bad = [g for g in names if g not in GROUPS]
    if bad:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}; got {bad[0]!r}")
    out: dict[str, float] = {}
    if not _jit.available():
        return out
    for name in names:
        t0 = time.perf_counter()
        with _jit.forced(True):
            GROUPS[name]()
        out[name] = time.perf_counter() - t0
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m routegame._warm [GROUP ...]``: exit status 2 and one line for a bad group."""
    args = sys.argv[1:] if argv is None else argv
    try:
        times = warm(*args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not times:
        print("numba (the 'fast' extra) is not installed: nothing to compile")
    for name, sec in times.items():
        print(f"compiled kernels {name}: {sec:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
