"""Streamed simulation: any number of episodes in blocks of bounded memory, locally or on a cluster.

:func:`simulate_summary` runs ``n_episodes`` as consecutive blocks of :data:`BLOCK` episodes
(the last one shorter). Block b is simulated by :func:`~routegame.simulate.simulate` with its
own generator, seeded by the b-th child of ``SeedSequence(seed)`` (``SeedSequence.spawn``), and
reduced at once to the moments of every quantity (count, mean, sum of squared deviations);
the blocks' moments are merged in block order (Chan et al.'s pairwise update). So

* memory is that of one block (about 60 MB for two models), whatever ``n_episodes``;
* the result depends only on the seed, ``n_episodes`` and the block size: the same on one
  process, on threads, or on a ``dask.distributed`` cluster with any number of workers (a block
  lost with a worker is recomputed from its seed, giving the same numbers);
* it is not the same stream as one :func:`simulate` call with that seed (whose draws are not
  split into blocks); with ``n_episodes <= block`` it is ``simulate(..., rng=child 0)``;
* the episodes are the same on the numpy and the compiled path (:mod:`routegame._jit`); when
  the whole run is on the compiled path by its size
  (:func:`~routegame.simulate.kernels.compiled_by_size`) its blocks are reduced by one compiled
  loop, whose blocked sums equal numpy's pairwise sums to rounding (not bit for bit).

:func:`simulate_blocks` yields the episodes block by block instead (for writing them out).

Examples
--------
>>> from routegame import GameParams
>>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
>>> s = simulate_summary(g, [1, 0], [[0.5, 0.5], [0, 1]], 0.2, 30_000, rng=1, block=10_000)
>>> s.n_episodes, s == simulate_summary(g, [1, 0], [[0.5, 0.5], [0, 1]], 0.2, 30_000, rng=1,
...                                       block=10_000, scheduler="threads")
(30000, True)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np

from routegame._types import ArrayLike
from routegame.errors import ParameterError
from routegame.params import GameParams
from routegame.simulate.api import simulate
from routegame.simulate.inputs import _check_n_episodes
from routegame.simulate.kernels import compiled_by_size, compiled_pays
from routegame.simulate.results import _SCALARS, Episodes, Estimate, SimulationSummary

__all__ = ["BLOCK", "merge", "simulate_blocks", "simulate_summary", "summarize"]

#: Episodes per block of a streamed simulation (the unit of memory, seeding and scheduling).
BLOCK = 1 << 20


@attrs.frozen
class _Moments:
    """Count, mean and sum of squared deviations of each column, and the outcome counts."""

    n: int
    mean: np.ndarray  # (Q,)
    m2: np.ndarray  # (Q,)
    solved: int
    abandoned: int
    truncated: int

    @classmethod
    def of(cls, ep: Episodes, compiled: bool = False) -> _Moments:
        """The moments of a block, on the numpy path or (``compiled``) in one fused loop,
        equal to rounding."""
        if compiled:
            from routegame.simulate._compiled import moments

            mean, m2, solved, abandoned, truncated = moments(ep)
            return cls(ep.n_episodes, mean, m2, solved, abandoned, truncated)
        cols = [ep.solved.astype(float), ep.latency, ep.cost, ep.user_utility,
                ep.provider_cost, *(ep.passes[:, k].astype(float) for k in range(ep.num_models))]
        mean = np.array([c.mean() for c in cols])
        m2 = np.empty(len(cols))
        for i, c in enumerate(cols):
            d = c - mean[i]
            m2[i] = np.einsum("i,i->", d, d)  # not BLAS: threaded dot products are slow here
        solved = int(np.count_nonzero(ep.solved))
        return cls(ep.n_episodes, mean, m2, solved, int(np.count_nonzero(ep.abandoned)),
                   int(np.count_nonzero(ep.truncated)))

    def merge(self, other: _Moments) -> _Moments:
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        m2 = self.m2 + other.m2 + delta**2 * (self.n * other.n / n)
        return _Moments(n, mean, m2, self.solved + other.solved,
                        self.abandoned + other.abandoned, self.truncated + other.truncated)

    def summary(self, confidence: float, names: tuple[str, ...]) -> SimulationSummary:
        z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2.0)

        def est(i: int) -> Estimate:
            mean = float(self.mean[i])
            se = math.sqrt(float(self.m2[i]) / (self.n - 1) / self.n) if self.n > 1 else math.nan
            return Estimate(mean, se, mean - z * se, mean + z * se)

        k = len(_SCALARS)
        scalars = {name: est(i) for i, name in enumerate(_SCALARS)}
        return SimulationSummary(
            n_episodes=self.n, confidence=confidence, **scalars,
            passes=tuple(est(k + j) for j in range(self.mean.size - k)),
            n_solved=self.solved, n_abandoned=self.abandoned, n_truncated=self.truncated,
            model_names=names,
        )


def summarize(ep: Episodes, compiled: bool = False) -> _Moments:
    """The moments of one block of episodes (merge them with :func:`merge`); ``compiled``:
    in one compiled loop (equal to rounding; see :func:`~routegame.simulate.kernels.compiled_by_size`)."""
    return _Moments.of(ep, compiled)


def merge(parts: list[_Moments]) -> _Moments:
    """Merge the moments of consecutive blocks, in order."""
    total = parts[0]
    for part in parts[1:]:
        total = total.merge(part)
    return total


def _seeds(rng: Any, count: int) -> list[np.random.SeedSequence]:
    if isinstance(rng, np.random.Generator):
        seq = rng.bit_generator.seed_seq
        if not isinstance(seq, np.random.SeedSequence):  # pragma: no cover
            raise ParameterError("rng", "a Generator without a SeedSequence cannot be split")
    elif isinstance(rng, np.random.SeedSequence):
        seq = rng
    elif rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)
                         and rng >= 0):
        seq = np.random.SeedSequence(None if rng is None else int(rng))
    else:
        raise ParameterError(
            "rng", f"must be None, an integer seed >= 0, a SeedSequence or a Generator, got {rng!r}"
        )
    return list(seq.spawn(count))


def _block_sizes(n: int, block: int) -> list[int]:
    return [min(block, n - lo) for lo in range(0, n, block)]


def _check_streamable(abandon: Any, task_value: Any) -> None:
    for name, v in (("abandon", abandon), ("task_value", task_value)):
        if v is not None and not callable(v) and np.ndim(v) >= 1 and (
            name == "task_value" or np.ndim(v) >= 2
        ):
            raise ParameterError(name, "per-episode arrays cannot be streamed in blocks; give a "
                                 "scalar, a per-model vector or a function (or use simulate)")


def _moments_of_block(args: tuple[Any, ...], size: int, seed: np.random.SeedSequence,
                      compiled: bool = False) -> _Moments:
    """The moments of one block: on the numpy path from its episodes; on the compiled path
    reduced inside the loop, chunk by chunk (the same episodes, never held in memory)."""
    params, start, cascade, abandon, kwargs = args
    gen = np.random.default_rng(seed)
    if not compiled:
        return _Moments.of(simulate(params, start, cascade, abandon, size, gen, **kwargs))
    from routegame.simulate.api import _simulate

    stats, _ = _simulate(params, start, cascade, abandon, size, gen, reduce=True, **kwargs)
    n, solved, abandoned, truncated = (int(x) for x in stats[0, :4])
    return _Moments(n, stats[1].copy(), stats[2].copy(), solved, abandoned, truncated)


def simulate_blocks(
    params: GameParams, start: ArrayLike, cascade: ArrayLike, abandon: Any, n_episodes: int,
    rng: Any = None, *, block: int = BLOCK, **kwargs: Any,
) -> Iterator[Episodes]:
    """The episodes of :func:`simulate_summary`, block by block (bounded memory)."""
    n = _check_n_episodes(n_episodes)
    _check_streamable(abandon, kwargs.get("task_value"))
    sizes = _block_sizes(n, _check_block(block))
    _load_compiled(n)
    for size, seed in zip(sizes, _seeds(rng, len(sizes)), strict=True):
        yield simulate(params, start, cascade, abandon, size, np.random.default_rng(seed), **kwargs)


def _load_compiled(n: int) -> bool:
    """Load the compiled loops when the whole run pays for it (its blocks, each smaller than
    :data:`~routegame.simulate.kernels.LOAD_PAYS`, then run on them); whether the blocks'
    moments are reduced by the compiled loop (a function of ``n`` and the environment only,
    so the summary is the same on every scheduler)."""
    if compiled_pays(n):
        import routegame.simulate._compiled  # noqa: F401
    return compiled_by_size(n)


def _check_block(block: Any) -> int:
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
        raise ParameterError("block", f"must be an integer >= 1, got {block!r}")
    return int(block)


def simulate_summary(
    params: GameParams,
    start: ArrayLike,
    cascade: ArrayLike,
    abandon: Any,
    n_episodes: int,
    rng: Any = None,
    *,
    confidence: float = 0.95,
    block: int = BLOCK,
    scheduler: Any = None,
    progress: bool | None = None,
    **kwargs: Any,
) -> SimulationSummary:
    """Simulate ``n_episodes`` in blocks and return only the summary (see the module docstring).

    Parameters
    ----------
    params, start, cascade, abandon, n_episodes
        As for :func:`~routegame.simulate.simulate` (``abandon`` a scalar, a per-model vector
        or a function; per-episode arrays cannot be split into blocks).
    rng : None, int, SeedSequence or Generator
        The seed of the stream; block b uses its b-th spawned child.
    confidence : float
        Level of the intervals.
    block : int
        Episodes per block (default :data:`BLOCK`).
    scheduler : None, "threads", a dask.distributed address or Client
        Where the blocks run: here, one after the other (None), on dask's threads, or on a
        cluster. The result is the same on all of them.
    progress : bool, optional
        A rich progress bar on stderr; default: when stderr is a terminal and there is more
        than one block.
    **kwargs
        ``max_passes``, ``success_schedule``, ``tasks``, ``task_value``, ``method``.
    """
    from routegame.sweep.execute import _progress_bar, _progress_enabled, _scheduler

    n = _check_n_episodes(n_episodes)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not (
        0 < confidence < 1
    ):
        raise ParameterError("confidence", f"must be in (0, 1), got {confidence!r}")
    _check_streamable(abandon, kwargs.get("task_value"))
    sizes = _block_sizes(n, _check_block(block))
    seeds = _seeds(rng, len(sizes))
    compiled = _load_compiled(n)
    args = (params, start, cascade, abandon, kwargs)
    # validate everything on a tiny run before any block is scheduled
    simulate(params, start, cascade, abandon, 1, np.random.default_rng(0), **kwargs)
    names = tuple(params.names)
    with _progress_bar(_progress_enabled(progress, len(sizes)), n, "simulate") as advance:
        if scheduler is None:
            parts = []
            for size, seed in zip(sizes, seeds, strict=True):
                parts.append(_moments_of_block(args, size, seed, compiled))
                advance(size)
        else:
            parts = _run_on(scheduler, args, sizes, seeds, advance, _scheduler, compiled)
    return merge(parts).summary(float(confidence), names)


def _run_on(scheduler: Any, args: tuple[Any, ...], sizes: list[int],
            seeds: list[np.random.SeedSequence], advance: Callable[[int], None],
            open_scheduler: Any, compiled: bool) -> list[_Moments]:
    with open_scheduler(scheduler) as (kind, sched):
        if kind == "local":
            import dask

            tasks = [dask.delayed(_moments_of_block, pure=False)(args, size, seed, compiled)
                     for size, seed in zip(sizes, seeds, strict=True)]
            parts = list(dask.compute(*tasks, scheduler=sched))
            advance(sum(sizes))
            return parts
        from distributed import as_completed

        futures = sched.map(_moments_of_block, [args] * len(sizes), sizes, seeds,
                            [compiled] * len(sizes), pure=False)
        try:
            for fut in as_completed(futures, loop=sched.loop):
                fut.result()
                advance(sizes[futures.index(fut)])
            return list(sched.gather(futures))
        finally:
            sched.cancel(futures)

