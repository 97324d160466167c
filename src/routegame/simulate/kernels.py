"""The two vectorised kernels: pass by pass (:func:`_run`) and visit by visit (:func:`_run_visits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from routegame._types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:  # pragma: no cover
    pass
from routegame.simulate.inputs import _cumulative

__all__ = ['CHUNK_SIZE']


@attrs.frozen
class _Run:
    passes: IntArray
    latency: FloatArray
    cost: FloatArray
    solved: BoolArray
    abandoned: BoolArray
    truncated: BoolArray
    draws: int


CHUNK_SIZE = 1 << 16

"""Episodes are simulated in chunks of this many, so the working arrays stay in cache."""


def _run(
    n: int,
    start: FloatArray,
    cascade: FloatArray,
    success_prob: FloatArray,
    latency: FloatArray,
    cost: FloatArray,
    schedule: FloatArray | None,
    task_probs: FloatArray | None,
    q_model: FloatArray | None,
    q_table: FloatArray | None,
    max_passes: int,
    gen: np.random.Generator,
    chunk_size: int = CHUNK_SIZE,
) -> _Run:
    """Step every live episode one pass at a time (the vectorised kernel).

    One uniform u per pass decides everything that follows a pass on model j, as one draw
    from the chain's transition row: solved if u < p_j; abandoned if p_j <= u < b_j with
    b_j = p_j + (1 - p_j) q_j; otherwise the re-prompt goes to model k when u falls in the
    k-th of the consecutive intervals of widths (1 - b_j) R[j, k] that fill [b_j, 1).

    Episodes are taken ``chunk_size`` at a time (the working arrays stay in cache). Within a
    chunk the live episodes are held as compacted arrays of flat offsets ``base = e·K``
    (episode e of the chunk) and current models ``cur``, so ``base + cur`` indexes the chunk's
    (m, K) arrays; each pass draws one block of uniforms for the live episodes, and the arrays
    shrink as episodes end. Latency and cost, Σ_k passes_k t_k and Σ_k passes_k c_k, are
    computed chunk by chunk while the counts are still in cache.
    """
    K = start.size
    passes = np.empty((n, K), dtype=np.int64)
    lat = np.empty(n)
    cst = np.empty(n)
    solved = np.zeros(n, dtype=bool)
    truncated = np.zeros(n, dtype=bool)
    draws = 0

    cum_R = _cumulative(cascade)[:, : K - 1]
    R_cols = [np.ascontiguousarray(cum_R[:, k]) for k in range(K - 1)]
    det_next = np.argmax(cascade, axis=1).astype(np.intp)
    all_det = bool(np.isin(cascade, (0.0, 1.0)).all())
    point_start = np.count_nonzero(start) == 1
    s_cols = _cumulative(start)[: K - 1].tolist()
    # Per-model thresholds (one small table per pass) unless p or q vary by episode.
    per_episode = task_probs is not None or q_table is not None
    p_flat = None if task_probs is None else task_probs.reshape(-1)
    q_flat = None if q_table is None else q_table.reshape(-1)
    q_vec = np.zeros(K) if q_model is None else q_model
    n_sched = 0 if schedule is None else schedule.shape[1]

    def model_tables(attempt: int) -> tuple[FloatArray, FloatArray, list[FloatArray]]:
        p = success_prob if schedule is None else schedule[:, min(attempt, n_sched) - 1]
        b = p + (1.0 - p) * q_vec
        T = b[:, None] + (1.0 - b)[:, None] * cum_R
        return np.ascontiguousarray(p), b, [np.ascontiguousarray(T[:, k]) for k in range(K - 1)]

    fixed = None if schedule is not None else model_tables(1)

    for lo in range(0, n, chunk_size):
        hi = min(n, lo + chunk_size)
        counts = np.zeros((hi - lo) * K, dtype=np.int64)
        won = np.zeros((hi - lo) * K, dtype=bool)  # solved, flagged at offset e·K
        base = np.arange(0, (hi - lo) * K, K, dtype=np.intp)
        if point_start:
            cur = np.full(hi - lo, int(np.argmax(start)), dtype=np.intp)
        else:
            u0 = gen.random(hi - lo)
            draws += hi - lo
            cur = np.zeros(hi - lo, dtype=np.intp)
            for c in s_cols:
                cur += u0 >= c
        attempt = 0
        while base.size and attempt < max_passes:
            attempt += 1
            pos = base + cur
            np.add.at(counts, pos, 1)
            p_vec, b_vec, T_cols = fixed if fixed is not None else model_tables(attempt)
            if per_episode:
                gpos = pos + lo * K
                pc = np.take(p_flat, gpos) if p_flat is not None else np.take(p_vec, cur)
                qc = np.take(q_flat, gpos) if q_flat is not None else np.take(q_vec, cur)
                bc = pc + (1.0 - pc) * qc
            else:
                pc = np.take(p_vec, cur)
                bc = np.take(b_vec, cur)
            u = gen.random(base.size)
            draws += base.size
            stop = u < bc
            ended = np.compress(stop, base)
            if ended.size:
                won[ended] = np.compress(stop, u < pc)
            go = ~stop
            base = np.compress(go, base)
            if base.size == 0:
                break
            cur = np.compress(go, cur)
            if all_det:
                cur = np.take(det_next, cur)
                continue
            u = np.compress(go, u)
            nxt = np.zeros(base.size, dtype=np.intp)
            if per_episode:
                bg = np.compress(go, bc)
                for col in R_cols:
                    nxt += u >= bg + (1.0 - bg) * np.take(col, cur)
            else:
                for col in T_cols:
                    nxt += u >= np.take(col, cur)
            cur = nxt
        truncated[lo + base // K] = True
        solved[lo:hi] = won[::K]
        block = counts.reshape(hi - lo, K)
        passes[lo:hi] = block
        # Σ_k passes_k t_k column by column: a BLAS matmul of this shape is slow, and threaded
        lat_c = lat[lo:hi]
        cst_c = cst[lo:hi]
        lat_c[:] = 0.0
        cst_c[:] = 0.0
        for k in range(K):
            n_k = block[:, k]
            lat_c += n_k * latency[k]
            cst_c += n_k * cost[k]
    abandoned = ~(solved | truncated)
    return _Run(passes, lat, cst, solved, abandoned, truncated, draws)


def _run_visits(
    n: int,
    start: FloatArray,
    cascade: FloatArray,
    success_prob: FloatArray,
    latency: FloatArray,
    cost: FloatArray,
    q_model: FloatArray | None,
    q_table: FloatArray | None,
    max_passes: int,
    gen: np.random.Generator,
    chunk_size: int = CHUNK_SIZE,
) -> _Run:
    """Step every live episode one *visit* at a time (i.i.d. passes with fixed p only).

    A visit is a maximal run of consecutive passes on one model j. After a pass on j the chain
    moves on with the row (p_j, (1 - p_j) q_j, (1 - p_j)(1 - q_j) R[j, k] for k = 1..K); it
    returns to j (fail, continue, re-prompt to j) with probability
    a_j = (1 - p_j)(1 - q_j) R[j, j], whatever happened before, because the passes are i.i.d.
    with a fixed p_j (no schedule, no per-task p). So the visit length N is geometric,
    P(N = m) = a_j^(m - 1) (1 - a_j), and the way the visit ends is independent of N, with
    the row above restricted to k != j and divided by 1 - a_j: P(N = m, exit = x) =
    a_j^(m - 1) π_x = [a_j^(m - 1) (1 - a_j)] [π_x / (1 - a_j)]. Drawing N with
    ``Generator.geometric(1 - a_j)`` and the exit with one uniform therefore gives the episodes
    the same distribution as :func:`_run` (not the same episodes for a seed). With a per-episode
    q the same holds episode by episode, with a_j read from that episode's q.

    ``max_passes``: pass by pass, an episode is truncated when its max_passes-th pass does not
    end it, i.e. when its untruncated number of passes exceeds max_passes. Here a visit that
    would go past the cap is cut to the passes left (max_passes minus the passes so far) and
    the episode is marked truncated; a visit that ends exactly at the cap by a move to another
    model gives a next visit with no passes left, so it is truncated too. Both cases match.

    Draws per round of visits, in this order: one geometric variate per live episode, then one
    uniform per episode whose visit was not cut by the cap (plus, per chunk, one uniform per
    episode for the first model when ``start`` is not a point mass). ``draws`` counts uniforms
    and geometric variates (one each, whatever numpy uses inside to make a variate).
    """
    K = start.size
    passes = np.empty((n, K), dtype=np.int64)
    lat = np.empty(n)
    cst = np.empty(n)
    solved = np.zeros(n, dtype=bool)
    truncated = np.zeros(n, dtype=bool)
    draws = 0

    point_start = np.count_nonzero(start) == 1
    s_cols = _cumulative(start)[: K - 1].tolist()
    p = success_prob
    diag = np.diag(cascade).copy()
    R_off = cascade.copy()
    np.fill_diagonal(R_off, 0.0)
    moves = R_off.sum(axis=1) > 0  # some k != j has R[j, k] > 0
    q_flat = None if q_table is None else q_table.reshape(-1)
    q_vec = np.zeros(K) if q_model is None else q_model
    if q_flat is None:
        # Per model: the exit distribution (solved, abandoned, moves to 1..K) over 1 - a_j,
        # cumulated with every entry from the last positive one on set to exactly 1.
        fail = 1.0 - p
        a_vec = fail * (1.0 - q_vec) * diag
        leave = 1.0 - a_vec
        safe = np.where(leave > 0, leave, 1.0)
        exit_prob = np.column_stack([p, fail * q_vec, (fail * (1.0 - q_vec))[:, None] * R_off])
        exit_cum = _cumulative(exit_prob / safe[:, None])[:, : K + 1]
        exit_cols = [np.ascontiguousarray(exit_cum[:, i]) for i in range(K + 1)]
        geo_vec = np.where(leave > 0, leave, 1.0)
        endless_vec = leave <= 0
        any_endless = bool(endless_vec.any())
    else:
        # Per episode q: the move part is drawn from R[j, :] without j, renormalised.
        off_sum = R_off.sum(axis=1)
        move_cum = _cumulative(R_off / np.where(off_sum > 0, off_sum, 1.0)[:, None])
        move_cols = [np.ascontiguousarray(move_cum[:, k]) for k in range(K - 1)]
        last_move = (K - 1 - np.argmax((R_off > 0)[:, ::-1], axis=1)).astype(np.intp)

    for lo in range(0, n, chunk_size):
        hi = min(n, lo + chunk_size)
        m = hi - lo
        counts = np.zeros(m * K, dtype=np.int64)
        won = np.zeros(m * K, dtype=bool)  # solved, flagged at offset e·K
        cut = np.zeros(m * K, dtype=bool)  # truncated, flagged at offset e·K
        base = np.arange(0, m * K, K, dtype=np.intp)
        done = np.zeros(m, dtype=np.int64)  # passes so far
        if point_start:
            cur = np.full(m, int(np.argmax(start)), dtype=np.intp)
        else:
            u0 = gen.random(m)
            draws += m
            cur = np.zeros(m, dtype=np.intp)
            for c in s_cols:
                cur += u0 >= c
        while base.size:
            pos = base + cur
            if q_flat is None:
                geo_p = np.take(geo_vec, cur)
                endless = np.take(endless_vec, cur) if any_endless else None
            else:
                p_c = np.take(p, cur)
                q_c = np.take(q_flat, pos + lo * K)
                a_c = (1.0 - p_c) * (1.0 - q_c) * np.take(diag, cur)
                leave_c = 1.0 - a_c
                endless = leave_c <= 0
                geo_p = np.where(endless, 1.0, leave_c)
            run = gen.geometric(geo_p)
            draws += base.size
            left = max_passes - done
            over = run > left
            if endless is not None:
                over |= endless
            over |= run < 1  # defensive: an overflowed variate is a very long run
            run = np.where(over, left, run)
            counts[pos] += run
            if over.any():
                cut[np.compress(over, base)] = True
                keep = ~over
                base = np.compress(keep, base)
                cur = np.compress(keep, cur)
                pos = np.compress(keep, pos)
                done = np.compress(keep, done) + np.compress(keep, run)
                if q_flat is not None:
                    p_c = np.compress(keep, p_c)
                    q_c = np.compress(keep, q_c)
                    leave_c = np.compress(keep, leave_c)
                if base.size == 0:
                    break
            else:
                done = done + run
            u = gen.random(base.size)
            draws += base.size
            if q_flat is None:
                # exit code: 0 solved, 1 abandoned, 2 + k moved to model k
                code = np.zeros(base.size, dtype=np.intp)
                for col in exit_cols:
                    code += u >= np.take(col, cur)
                stop = code < 2
                ended = np.compress(stop, base)
                if ended.size:
                    won[ended] = np.compress(stop, code) == 0
                go = ~stop
                cur = np.compress(go, code) - 2
            else:
                s_c = p_c / leave_c
                b_c = s_c + (1.0 - p_c) * q_c / leave_c
                b_c = np.where(np.take(moves, cur), b_c, 1.0)  # no move: the visit ends
                stop = u < b_c
                ended = np.compress(stop, base)
                if ended.size:
                    won[ended] = np.compress(stop, u < s_c)
                go = ~stop
                cur = np.compress(go, cur)
                b_go = np.compress(go, b_c)
                w = (np.compress(go, u) - b_go) / (1.0 - b_go)
                nxt = np.zeros(cur.size, dtype=np.intp)
                for col in move_cols:
                    nxt += w >= np.take(col, cur)
                cur = np.minimum(nxt, np.take(last_move, cur))
            base = np.compress(go, base)
            done = np.compress(go, done)
        truncated[lo:hi] = cut[::K]
        solved[lo:hi] = won[::K]
        block = counts.reshape(m, K)
        passes[lo:hi] = block
        lat_c = lat[lo:hi]
        cst_c = cst[lo:hi]
        lat_c[:] = 0.0
        cst_c[:] = 0.0
        for k in range(K):
            n_k = block[:, k]
            lat_c += n_k * latency[k]
            cst_c += n_k * cost[k]
    abandoned = ~(solved | truncated)
    return _Run(passes, lat, cst, solved, abandoned, truncated, draws)
