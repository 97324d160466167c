"""The two vectorised kernels: pass by pass (:func:`_run`) and visit by visit (:func:`_run_visits`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from routegame import _jit
from routegame._types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:  # pragma: no cover
    pass
from routegame.simulate.inputs import _cumulative

__all__ = ['CHUNK_SIZE']


def _chunk_buffers(m: int, K: int) -> tuple[IntArray, BoolArray, BoolArray, Any]:
    """Per-chunk outputs of a kernel, flat over (episode, model): pass counts, the solved and
    truncated flags (at offset e·K) and the offsets e·K of the m episodes."""
    counts = np.zeros(m * K, dtype=np.int64)
    won = np.zeros(m * K, dtype=bool)
    cut = np.zeros(m * K, dtype=bool)
    return counts, won, cut, np.arange(0, m * K, K, dtype=np.intp)


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


@attrs.frozen
class _Out:
    """The per-episode output arrays of a kernel call (filled chunk by chunk)."""

    passes: IntArray
    lat: FloatArray
    cst: FloatArray
    solved: BoolArray
    truncated: BoolArray

    @classmethod
    def empty(cls, n: int, K: int) -> _Out:
        return cls(np.empty((n, K), dtype=np.int64), np.empty(n), np.empty(n),
                   np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))

    def finish_chunk(self, lo: int, counts: IntArray, won: BoolArray, cut: BoolArray,
                     latency: FloatArray, cost: FloatArray) -> None:
        """Store a finished chunk: outcomes flagged at offsets e·K, passes, latency and cost."""
        K = latency.size
        m = counts.size // K
        hi = lo + m
        self.truncated[lo:hi] = cut[::K]
        self.solved[lo:hi] = won[::K]
        block = counts.reshape(m, K)
        self.passes[lo:hi] = block
        # Σ_k passes_k t_k column by column: a BLAS matmul of this shape is slow, and threaded
        lat_c = self.lat[lo:hi]
        cst_c = self.cst[lo:hi]
        lat_c[:] = 0.0
        cst_c[:] = 0.0
        for k in range(K):
            n_k = block[:, k]
            lat_c += n_k * latency[k]
            cst_c += n_k * cost[k]

    def result(self, draws: int) -> _Run:
        abandoned = ~(self.solved | self.truncated)
        return _Run(self.passes, self.lat, self.cst, self.solved, abandoned, self.truncated, draws)


def _first_models(start: FloatArray, m: int, gen: np.random.Generator) -> tuple[IntArray, int]:
    """The first model of ``m`` episodes and the number of uniforms drawn (none for a point mass)."""
    if np.count_nonzero(start) == 1:
        return np.full(m, int(np.argmax(start)), dtype=np.intp), 0
    u0 = gen.random(m)
    cur = np.zeros(m, dtype=np.intp)
    for c in _cumulative(start)[: start.size - 1].tolist():
        cur += u0 >= c
    return cur, m


@attrs.frozen(eq=False)
class _Success:
    """Success probability of the a-th pass of the episode on the current model.

    Either one value per model and attempt (``by_model(a)``: i.i.d. passes or a schedule
    (K, A)), or one per episode (``by_episode(gpos, cur, a)``, ``gpos = e·K + k`` over all n
    episodes): per-task probabilities (n, K), per-task schedules (n, K, A), or per-task
    probabilities moved by a logit shift per model and attempt,
    ``logit p_{e,k}(a) = logit p_{e,k} + delta_k(a)``. Beyond the last attempt A the last
    column repeats.
    """

    fixed: FloatArray | None = None  # (K,) or (K, A)
    task: FloatArray | None = None  # flat (n·K) or (n·K·A)
    attempts: int = 1  # A of the per-task schedule, or of ``fixed``/``shift``
    shift: FloatArray | None = None  # (K, A) logit shift of per-task probabilities

    @property
    def per_episode(self) -> bool:
        return self.task is not None

    def by_model(self, a: int) -> FloatArray:
        assert self.fixed is not None
        if self.fixed.ndim == 1:
            return self.fixed
        return np.ascontiguousarray(self.fixed[:, min(a, self.fixed.shape[1]) - 1])

    def by_episode(self, gpos: IntArray, cur: IntArray, a: int) -> FloatArray:
        assert self.task is not None
        if self.shift is not None:
            col = min(a, self.shift.shape[1]) - 1
            x = np.take(self.task, gpos) + np.take(self.shift[:, col], cur)
            return 1.0 / (1.0 + np.exp(-x))
        if self.attempts == 1:
            return np.take(self.task, gpos)
        return np.take(self.task, gpos * self.attempts + (min(a, self.attempts) - 1))

    @classmethod
    def of(cls, success_prob: FloatArray, schedule: FloatArray | None,
           task_probs: FloatArray | None) -> _Success:
        """From the simulator's inputs: p (K,), schedule (K, A), tasks (n, K) or (n, K, A)."""
        if task_probs is None:
            return cls(fixed=success_prob if schedule is None else schedule)
        if task_probs.ndim == 3:
            return cls(task=np.ascontiguousarray(task_probs).reshape(-1),
                       attempts=task_probs.shape[2])
        if schedule is None:
            return cls(task=np.ascontiguousarray(task_probs).reshape(-1))
        with np.errstate(divide="ignore"):
            logit = np.log(task_probs) - np.log1p(-task_probs)
        return cls(task=logit.reshape(-1), shift=np.ascontiguousarray(schedule))



