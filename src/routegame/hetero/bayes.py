r"""The Bayes-optimal user: knows the task table, learns from each failure, stops optimally.

Two models, the paper's policy class (route i, cascade s, no way back from M2). The user sees
which model failed. After a failures on M1 (and, once on M2, b failures there) the posterior
weight of task t is proportional to w_t h_t, with the likelihoods

    h1_t(a)    = prod_{i=1..a} (1 - p_{t,1}(i)),
    h2_t(a, b) = h1_t(a) prod_{i=a+1..a+b} (1 - p_{t,2}(i))

(attempt numbers are overall, so schedules are allowed). Working with **unnormalised** values
(multiplied by the probability of reaching the state, which is positive and does not change any
sign) the user's optimal value solves the backward induction

    Phi2(a, b) = sum_t w_t h2_t(a, b) (V p_{t,2}(a+b+1) - lambda t_2) + max(0, Phi2(a, b+1))
    Phi1(a)    = sum_t w_t h1_t(a)    (V p_{t,1}(a+1)   - lambda t_1)
                 + max(0, (1 - s) Phi1(a + 1) + s Phi2(a + 1, 0)),

where the max is the decision after the failure (continue iff the continuation value is > 0;
= 0 is an indifference, broken by the provider's cost computed by the same recursion with
per-pass weights c_k - P p_k, so J = P + Psi at the root). The user's expected utility is
U = Phi1(0) on route 1 and Phi2(0, 0) on route 2.

**Truncation.** The user is forced to stop at the N-th failure. The value lost is at most V
times the probability that the always-re-prompting chain reaches N failures on a task that some
reachable model can still solve; this bound (``truncation_bound``) is computed from the same
lattice and N is doubled (64, 128, ..., ``max_depth``) until it is below ``tol``.

The M2 part of the lattice does not depend on s, so a search over s costs O(N) per s after an
O(N^2 T) precomputation. Both run on compiled loops (:mod:`routegame.hetero._compiled`) when
they are large (:func:`routegame.hetero.chain.use_kernels`); the loops here stay the oracle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from routegame._types import FloatArray
from routegame.hetero.chain import use_kernels

__all__ = ["BayesLattice", "BayesResponse", "bayes_lattice", "bayes_respond", "bayes_respond_many"]


class BayesLattice(NamedTuple):
    """s-independent parts of the backward induction, for one (V, P, lambda) and depth N."""

    depth: int
    m1_u: FloatArray  #: (N,) immediate unnormalised utility of the M1 pass at a failures
    m1_j: FloatArray  #: (N,) immediate provider weight of that pass
    m1_z: FloatArray  #: (N,) probability of reaching it (sum_t w h1)
    m1_s: FloatArray  #: (N,) success mass of that pass
    m1_solv: FloatArray  #: (N,) reach mass of tasks still solvable
    m2_phi: FloatArray  #: (N + 1,) Phi2(a, 0): value of entering M2 after a failures
    m2_psi: FloatArray  #: (N + 1,) provider's Psi2(a, 0)
    m2_succ: FloatArray  #: (N + 1,) success mass from entering M2 at a
    m2_pass: FloatArray  #: (N + 1,) expected M2 passes (unnormalised) from entering at a
    m2_cont1: FloatArray  #: (N + 1,) 1 if the user re-prompts after the first M2 failure
    m2_tail: FloatArray  #: (N + 1,) reach mass at depth N of solvable tasks, entering at a


class BayesResponse(NamedTuple):
    """The Bayes user's decisions and the outcomes under them."""

    user_utility: float
    provider_cost: float
    success: float
    passes: tuple[float, float]
    abandon_first: float  #: probability of abandoning right after the first failure
    continue_m1: FloatArray  #: decision after the a-th M1 failure (a = 1..N-1), 1 = re-prompt
    indifferent: bool
    truncation_bound: float
    depth: int


