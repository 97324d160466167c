"""Reproduce the frequency tables of docs/theory.md (run: .venv/bin/python docs/paper_claims.py).

10^6 random two-model games under the paper's standing assumptions (t, c, p sorted), solved
exactly with ``routegame.solve_arrays``: which policy is optimal in each regime, how often the
weak optimum is not attained, where throttling pays, and how the misalignment proposition fares.
"""

from __future__ import annotations

import numpy as np

import routegame as rg


def main(n: int = 10**6, seed: int = 2026) -> None:
    rng = np.random.default_rng(seed)
    p = np.sort(rng.uniform(0.02, 0.98, (n, 2)), axis=1)
    t = np.sort(rng.uniform(0.1, 10, (n, 2)), axis=1)
    c = np.sort(rng.uniform(0, 10, (n, 2)), axis=1)
    V = rng.uniform(0.5, 30, n)
    P = rng.uniform(0, 50, n)
    s = rg.solve_arrays(V, P, t, c, p)
    kind = np.where(s.route == 2, "(2,0)", np.where(s.cascade == 0, "(1,0)",
                    np.where(s.cascade == 1, "(1,1)", "(1,s*)")))
    inner = (s.route == 1) & (s.cascade > 0) & (s.cascade < 1)
    kind = np.where(inner & np.isclose(s.cascade, s.s0), "(1,s0)", kind)
    kind = np.where(inner & np.isclose(s.cascade, s.s_low), "(1,s_low)", kind)
    kind = np.where(inner & (s.abandon > 0) & (s.abandon < 1), "(1,s*) mixed q", kind)
    print(f"{n:,} games, V ~ U(0.5, 30), P ~ U(0, 50), t, c, p sorted uniform draws")
    for r, name in enumerate(rg.REGIMES[:4]):
        m = s.regime == r
        names, counts = np.unique(kind[m], return_counts=True)
        shares = ", ".join(f"{a} {b / m.sum():.1%}" for a, b in zip(names, counts, strict=True))
        print(f"  {name:16s} ({m.mean():.1%} of games): {shares}")
    print(f"weak optimum not attained: {(~s.weak_attained).mean():.2%}")
    for r, name in enumerate(rg.REGIMES[:4]):
        m = s.regime == r
        print(f"  throttling pays in {name}: {(s.throttle_pays & m).sum() / m.sum():.1%}")
    min_cp = np.minimum(c[:, 0] / p[:, 0], c[:, 1] / p[:, 1])
    print(f"throttling pays although P >= min c/p: {(s.throttle_pays & (min_cp <= P)).sum()}")
    print(f"P <= min c/p but throttling does not pay: {((~s.throttle_pays) & (min_cp >= P)).mean():.1%}")
    xi1 = V * p[:, 0] - t[:, 0]
    xi2 = V * p[:, 1] - t[:, 1]
    u1 = np.where(xi1 > 0, xi1 / p[:, 0], xi1)
    u2 = np.where(xi2 > 0, xi2 / p[:, 1], xi2)
    agree = np.where(c[:, 0] / p[:, 0] <= c[:, 1] / p[:, 1], 1, 2) == np.where(u1 >= u2, 1, 2)
    gap = s.misalignment_gap > 1e-9
    print(f"gap > 0 with agreeing rankings: {(gap & agree).mean():.1%}; "
          f"gap = 0 with differing rankings: {(~gap & ~agree).mean():.1%}")


if __name__ == "__main__":
    main()
