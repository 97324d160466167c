r"""Compiled (numba) kernels of the heterogeneous engine's per-task chain sums.

Private: imported by :mod:`routegame.hetero.chain` only when
``routegame._jit.use_compiled(tasks x policies)`` is true, so small games and a single CLI call
never import numba. The maths is that of :mod:`routegame.hetero.chain` (the numpy functions
stay the oracle): each kernel is one fused loop over policies (outer, ``numba.prange``:
both cores) and tasks (inner, a running weighted sum), with the same per-element formulas in
the same order as the numpy path. Only the order of the final weighted sums over tasks differs
(numpy's ``weight @ y`` is a blocked BLAS dot, here a sequential sum), so results agree to a
few ulps of the sums of absolute values (the tests use 1e-12 relative).

Every kernel works on finite chains only. Where a chain can run for ever (the numpy path's
``det <= _DIVERGE``) a kernel sets ``ok = False`` and the caller falls back to the numpy path,
which handles that case; slopes follow numpy's IEEE semantics (inf/NaN, ``error_model="numpy"``).

Each kernel has a serial and a parallel (``numba.prange`` over policies) version: the parallel
one only pays for large batches (a parallel launch costs about 30 us, much more on a loaded
machine), so :data:`KERNELS` is indexed by ``parallel`` and the caller chooses. The sum over
tasks of one policy is always done by one thread in task order, so results do not depend on the
number of threads or on the version.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from routegame._types import BoolArray, FloatArray

__all__ = ["KERNELS", "PARALLEL_MIN", "bayes_m2", "bayes_walk", "kernel"]

_DIVERGE = 1e-14


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _paper_one(
    p1: FloatArray, p2: FloatArray, weight: FloatArray, x1: float, si: float, ui: float,
    ri1: float, ri2: float, paper: bool,
) -> tuple[float, float, float, float, int]:
    """S, n_1, n_2, A of one policy without schedules, and the count of diverging tasks.

    ``paper``: no way back from M2 (u = 0): the triangular solve of ``chain._paper_class``,
    else the 2 x 2 solve of ``chain._iid_given_task``. Branch-free inner loops (they
    vectorise): a diverging chain is counted, not broken on.
    """
    x2 = 1.0 - x1
    acc_s = 0.0
    acc_1 = 0.0
    acc_2 = 0.0
    acc_a1 = 0.0
    acc_a2 = 0.0
    nbad = 0
    if paper:
        for t in range(p1.shape[0]):
            q1 = 1.0 - p1[t]
            q2 = 1.0 - p2[t]
            w = weight[t]
            d1 = q1 * ri1
            den1 = 1.0 - d1 * (1.0 - si)
            den2 = 1.0 - q2 * ri2
            nbad += (den1 <= _DIVERGE) | (den2 <= _DIVERGE)
            y1 = x1 / den1
            y2 = (d1 * si * y1 + x2) / den2
            acc_s += w * p1[t] * y1 + w * p2[t] * y2
            acc_1 += w * y1
            acc_2 += w * y2
            acc_a1 += w * q1 * y1
            acc_a2 += w * q2 * y2
    else:
        for t in range(p1.shape[0]):
            q1 = 1.0 - p1[t]
            q2 = 1.0 - p2[t]
            w = weight[t]
            d1 = q1 * ri1
            d2 = q2 * ri2
            m12 = d1 * si
            m21 = d2 * ui
            om11 = 1.0 - d1 + m12
            om22 = 1.0 - d2 + m21
            det = om11 * om22 - m12 * m21
            nbad += det <= _DIVERGE
            inv = 1.0 / det
            y1 = (x1 * om22 + x2 * m21) * inv
            y2 = (x1 * m12 + x2 * om11) * inv
            acc_s += w * p1[t] * y1 + w * p2[t] * y2
            acc_1 += w * y1
            acc_2 += w * y2
            acc_a1 += w * q1 * y1
            acc_a2 += w * q2 * y2
    return acc_s, acc_1, acc_2, acc_a1 * (1.0 - ri1) + acc_a2 * (1.0 - ri2), nbad


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _schedule_one(
    prob: FloatArray, weight: FloatArray, x0: float, si: float, ui: float, cont: FloatArray,
    i: int,
) -> tuple[float, float, float, float, int]:
    """S, n_1, n_2, A of policy i with schedules (T, 2, A) and continuation tables (N, 2, H):
    the m - 1 forward steps and the geometric tail of ``chain.two_model_sums``."""
    A = prob.shape[2]
    H = cont.shape[2]
    m = max(A, H)
    acc_s = 0.0
    acc_1 = 0.0
    acc_2 = 0.0
    acc_a = 0.0
    nbad = 0
    for t in range(prob.shape[0]):
        x1 = x0
        x2 = 1.0 - x0
        e1 = 0.0
        e2 = 0.0
        sx = 0.0
        ax = 0.0
        for a in range(1, m):
            pa = min(a, A) - 1
            ha = min(a, H) - 1
            q1 = prob[t, 0, pa]
            q2 = prob[t, 1, pa]
            c1 = cont[i, 0, ha]
            c2 = cont[i, 1, ha]
            e1 += x1
            e2 += x2
            sx += x1 * q1 + x2 * q2
            f1 = x1 * (1.0 - q1) * c1
            f2 = x2 * (1.0 - q2) * c2
            ax += x1 * (1.0 - q1) * (1.0 - c1) + x2 * (1.0 - q2) * (1.0 - c2)
            x1, x2 = f1 * (1.0 - si) + f2 * ui, f1 * si + f2 * (1.0 - ui)
        q1 = prob[t, 0, A - 1]
        q2 = prob[t, 1, A - 1]
        c1 = cont[i, 0, H - 1]
        c2 = cont[i, 1, H - 1]
        d1 = (1.0 - q1) * c1
        d2 = (1.0 - q2) * c2
        m11 = d1 * (1.0 - si)
        m12 = d1 * si
        m21 = d2 * ui
        m22 = d2 * (1.0 - ui)
        det = (1.0 - m11) * (1.0 - m22) - m12 * m21
        nbad += det <= _DIVERGE
        y1 = (x1 * (1.0 - m22) + x2 * m21) / det
        y2 = (x1 * m12 + x2 * (1.0 - m11)) / det
        e1 += y1
        e2 += y2
        sx += y1 * q1 + y2 * q2
        ax += y1 * (1.0 - q1) * (1.0 - c1) + y2 * (1.0 - q2) * (1.0 - c2)
        w = weight[t]
        acc_s += w * sx
        acc_1 += w * e1
        acc_2 += w * e2
        acc_a += w * ax
    return acc_s, acc_1, acc_2, acc_a, nbad


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _paper_slopes_one(
    p1: FloatArray, p2: FloatArray, wg1: FloatArray, wg2: FloatArray, x1: float, si: float,
    ri: float,
) -> tuple[float, float]:
    """(U', U'') of ``chain._paper_slopes`` (u = 0) for one policy; wg_k = w g_k."""
    x2 = 1.0 - x1
    acc_d = 0.0
    acc_e = 0.0
    for t in range(p1.shape[0]):
        q1 = 1.0 - p1[t]
        b22 = 1.0 - p2[t]
        b12 = q1 * si
        b11 = q1 - b12
        ia = 1.0 / (1.0 - ri * b11)
        ic = 1.0 / (1.0 - ri * b22)
        y1 = x1 * ia
        d1 = b11 * y1 * ia
        e1 = 2.0 * b11 * d1 * ia
        y2 = (ri * b12 * y1 + x2) * ic
        hp = b12 * (y1 + ri * d1)
        hpp = b12 * (2.0 * d1 + ri * e1)
        d2 = (hp + b22 * y2) * ic
        e2 = (hpp + 2.0 * b22 * d2) * ic
        acc_d += wg1[t] * d1 + wg2[t] * d2
        acc_e += wg1[t] * e1 + wg2[t] * e2
    return acc_d, acc_e


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _slopes_one(
    p1: FloatArray, p2: FloatArray, wg1: FloatArray, wg2: FloatArray, v1: float, si: float,
    ui: float, ri: float,
) -> tuple[float, float]:
    """(U', U'') of ``chain.stationary_slopes`` with a way back (u != 0) for one policy."""
    v2 = 1.0 - v1
    acc_d = 0.0
    acc_e = 0.0
    for t in range(p1.shape[0]):
        q1 = 1.0 - p1[t]
        q2 = 1.0 - p2[t]
        b11 = q1 * (1.0 - si)
        b12 = q1 * si
        b21 = q2 * ui
        b22 = q2 * (1.0 - ui)
        om11 = 1.0 - ri * b11
        om22 = 1.0 - ri * b22
        m12 = ri * b12
        m21 = ri * b21
        inv = 1.0 / (om11 * om22 - m12 * m21)
        y1 = (v1 * om22 + v2 * m21) * inv
        y2 = (v1 * m12 + v2 * om11) * inv
        z1 = y1 * b11 + y2 * b21
        z2 = y1 * b12 + y2 * b22
        d1 = (z1 * om22 + z2 * m21) * inv
        d2 = (z1 * m12 + z2 * om11) * inv
        z1 = d1 * b11 + d2 * b21
        z2 = d1 * b12 + d2 * b22
        e1 = (z1 * om22 + z2 * m21) * inv
        e2 = (z1 * m12 + z2 * om11) * inv
        acc_d += wg1[t] * d1 + wg2[t] * d2
        acc_e += wg1[t] * e1 + wg2[t] * e2
    return acc_d, 2.0 * acc_e


# The batch kernels: one loop body each, over policies with ``numba.prange``, compiled twice by
# _serial_and_parallel: serially (prange runs as range) and with parallel=True.


def _serial_and_parallel(body: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Compile a loop body twice: serially and with ``parallel=True`` (prange over policies).

    numba's on-disk cache names a function's index file after its module, ``__qualname__`` and
    first line, and keys the entries by signature, target machine and bytecode, not by the
    ``parallel`` option: compiling the same function object twice with ``cache=True`` would
    give both versions one cache entry, and the second compiled would load the first's machine
    code. So the parallel version is compiled from a twin function object (same code, globals
    and defaults) whose ``__qualname__`` ends in ``_parallel``: its own index file and entries.
    """
    twin = types.FunctionType(body.__code__, body.__globals__, body.__name__ + "_parallel",
                              body.__defaults__, body.__closure__)
    twin.__qualname__ = body.__qualname__ + "_parallel"
    opts: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}
    return numba.njit(**opts)(body), numba.njit(parallel=True, **opts)(twin)


def _paper_sums(
    p1: FloatArray, p2: FloatArray, weight: FloatArray, start1: FloatArray, s: FloatArray,
    u: FloatArray, r1: FloatArray, r2: FloatArray, paper: bool,
) -> tuple[FloatArray, bool]:
    N = start1.shape[0]
    out = np.empty((4, N))
    nbad = 0
    for i in numba.prange(N):
        a, b, c, d, k = _paper_one(p1, p2, weight, start1[i], s[i], u[i], r1[i], r2[i], paper)
        out[0, i], out[1, i], out[2, i], out[3, i] = a, b, c, d
        nbad += k
    return out, nbad == 0


def _schedule_sums(
    prob: FloatArray, weight: FloatArray, start1: FloatArray, s: FloatArray, u: FloatArray,
    cont: FloatArray,
) -> tuple[FloatArray, bool]:
    N = start1.shape[0]
    out = np.empty((4, N))
    nbad = 0
    for i in numba.prange(N):
        a, b, c, d, k = _schedule_one(prob, weight, start1[i], s[i], u[i], cont, i)
        out[0, i], out[1, i], out[2, i], out[3, i] = a, b, c, d
        nbad += k
    return out, nbad == 0


def _paper_slopes(
    p1: FloatArray, p2: FloatArray, wg1: FloatArray, wg2: FloatArray, start1: FloatArray,
    s: FloatArray, u: FloatArray, r: FloatArray,
) -> FloatArray:
    N = start1.shape[0]
    out = np.empty((2, N))
    for i in numba.prange(N):
        out[0, i], out[1, i] = _paper_slopes_one(p1, p2, wg1, wg2, start1[i], s[i], r[i])
    return out


def _slopes(
    p1: FloatArray, p2: FloatArray, wg1: FloatArray, wg2: FloatArray, start1: FloatArray,
    s: FloatArray, u: FloatArray, r: FloatArray,
) -> FloatArray:
    N = start1.shape[0]
    out = np.empty((2, N))
    for i in numba.prange(N):
        out[0, i], out[1, i] = _slopes_one(p1, p2, wg1, wg2, start1[i], s[i], u[i], r[i])
    return out


#: kernel name -> (serial, parallel). ``paper_sums`` and ``schedule_sums`` return
#: (rows S, n_1, n_2, A as a (4, N) array, ok); ``paper_slopes`` (u = 0) and ``slopes`` return
#: (U', U'') as a (2, N) array.
KERNELS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "paper_sums": _serial_and_parallel(_paper_sums),
    "schedule_sums": _serial_and_parallel(_schedule_sums),
    "paper_slopes": _serial_and_parallel(_paper_slopes),
    "slopes": _serial_and_parallel(_slopes),
}

#: parallel versions are used from this many task x policy evaluations (and >= 4 policies)
PARALLEL_MIN = 2_000_000


def kernel(name: str, tasks: int, policies: int) -> Callable[..., Any]:
    """The serial or parallel version of a batch kernel for a work size.

    Parameters
    ----------
    name : str
        A key of :data:`KERNELS`.
    tasks, policies : int
        Size of the batch (the kernels loop over policies, then tasks).

    Returns
    -------
    callable
        The compiled kernel.
    """
    par = policies >= 4 and tasks * policies >= PARALLEL_MIN and numba.get_num_threads() > 1
    return KERNELS[name][1 if par else 0]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def bayes_m2(
    prob: FloatArray, weight: FloatArray, h1: FloatArray, solvable: FloatArray, V: float,
    P: float, lam_t2: float, c2: float, depth: int, strong: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The M2 part of ``bayes.bayes_lattice`` (the backward induction over b for every a)."""
    T = prob.shape[0]
    A = prob.shape[2]
    N = depth
    phi = np.zeros(N + 1)
    psi = np.zeros(N + 1)
    succ = np.zeros(N + 1)
    npass = np.zeros(N + 1)
    cont1 = np.zeros(N + 1)
    tail = np.zeros(N + 1)
    tol = 1e-12 * max(1.0, abs(V))
    z = np.empty(N)
    sm = np.empty(N)
    q2 = np.ascontiguousarray(prob[:, 1, :])  # (T, A)
    for a in range(N + 1):
        nb = N - a
        if nb <= 0:
            continue
        # task-outer loop: each z[b], sm[b] is still summed over t in task order (as the
        # numpy path's rows), but the b-iterations of one task are independent updates
        z[:nb] = 0.0
        sm[:nb] = 0.0
        tail_mass = 0.0
        t = 0
        while t + 4 <= T:  # four tasks at once: four independent chains of h
            e0, e1, e2, e3 = h1[t, a], h1[t + 1, a], h1[t + 2, a], h1[t + 3, a]
            w0, w1, w2, w3 = weight[t], weight[t + 1], weight[t + 2], weight[t + 3]
            for b in range(nb):
                c = min(a + b, A - 1)
                k0, k1, k2, k3 = q2[t, c], q2[t + 1, c], q2[t + 2, c], q2[t + 3, c]
                z[b] = (((z[b] + w0 * e0) + w1 * e1) + w2 * e2) + w3 * e3
                sm[b] = (((sm[b] + w0 * (e0 * k0)) + w1 * (e1 * k1)) + w2 * (e2 * k2)) + w3 * (
                    e3 * k3)
                e0 = e0 * (1.0 - k0)
                e1 = e1 * (1.0 - k1)
                e2 = e2 * (1.0 - k2)
                e3 = e3 * (1.0 - k3)
            tail_mass = (((tail_mass + w0 * (e0 * solvable[t])) + w1 * (e1 * solvable[t + 1]))
                         + w2 * (e2 * solvable[t + 2])) + w3 * (e3 * solvable[t + 3])
            t += 4
        while t < T:
            h = h1[t, a]
            w = weight[t]
            for b in range(nb):
                q = q2[t, min(a + b, A - 1)]
                z[b] += w * h
                sm[b] += w * (h * q)
                h = h * (1.0 - q)
            tail_mass += w * (h * solvable[t])
            t += 1
        v_next = 0.0
        j_next = 0.0
        s_next = 0.0
        n_next = 0.0
        go = 0.0
        tail_reach = tail_mass
        for b in range(nb - 1, -1, -1):
            if b == nb - 1:
                go = 0.0
            elif v_next > tol:
                go = 1.0
            elif v_next < -tol:
                go = 0.0
            else:
                go = 1.0 if (j_next < 0) == strong else 0.0
            if go == 0.0 and b < nb - 1:
                tail_reach = 0.0
            u_imm = V * sm[b] - lam_t2 * z[b]
            j_imm = c2 * z[b] - P * sm[b]
            vb = u_imm + go * v_next
            jb = j_imm + go * j_next
            sb2 = sm[b] + go * s_next
            nbp = z[b] + go * n_next
            v_next, j_next, s_next, n_next = vb, jb, sb2, nbp
        cont1[a] = go if nb > 1 else 0.0
        phi[a] = v_next
        psi[a] = j_next
        succ[a] = s_next
        npass[a] = n_next
        tail[a] = tail_reach
    return phi, psi, succ, npass, cont1, tail


@numba.njit(cache=True, nogil=True, error_model="numpy")
def bayes_walk(
    m1_u: FloatArray, m1_j: FloatArray, m1_z: FloatArray, m1_s: FloatArray, m1_solv: FloatArray,
    phi: FloatArray, psi: FloatArray, succ: FloatArray, npass: FloatArray, tail: FloatArray,
    s_arr: FloatArray, tol: float, strong: bool,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """The M1 backward induction of ``bayes.bayes_respond`` (route 1) for n cascades s.

    The same operations in the same order as the numpy path (no sums over tasks): results are
    bitwise equal. Returns rows (U, Psi, S, n_1, n_2, reach) (6, n), the decisions (n, N) and
    the indifference after the first failure (n,).
    """
    N = m1_u.shape[0]
    n = s_arr.shape[0]
    out = np.empty((6, n))
    goes = np.zeros((n, N))
    indiff = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        s = s_arr[i]
        v = 0.0
        jj = 0.0
        ss = 0.0
        n1 = 0.0
        n2 = 0.0
        reach = 0.0
        for a in range(N - 1, -1, -1):
            if a == N - 1:
                go = 0.0
                cv = cj = cs = cn1 = cn2 = creach = 0.0
            else:
                cv = (1.0 - s) * v + s * phi[a + 1]
                cj = (1.0 - s) * jj + s * psi[a + 1]
                cs = (1.0 - s) * ss + s * succ[a + 1]
                cn1 = (1.0 - s) * n1
                cn2 = (1.0 - s) * n2 + s * npass[a + 1]
                creach = (1.0 - s) * reach + s * tail[a + 1]
                if cv > tol:
                    go = 1.0
                elif cv < -tol:
                    go = 0.0
                else:
                    go = 1.0 if (cj < 0) == strong else 0.0
                    if a == 0:
                        indiff[i] = True
            goes[i, a] = go
            v = m1_u[a] + go * cv
            jj = m1_j[a] + go * cj
            ss = m1_s[a] + go * cs
            n1 = m1_z[a] + go * cn1
            n2 = go * cn2
            reach = float(m1_solv[N]) if a == N - 1 else go * creach
        out[0, i] = v
        out[1, i] = jj
        out[2, i] = ss
        out[3, i] = n1
        out[4, i] = n2
        out[5, i] = reach
    return out, goes, indiff
