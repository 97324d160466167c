"""Compiled (numba) pass and visit loops of the simulator: the same draws, in the same order.

The numpy kernels of :mod:`routegame.simulate.kernels` stay the oracle. Each compiled kernel
here is a fused loop over the same formulas, in the same order:

* episodes are taken in chunks of the same size; per chunk, the first model of every episode
  (one uniform each, when ``start`` is not a point mass), then **round by round** one uniform
  per live episode, the live episodes in increasing order (pass loop: one round per pass;
  visit loop: one uniform per live visit for its geometric length by inversion, then one per
  visit the cap did not cut for its exit);
* the thresholds are the numpy path's expressions (``b = p + (1 - p) q``,
  ``b + (1 - b) cumR[j, k]``, the exit law of a visit), computed with the same IEEE
  operations (no fastmath, so no contraction into fused multiply-adds).

The uniforms come from the caller's :class:`numpy.random.Generator`. When its bit generator
is numpy's ``PCG64`` (``default_rng``), the kernels read its 128-bit state and increment and
step the same generator inline (:func:`_pcg64_next`: the LCG ``s -> s·M + inc`` in 128-bit
integers, the XSL-RR output, ``(x >> 11) · 2^-53``: numpy's ``pcg64_next64`` and
``next_double`` operation for operation), with the state in registers, then store the final
state back in the generator; this costs about 2 ns a uniform against numpy's 2.6 (which calls
``next_double`` through a pointer for every entry) and 2.4-7 through numba's ``gen.random()``
(measured on a shared machine; the call per uniform suffers most from load).
Any other bit generator is called as before: numba compiles ``gen.random()`` into a call of
the generator's own ``next_double`` through its ctypes interface. Either way the kernel sees
exactly the uniforms ``Generator.random`` gives, the generator ends in the same state, and both
paths give the same episodes for a seed (up to the last ulp of ``exp`` and ``log1p``, which
numpy may take from its own SIMD library: a uniform must fall within a few ulps of a threshold
for that to change an episode). Drawing inside the loop rather than into a buffer saves
writing and re-reading every uniform.

Inner loops are branch-free where the outcome is random (the comparisons with a uniform are
added or stored, not branched on): a mispredicted branch per pass costs more than the rest of
the pass. The live episodes of a chunk are one packed int64 each, local index and current
model (``e << shift | k``); with two models and per-model tables (the paper's game) the word
also holds the passes on each model and the solved bit (:func:`_round_two`), so a pass reads
and writes only the two sequential arrays of live and ended words, and each episode's outputs
are written once, in order, at the end of its chunk (or, streamed, reduced straight from the
words to exact integer sums).

Kernels are compiled with ``cache=True`` and ``nogil=True``: blocks of a streamed simulation
run in parallel on threads (:func:`routegame.simulate.simulate_summary` with
``scheduler="threads"``), each on its own generator.

Examples
--------
>>> import numpy as np
>>> from routegame import GameParams, _jit
>>> from routegame.simulate import simulate
>>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
>>> with _jit.forced(True):
...     a = simulate(g, [1, 0], [[0.5, 0.5], [0, 1]], 0.2, 1000, rng=3, method="pass")
>>> with _jit.forced(False):
...     b = simulate(g, [1, 0], [[0.5, 0.5], [0, 1]], 0.2, 1000, rng=3, method="pass")
>>> bool(np.array_equal(a.passes, b.passes) and np.array_equal(a.latency, b.latency))
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

if TYPE_CHECKING:  # pragma: no cover
    from routegame.simulate.kernels import _PassStep, _Run, _VisitStep

__all__ = ["drive_pass", "drive_visits", "uniforms"]

# --------------------------------------------------------------------------------------------
# the uniforms: numpy's PCG64 inline, or the generator's own next_double
# --------------------------------------------------------------------------------------------

#: PCG64's 128-bit LCG multiplier (numpy's ``PCG_DEFAULT_MULTIPLIER_128``).
_PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341
_U64 = (1 << 64) - 1


def _pcg64_step(builder: Any, args: Any, as_double: bool) -> tuple[Any, Any, Any]:
    """LLVM IR of one step of numpy's PCG64 (state s -> s·M + inc mod 2^128, in 128-bit
    integers) and its output: XSL-RR of the new state, then m = x >> 11 and (``as_double``)
    u = m · 2^-53 (numpy's ``pcg64_next64`` and ``next_double``, operation for operation)."""
    hi, lo, inc_hi, inc_lo = args
    i64, i128 = ir.IntType(64), ir.IntType(128)
    c64 = ir.Constant(i128, 64)

    def join(h: Any, low: Any) -> Any:
        return builder.or_(builder.shl(builder.zext(h, i128), c64), builder.zext(low, i128))

    s = builder.add(builder.mul(join(hi, lo), ir.Constant(i128, _PCG_MULT)),
                    join(inc_hi, inc_lo))
    new_lo = builder.trunc(s, i64)
    new_hi = builder.trunc(builder.lshr(s, c64), i64)
    x = builder.xor(new_hi, new_lo)
    rot = builder.lshr(new_hi, ir.Constant(i64, 58))
    back = builder.and_(builder.sub(ir.Constant(i64, 0), rot), ir.Constant(i64, 63))
    out = builder.or_(builder.lshr(x, rot), builder.shl(x, back))
    m = builder.lshr(out, ir.Constant(i64, 11))
    if not as_double:
        return new_hi, new_lo, m
    u = builder.uitofp(m, ir.DoubleType())
    return new_hi, new_lo, builder.fmul(u, ir.Constant(ir.DoubleType(), 1.0 / 9007199254740992.0))


def _pcg64_intrinsic(name: str, as_double: bool) -> Any:
    """The numba intrinsic of one step of PCG64 (:func:`_pcg64_step`) from the state (hi, lo) and
    increment, returning (hi, lo, u) (``as_double``) or (hi, lo, m) with u = m · 2^-53 (int64)."""
    out = types.float64 if as_double else types.int64

    def typing(typingctx: Any, hi: Any, lo: Any, inc_hi: Any, inc_lo: Any) -> Any:
        sig = types.Tuple((types.uint64, types.uint64, out))(
            types.uint64, types.uint64, types.uint64, types.uint64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return context.make_tuple(builder, signature.return_type,
                                      _pcg64_step(builder, args, as_double))

        return sig, codegen

    typing.__name__ = typing.__qualname__ = name
    return intrinsic(typing)


_pcg64_next: Any = _pcg64_intrinsic("_pcg64_next", True)
_pcg64_next53: Any = _pcg64_intrinsic("_pcg64_next53", False)
_TWO53 = 9007199254740992.0


def _draw53(src: Any, st: Any) -> Any:  # pragma: no cover - replaced by the overload in numba
    """The next uniform as the integer m of u = m · 2^-53: ``m, st = _draw53(src, st)``."""
    raise NotImplementedError


@overload(_draw53)
def _draw53_impl(src: Any, st: Any) -> Any:
    """As :func:`_draw_impl`; from a Generator, m = u · 2^53 (exact: u is a multiple of
    2^-53 below 1)."""
    if isinstance(src, types.NumPyRandomGeneratorType):
        def from_generator(src: Any, st: Any) -> Any:
            return np.int64(src.random() * _TWO53), st
        return from_generator

    def from_pcg64(src: Any, st: Any) -> Any:
        hi, lo, m = _pcg64_next53(st[0], st[1], src[0], src[1])
        return m, (hi, lo)
    return from_pcg64


@numba.njit(cache=True, nogil=True)
def _int_threshold(t: float) -> int:
    """The integer T with u < t  <=>  m < T for every uniform u = m · 2^-53 (m an integer in
    [0, 2^53)): T = ceil(t · 2^53), exact as t · 2^53 is (a power-of-two scaling of t in
    [0, 1])."""
    return int(np.ceil(t * _TWO53))


def _draw(src: Any, st: Any) -> Any:  # pragma: no cover - replaced by the overload in numba
    """The next uniform and state: ``u, st = _draw(src, st)`` (compiled code only)."""
    raise NotImplementedError


@overload(_draw)
def _draw_impl(src: Any, st: Any) -> Any:
    """``src`` a Generator: its own ``next_double`` (any bit generator; ``st`` unused). ``src``
    the increment (hi, lo) of a PCG64: the state ``st`` (hi, lo) stepped inline, kept in
    registers by the loops that thread it through (no call, no memory per uniform)."""
    if isinstance(src, types.NumPyRandomGeneratorType):
        def from_generator(src: Any, st: Any) -> Any:
            return src.random(), st
        return from_generator

    def from_pcg64(src: Any, st: Any) -> Any:
        hi, lo, u = _pcg64_next(st[0], st[1], src[0], src[1])
        return u, (hi, lo)
    return from_pcg64


@numba.njit(cache=True, nogil=True)
def _fill(out: Any, src: Any, st: Any, st_out: Any) -> None:
    """Fill ``out`` with the source's next uniforms, one by one as the loops draw them
    (``st`` a pair of numpy uint64, as :func:`_source` gives it; the final state in ``st_out``)."""
    for i in range(out.size):
        out[i], st = _draw(src, st)
    st_out[0], st_out[1] = st[0], st[1]


def uniforms(gen: np.random.Generator, n: int) -> np.ndarray:
    """The next ``n`` uniforms of ``gen`` as the compiled loops draw them (numpy's PCG64
    stepped inline, else the generator's ``next_double``), leaving ``gen`` where
    ``gen.random(n)`` would: the same numbers.

    Examples
    --------
    >>> a = uniforms(np.random.default_rng(5), 3)
    >>> bool(np.array_equal(a, np.random.default_rng(5).random(3)))
    True
    """
    out = np.empty(n)
    with _drawing(gen) as (src, st, st_out):
        _fill(out, src, st, st_out)
    return out


def _source(gen: np.random.Generator) -> tuple[Any, tuple[np.uint64, np.uint64], Any]:
    """What the kernels draw from: for numpy's PCG64 its increment and state (stepped inline,
    the same uniforms as ``gen.random()``), else the generator itself. Returns (src, state,
    saved state dict or None); :func:`_give_back` stores the final state in ``gen``."""
    bg = gen.bit_generator
    if type(bg) is np.random.PCG64:
        saved = bg.state
        inc, state = saved["state"]["inc"], saved["state"]["state"]
        return ((np.uint64(inc >> 64), np.uint64(inc & _U64)),
                (np.uint64(state >> 64), np.uint64(state & _U64)), saved)
    return gen, (np.uint64(0), np.uint64(0)), None


def _give_back(gen: np.random.Generator, saved: Any, st: Any) -> None:
    """Leave ``gen`` where the kernel's draws left it (PCG64 stepped inline)."""
    if saved is not None:
        saved["state"]["state"] = (int(st[0]) << 64) | int(st[1])
        gen.bit_generator.state = saved


@contextlib.contextmanager
def _drawing(gen: np.random.Generator) -> Iterator[tuple[Any, Any, np.ndarray]]:
    """Hold ``gen``'s lock while a kernel draws from it, and leave ``gen`` where the draws left it.

    Yields (src, st, st_out) for a kernel that writes its final state into ``st_out`` (uint64,
    2) just before it returns. The lock makes threads sharing one generator draw different
    uniforms (as ``gen.random()`` does); the state is given back in ``finally`` from ``st_out``,
    so a Ctrl-C that arrives during the kernel (raised as soon as it returns) still leaves the
    generator after the draws the kernel made.
    """
    with gen.bit_generator.lock:
        src, st, saved = _source(gen)
        st_out = np.array(st, dtype=np.uint64)
        try:
            yield src, st, st_out
        finally:
            _give_back(gen, saved, st_out)

# the success models of the pass loop (see kernels._Success)
_FIXED, _TASK, _TASK_SCHEDULE, _TASK_SHIFT = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def _first_models(m: int, K: int, shift: int, start_cum: Any, first: int, src: Any, st: Any,
                  live: Any) -> tuple[int, Any]:
    """The packed first states ``e << shift | k`` of a chunk's m episodes (``first >= 0``: a
    point mass, no draws); returns the number of uniforms drawn and the source's state."""
    if first >= 0:
        for i in range(m):
            live[i] = (i << shift) | first
        return 0, st
    for i in range(m):
        u, st = _draw(src, st)
        k = 0
        for c in range(K - 1):
            k += u >= start_cum[c]
        live[i] = (i << shift) | k
    return m, st


@numba.njit(cache=True, nogil=True)
def _finish(lo: int, m: int, K: int, latency: Any, cost: Any, passes: Any, lat: Any,
            cst: Any) -> None:
    """Latency and cost of the chunk's episodes, Σ_k passes_k t_k in model order (as numpy)."""
    for e in range(lo, lo + m):
        a = 0.0
        c = 0.0
        for k in range(K):
            n_k = float(passes[e * K + k])
            a += n_k * latency[k]
            c += n_k * cost[k]
        lat[e] = a
        cst[e] = c


@numba.njit(cache=True, nogil=True)
def _views(summary: bool, clear: bool, lo: int, m: int, K: int, passes: Any, solved: Any,
           truncated: Any, lat: Any, cst: Any) -> tuple[Any, Any, Any, Any, Any]:
    """The outputs of the chunk of episodes lo..lo+m, indexed from 0: views of the
    per-episode arrays, or (``summary``) the chunk-sized scratch arrays, cleared if
    ``clear``."""
    if summary:
        pas = passes[: m * K]
        sol = solved[:m]
        tru = truncated[:m]
        if clear:
            pas[:] = 0
            sol[:] = False
            tru[:] = False
        return pas, sol, tru, lat[:m], cst[:m]
    return (passes[lo * K:(lo + m) * K], solved[lo:lo + m], truncated[lo:lo + m],
            lat[lo:lo + m], cst[lo:lo + m])


#: Largest chunk size times pass cap for which the integer moments of a chunk cannot overflow
#: (m · Σ n² - (Σ n)² <= m² max_passes² < 2^63).
_EXACT_LIMIT = 3_000_000_000


@numba.njit(cache=True, nogil=True)
def _reduce_chunk(summary: bool, lo: int, m: int, K: int, max_passes: int, latency: Any,
                  cost: Any, pas: Any, la: Any, cs: Any, sol: Any, tru: Any, task_value: Any,
                  penalty: Any, stats: Any) -> None:
    """End of a chunk: latency and cost per episode, or (``summary``) the chunk's moments
    merged into ``stats``: from exact integer moments when V is the same for all episodes
    (:func:`_chunk_moments_linear`), else from the per-episode columns."""
    if summary and task_value.size == 1 and m * max_passes < _EXACT_LIMIT:
        _chunk_moments_linear(m, K, latency, cost, pas, sol, tru, task_value[0], penalty[0],
                              stats)
        return
    _finish(0, m, K, latency, cost, pas, la, cs)
    if summary:
        _chunk_moments(lo, m, K, pas, la, cs, sol, tru, task_value, penalty, stats)


@numba.njit(cache=True, nogil=True)
def _merge(stats: Any, m: int, mean: Any, m2: Any, n_solved: int, n_trunc: int) -> None:
    """Merge a chunk's (count, means, sums of squared deviations) into ``stats`` (Chan et
    al.'s pairwise update, as :meth:`routegame.simulate.stream._Moments.merge`)."""
    n_old = stats[0, 0]
    n_new = n_old + m
    for j in range(mean.size):
        delta = mean[j] - stats[1, j]
        stats[1, j] += delta * (m / n_new)
        stats[2, j] += m2[j] + delta * delta * (n_old * m / n_new)
    stats[0, 0] = n_new
    stats[0, 1] += n_solved
    stats[0, 2] += m - n_solved - n_trunc
    stats[0, 3] += n_trunc


@numba.njit(cache=True, nogil=True)
def _integer_sums(m: int, K: int, pas: Any, sol: Any, tru: Any) -> tuple[Any, Any, int]:
    """Σ y and the upper triangle of Σ y y' over the chunk, y = (solved, n_1, ..., n_K), and
    the number truncated, in exact integers (two models: scalar sums held in registers)."""
    D = K + 1
    s1 = np.zeros(D, dtype=np.int64)
    s2 = np.zeros((D, D), dtype=np.int64)
    n_trunc = 0
    if K == 2:
        t0 = t1 = t2 = t01 = t02 = t11 = t12 = t22 = 0
        for e in range(m):
            y0 = int(sol[e])
            y1 = pas[2 * e]
            y2 = pas[2 * e + 1]
            t0 += y0
            t1 += y1
            t2 += y2
            t01 += y0 * y1
            t02 += y0 * y2
            t11 += y1 * y1
            t12 += y1 * y2
            t22 += y2 * y2
            n_trunc += tru[e]
        s1[0], s1[1], s1[2] = t0, t1, t2
        s2[0, 0], s2[0, 1], s2[0, 2] = t0, t01, t02  # solved is 0 or 1: y0 y0 = y0
        s2[1, 1], s2[1, 2], s2[2, 2] = t11, t12, t22
        return s1, s2, n_trunc
    y = np.empty(D, dtype=np.int64)
    for e in range(m):
        y[0] = sol[e]
        for k in range(K):
            y[1 + k] = pas[e * K + k]
        n_trunc += tru[e]
        for i in range(D):
            s1[i] += y[i]
            for j in range(i, D):
                s2[i, j] += y[i] * y[j]
    return s1, s2, n_trunc


@numba.njit(cache=True, nogil=True)
def _chunk_moments_linear(m: int, K: int, latency: Any, cost: Any, pas: Any, sol: Any,
                          tru: Any, V: float, P: float, stats: Any) -> None:
    """The chunk's moments when V and P are the same for every episode.

    Every column is then an affine function a + w·y of the integer vector
    y = (solved, n_1, ..., n_K): latency t·n, cost c·n, user utility V s - t·n, provider cost
    c·n + P (1 - s), passes n_k. So the means are a + w·ȳ and the sums of squared deviations
    w' C w with the scatter matrix C = Σ (y - ȳ)(y - ȳ)' = (m Σ y y' - Σ y Σ y') / m, whose
    numerator is summed **exactly** in integers (no overflow while m · max_passes <
    :data:`_EXACT_LIMIT`). One pass of integer adds per episode, no per-episode latency or
    cost.
    """
    s1, s2, n_trunc = _integer_sums(m, K, pas, sol, tru)
    _linear_moments(m, K, latency, cost, s1, s2, n_trunc, V, P, stats)


@numba.njit(cache=True, nogil=True)
def _linear_moments(m: int, K: int, latency: Any, cost: Any, s1: Any, s2: Any, n_trunc: int,
                    V: float, P: float, stats: Any) -> None:
    """The rest of :func:`_chunk_moments_linear`, from the chunk's integer sums (Σ y, upper
    triangle of Σ y y', number truncated) merged into ``stats``."""
    D = K + 1
    C = np.empty((D, D))
    for i in range(D):
        for j in range(i, D):
            C[i, j] = (m * s2[i, j] - s1[i] * s1[j]) / m
            C[j, i] = C[i, j]
    ybar = s1 / m
    Q = 5 + K
    W = np.zeros((Q, D))
    a = np.zeros(Q)
    W[0, 0] = 1.0
    for k in range(K):
        W[1, 1 + k] = latency[k]
        W[2, 1 + k] = cost[k]
        W[3, 1 + k] = -latency[k]
        W[4, 1 + k] = cost[k]
        W[5 + k, 1 + k] = 1.0
    W[3, 0] = V
    W[4, 0] = -P
    a[4] = P
    mean = a + W @ ybar
    m2 = np.empty(Q)
    for j in range(Q):
        m2[j] = max(W[j] @ (C @ W[j]), 0.0)
    _merge(stats, m, mean, m2, int(s1[0]), n_trunc)


@numba.njit(cache=True, nogil=True)
def _chunk_moments(lo: int, m: int, K: int, pas: Any, la: Any, cs: Any, sol: Any, tru: Any,
                   task_value: Any, penalty: Any, stats: Any) -> None:
    """Merge the moments of a chunk (two passes over its outputs) into ``stats``: row 0 the
    count and outcome counts (n, solved, abandoned, truncated), row 1 the means, row 2 the
    sums of squared deviations of the columns of :func:`_moments_kernel` (Chan et al.'s
    pairwise update, as :meth:`routegame.simulate.stream._Moments.merge`)."""
    Q = 5 + K
    mean = np.zeros(Q)
    m2 = np.zeros(Q)
    none = np.empty(0)
    pas2 = pas.reshape((m, K))
    tv = task_value[lo:lo + m] if task_value.size > 1 else task_value
    _moment_sums(pas2, la, cs, sol, tv, penalty, 0, m, none, mean)
    for j in range(Q):
        mean[j] /= m
    _moment_sums(pas2, la, cs, sol, tv, penalty, 0, m, mean, m2)
    n_solved = 0
    n_trunc = 0
    for e in range(m):
        n_solved += sol[e]
        n_trunc += tru[e]
    _merge(stats, m, mean, m2, n_solved, n_trunc)


@numba.njit(cache=True, nogil=True)
def _round_per_model(lo: int, nlive: int, K: int, shift: int, p_t: Any, b_t: Any, thr: Any,
                     passes: Any, solved: Any, live: Any, src: Any, st: Any) -> tuple[int, Any]:
    """One pass of the live episodes with per-model tables (p, b, move thresholds); returns the
    number still live (compacted at the front of ``live``)."""
    w = 0
    if K == 2:  # the paper's game: one move threshold
        for i in range(nlive):
            x = live[i]
            k = x & 1
            e = lo + (x >> 1)
            passes[2 * e + k] += 1  # lo = 0: the chunk's own output views
            u, st = _draw(src, st)
            solved[e] = u < p_t[k]  # final when the episode stops (u < b); u >= b >= p else
            live[w] = (x & ~1) | (u >= thr[k, 0])
            w += u >= b_t[k]
        return w, st
    mask = (1 << shift) - 1
    for i in range(nlive):
        x = live[i]
        k = x & mask
        e = lo + (x >> shift)
        passes[e * K + k] += 1
        u, st = _draw(src, st)
        solved[e] = u < p_t[k]
        nxt = 0
        for c in range(K - 1):
            nxt += u >= thr[k, c]
        live[w] = (x & ~mask) | nxt
        w += u >= b_t[k]
    return w, st


@numba.njit(cache=True, nogil=True)
def _abandoned(m: int, sol: Any, tru: Any, ab: Any) -> None:
    """abandoned = neither solved nor truncated, for the chunk's episodes."""
    for e in range(m):
        ab[e] = not (sol[e] or tru[e])


# The two-model pass loop (the paper's game) packs an episode into one int64: bit 0 the current
# model, bits 1..20 and 21..40 the passes on models 1 and 2, bits 41..61 the episode's index in
# its chunk, bit 62 solved. Its outputs are written once, when the episode ends.
_CNT_BITS = 20
_CNT_MASK = (1 << _CNT_BITS) - 1
_E_SHIFT = 1 + 2 * _CNT_BITS
_E_MASK = (1 << 21) - 1
_SOLVED_BIT = 62


@numba.njit(cache=True, nogil=True)
def _round_two(nlive: int, p_t: Any, b_t: Any, thr: Any, live: Any, ended: Any, nend: int,
               src: Any, st: Any) -> tuple[int, int, Any]:
    """One pass of the live two-model episodes (packed words): count the pass, draw, then the
    ones that stop are appended to ``ended`` (with their solved bit), the others stay in
    ``live`` with their next model. Branch-free: both stores happen, the indices advance by the
    outcome. Returns (still live, ended so far, state)."""
    w = 0
    for i in range(nlive):
        x = live[i]
        k = x & 1
        x += np.int64(2) << (_CNT_BITS * k)
        u, st = _draw53(src, st)
        go = u >= b_t[k]
        live[w] = (x & ~1) | (u >= thr[k])
        ended[nend] = x | (np.int64(u < p_t[k]) << _SOLVED_BIT)
        w += go
        nend += 1 - go
    return w, nend, st


@numba.njit(cache=True, nogil=True)
def _place_two(words: Any, count: int, truncated: bool, slot: Any) -> None:
    """Put ``count`` finished two-model episodes (packed words) at their index in ``slot``
    (bit 63 set when truncated), so that :func:`_write_two` writes the outputs in order."""
    flag = np.int64(truncated) << 63
    for j in range(count):
        z = words[j]
        slot[(z >> _E_SHIFT) & _E_MASK] = z | flag


@numba.njit(cache=True, nogil=True)
def _write_two(m: int, slot: Any, latency: Any, cost: Any, pas: Any, sol: Any, tru: Any,
               ab: Any, la: Any, cs: Any) -> None:
    """Write the outputs of the chunk's m two-model episodes once each, in order: passes,
    outcome flags, latency and cost Σ_k n_k t_k in model order (as :func:`_finish`)."""
    t0, t1, c0, c1 = latency[0], latency[1], cost[0], cost[1]
    for e in range(m):
        z = slot[e]
        n0 = (z >> 1) & _CNT_MASK
        n1 = (z >> (1 + _CNT_BITS)) & _CNT_MASK
        solved = ((z >> _SOLVED_BIT) & 1) != 0
        cut = z < 0
        pas[2 * e] = n0
        pas[2 * e + 1] = n1
        f0 = float(n0)
        f1 = float(n1)
        a = 0.0
        a += f0 * t0
        a += f1 * t1
        c = 0.0
        c += f0 * c0
        c += f1 * c1
        la[e] = a
        cs[e] = c
        sol[e] = solved
        tru[e] = cut
        ab[e] = not (solved or cut)


@numba.njit(cache=True, nogil=True)
def _sums_two(words: Any, count: int, acc: Any) -> None:
    """Add the integer sums of :func:`_integer_sums` (two models) of ``count`` finished
    episodes (packed words) to ``acc`` = (Σ s, Σ n1, Σ n2, Σ s n1, Σ s n2, Σ n1², Σ n1 n2,
    Σ n2²)."""
    t0 = t1 = t2 = t01 = t02 = t11 = t12 = t22 = 0
    for j in range(count):
        z = words[j]
        y0 = (z >> _SOLVED_BIT) & 1
        y1 = (z >> 1) & _CNT_MASK
        y2 = (z >> (1 + _CNT_BITS)) & _CNT_MASK
        t0 += y0
        t1 += y1
        t2 += y2
        t01 += y0 * y1
        t02 += y0 * y2
        t11 += y1 * y1
        t12 += y1 * y2
        t22 += y2 * y2
    acc[0] += t0
    acc[1] += t1
    acc[2] += t2
    acc[3] += t01
    acc[4] += t02
    acc[5] += t11
    acc[6] += t12
    acc[7] += t22


@numba.njit(cache=True, nogil=True)
def _pass_kernel(n: int, K: int, chunk: int, max_passes: int, start_cum: Any, first: int,
                 mode: int, fixed: Any, task: Any, attempts: int, shift_tab: Any, q_vec: Any,
                 q_flat: Any, per_q: bool, cum_r: Any, det_next: Any, det: bool,
                 latency: Any, cost: Any, passes: Any, lat: Any, cst: Any, solved: Any,
                 truncated: Any, abandoned: Any, live: Any, src: Any, st: Any, summary: bool,
                 task_value: Any, penalty: Any, stats: Any,
                 st_out: Any) -> tuple[int, Any]:
    """The pass loop of :meth:`routegame.simulate.kernels._PassStep.chunk` over all chunks;
    returns the number of uniforms drawn. Outputs per episode, or (``summary``) chunk-sized
    scratch outputs reduced chunk by chunk into ``stats`` (:func:`_chunk_moments`)."""
    shift = 1
    while (1 << shift) < K:
        shift += 1
    mask = (1 << shift) - 1
    n_fix = fixed.shape[1]
    n_shift = shift_tab.shape[1]
    per_ep = mode != _FIXED or per_q
    p_t = np.empty(K)
    b_t = np.empty(K)
    thr = np.empty((K, max(K - 1, 1)))
    draws = 0
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        pas, sol, tru, la, cs = _views(summary, True, lo, m, K, passes, solved, truncated, lat,
                                       cst)
        ab = abandoned[lo:lo + m] if not summary else abandoned[:m]
        d, st = _first_models(m, K, shift, start_cum, first, src, st, live)
        draws += d
        nlive = m
        attempt = 0
        while nlive > 0 and attempt < max_passes:
            attempt += 1
            col_fix = min(attempt, n_fix) - 1
            col_task = min(attempt, attempts) - 1
            col_shift = min(attempt, n_shift) - 1
            if mode == _FIXED:  # the per-model tables of this attempt (numpy: _PassStep.tables)
                for k in range(K):
                    pk = fixed[k, col_fix]
                    bk = pk + (1.0 - pk) * q_vec[k]
                    p_t[k] = pk
                    b_t[k] = bk
                    for c in range(K - 1):
                        thr[k, c] = bk + (1.0 - bk) * cum_r[k, c]
            w = 0
            if not per_ep and not det:  # the common case, in its own tight loop
                w, st = _round_per_model(0, nlive, K, shift, p_t, b_t, thr, pas, sol, live, src,
                                         st)
                draws += nlive
                nlive = w
                continue
            for i in range(nlive):
                x = live[i]
                k = x & mask
                el = x >> shift
                g = (lo + el) * K + k
                pas[el * K + k] += 1
                if not per_ep:
                    p = p_t[k]
                    b = b_t[k]
                else:
                    if mode == _FIXED:
                        p = p_t[k]
                    elif mode == _TASK:
                        p = task[g]
                    elif mode == _TASK_SCHEDULE:
                        p = task[g * attempts + col_task]
                    else:
                        p = 1.0 / (1.0 + np.exp(-(task[g] + shift_tab[k, col_shift])))
                    q = q_flat[g] if per_q else q_vec[k]
                    b = p + (1.0 - p) * q
                u, st = _draw(src, st)
                sol[el] = u < p  # final when the episode stops (u < b); u >= b >= p else
                if det:
                    nxt = det_next[k]
                elif not per_ep:
                    nxt = 0
                    for c in range(K - 1):
                        nxt += u >= thr[k, c]
                else:
                    nxt = 0
                    for c in range(K - 1):
                        nxt += u >= b + (1.0 - b) * cum_r[k, c]
                live[w] = (x & ~mask) | nxt
                w += u >= b
            draws += nlive
            nlive = w
        for i in range(nlive):
            tru[live[i] >> shift] = True
        _reduce_chunk(summary, lo, m, K, max_passes, latency, cost, pas, la, cs, sol, tru,
                      task_value, penalty, stats)
        if not summary:
            _abandoned(m, sol, tru, ab)
    st_out[0], st_out[1] = st[0], st[1]  # before returning: see _drawing
    return draws, st


@numba.njit(cache=True, nogil=True)
def _pass_kernel_two(n: int, chunk: int, max_passes: int, start_cum: Any, first: int,
                     fixed: Any, q_vec: Any, cum_r: Any, latency: Any, cost: Any, passes: Any,
                     lat: Any, cst: Any, solved: Any, truncated: Any, abandoned: Any,
                     live: Any, ended: Any, slot: Any, src: Any, st: Any, summary: bool,
                     task_value: Any, penalty: Any, stats: Any,
                     st_out: Any) -> tuple[int, Any]:
    """:func:`_pass_kernel` for two models with per-model tables (i.i.d. passes or a schedule,
    one q per model, a cascade that is not 0/1): the episodes packed in one word each
    (:func:`_round_two`), the same draws in the same order. Its own kernel, so that a call
    compiles only the loop it runs."""
    n_fix = fixed.shape[1]
    p_t = np.empty(2, dtype=np.int64)  # the thresholds as integers (_int_threshold)
    b_t = np.empty(2, dtype=np.int64)
    thr = np.empty(2, dtype=np.int64)
    acc = np.zeros(8, dtype=np.int64)
    draws = 0
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        # every episode of the chunk is written once (_write_two): no clearing
        pas, sol, tru, la, cs = _views(summary, False, lo, m, 2, passes, solved, truncated,
                                       lat, cst)
        ab = abandoned[lo:lo + m] if not summary else abandoned[:m]
        d, st = _first_models(m, 2, 1, start_cum, first, src, st, live)
        draws += d
        for i in range(m):
            x = live[i]
            live[i] = ((x >> 1) << _E_SHIFT) | (x & 1)
        nlive = m
        nend = 0
        attempt = 0
        while nlive > 0 and attempt < max_passes:
            attempt += 1
            col_fix = min(attempt, n_fix) - 1
            for k in range(2):  # the tables of this attempt (numpy: _PassStep.tables)
                pk = fixed[k, col_fix]
                bk = pk + (1.0 - pk) * q_vec[k]
                p_t[k] = _int_threshold(pk)
                b_t[k] = _int_threshold(bk)
                thr[k] = _int_threshold(bk + (1.0 - bk) * cum_r[k, 0])
            w, nend, st = _round_two(nlive, p_t, b_t, thr, live, ended, nend, src, st)
            draws += nlive
            nlive = w
        # as _reduce_chunk: the chunk's moments from exact integer sums when V is one value
        if summary and task_value.size == 1 and m * max_passes < _EXACT_LIMIT:
            acc[:] = 0
            _sums_two(ended, nend, acc)
            _sums_two(live, nlive, acc)
            s1 = np.array([acc[0], acc[1], acc[2]])
            s2 = np.zeros((3, 3), dtype=np.int64)
            s2[0, 0], s2[0, 1], s2[0, 2] = acc[0], acc[3], acc[4]
            s2[1, 1], s2[1, 2], s2[2, 2] = acc[5], acc[6], acc[7]
            _linear_moments(m, 2, latency, cost, s1, s2, nlive, task_value[0], penalty[0],
                            stats)
            continue
        _place_two(ended, nend, False, slot)
        _place_two(live, nlive, True, slot)
        _write_two(m, slot, latency, cost, pas, sol, tru, ab, la, cs)
        if summary:
            _chunk_moments(lo, m, 2, pas, la, cs, sol, tru, task_value, penalty, stats)
    st_out[0], st_out[1] = st[0], st[1]  # before returning: see _drawing
    return draws, st


@numba.njit(cache=True, nogil=True)
def _visit_kernel(n: int, K: int, chunk: int, max_passes: int, start_cum: Any, first: int,
                  p: Any, diag: Any, moves: Any, q_flat: Any, per_q: bool, geo_vec: Any,
                  endless_vec: Any, exit_cum: Any, move_cum: Any, last_move: Any,
                  latency: Any, cost: Any, passes: Any, lat: Any, cst: Any, solved: Any,
                  truncated: Any, abandoned: Any, live: Any, done: Any, src: Any, st: Any,
                  summary: bool, task_value: Any, penalty: Any, stats: Any,
                  st_out: Any) -> tuple[int, Any]:
    """The visit loop of :meth:`routegame.simulate.kernels._VisitStep.chunk` over all chunks;
    returns the number of uniforms drawn (outputs as for :func:`_pass_kernel`)."""
    shift = 1
    while (1 << shift) < K:
        shift += 1
    mask = (1 << shift) - 1
    log_stay = np.log1p(-geo_vec)
    draws = 0
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        pas, sol, tru, la, cs = _views(summary, True, lo, m, K, passes, solved, truncated, lat,
                                       cst)
        d, st = _first_models(m, K, shift, start_cum, first, src, st, live)
        draws += d
        for i in range(m):
            done[i] = 0
        nlive = m
        while nlive > 0:
            # run lengths: geometric by inversion (kernels._geometric), cut at the cap
            w = 0
            for i in range(nlive):
                x = live[i]
                k = x & mask
                el = x >> shift
                g = (lo + el) * K + k
                if per_q:
                    leave = 1.0 - (1.0 - p[k]) * (1.0 - q_flat[g]) * diag[k]
                    endless = leave <= 0
                    ls = np.log1p(-1.0) if endless else np.log1p(-leave)
                else:
                    endless = endless_vec[k]
                    ls = log_stay[k]
                u, st = _draw(src, st)
                run = np.floor(np.log1p(-u) / ls) + 1.0
                left = max_passes - done[i]
                if endless or run > left:
                    pas[el * K + k] += left
                    tru[el] = True
                    continue
                r = int(run)
                pas[el * K + k] += r
                live[w] = x
                done[w] = done[i] + r
                w += 1
            draws += nlive
            nlive = w
            if nlive == 0:
                break
            # how each visit ends, from one uniform
            w = 0
            for i in range(nlive):
                x = live[i]
                k = x & mask
                el = x >> shift
                u, st = _draw(src, st)
                if not per_q:
                    code = 0
                    for c in range(K + 1):
                        code += u >= exit_cum[k, c]
                    sol[el] = code == 0
                    nxt = max(code - 2, 0)
                    go = code >= 2
                else:
                    g = (lo + el) * K + k
                    p_c = p[k]
                    q_c = q_flat[g]
                    leave_c = 1.0 - (1.0 - p_c) * (1.0 - q_c) * diag[k]
                    s_c = p_c / leave_c
                    b_c = s_c + (1.0 - p_c) * q_c / leave_c
                    if not moves[k]:
                        b_c = 1.0
                    go = u >= b_c
                    sol[el] = u < s_c
                    nxt = 0
                    if go:
                        y = (u - b_c) / (1.0 - b_c)
                        for c in range(K - 1):
                            nxt += y >= move_cum[k, c]
                        nxt = min(nxt, last_move[k])
                live[w] = (x & ~mask) | nxt
                done[w] = done[i]
                w += go
            draws += nlive
            nlive = w
        _reduce_chunk(summary, lo, m, K, max_passes, latency, cost, pas, la, cs, sol, tru,
                      task_value, penalty, stats)
        if not summary:
            _abandoned(m, sol, tru, abandoned[lo:lo + m])
    st_out[0], st_out[1] = st[0], st[1]  # before returning: see _drawing
    return draws, st


def _start_args(start: np.ndarray) -> tuple[np.ndarray, int]:
    from routegame.simulate.inputs import _cumulative

    if np.count_nonzero(start) == 1:
        return np.zeros(1), int(np.argmax(start))
    return np.ascontiguousarray(_cumulative(start)[: start.size - 1], dtype=np.float64), -1


def _outputs(n: int, K: int, written_once: bool = False) -> tuple[np.ndarray, ...]:
    """passes (flat n·K), latency, cost, solved, truncated, abandoned (``written_once``: the
    kernel writes every entry, so nothing is cleared first)."""
    new = np.empty if written_once else np.zeros
    return (new(n * K, dtype=np.int64), np.empty(n), np.empty(n), new(n, dtype=bool),
            new(n, dtype=bool), np.empty(n, dtype=bool))


def _result(n: int, K: int, out: tuple[np.ndarray, ...], draws: int) -> _Run:
    from routegame.simulate.kernels import _Run

    passes, lat, cst, solved, truncated, abandoned = out
    return _Run(passes.reshape(n, K), lat, cst, solved, abandoned, truncated, int(draws))


def _f64(a: Any) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _reduce_args(n: int, K: int, chunk_size: int, summary: Any, written_once: bool = False
                 ) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Outputs (per episode, or chunk-sized scratch), task values, penalty and the stats
    array of a kernel call."""
    if summary is None:
        return _outputs(n, K, written_once), np.zeros(1), np.zeros(1), np.zeros((3, 1))
    task_value, penalty = summary
    return (_outputs(min(chunk_size, n), K), _per_episode(task_value),
            _per_episode(penalty), np.zeros((3, 5 + K)))


def _per_episode(x: Any) -> np.ndarray:
    """A per-episode column as the kernels take it: one value when it is constant (a scalar
    or a broadcast view), else the contiguous array."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0 or (arr.size > 0 and arr.strides == (0,)):
        return np.full(1, float(arr.reshape(-1)[0]))
    return np.ascontiguousarray(arr)


def drive_pass(step: _PassStep, n: int, start: np.ndarray, latency: np.ndarray,
               cost: np.ndarray, max_passes: int, gen: np.random.Generator,
               chunk_size: int, summary: Any = None) -> Any:
    """The compiled pass loop for :func:`routegame.simulate.kernels._run` (same episodes).

    Parameters
    ----------
    step : _PassStep
        The prepared pass (cascade columns, success model, abandon probabilities).
    n, start, latency, cost, max_passes, gen, chunk_size
        As for :func:`routegame.simulate.kernels._drive`.
    summary : (task_value, penalty), optional
        Reduce the episodes chunk by chunk instead of keeping them: task values (n,) or one,
        and the penalty.

    Returns
    -------
    _Run or (stats, draws)
        The episodes' passes, latency, cost and outcomes, and the uniforms drawn; with
        ``summary``, the stats array of :func:`_chunk_moments` (count and outcome counts,
        means, sums of squared deviations) and the uniforms drawn.
    """
    K = step.q_vec.size
    success = step.success
    empty2 = np.zeros((1, 1))
    if success.task is None:
        assert success.fixed is not None
        mode = _FIXED
        fixed = _f64(success.fixed.reshape(K, -1))
        task = np.zeros(1)
    else:
        fixed = empty2
        task = _f64(success.task)
        mode = (_TASK_SHIFT if success.shift is not None
                else _TASK if success.attempts == 1 else _TASK_SCHEDULE)
    shift_tab = _f64(success.shift) if success.shift is not None else empty2
    start_cum, first = _start_args(start)
    cum_r = _f64(step.cum_r).reshape(K, K - 1)
    det = step.det_next is not None
    det_next = (np.ascontiguousarray(step.det_next, dtype=np.int64) if det
                else np.zeros(K, dtype=np.int64))
    per_q = step.q_flat is not None
    q_flat = _f64(step.q_flat) if per_q else np.zeros(1)
    # two models with per-model tables: the packed loop (_round_two), outputs written once
    two = (K == 2 and mode == _FIXED and not per_q and not det and max_passes <= _CNT_MASK
           and chunk_size <= _E_MASK + 1)
    out, tv, pen, stats = _reduce_args(n, K, chunk_size, summary, two)
    live = np.empty(min(chunk_size, n), dtype=np.int64)
    with _drawing(gen) as (src, st, st_out):
        if two:
            ended = np.empty(min(chunk_size, n), dtype=np.int64)
            draws, _ = _pass_kernel_two(n, chunk_size, max_passes, start_cum, first, fixed,
                                        _f64(step.q_vec), cum_r, _f64(latency), _f64(cost),
                                        out[0], out[1], out[2], out[3], out[4], out[5], live,
                                        ended, np.empty_like(ended), src, st,
                                        summary is not None, tv, pen, stats, st_out)
        else:
            draws, _ = _pass_kernel(n, K, chunk_size, max_passes, start_cum, first, mode,
                                    fixed, task, success.attempts, shift_tab, _f64(step.q_vec),
                                    q_flat, per_q, cum_r, det_next, det, _f64(latency),
                                    _f64(cost), out[0], out[1], out[2], out[3], out[4], out[5],
                                    live, src, st, summary is not None, tv, pen, stats, st_out)
    return (stats, int(draws)) if summary is not None else _result(n, K, out, draws)


def drive_visits(step: _VisitStep, n: int, start: np.ndarray, latency: np.ndarray,
                 cost: np.ndarray, max_passes: int, gen: np.random.Generator,
                 chunk_size: int, summary: Any = None) -> Any:
    """The compiled visit loop for :func:`routegame.simulate.kernels._run_visits`.

    Parameters
    ----------
    step : _VisitStep
        The prepared visit (stay probabilities, exit laws).
    n, start, latency, cost, max_passes, gen, chunk_size, summary
        As for :func:`drive_pass`.

    Returns
    -------
    _Run or (stats, draws)
        As for :func:`drive_pass`.
    """
    K = step.q_vec.size
    per_q = step.q_flat is not None
    if per_q:
        assert step.move_cols is not None
        assert step.last_move is not None
        move_cum = _f64(np.column_stack(step.move_cols)) if step.move_cols else np.zeros((K, 1))
        last_move = np.ascontiguousarray(step.last_move, dtype=np.int64)
        geo_vec, endless_vec, exit_cum = np.full(K, 0.5), np.zeros(K, dtype=bool), np.zeros((K, 1))
        q_flat = _f64(step.q_flat)
    else:
        assert step.geo_vec is not None
        assert step.exit_cols is not None
        move_cum, last_move = np.zeros((K, 1)), np.zeros(K, dtype=np.int64)
        geo_vec = _f64(step.geo_vec)
        endless_vec = (np.zeros(K, dtype=bool) if step.endless_vec is None
                       else np.ascontiguousarray(step.endless_vec, dtype=bool))
        exit_cum = _f64(np.column_stack(step.exit_cols))
        q_flat = np.zeros(1)
    start_cum, first = _start_args(start)
    out, tv, pen, stats = _reduce_args(n, K, chunk_size, summary)
    size = min(chunk_size, n)
    live = np.empty(size, dtype=np.int64)
    done = np.empty(size, dtype=np.int64)
    with _drawing(gen) as (src, st, st_out):
        draws, _ = _visit_kernel(n, K, chunk_size, max_passes, start_cum, first, _f64(step.p),
                                 _f64(step.diag), np.ascontiguousarray(step.moves, dtype=bool),
                                 q_flat, per_q, geo_vec, endless_vec, exit_cum, move_cum,
                                 last_move, _f64(latency), _f64(cost), out[0], out[1], out[2],
                                 out[3], out[4], out[5], live, done, src, st,
                                 summary is not None, tv, pen, stats, st_out)
    return (stats, int(draws)) if summary is not None else _result(n, K, out, draws)


@numba.njit(cache=True, nogil=True)
def _moment_sums(passes: Any, lat: Any, cst: Any, solved: Any, task_value: Any, penalty: Any,
                 lo: int, hi: int, mean: Any, out: Any) -> None:
    """Add Σ x (``mean`` empty) or Σ (x - mean)^2 of every column over episodes lo..hi to
    ``out``. Branch-free (solved is random): with x0 = 1 or 0, x0 V is V or 0 and (1 - x0) P
    is 0 or P exactly (V and P are finite), as numpy's ``where``."""
    K = passes.shape[1]
    v_each = task_value.size > 1
    p_each = penalty.size > 1
    v0 = task_value[0]
    p0 = penalty[0]
    a0 = a1 = a2 = a3 = a4 = 0.0
    if mean.size == 0:
        for e in range(lo, hi):
            x0 = 1.0 * solved[e]
            x1 = lat[e]
            x2 = cst[e]
            a0 += x0
            a1 += x1
            a2 += x2
            a3 += x0 * (task_value[e] if v_each else v0) - x1
            a4 += x2 + (1.0 - x0) * (penalty[e] if p_each else p0)
        for k in range(K):  # integer counts: summed exactly
            total = 0
            for e in range(lo, hi):
                total += passes[e, k]
            out[5 + k] += total
    else:
        c0, c1, c2, c3, c4 = mean[0], mean[1], mean[2], mean[3], mean[4]
        for e in range(lo, hi):
            x0 = 1.0 * solved[e]
            x1 = lat[e]
            x2 = cst[e]
            d0 = x0 - c0
            d1 = x1 - c1
            d2 = x2 - c2
            d3 = (x0 * (task_value[e] if v_each else v0) - x1) - c3
            d4 = (x2 + (1.0 - x0) * (penalty[e] if p_each else p0)) - c4
            a0 += d0 * d0
            a1 += d1 * d1
            a2 += d2 * d2
            a3 += d3 * d3
            a4 += d4 * d4
        for k in range(K):
            mk = mean[5 + k]
            acc = 0.0
            for e in range(lo, hi):
                d = passes[e, k] - mk
                acc += d * d
            out[5 + k] += acc
    out[0] += a0
    out[1] += a1
    out[2] += a2
    out[3] += a3
    out[4] += a4


@numba.njit(cache=True, nogil=True)
def _moments_kernel(passes: Any, lat: Any, cst: Any, solved: Any, truncated: Any,
                    task_value: Any, penalty: Any, mean: Any, m2: Any) -> tuple[int, int, int]:
    """Mean and sum of squared deviations (two passes, each summed in blocks of 4096 episodes
    whose sums are added) of the columns of :meth:`routegame.simulate.stream._Moments.of`:
    solved, latency, cost, user utility V·solved − latency, provider cost
    cost + P·(1 − solved), passes on each model."""
    n = passes.shape[0]
    Q = mean.size
    none = np.empty(0)
    block = 4096
    sums = np.zeros(Q)
    part = np.zeros(Q)
    for lo in range(0, n, block):
        part[:] = 0.0
        _moment_sums(passes, lat, cst, solved, task_value, penalty, lo, min(n, lo + block),
                     none, part)
        sums += part
    for j in range(Q):
        mean[j] = sums[j] / n
    for lo in range(0, n, block):
        part[:] = 0.0
        _moment_sums(passes, lat, cst, solved, task_value, penalty, lo, min(n, lo + block),
                     mean, part)
        m2 += part
    n_solved = 0
    n_trunc = 0
    for e in range(n):
        n_solved += solved[e]
        n_trunc += truncated[e]
    return n_solved, n - n_solved - n_trunc, n_trunc


def moments(ep: Any) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """The moments of one block of episodes, fused (the numpy path: ``_Moments.of``).

    Parameters
    ----------
    ep : Episodes
        One block of episodes.

    Returns
    -------
    tuple
        Means (5 + K,), sums of squared deviations (5 + K,), and the numbers of solved,
        abandoned and truncated episodes. Sums are sequential, so they match the numpy path's
        pairwise sums to rounding (relative 1e-12 for 2^20 episodes of moderate values), not bit
        for bit.

    Examples
    --------
    >>> from routegame import GameParams
    >>> from routegame.simulate import simulate
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> ep = simulate(g, [0, 1], np.eye(2), 1.0, 1000, rng=0)
    >>> mean, m2, solved, abandoned, truncated = moments(ep)
    >>> float(mean[0]) == solved / 1000, float(mean[1]), truncated
    (True, 4.0, 0)
    """
    K = ep.num_models
    mean = np.zeros(5 + K)
    m2 = np.zeros(5 + K)
    counts = _moments_kernel(np.ascontiguousarray(ep.passes), _f64(ep.latency), _f64(ep.cost),
                             np.ascontiguousarray(ep.solved, dtype=bool),
                             np.ascontiguousarray(ep.truncated, dtype=bool),
                             _per_episode(ep.task_value), _per_episode(ep.penalty), mean, m2)
    return mean, m2, int(counts[0]), int(counts[1]), int(counts[2])
