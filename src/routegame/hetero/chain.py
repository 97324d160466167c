r"""Exact outcomes of a policy on a task table: a weighted sum of per-task chains.

Notation (``spec/model.md``, generalised). Task t (weight w_t) has success probabilities
p_{t,k}(a) at the a-th pass of the episode on model k, constant from attempt A on. The provider's
policy is a start distribution pi over the K models and a cascade matrix R (row j: where the
re-prompt after a failure on model j goes). The user's behaviour is a table of continuation
probabilities r_k(a): after the a-th failure of the episode, which happened on model k, the user
re-prompts with probability r_k(a) (constant from failure H on). This one form covers

* the paper's stationary user (r_k(a) = 1 - q),
* the state-aware user (r_k(a) = 1 - q_k),
* a behavioural hazard (r_k(a) = 1 - q(a), given by the number of failures so far).

Given the task, let x_a (a row over the K models) be the probability that the a-th pass happens
on each model. Then x_1 = pi and

    x_{a+1} = x_a  D_a R,     D_a = diag((1 - p_{t,k}(a)) r_k(a)).

From m = max(A, H) on, D_a = D is constant and the tail is a geometric series:
sum_{a >= m} x_a = x_m (I - D R)^{-1}. So the expected passes n_{t,k} = sum_a x_{a,k} and the
success probability S_t = sum_a x_a . p_t(a) are **exact** (no truncation): m - 1 forward
steps and one K x K solve. For K = 2 the inverse is written out:
with M = D R, det = (1 - M_11)(1 - M_22) - M_12 M_21,

    y_1 = (x_1 (1 - M_22) + x_2 M_21) / det,    y_2 = (x_1 M_12 + x_2 (1 - M_11)) / det.

Averaging over tasks is linear: n_k = sum_t w_t n_{t,k}, S = sum_t w_t S_t, and

    L = sum_k t_k n_k,  C = sum_k c_k n_k,  U = V S - lambda L,  J = C + P A

with A = sum_t w_t sum_a sum_k x_{a,k} (1 - p_{t,k}(a)) (1 - r_k(a)) the probability that the
user abandons (= 1 - S for a finite chain; summed from non-negative terms, so J stays exact
where A = 0 and P is huge)

(lambda, the latency weight, is 1 for the paper's user). When the chain can run for ever
(a model with p = 0 that the user keeps re-prompting without end, det = 0) the expected
number of passes is +inf; then L = +inf, U = -inf, and C = +inf where that model costs
anything (0 * inf is taken as 0 for a free model). S stays finite.

Every pass count and S are nondecreasing in each r_k(a) (couple the chains path by path: more
re-prompting only adds passes), which is what makes the certified bounds of
:mod:`routegame.hetero.search` work.

Large batches (:func:`use_kernels`) run on fused compiled loops over policies and tasks
(:mod:`routegame.hetero._compiled`, numba) with the same per-task formulas; these numpy
functions stay the oracle, and handle the chains that can run for ever.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numpy as np

from routegame import _jit
from routegame._types import FloatArray

__all__ = ["FIRST_LOAD", "ChainSums", "chain_sums", "combine", "two_model_sums", "use_kernels"]

#: Elements of a (tasks x policies) block: bounds the temporaries' memory and keeps them in
#: cache (2^17 doubles = 1 MiB; 2^20 was 2x slower on 10^4 tasks).
_BLOCK = 1 << 17
#: det(I - D R) below this is a chain that can run for ever.
_DIVERGE = 1e-14
#: A process that has not loaded the compiled kernels yet loads them (numba's import and LLVM
#: start-up: about 0.8 s) only for a batch of this many task x policy evaluations: about the
#: work of one search over 5000 tasks, where the numpy path would take as long as the loading
#: (so a single ``routegame solve`` of a calibrated or 10^3-task table never imports numba).
#: Once loaded, :func:`routegame._jit.use_compiled` decides alone. A ``ROUTEGAME_JIT_MIN_SIZE``
#: set by the user replaces this threshold; ``_jit.forced(True)`` bypasses it.
FIRST_LOAD = 5_000_000


class ChainSums(NamedTuple):
    """Expected success and passes of a batch of policies, averaged over tasks."""

    success: FloatArray  #: S, shape (N,)
    passes: FloatArray  #: n, shape (N, K)
    #: A, the probability that the user abandons, shape (N,) (a sum of non-negative terms, so
    #: J = C + P A stays exact where A = 0 and P is huge; None: use 1 - S)
    abandon: FloatArray | None = None


def _idx(a: int, n: int) -> int:
    return min(a, n) - 1


def two_model_sums(
    prob: FloatArray,
    weight: FloatArray,
    start1: FloatArray,
    cascade: FloatArray,
    back: FloatArray,
    cont: FloatArray,
) -> ChainSums:
    """S and n for N two-model policies (vectorised over tasks and policies).

    Parameters
    ----------
    prob : ndarray, shape (T, 2, A)
    weight : ndarray, shape (T,)
    start1 : ndarray, shape (N,)
        pi_1, probability that the first pass is on M1.
    cascade, back : ndarray, shape (N,)
        R_12 = s (M1 failure -> M2) and R_21 = u (M2 failure -> M1); the paper's class has u = 0.
    cont : ndarray, shape (N, 2, H)
        r_k(a), the user's continuation probability after the a-th failure, on model k.

    Examples
    --------
    The paper's route 1, s = 1, a user who never abandons, one task (0.5, 0.8):

    >>> out = two_model_sums(np.array([[[0.5], [0.8]]]), np.ones(1), np.ones(1), np.ones(1),
    ...                      np.zeros(1), np.ones((1, 2, 1)))
    >>> float(out.success[0]), out.passes[0].tolist()
    (1.0, [1.0, 0.625])
    """
    T, _, A = prob.shape
    N = start1.shape[0]
    H = cont.shape[2]
    m = max(A, H)
    if use_kernels(T * N):
        fused = _compiled_sums(prob, weight, start1, cascade, back, cont)
        if fused is not None:
            return fused
    if m == 1:
        step = max(1, _BLOCK // max(T, 1))
        parts = []
        for lo in range(0, N, step):
            sl = slice(lo, min(N, lo + step))
            fast = _iid_given_task(prob[:, 0, 0], prob[:, 1, 0], weight, start1[sl],
                                   cascade[sl], back[sl], cont[sl, 0, 0], cont[sl, 1, 0])
            if fast is None:
                break
            parts.append(fast)
        else:
            if len(parts) == 1:
                return parts[0]
            return ChainSums(np.concatenate([p.success for p in parts]),
                             np.concatenate([p.passes for p in parts]),
                             np.concatenate([p.abandon for p in parts]))
    S = np.empty(N)
    Ab = np.empty(N)
    n = np.empty((N, 2))
    step = max(1, _BLOCK // max(T, 1))
    for lo in range(0, N, step):
        hi = min(N, lo + step)
        s = cascade[None, lo:hi]
        u = back[None, lo:hi]
        x1 = np.broadcast_to(start1[None, lo:hi], (T, hi - lo)).copy()
        x2 = 1.0 - x1
        n1 = np.zeros_like(x1)
        n2 = np.zeros_like(x1)
        Sx = np.zeros_like(x1)
        Ax = np.zeros_like(x1)
        for a in range(1, m):
            p1 = prob[:, 0, _idx(a, A)][:, None]
            p2 = prob[:, 1, _idx(a, A)][:, None]
            n1 += x1
            n2 += x2
            Sx += x1 * p1 + x2 * p2
            f1 = x1 * (1.0 - p1) * cont[None, lo:hi, 0, _idx(a, H)]
            f2 = x2 * (1.0 - p2) * cont[None, lo:hi, 1, _idx(a, H)]
            Ax += (x1 * (1.0 - p1) * (1.0 - cont[None, lo:hi, 0, _idx(a, H)])
                   + x2 * (1.0 - p2) * (1.0 - cont[None, lo:hi, 1, _idx(a, H)]))
            x1, x2 = f1 * (1.0 - s) + f2 * u, f1 * s + f2 * (1.0 - u)
        p1 = prob[:, 0, A - 1][:, None]
        p2 = prob[:, 1, A - 1][:, None]
        d1 = (1.0 - p1) * cont[None, lo:hi, 0, H - 1]
        d2 = (1.0 - p2) * cont[None, lo:hi, 1, H - 1]
        m11, m12 = d1 * (1.0 - s), d1 * s
        m21, m22 = d2 * u, d2 * (1.0 - u)
        det = (1.0 - m11) * (1.0 - m22) - m12 * m21
        bad = det <= _DIVERGE
        with np.errstate(divide="ignore", invalid="ignore"):
            dd = np.where(bad, 1.0, det)
            y1 = (x1 * (1.0 - m22) + x2 * m21) / dd
            y2 = (x1 * m12 + x2 * (1.0 - m11)) / dd
        if np.any(bad):
            y1, y2, succ_tail = _diverging_tail(x1, x2, m11, m12, m21, m22, p1, p2, bad, y1, y2)
        else:
            succ_tail = y1 * p1 + y2 * p2
        n1 += y1
        n2 += y2
        Sx += succ_tail
        with np.errstate(invalid="ignore"):
            Ax += (np.where(np.isinf(y1), 0.0, y1) * (1.0 - p1) * (1.0 - cont[None, lo:hi, 0, H - 1])
                   + np.where(np.isinf(y2), 0.0, y2) * (1.0 - p2)
                   * (1.0 - cont[None, lo:hi, 1, H - 1]))
            S[lo:hi] = weight @ Sx
            Ab[lo:hi] = weight @ Ax
            n[lo:hi, 0] = _wsum(weight, n1)
            n[lo:hi, 1] = _wsum(weight, n2)
    return ChainSums(S, n, Ab)


def use_kernels(size: int) -> bool:
    """Whether a batch of ``size`` task x policy evaluations runs on the compiled kernels.

    :func:`routegame._jit.use_compiled` (numba installed, not switched off, ``size`` at least
    the minimum size), and, in a process that has not loaded the kernels yet, ``size`` at
    least :data:`FIRST_LOAD` (unless forced on or ``ROUTEGAME_JIT_MIN_SIZE`` is set).

    Parameters
    ----------
    size : int
        Tasks x policies (or the lattice size of the Bayes user).

    Returns
    -------
    bool
        True to use :mod:`routegame.hetero._compiled`.

    Examples
    --------
    >>> use_kernels(10)
    False
    """
    if not _jit.use_compiled(size):
        return False
    if "routegame.hetero._compiled" in sys.modules or _jit.use_compiled(0):
        return True  # already loaded, or forced on (use_compiled(0) is then True)
    if _jit.min_size() != _jit.MIN_SIZE:  # the user chose the threshold
        return True
    return size >= FIRST_LOAD


def _f64(x: FloatArray) -> FloatArray:
    return np.ascontiguousarray(x, dtype=np.float64)


def _compiled_sums(
    prob: FloatArray, weight: FloatArray, start1: FloatArray, cascade: FloatArray,
    back: FloatArray, cont: FloatArray,
) -> ChainSums | None:
    """:func:`two_model_sums` on the fused kernels of :mod:`routegame.hetero._compiled`; None
    where some chain can run for ever (the numpy path handles it)."""
    from routegame.hetero import _compiled

    T, N = prob.shape[0], start1.shape[0]
    if max(prob.shape[2], cont.shape[2]) == 1:
        out, ok = _compiled.kernel("paper_sums", T, N)(
            _f64(prob[:, 0, 0]), _f64(prob[:, 1, 0]), _f64(weight), _f64(start1),
            _f64(cascade), _f64(back), _f64(cont[:, 0, 0]), _f64(cont[:, 1, 0]),
            not np.any(back))
    else:
        out, ok = _compiled.kernel("schedule_sums", T, N)(
            _f64(prob), _f64(weight), _f64(start1), _f64(cascade), _f64(back), _f64(cont))
    if not ok:
        return None
    return ChainSums(out[0], out[1:3].T.copy(), out[3])


def _iid_given_task(
    p1: FloatArray, p2: FloatArray, weight: FloatArray, start1: FloatArray, s: FloatArray,
    u: FloatArray, r1: FloatArray, r2: FloatArray,
) -> ChainSums | None:
    """The kernel without schedules and with a stationary or state-aware user (one 2x2 solve
    per task and policy); None when some chain diverges (the general path handles it)."""
    q1 = (1.0 - p1)[:, None]
    q2 = (1.0 - p2)[:, None]
    if not np.any(u):
        return _paper_class(p1, p2, q1, q2, weight, start1, s, r1, r2)
    d1 = q1 * r1
    d2 = q2 * r2
    m12 = d1 * s
    m21 = d2 * u
    om11 = 1.0 - d1 + m12
    om22 = 1.0 - d2 + m21
    det = om11 * om22 - m12 * m21
    if det.size and float(det.min()) <= _DIVERGE:
        return None
    x1 = start1
    x2 = 1.0 - start1
    inv = 1.0 / det
    y1 = (x1 * om22 + x2 * m21) * inv
    y2 = (x1 * m12 + x2 * om11) * inv
    return _sums(p1, p2, q1, q2, weight, y1, y2, r1, r2)


def _sums(p1: FloatArray, p2: FloatArray, q1: FloatArray, q2: FloatArray, weight: FloatArray,
          y1: FloatArray, y2: FloatArray, r1: FloatArray, r2: FloatArray) -> ChainSums:
    """S, n and A from the per-task pass counts y_k (T, N) of a stationary/state-aware user."""
    # one pass over each y_k: rows (w p_k, w, w (1 - p_k)) @ y_k
    z1 = np.stack([weight * p1, weight, weight * q1[:, 0]]) @ y1
    z2 = np.stack([weight * p2, weight, weight * q2[:, 0]]) @ y2
    S = z1[0] + z2[0]
    n = np.stack([z1[1], z2[1]], axis=1)
    A = z1[2] * (1.0 - r1) + z2[2] * (1.0 - r2)
    return ChainSums(np.asarray(S, dtype=np.float64), n, np.asarray(A, dtype=np.float64))


def _paper_class(
    p1: FloatArray, p2: FloatArray, q1: FloatArray, q2: FloatArray, weight: FloatArray,
    start1: FloatArray, s: FloatArray, r1: FloatArray, r2: FloatArray,
) -> ChainSums | None:
    """No way back from M2 (u = 0): y_1 = pi_1 / (1 - d_1 (1 - s)),
    y_2 = (y_1 d_1 s + 1 - pi_1) / (1 - d_2) with d_k = (1 - p_k) r_k."""
    d1 = q1 * r1
    den1 = 1.0 - d1 * (1.0 - s)
    den2 = 1.0 - q2 * r2
    if den1.size and (float(den1.min()) <= _DIVERGE or float(den2.min()) <= _DIVERGE):
        return None
    y1 = start1 / den1
    d1 *= s
    d1 *= y1
    d1 += 1.0 - start1
    d1 /= den2
    y2 = d1
    return _sums(p1, p2, q1, q2, weight, y1, y2, r1, r2)


def _wsum(weight: FloatArray, x: FloatArray) -> FloatArray:
    inf = np.isinf(x) & (weight[:, None] > 0)
    out = weight @ np.where(np.isinf(x), 0.0, x)
    return np.where(inf.any(axis=0), np.inf, out)


def _diverging_tail(
    x1: FloatArray, x2: FloatArray, m11: FloatArray, m12: FloatArray, m21: FloatArray,
    m22: FloatArray, p1: FloatArray, p2: FloatArray, bad: np.ndarray,
    y1: FloatArray, y2: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tail where det(I - M) = 0: some state is never left. Passes there are +inf (if reached).

    det = 0 with M substochastic means a closed class of states whose pass never succeeds and
    is always re-prompted: p = 0 and r = 1 there. Its success contribution is 0, so S of the
    tail is the success probability of the chain with those states made absorbing-failing; it
    is computed as the limit of the regular formula with M scaled by (1 - eps) (error O(eps)).
    """
    eps = 1e-12
    sc = 1.0 - eps  # error of S: O(eps) relative
    a11, a12, a21, a22 = m11 * sc, m12 * sc, m21 * sc, m22 * sc
    det = (1.0 - a11) * (1.0 - a22) - a12 * a21
    z1 = (x1 * (1.0 - a22) + x2 * a21) / det
    z2 = (x1 * a12 + x2 * (1.0 - a11)) / det
    succ = z1 * p1 + z2 * p2
    y1 = np.where(bad, np.where(z1 > 1e9, np.inf, z1), y1)
    y2 = np.where(bad, np.where(z2 > 1e9, np.inf, z2), y2)
    with np.errstate(invalid="ignore"):
        good = y1 * p1 + y2 * p2
    return y1, y2, np.where(bad, succ, good)