#: Episodes from which loading the compiled loops (importing numba, about a second, and more
#: on a busy machine) pays for itself in one call: the compiled loops save some 20-100 ns per
#: episode over the numpy loops (``benchmarks/bench_simulate.py``).
LOAD_PAYS = 1 << 25


def compiled_pays(n: int) -> bool:
    """Whether ``n`` episodes run on the compiled loops (:mod:`routegame.simulate._compiled`).

    The rule of :func:`routegame._jit.use_compiled` (numba installed, not switched off,
    ``n >= _jit.min_size()``) and, as loading numba costs about a second while the numpy loops
    already run 100 000 episodes in about 10 ms, one of: the compiled loops are already loaded
    in this process, ``n >= LOAD_PAYS``, or the compiled path is forced (``_jit.forced(True)``
    or ``ROUTEGAME_JIT_MIN_SIZE=0``). So ``routegame simulate`` with its default 100 000
    episodes never imports numba. Both paths give the same episodes for a seed.

    Examples
    --------
    >>> from routegame import _jit
    >>> with _jit.forced(False):
    ...     compiled_pays(10**9)
    False
    >>> compiled_pays(10)
    False
    """
    return compiled_by_size(n) or (
        _jit.use_compiled(n) and "routegame.simulate._compiled" in sys.modules)


def compiled_by_size(n: int) -> bool:
    """:func:`compiled_pays` without "already loaded": a function of ``n`` and the environment
    only (used where the two paths differ by rounding, the block moments of a stream, so that
    a summary does not depend on what ran before in the process).

    Examples
    --------
    >>> compiled_by_size(10)
    False
    """
    return _jit.use_compiled(n) and (_jit.use_compiled(0) or n >= LOAD_PAYS)


def _geometric(u: FloatArray, leave: FloatArray) -> FloatArray:
    """Geometric run lengths (as floats, possibly huge) by inversion of uniforms ``u`` in [0, 1).

    ``N = 1 + floor(log(1 - u) / log(1 - leave))`` has P(N > m) = (1 - leave)^m: the number of
    passes of a visit each of which ends it with probability ``leave`` in (0, 1]. One uniform
    per variate (the compiled loop computes the same expression).

    Examples
    --------
    >>> _geometric(np.array([0.0, 0.5, 0.75]), np.array([0.5, 0.5, 0.5])).tolist()
    [1.0, 2.0, 3.0]
    """
    with np.errstate(divide="ignore"):
        return np.floor(np.log1p(-u) / np.log1p(-leave)) + 1.0


def _drive(step: Any, n: int, start: FloatArray, latency: FloatArray, cost: FloatArray,
           max_passes: int, gen: np.random.Generator, chunk_size: int,
           summary: Any = None) -> Any:
    """Run ``n`` episodes chunk by chunk with a kernel's ``step.chunk`` (pass or visit); the
    compiled loop (:mod:`routegame.simulate._compiled`, the same draws in the same order) when
    :func:`routegame._jit.use_compiled` says so for ``n`` episodes."""
    if summary is not None or compiled_pays(n):  # a summary: the caller chose this path
        from routegame.simulate import _compiled

        drive = _compiled.drive_pass if isinstance(step, _PassStep) else _compiled.drive_visits
        return drive(step, n, start, latency, cost, max_passes, gen, chunk_size, summary)
    out = _Out.empty(n, start.size)
    draws = 0
    for lo in range(0, n, chunk_size):
        m = min(n, lo + chunk_size) - lo
        cur, d = _first_models(start, m, gen)
        counts, won, cut, d2 = step.chunk(lo, cur, max_passes, gen)
        draws += d + d2
        out.finish_chunk(lo, counts, won, cut, latency, cost)
    return out.result(draws)


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
    summary: Any = None,
) -> Any:
    """Step every live episode one pass at a time (the vectorised kernel).

    ``summary`` (task values, penalty): on the compiled path only, reduce the episodes to
    moments chunk by chunk instead of returning them (:func:`routegame.simulate._compiled.drive_pass`).

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

    ``task_probs`` is (n, K) or (n, K, A) (per-task schedules); with (n, K) and a
    ``schedule`` (K, A), the schedule is a logit shift of the per-task probabilities
    (:class:`_Success`).
    """
    step = _PassStep.of(cascade, _Success.of(success_prob, schedule, task_probs), q_model, q_table)
    return _drive(step, n, start, latency, cost, max_passes, gen, chunk_size, summary)


