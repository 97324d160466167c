"""The entry points :func:`simulate` and :func:`simulate_two_model` (episodes held in memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from routegame._types import ArrayLike, FloatArray, RNGLike
from routegame.errors import ParameterError
from routegame.markov.chain import two_model_policy
from routegame.model.policy import check_cascade, check_route
from routegame.params import GameParams, check_array

if TYPE_CHECKING:  # pragma: no cover
    pass
from routegame.simulate.inputs import (
    _RUN_THRESHOLD,
    DEFAULT_MAX_PASSES,
    AbandonLike,
    TaskValueLike,
    _abandon_table,
    _as_float_array,
    _check_max_passes,
    _check_n_episodes,
    _check_policy,
    _check_unit_interval,
    _fmt_shape,
    _normalise_rng,
    _task_values,
)
from routegame.simulate.kernels import _run, _run_visits
from routegame.simulate.results import Episodes
from routegame.simulate.tasks import TaskDistribution

__all__ = ['simulate', 'simulate_two_model']


def simulate(
    params: GameParams,
    start: ArrayLike,
    cascade: ArrayLike,
    abandon: AbandonLike,
    n_episodes: int,
    rng: RNGLike = None,
    *,
    max_passes: int = DEFAULT_MAX_PASSES,
    success_schedule: ArrayLike | None = None,
    tasks: TaskDistribution | None = None,
    task_value: TaskValueLike | None = None,
    method: Literal["auto", "pass", "run"] = "auto",
) -> Episodes:
    """Simulate ``n_episodes`` independent episodes of a K-model game under a policy.

    Parameters
    ----------
    params : GameParams
        The game: latencies t_k, costs c_k, success probabilities p_k, V and P.
    start : array_like, shape (K,)
        Probability that the first pass goes to each model (the paper's route i is e_i).
    cascade : array_like, shape (K, K)
        R[j, k] = probability that the re-prompt after a failure on model j goes to model k;
        rows sum to 1.
    abandon : float, array_like or callable
        Probability that the user abandons after a failed pass: a scalar q (the paper's
        stationary user); shape (K,), one q_j per model that failed (a state-aware user);
        shape (n, 1) or (n, K), one per episode (a population of users); or a function of the
        per-episode task values (shape (n,)) returning shape (n,) or (n, K). A 1-D array is
        always read as per model.
    n_episodes : int
        Number of episodes, >= 1.
    rng : None, int or numpy.random.Generator
        Source of randomness, normalised by ``np.random.default_rng``.
    max_passes : int, default 10_000
        Episodes still going after this many passes are stopped and marked ``truncated``.
    success_schedule : array_like, shape (K, A), optional
        Success probability of the a-th pass of an episode (a = 1..A, counting passes on all
        models) on each model; the last column applies to every pass beyond A. Replaces
        ``params.success_prob``. Entries in [0, 1]. Together with ``tasks`` (per-task
        probabilities (m, K)) it is read as a shift on the logit scale:
        ``logit p_{e,k}(a) = logit p_{e,k} + (logit S[k, a] - logit S[k, 1])``, so the first
        pass keeps the task's probability and later passes move the way the schedule does.
    tasks : TaskDistribution, optional
        Per-episode success probabilities, drawn once per episode and used for all its passes
        (or, with a per-task schedule (m, K, A), per pass of the episode). Replaces
        ``params.success_prob``.
    task_value : float, array_like (n,) or callable, optional
        Per-episode task value V (default ``params.task_value`` for all); a callable is called
        as ``task_value(n_episodes, rng)``. It only enters ``user_utility`` and, through a
        callable ``abandon``, the user's behaviour.
    method : {"auto", "pass", "run"}, default "auto"
        How episodes are stepped. ``"pass"``: one pass at a time, one uniform per pass (the
        reference). ``"run"``: one visit (run of passes on one model) at a time, a geometric
        run length and one uniform per visit; valid only for i.i.d. passes with fixed success
        probabilities, i.e. without ``success_schedule`` and ``tasks``, and then exactly the
        same distribution of episodes (see Notes), though not the same episodes for a seed.
        ``"auto"``: ``"run"`` when valid and some model's expected visit is at least two passes,
        else ``"pass"``.

    Returns
    -------
    Episodes
        Per-episode passes, latency, cost and outcome; ``.summary()`` gives the estimates.

    Notes
    -----
    With ``method="pass"`` each pass uses one uniform u per live episode, read as one draw from the chain's
    transition row of the current model j: solved if u < p_j, abandoned if u < p_j + (1 - p_j)
    q_j, otherwise the next model k by where u falls in the rest of [0, 1), split in
    proportion to R[j, k]. Random numbers are drawn in this order: task values (if sampled),
    tasks, then chunk by chunk of 65,536 episodes: the first model (only when ``start`` is not
    a point mass) and one block of uniforms per pass for the live episodes of the chunk. The
    same seed therefore gives the same episodes.

    With ``method="run"`` a visit to model j (consecutive passes on j) lasts a geometric
    number of passes: each pass ends the visit with probability 1 - a_j, where
    a_j = (1 - p_j)(1 - q_j) R[j, j] is the chance of failing, continuing and being re-prompted
    to j again. As the passes are i.i.d., P(visit of m passes, then exit x) = a_j^(m - 1) π_x,
    where π is the transition row (solved p_j, abandoned (1 - p_j) q_j, moved to k != j
    (1 - p_j)(1 - q_j) R[j, k]) and Σ π_x = 1 - a_j; this factors as the geometric law of m
    with parameter 1 - a_j times the exit law π_x / (1 - a_j). So drawing the run length
    (by inversion of one uniform, ``1 + floor(log(1 - u) / log(a_j))``) and then the exit
    (one uniform) gives exactly the distribution of the pass-by-pass chain, passes per model,
    latency and cost included. A visit that would take the episode past ``max_passes`` is cut
    at exactly ``max_passes`` passes and marked truncated, as pass by pass. Random numbers are
    drawn in this order: task values (if sampled), then chunk by chunk: the first model (when
    ``start`` is not a point mass), then per round of visits one block of uniforms for the run
    lengths of the live episodes and one block of uniforms for those whose visit the cap did
    not cut. The same seed gives the same episodes for a given method.

    From :func:`routegame._jit.min_size` episodes on (numba installed, ``ROUTEGAME_JIT`` not
    0) both methods run as compiled loops that consume the same uniforms in the same order
    with the same formulas: the same episodes for a seed as the numpy path, which stays the
    reference (:mod:`routegame.simulate._compiled`).

    An episode whose success probabilities are 0 (possible with ``tasks`` or
    ``success_schedule``) and whose user never abandons never ends: it runs to ``max_passes``
    and is marked truncated, which costs ``max_passes`` passes; lower ``max_passes`` for such
    inputs. The summary reports the number of truncated episodes, which bias the estimates.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> from routegame.markov.chain import two_model_policy
    >>> start, R = two_model_policy(route=1, cascade=1.0)
    >>> ep = simulate(g, start, R, abandon=0.0, n_episodes=50_000, rng=0)
    >>> s = ep.summary()
    >>> s.success.mean   # q = 0: every episode is eventually solved
    1.0
    >>> abs(s.latency.mean - (1 + 0.7 * 4 / 0.8)) < 4 * s.latency.std_error
    True

    A state-aware user who leaves after a failure of model 1 but never after one of model 2:

    >>> ep = simulate(g, [0.5, 0.5], np.eye(2), abandon=[1.0, 0.0], n_episodes=1000, rng=0)
    >>> bool(ep.abandoned[ep.passes[:, 1] > 0].any())
    False
    """
    return _simulate(params, start, cascade, abandon, n_episodes, rng, max_passes=max_passes,
                     success_schedule=success_schedule, tasks=tasks, task_value=task_value,
                     method=method)


def _simulate(
    params: GameParams,
    start: ArrayLike,
    cascade: ArrayLike,
    abandon: AbandonLike,
    n_episodes: int,
    rng: RNGLike = None,
    *,
    max_passes: int = DEFAULT_MAX_PASSES,
    success_schedule: ArrayLike | None = None,
    tasks: TaskDistribution | None = None,
    task_value: TaskValueLike | None = None,
    method: Literal["auto", "pass", "run"] = "auto",
    reduce: bool = False,
) -> Any:
    """:func:`simulate`; with ``reduce`` (compiled path only) the moments of the episodes,
    reduced chunk by chunk inside the compiled loop, as ``(stats, draws)`` (see
    :func:`routegame.simulate._compiled.drive_pass`): the same draws, no per-episode arrays."""
    if not isinstance(params, GameParams):
        raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
    K = params.num_models
    n = _check_n_episodes(n_episodes)
    max_passes = _check_max_passes(max_passes)
    start_arr, R = _check_policy(start, cascade, K)
    if success_schedule is not None and tasks is not None and tasks.num_attempts > 1:
        raise ParameterError("success_schedule", "cannot be combined with tasks that carry their "
                             "own per-task schedule (m, K, A); give one of them")
    schedule = _check_schedule(success_schedule, K, with_tasks=tasks is not None)
    _check_method(method, schedule is not None, tasks is not None)
    use_runs = method == "run" or (method == "auto" and schedule is None and tasks is None)
    _check_tasks(tasks, K)
    # Validate the abandon input before drawing anything (a callable is checked after V).
    if not callable(abandon):
        q_model, q_table = _abandon_table(abandon, np.empty(0), n, K)
    gen = _normalise_rng(rng)
    const_value = task_value is None or (not callable(task_value) and np.ndim(task_value) == 0)
    if const_value and not callable(abandon):  # one V, no n-sized array (no draws)
        values = np.full(1, params.task_value if task_value is None
                         else float(_as_float_array(task_value, "task_value")))
        check_array(values, "task_value")
        if not reduce:  # a read-only broadcast view, as the penalty: no n floats to write
            values = np.broadcast_to(values[0], (n,))
    else:
        values = _task_values(task_value, params.task_value, n, gen)
    if callable(abandon):
        q_model, q_table = _abandon_table(abandon, values, n, K)
    task_probs = None
    if tasks is not None:
        task_probs = np.ascontiguousarray(tasks.sample(n, gen))
        if task_probs.shape[:2] != (n, K):  # pragma: no cover - guarded by TaskDistribution
            raise ParameterError("tasks", f"sample has shape {_fmt_shape(task_probs.shape)}")
    if use_runs and method == "auto":
        use_runs = _visits_pay(params.success_prob, R, q_model, q_table)
    summary = None
    if reduce:  # one V for all episodes (a scalar) lets the loop use exact integer moments
        summary = (float(values[0]) if const_value else values, params.penalty)
    if use_runs:
        run = _run_visits(n, start_arr, R, params.success_prob, params.latency, params.cost,
                          q_model, q_table, max_passes, gen, summary=summary)
    else:
        run = _run(n, start_arr, R, params.success_prob, params.latency, params.cost, schedule,
                   task_probs, q_model, q_table, max_passes, gen, summary=summary)
    if reduce:
        return run
    return Episodes(
        passes=run.passes,
        latency=run.latency,
        cost=run.cost,
        solved=run.solved,
        abandoned=run.abandoned,
        truncated=run.truncated,
        task_value=values,
        penalty=np.broadcast_to(np.float64(params.penalty), (n,)),  # read-only, no memory
        model_names=tuple(params.names),
    )


def _check_schedule(success_schedule: Any, K: int, with_tasks: bool) -> FloatArray | None:
    """The schedule (K, A), or with tasks its logit shift relative to the first attempt."""
    if success_schedule is None:
        return None
    schedule = _as_float_array(success_schedule, "success_schedule")
    if schedule.ndim != 2 or schedule.shape[0] != K or schedule.shape[1] < 1:
        raise ParameterError("success_schedule", f"must have shape ({K}, A) with A >= 1, got "
                                                 f"{_fmt_shape(schedule.shape)}")
    _check_unit_interval(schedule, "success_schedule")
    schedule = np.ascontiguousarray(schedule)
    if not with_tasks:
        return schedule
    _check_unit_interval(schedule, "success_schedule", open_=True)
    logit = np.log(schedule) - np.log1p(-schedule)
    return np.asarray(logit - logit[:, :1])


def _check_method(method: Any, schedule: bool, tasks: bool) -> None:
    if method not in ("auto", "pass", "run"):
        raise ParameterError("method", f"must be 'auto', 'pass' or 'run', got {method!r}")
    if method == "run" and (schedule or tasks):
        which = "success_schedule" if schedule else "tasks"
        raise ParameterError("method", f"must be 'pass' or 'auto' with {which} (passes are not "
                                       f"i.i.d.), got 'run'")


def _check_tasks(tasks: Any, K: int) -> None:
    if tasks is None:
        return
    if not isinstance(tasks, TaskDistribution):
        raise ParameterError("tasks", f"must be a TaskDistribution, got {type(tasks).__name__}")
    if tasks.num_models != K:
        raise ParameterError("tasks", f"must cover {K} models, got {tasks.num_models}")


def _visits_pay(p: FloatArray, R: FloatArray, q_model: FloatArray | None,
                q_table: FloatArray | None) -> bool:
    """Runs pay off only when visits are long: a visit costs two uniforms and a logarithm."""
    q_visit = q_model if q_model is not None else np.asarray(q_table).mean(axis=0)
    a_stay = (1.0 - p) * (1.0 - q_visit) * np.diag(R)
    return bool(np.max(a_stay) >= _RUN_THRESHOLD)


def simulate_two_model(
    params: GameParams,
    route: int,
    cascade: float,
    abandon: AbandonLike,
    n_episodes: int,
    rng: RNGLike = None,
    *,
    method: Literal["auto", "pass", "run"] = "auto",
    **kwargs: Any,
) -> Episodes:
    """Simulate the paper's two-model game under the policy (route i, cascade s).

    The first pass goes to model ``route`` (1 or 2, as in the paper); after a failure of M1 the
    re-prompt goes to M2 with probability ``cascade`` (s), and once on M2 the task stays there:
    start = e_i, R = [[1 - s, s], [0, 1]] (``routegame.markov.chain.two_model_policy``). Other
    keyword arguments (``max_passes``, ...) are passed on to :func:`simulate`.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> ep = simulate_two_model(g, route=1, cascade=0.0, abandon=1.0, n_episodes=10, rng=0)
    >>> ep.passes.sum(axis=0).tolist()   # q = 1: one pass of M1 per episode
    [10, 0]
    """
    if not isinstance(params, GameParams):
        raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
    if params.num_models != 2:
        raise ParameterError("params", f"must have 2 models for the paper's policy, got "
                                       f"{params.num_models}")
    start, R = two_model_policy(check_route(route), check_cascade(cascade))
    return simulate(params, start, R, abandon, n_episodes, rng, method=method, **kwargs)