def chain_sums(
    prob: FloatArray, weight: FloatArray, start: FloatArray, cascade: FloatArray, cont: FloatArray
) -> ChainSums:
    """S and n for N K-model policies (start (N, K), cascade (N, K, K), cont (N, K, H)).

    The general form of :func:`two_model_sums` (a batched K x K solve for the tail); slower, used
    for K > 2 and as an independent check of the two-model kernel.

    Examples
    --------
    >>> out = chain_sums(np.array([[[0.5], [0.8]]]), np.ones(1), np.array([[1.0, 0.0]]),
    ...                  np.array([[[0.0, 1.0], [0.0, 1.0]]]), np.ones((1, 2, 1)))
    >>> out.passes[0].tolist()
    [1.0, 0.625]
    """
    T, K, A = prob.shape
    N = start.shape[0]
    H = cont.shape[2]
    m = max(A, H)
    x = np.broadcast_to(start[None], (T, N, K)).copy()
    n = np.zeros((T, N, K))
    Sx = np.zeros((T, N))
    for a in range(1, m):
        p = prob[:, None, :, _idx(a, A)]
        n += x
        Sx += np.einsum("tnk,tnk->tn", x, np.broadcast_to(p, x.shape))
        f = x * (1.0 - p) * cont[None, :, :, _idx(a, H)]
        x = np.einsum("tnj,njk->tnk", f, cascade)
    p = prob[:, None, :, A - 1]
    d = (1.0 - p) * cont[None, :, :, H - 1]  # (T, N, K)
    M = d[..., :, None] * cascade[None]  # (T, N, K, K)
    eye = np.eye(K)
    lhs = np.swapaxes(eye - M, -1, -2)
    sign, logdet = np.linalg.slogdet(lhs)
    bad = (sign <= 0) | (logdet < np.log(_DIVERGE))
    if np.any(bad):
        lhs = np.where(bad[..., None, None], np.swapaxes(eye - M * (1.0 - 1e-12), -1, -2), lhs)
    y = np.linalg.solve(lhs, x[..., None])[..., 0]
    if np.any(bad):
        y = np.where(bad[..., None] & (y > 1e9), np.inf, y)
    n += y
    with np.errstate(invalid="ignore"):
        Sx += np.einsum("tnk,tnk->tn", np.where(np.isinf(y), 0.0, y), np.broadcast_to(p, y.shape))
    passes = np.stack([_wsum(weight, n[:, :, k]) for k in range(K)], axis=1)
    return ChainSums(np.asarray(weight @ Sx, dtype=np.float64), passes)