@attrs.frozen(eq=False)
class _PassStep:
    """What one pass needs: the cascade's cumulative columns, the success model, the user's q."""

    cum_r: FloatArray  # (K, K - 1) cumulative rows of R
    det_next: IntArray | None  # the next model when R is 0/1, else None
    success: _Success
    q_vec: FloatArray
    q_flat: FloatArray | None

    @classmethod
    def of(cls, cascade: FloatArray, success: _Success, q_model: FloatArray | None,
           q_table: FloatArray | None) -> _PassStep:
        K = cascade.shape[0]
        det = bool(np.isin(cascade, (0.0, 1.0)).all())
        return cls(
            cum_r=_cumulative(cascade)[:, : K - 1],
            det_next=np.argmax(cascade, axis=1).astype(np.intp) if det else None,
            success=success,
            q_vec=np.zeros(K) if q_model is None else q_model,
            q_flat=None if q_table is None else q_table.reshape(-1),
        )

    def tables(self, attempt: int) -> tuple[FloatArray, FloatArray, list[FloatArray]]:
        """Per model: p, b = p + (1 - p) q and the move thresholds (per-model inputs only)."""
        p = self.success.by_model(attempt)
        b = p + (1.0 - p) * self.q_vec
        T = b[:, None] + (1.0 - b)[:, None] * self.cum_r
        return np.ascontiguousarray(p), b, [np.ascontiguousarray(c) for c in T.T]

    def thresholds(self, cur: IntArray, gpos: IntArray, attempt: int,
                   tables: Any) -> tuple[FloatArray, FloatArray]:
        """(p, b) of the live episodes at this pass."""
        if self.success.per_episode or self.q_flat is not None:
            pc = (self.success.by_episode(gpos, cur, attempt) if self.success.per_episode
                  else np.take(tables[0], cur))
            qc = np.take(self.q_flat, gpos) if self.q_flat is not None else np.take(self.q_vec, cur)
            return pc, pc + (1.0 - pc) * qc
        return np.take(tables[0], cur), np.take(tables[1], cur)

    def next_models(self, cur: IntArray, u: FloatArray, bc: FloatArray | None,
                    tables: Any) -> IntArray:
        """The model each continuing episode is re-prompted on, from the rest of its uniform
        (``bc``: the per-episode thresholds, None when the per-model tables hold them)."""
        nxt = np.zeros(cur.size, dtype=np.intp)
        if bc is not None:
            for k in range(self.cum_r.shape[1]):
                nxt += u >= bc + (1.0 - bc) * np.take(self.cum_r[:, k], cur)
        else:
            for col in tables[2]:
                nxt += u >= np.take(col, cur)
        return nxt

    def chunk(self, lo: int, cur: IntArray, max_passes: int, gen: np.random.Generator
              ) -> tuple[IntArray, BoolArray, BoolArray, int]:
        """Run the episodes ``lo, lo + 1, ...`` of one chunk (first models ``cur``) to the end."""
        K = self.q_vec.size
        m = cur.size
        counts, won, cut, base = _chunk_buffers(m, K)
        per_model = self.success.fixed is not None
        iid = self.success.fixed is not None and self.success.fixed.ndim == 1
        per_ep = self.success.per_episode or self.q_flat is not None
        fixed = self.tables(1) if iid else None
        draws = attempt = 0
        while base.size and attempt < max_passes:
            attempt += 1
            pos = base + cur
            np.add.at(counts, pos, 1)
            tables = fixed if fixed is not None else (self.tables(attempt) if per_model else None)
            pc, bc = self.thresholds(cur, pos + lo * K, attempt, tables)
            u = gen.random(base.size)
            draws += base.size
            stop = u < bc
            ended = np.compress(stop, base)
            if ended.size:
                won[ended] = np.compress(stop, u < pc)
            go = ~stop
            base = np.compress(go, base)
            if not base.size:
                break
            cur = np.compress(go, cur)
            if self.det_next is not None:
                cur = np.take(self.det_next, cur)
            else:
                cur = self.next_models(cur, np.compress(go, u),
                                       np.compress(go, bc) if per_ep else None, tables)
        cut[base] = True
        return counts, won, cut, draws


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
    summary: Any = None,
) -> Any:
    """Step every live episode one *visit* at a time (i.i.d. passes with fixed p only).

    ``summary``: as for :func:`_run`.

    A visit is a maximal run of consecutive passes on one model j. After a pass on j the chain
    moves on with the row (p_j, (1 - p_j) q_j, (1 - p_j)(1 - q_j) R[j, k] for k = 1..K); it
    returns to j (fail, continue, re-prompt to j) with probability
    a_j = (1 - p_j)(1 - q_j) R[j, j], whatever happened before, because the passes are i.i.d.
    with a fixed p_j (no schedule, no per-task p). So the visit length N is geometric,
    P(N = m) = a_j^(m - 1) (1 - a_j), and the way the visit ends is independent of N, with
    the row above restricted to k != j and divided by 1 - a_j: P(N = m, exit = x) =
    a_j^(m - 1) π_x = [a_j^(m - 1) (1 - a_j)] [π_x / (1 - a_j)]. Drawing N by inversion of
    one uniform (:func:`_geometric`) and the exit with another therefore gives the episodes
    the same distribution as :func:`_run` (not the same episodes for a seed). With a per-episode
    q the same holds episode by episode, with a_j read from that episode's q.

    ``max_passes``: pass by pass, an episode is truncated when its max_passes-th pass does not
    end it, i.e. when its untruncated number of passes exceeds max_passes. Here a visit that
    would go past the cap is cut to the passes left (max_passes minus the passes so far) and
    the episode is marked truncated; a visit that ends exactly at the cap by a move to another
    model gives a next visit with no passes left, so it is truncated too. Both cases match.

    Draws per round of visits, in this order: one uniform per live episode for its run length,
    then one uniform per episode whose visit was not cut by the cap (plus, per chunk, one
    uniform per episode for the first model when ``start`` is not a point mass). ``draws``
    counts these uniforms.
    """
    step = _VisitStep.of(cascade, success_prob, q_model, q_table)
    return _drive(step, n, start, latency, cost, max_passes, gen, chunk_size, summary)