def bayes_lattice(
    prob: FloatArray, weight: FloatArray, V: float, P: float, t: FloatArray, c: FloatArray,
    lam: float, depth: int, tie_break: str = "strong",
) -> BayesLattice:
    """Precompute the M2 lattice Phi2(a, b), Psi2(a, b) and the M1 immediate terms."""
    T, _, A = prob.shape
    N = depth
    idx = np.minimum(np.arange(N + 1), A - 1)  # attempt a+1 -> column min(a, A-1)
    p1 = prob[:, 0, idx]  # (T, N+1): p1 at attempt a+1
    prob[:, 1, idx]
    solvable = (prob.max(axis=(1, 2)) > 0).astype(float)
    # h1(a) for a = 0..N
    h1 = np.concatenate([np.ones((T, 1)), np.cumprod(1.0 - p1[:, :N], axis=1)], axis=1)
    m1_z = weight @ h1[:, :N]
    m1_s = weight @ (h1[:, :N] * p1[:, :N])
    m1_u = V * m1_s - lam * t[0] * m1_z
    m1_j = c[0] * m1_z - P * m1_s
    m1_solv = weight @ (h1 * solvable[:, None])
    if use_kernels(T * N * (N + 1) // 2):
        from routegame.hetero import _compiled

        phi, psi, succ, npass, cont1, tail = _compiled.bayes_m2(
            np.ascontiguousarray(prob, dtype=np.float64), np.ascontiguousarray(weight),
            np.ascontiguousarray(h1), np.ascontiguousarray(solvable), float(V), float(P),
            float(lam * t[1]), float(c[1]), int(N), tie_break == "strong")
    else:
        phi = np.zeros(N + 1)
        psi = np.zeros(N + 1)
        succ = np.zeros(N + 1)
        npass = np.zeros(N + 1)
        cont1 = np.zeros(N + 1)
        tail = np.zeros(N + 1)
        tol = 1e-12 * max(1.0, abs(V))
        for a in range(N + 1):
            nb = N - a  # passes on M2 possible: b = 0..nb-1 (the (a+b+1)-th pass, forced stop at N)
            if nb <= 0:
                continue
            cols = np.minimum(np.arange(a, a + nb), A - 1)
            q2 = prob[:, 1, cols]  # (T, nb): p2 at attempt a+b+1
            hb = np.concatenate([np.ones((T, 1)), np.cumprod(1.0 - q2[:, :-1], axis=1)], axis=1)
            h2 = h1[:, a : a + 1] * hb  # (T, nb)
            z = weight @ h2
            sm = weight @ (h2 * q2)
            u_imm = V * sm - lam * t[1] * z
            j_imm = c[1] * z - P * sm
            tail_mass = weight @ (h1[:, a] * np.prod(1.0 - q2, axis=1) * solvable)
            # backward over b
            v_next, j_next, s_next, n_next = 0.0, 0.0, 0.0, 0.0
            go = 0.0  # after the loop: the decision taken after the first M2 failure
            tail_reach = tail_mass
            for b in range(nb - 1, -1, -1):
                if b == nb - 1:
                    go = 0.0
                else:
                    if v_next > tol:
                        go = 1.0
                    elif v_next < -tol:
                        go = 0.0
                    else:
                        go = 1.0 if (j_next < 0) == (tie_break == "strong") else 0.0
                if go == 0.0 and b < nb - 1:
                    tail_reach = 0.0
                vb = u_imm[b] + go * v_next
                jb = j_imm[b] + go * j_next
                sb = sm[b] + go * s_next
                nbp = z[b] + go * n_next
                v_next, j_next, s_next, n_next = vb, jb, sb, nbp
            # decision after the first M2 failure is the go used when computing b = 0
            cont1[a] = go if nb > 1 else 0.0
            phi[a], psi[a], succ[a], npass[a], tail[a] = v_next, j_next, s_next, n_next, tail_reach
    return BayesLattice(N, m1_u, m1_j, m1_z, m1_s, m1_solv, phi, psi, succ, npass, cont1, tail)


def bayes_respond(lat: BayesLattice, route: int, s: float, V: float, P: float,
                  tie_break: str = "strong") -> BayesResponse:
    """The Bayes user's response to (route, s) and the outcomes, from a lattice."""
    N = lat.depth
    tol = 1e-12 * max(1.0, abs(V))
    indiff = False
    if route == 2:
        U = float(lat.m2_phi[0])
        J = P + float(lat.m2_psi[0])
        S = float(lat.m2_succ[0])
        n = (0.0, float(lat.m2_pass[0]))
        go1 = float(lat.m2_cont1[0])
        bound = V * float(lat.m2_tail[0])
        return BayesResponse(U, J, S, n, 1.0 - go1, np.array([go1]), indiff, bound, N)
    v = np.zeros(N + 1)
    jj = np.zeros(N + 1)
    ss = np.zeros(N + 1)
    n1 = np.zeros(N + 1)
    n2 = np.zeros(N + 1)
    reach = np.zeros(N + 1)  # solvable reach mass at depth N, from M1 state a
    goes = np.zeros(N)
    for a in range(N - 1, -1, -1):
        if a == N - 1:
            go = 0.0
            cv = cj = cs = cn1 = cn2 = creach = 0.0
        else:
            cv = (1.0 - s) * v[a + 1] + s * lat.m2_phi[a + 1]
            cj = (1.0 - s) * jj[a + 1] + s * lat.m2_psi[a + 1]
            cs = (1.0 - s) * ss[a + 1] + s * lat.m2_succ[a + 1]
            cn1 = (1.0 - s) * n1[a + 1]
            cn2 = (1.0 - s) * n2[a + 1] + s * lat.m2_pass[a + 1]
            creach = (1.0 - s) * reach[a + 1] + s * lat.m2_tail[a + 1]
            if cv > tol:
                go = 1.0
            elif cv < -tol:
                go = 0.0
            else:
                go = 1.0 if (cj < 0) == (tie_break == "strong") else 0.0
                if a == 0:
                    indiff = True
        goes[a] = go
        v[a] = lat.m1_u[a] + go * cv
        jj[a] = lat.m1_j[a] + go * cj
        ss[a] = lat.m1_s[a] + go * cs
        n1[a] = lat.m1_z[a] + go * cn1
        n2[a] = go * cn2
        reach[a] = lat.m1_solv[N] if a == N - 1 else go * creach
    go_first = goes[0]
    # probability of abandoning after the first failure: the M1 decision at a = 0
    return BayesResponse(
        float(v[0]), P + float(jj[0]), float(ss[0]), (float(n1[0]), float(n2[0])),
        1.0 - go_first, goes[: N - 1].copy(), indiff, V * float(reach[0]), N,
    )


def bayes_respond_many(lat: BayesLattice, routes: FloatArray, s: FloatArray, V: float, P: float,
                       tie_break: str = "strong") -> list[BayesResponse]:
    """:func:`bayes_respond` for n policies (routes and cascades of shape (n,)).

    Above the compiled-kernel size (n x depth) the route-1 backward inductions run in one
    compiled loop (:mod:`routegame.hetero._compiled`, bitwise equal to :func:`bayes_respond`).

    Examples
    --------
    >>> lat = bayes_lattice(np.array([[[0.2], [0.9]], [[0.7], [0.8]]]), np.array([0.5, 0.5]),
    ...                     10.0, 5.0, np.array([1.0, 4.0]), np.array([1.0, 3.0]), 1.0, 16)
    >>> many = bayes_respond_many(lat, np.array([1.0, 2.0]), np.array([0.5, 0.0]), 10.0, 5.0)
    >>> many[0].user_utility == bayes_respond(lat, 1, 0.5, 10.0, 5.0).user_utility
    True
    """
    routes = np.asarray(routes, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    N = lat.depth
    one = np.flatnonzero(routes == 1)
    if one.size == 0 or not use_kernels(one.size * N):
        return [bayes_respond(lat, 1 if r == 1 else 2, float(x), V, P, tie_break)
                for r, x in zip(routes, s, strict=True)]
    from routegame.hetero import _compiled

    tol = 1e-12 * max(1.0, abs(V))
    out, goes, indiff = _compiled.bayes_walk(
        lat.m1_u, lat.m1_j, lat.m1_z, lat.m1_s, lat.m1_solv, lat.m2_phi, lat.m2_psi,
        lat.m2_succ, lat.m2_pass, lat.m2_tail, np.ascontiguousarray(s[one]), tol,
        tie_break == "strong")
    res: list[BayesResponse | None] = [None] * routes.size
    for k, i in enumerate(one):
        res[i] = BayesResponse(
            float(out[0, k]), P + float(out[1, k]), float(out[2, k]),
            (float(out[3, k]), float(out[4, k])), 1.0 - float(goes[k, 0]),
            goes[k, : N - 1].copy(), bool(indiff[k]), V * float(out[5, k]), N)
    for i in np.flatnonzero(routes != 1):
        res[i] = bayes_respond(lat, 2, float(s[i]), V, P, tie_break)
    return [r for r in res if r is not None]