class Outcome(NamedTuple):
    """S, L, C, U, J of a batch of policies (arrays of shape (N,)); passes (N, K)."""

    success: FloatArray
    latency: FloatArray
    cost: FloatArray
    user_utility: FloatArray
    provider_cost: FloatArray
    passes: FloatArray


def combine(
    sums: ChainSums,
    task_value: FloatArray | float,
    penalty: FloatArray | float,
    latency: FloatArray,
    cost: FloatArray,
    latency_weight: FloatArray | float = 1.0,
) -> Outcome:
    """Outcomes from pass counts: L = t.n, C = c.n, U = V S - lambda L, J = C + P A.

    A is the abandonment probability of the sums when given (a sum of non-negative terms),
    else 1 - S; a chain that can run for ever (infinite passes) is charged P (1 - S).

    Products 0 * inf (a free model passed for ever) are 0.
    """
    n = sums.passes
    with np.errstate(invalid="ignore"):
        L = np.where(np.isinf(n), np.where(latency > 0, np.inf, 0.0), n * latency).sum(axis=-1)
        C = np.where(np.isinf(n), np.where(cost > 0, np.inf, 0.0), n * cost).sum(axis=-1)
    S = sums.success
    U = np.asarray(task_value) * S - np.asarray(latency_weight) * L
    A = 1.0 - S
    if sums.abandon is not None:  # exact where A = 0 (no 1 - S cancellation), finite chains
        A = np.where(np.isfinite(n).all(axis=-1), np.clip(sums.abandon, 0.0, 1.0), A)
    J = C + np.asarray(penalty) * A
    return Outcome(S, L, C, U, J, n)