@attrs.frozen(eq=False)
class _VisitStep:
    """What one visit needs: per model the stay probability a_j and the exit law (per-model q),
    or the parts to compute them per episode (per-episode q)."""

    p: FloatArray
    diag: FloatArray  # R[j, j]
    moves: BoolArray  # some k != j has R[j, k] > 0
    q_vec: FloatArray
    q_flat: FloatArray | None
    # per-model q: geometric parameter 1 - a_j, endless visits, cumulative exit law
    geo_vec: FloatArray | None = None
    endless_vec: BoolArray | None = None
    exit_cols: list[FloatArray] | None = None
    # per-episode q: the move law R[j, :] without j, renormalised
    move_cols: list[FloatArray] | None = None
    last_move: IntArray | None = None

    @classmethod
    def of(cls, cascade: FloatArray, p: FloatArray, q_model: FloatArray | None,
           q_table: FloatArray | None) -> _VisitStep:
        K = cascade.shape[0]
        diag = np.diag(cascade).copy()
        r_off = cascade.copy()
        np.fill_diagonal(r_off, 0.0)
        q_vec = np.zeros(K) if q_model is None else q_model
        common = {"p": p, "diag": diag, "moves": r_off.sum(axis=1) > 0, "q_vec": q_vec,
                  "q_flat": None if q_table is None else q_table.reshape(-1)}
        if q_table is None:
            # Per model: the exit distribution (solved, abandoned, moves to 1..K) over
            # 1 - a_j, cumulated with every entry from the last positive one on set to 1.
            fail = 1.0 - p
            leave = 1.0 - fail * (1.0 - q_vec) * diag
            safe = np.where(leave > 0, leave, 1.0)
            exit_prob = np.column_stack([p, fail * q_vec, (fail * (1.0 - q_vec))[:, None] * r_off])
            exit_cum = _cumulative(exit_prob / safe[:, None])[:, : K + 1]
            endless = leave <= 0
            return cls(**common, geo_vec=safe, endless_vec=endless if endless.any() else None,
                       exit_cols=[np.ascontiguousarray(exit_cum[:, i]) for i in range(K + 1)])
        off_sum = r_off.sum(axis=1)
        move_cum = _cumulative(r_off / np.where(off_sum > 0, off_sum, 1.0)[:, None])
        return cls(**common,
                   move_cols=[np.ascontiguousarray(move_cum[:, k]) for k in range(K - 1)],
                   last_move=(K - 1 - np.argmax((r_off > 0)[:, ::-1], axis=1)).astype(np.intp))

    def geometric(self, cur: IntArray, gpos: IntArray
                  ) -> tuple[FloatArray, BoolArray | None, tuple[FloatArray, ...] | None]:
        """Geometric parameter of each live visit, which visits never end, and (per-episode q)
        the episodes' (p, q, 1 - a)."""
        if self.q_flat is None:
            assert self.geo_vec is not None
            endless = None if self.endless_vec is None else np.take(self.endless_vec, cur)
            return np.take(self.geo_vec, cur), endless, None
        p_c = np.take(self.p, cur)
        q_c = np.take(self.q_flat, gpos)
        leave_c = 1.0 - (1.0 - p_c) * (1.0 - q_c) * np.take(self.diag, cur)
        endless = leave_c <= 0
        return np.where(endless, 1.0, leave_c), endless, (p_c, q_c, leave_c)

    def exits(self, u: FloatArray, cur: IntArray, per_ep: tuple[FloatArray, ...] | None
              ) -> tuple[BoolArray, BoolArray, IntArray]:
        """How each visit ends, from one uniform: (stopped, solved among stopped, next model of
        the others)."""
        if per_ep is None:
            assert self.exit_cols is not None
            code = np.zeros(u.size, dtype=np.intp)  # 0 solved, 1 abandoned, 2 + k moved to k
            for col in self.exit_cols:
                code += u >= np.take(col, cur)
            stop = code < 2
            return stop, np.compress(stop, code) == 0, np.compress(~stop, code) - 2
        assert self.move_cols is not None
        assert self.last_move is not None
        p_c, q_c, leave_c = per_ep
        s_c = p_c / leave_c
        b_c = s_c + (1.0 - p_c) * q_c / leave_c
        b_c = np.where(np.take(self.moves, cur), b_c, 1.0)  # no move: the visit ends
        stop = u < b_c
        go = ~stop
        cur = np.compress(go, cur)
        b_go = np.compress(go, b_c)
        w = (np.compress(go, u) - b_go) / (1.0 - b_go)
        nxt = np.zeros(cur.size, dtype=np.intp)
        for col in self.move_cols:
            nxt += w >= np.take(col, cur)
        return stop, np.compress(stop, u < s_c), np.minimum(nxt, np.take(self.last_move, cur))

    def chunk(self, lo: int, cur: IntArray, max_passes: int, gen: np.random.Generator
              ) -> tuple[IntArray, BoolArray, BoolArray, int]:
        """Run the episodes of one chunk (first models ``cur``) visit by visit to the end."""
        K = self.q_vec.size
        m = cur.size
        counts, won, cut, base = _chunk_buffers(m, K)
        done = np.zeros(m, dtype=np.int64)  # passes so far
        draws = 0
        while base.size:
            pos = base + cur
            geo_p, endless, per_ep = self.geometric(cur, pos + lo * K)
            run_f = _geometric(gen.random(base.size), geo_p)
            draws += base.size
            left = max_passes - done
            over = run_f > left
            if endless is not None:
                over |= endless
            run = np.where(over, left, run_f).astype(np.int64)
            counts[pos] += run
            done = done + run
            if over.any():
                cut[np.compress(over, base)] = True
                keep = ~over
                base, cur, done = (np.compress(keep, x) for x in (base, cur, done))
                if per_ep is not None:
                    per_ep = tuple(np.compress(keep, x) for x in per_ep)
                if base.size == 0:
                    break
            u = gen.random(base.size)
            draws += base.size
            stop, solved, cur = self.exits(u, cur, per_ep)
            ended = np.compress(stop, base)
            if ended.size:
                won[ended] = solved
            go = ~stop
            base = np.compress(go, base)
            done = np.compress(go, done)
        return counts, won, cut, draws