def stationary_slopes(
    p1: FloatArray, p2: FloatArray, weight: FloatArray, g1: FloatArray, g2: FloatArray,
    start1: FloatArray, s: FloatArray, u: FloatArray, r: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    r"""First and second derivatives in r of sum_t w_t (g_1 y_1 + g_2 y_2) (no schedules).

    With B = diag(1 - p) R, y(r) = x (I - r B)^{-1}, so y' = y B (I - r B)^{-1} and
    y'' = 2 y' B (I - r B)^{-1}; each product is the same explicit 2 x 2 solve. With
    g_k = V p_k - lambda t_k this is (U', U''), used by the Newton refinement of the
    stationary user's response.
    """
    T = p1.shape[0]
    N = np.broadcast_shapes(np.shape(start1), np.shape(s), np.shape(u), np.shape(r))
    count = N[0] if N else 1
    if use_kernels(T * count):
        from routegame.hetero import _compiled

        b = [_f64(np.broadcast_to(x, (count,))) for x in (start1, s, u, r)]
        wg1 = _f64(weight * g1)
        wg2 = _f64(weight * g2)
        name = "paper_slopes" if not np.any(u) else "slopes"
        out = _compiled.kernel(name, T, count)(_f64(p1), _f64(p2), wg1, wg2, *b)
        return out[0], out[1]  # shape (count,), as the numpy path (also for scalar policies)
    step = max(1, _BLOCK // max(T, 1))
    if count > step:  # policies in blocks: temporaries of about _BLOCK elements stay in cache
        b = [np.broadcast_to(x, (count,)) for x in (start1, s, u, r)]
        parts = [stationary_slopes(p1, p2, weight, g1, g2, *(x[lo:lo + step] for x in b))
                 for lo in range(0, count, step)]
        return (np.concatenate([a for a, _ in parts]), np.concatenate([c for _, c in parts]))
    if not np.any(u):
        return _paper_slopes(p1, p2, weight, g1, g2, start1, s, r)
    q1 = (1.0 - p1)[:, None]
    q2 = (1.0 - p2)[:, None]
    b11, b12, b21, b22 = q1 * (1.0 - s), q1 * s, q2 * u, q2 * (1.0 - u)
    om11 = 1.0 - r * b11
    om22 = 1.0 - r * b22
    m12 = r * b12
    m21 = r * b21
    with np.errstate(divide="ignore", over="ignore"):
        inv = 1.0 / (om11 * om22 - m12 * m21)  # inf where the chain can run for ever

    def solve(v1: FloatArray, v2: FloatArray) -> tuple[FloatArray, FloatArray]:
        return (v1 * om22 + v2 * m21) * inv, (v1 * m12 + v2 * om11) * inv

    def times_b(v1: FloatArray, v2: FloatArray) -> tuple[FloatArray, FloatArray]:
        return v1 * b11 + v2 * b21, v1 * b12 + v2 * b22

    with np.errstate(invalid="ignore", over="ignore"):
        y1, y2 = solve(np.broadcast_to(start1, om11.shape),
                       np.broadcast_to(1.0 - start1, om11.shape))
        d1, d2 = solve(*times_b(y1, y2))
        e1, e2 = solve(*times_b(d1, d2))
        wg1 = weight * g1
        wg2 = weight * g2
        # a diverging chain has no finite slope: NaN (the Newton step then bisects)
        return wg1 @ d1 + wg2 @ d2, 2.0 * (wg1 @ e1 + wg2 @ e2)


def _paper_slopes(
    p1: FloatArray, p2: FloatArray, weight: FloatArray, g1: FloatArray, g2: FloatArray,
    start1: FloatArray, s: FloatArray, r: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    r""":func:`stationary_slopes` without a way back (u = 0): the triangular solve written out.

    With a = 1 - r b_11, c = 1 - r b_22 (b_11 = (1 - p_1)(1 - s), b_12 = (1 - p_1) s,
    b_22 = 1 - p_2): y_1 = x_1 / a, y_2 = h / c with h = r b_12 y_1 + x_2, and

        y_1' = b_11 y_1 / a,            y_1'' = 2 b_11 y_1' / a,
        h'  = b_12 (y_1 + r y_1'),      h''  = b_12 (2 y_1' + r y_1''),
        y_2' = (h' + b_22 y_2) / c,     y_2'' = (h'' + 2 b_22 y_2') / c.
    """
    q1 = (1.0 - p1)[:, None]
    b22 = (1.0 - p2)[:, None]
    b12 = q1 * s
    b11 = q1 - b12
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ia = 1.0 / (1.0 - r * b11)
        ic = 1.0 / (1.0 - r * b22)
        y1 = start1 * ia
        d1 = b11 * y1 * ia
        e1 = 2.0 * b11 * d1 * ia
        y2 = (r * b12 * y1 + (1.0 - start1)) * ic
        hp = b12 * (y1 + r * d1)
        hpp = b12 * (2.0 * d1 + r * e1)
        d2 = (hp + b22 * y2) * ic
        e2 = (hpp + 2.0 * b22 * d2) * ic
        wg1 = weight * g1
        wg2 = weight * g2
        return wg1 @ d1 + wg2 @ d2, wg1 @ e1 + wg2 @ e2
