"""Monte Carlo simulation of episodes of a K-model routing game.

An **episode** is one task, followed from its first pass until it is solved, abandoned, or cut
short by the ``max_passes`` cap (``truncated``; kept apart from abandoned, as Gymnasium keeps
*truncated* apart from *terminated*).

Notation (``spec/model.md``): the game has K models; a pass on model k takes latency t_k, costs
c_k and succeeds with probability p_k. The provider's policy is a start distribution over the
models (``start``, shape (K,)) and a cascade matrix R (``cascade``, shape (K, K)), where
R[j, k] is the probability that the re-prompt after a failure on model j goes to model k. After
a failure on model j the user abandons with probability q_j (``abandon``: one q for the paper's
stationary user, one per model for a user who knows which model failed). The paper's two-model
policy (route i, cascade s) is start = e_i and R = [[1 - s, s], [0, 1]]
(:func:`simulate_two_model`, built with ``routegame.markov.chain.two_model_policy``).

Beyond what the exact Markov engine solves, the simulator accepts

* ``success_schedule`` (K, A): the success probability of the a-th pass of the episode
  (a = 1..A, the overall attempt number, the last column repeating beyond A), for re-prompts
  that carry feedback;
* ``tasks`` (:class:`TaskDistribution`): a per-episode success probability for each model, drawn
  once per episode (Beta per model, or rows of an empirical table), so a failure is evidence that
  the task is hard;
* a population of users: a per-episode task value V (array or sampler) and per-episode abandon
  probabilities, possibly a function of V.

With ``method="pass"`` all episodes (in chunks of 65,536, to stay in cache) are stepped
together, pass by pass: the arrays of live episodes shrink as episodes end, there is no Python
loop over episodes, and each pass draws one uniform per live episode, in one block, from the
``rng`` (``None | int | Generator``, normalised by ``np.random.default_rng``), so the same seed
gives the same episodes.
That single uniform is a draw from the chain's transition row (solved / abandoned / next model).
With i.i.d. passes (no ``success_schedule``, no ``tasks``) ``method="run"`` steps one *visit* at
a time instead: a geometric run of passes on one model, then one uniform for how the visit ends;
the same distribution with fewer draws (see :func:`simulate`). A geometric variate costs several
uniforms, so ``method="auto"`` uses runs only when some model's expected visit is at least two
passes (stay probability (1 - p_j)(1 - q_j) R[j, j] >= 1/2), and passes otherwise.

Per episode, ``latency`` = Σ_k passes_k t_k, ``cost`` = Σ_k passes_k c_k,
``user_utility`` = V·solved − latency and ``provider_cost`` = cost + P·(1 − solved); their means
estimate S, L, C, U and J of the spec. A truncated episode counts as not solved.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

import attrs
import numpy as np

from routegame._types import ArrayLike, BoolArray, FloatArray, IntArray, RNGLike
from routegame.errors import ParameterError
from routegame.markov.chain import two_model_policy
from routegame.params import GameParams, check_array, check_scalar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "AbandonLike",
    "Comparison",
    "ComparisonRow",
    "Episodes",
    "Estimate",
    "SimulationSummary",
    "TaskDistribution",
    "TaskValueLike",
    "simulate",
    "simulate_two_model",
]

#: method="auto" samples whole visits when some model's stay probability reaches this.
_RUN_THRESHOLD = 0.5

DEFAULT_MAX_PASSES = 10_000
"""Default cap on the number of passes of one episode."""

_SUM_TOL = 1e-9

AbandonLike: TypeAlias = "float | ArrayLike | Callable[[FloatArray], Any]"
"""Abandon probabilities: a scalar q, a (K,) per-model vector, a (n, 1) or (n, K) per-episode
table, or a function of the per-episode task values (n,) returning (n,) or (n, K)."""

TaskValueLike: TypeAlias = "float | ArrayLike | Callable[[int, np.random.Generator], Any]"
"""Task values V: a scalar, an (n,) array, or a sampler ``f(n, rng) -> (n,)``."""


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _as_float_array(value: Any, field: str) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(field, f"must be an array of numbers, got {value!r}") from None
    return arr


def _check_unit_interval(arr: FloatArray, field: str, *, open_: bool = False) -> None:
    ok = np.isfinite(arr) & ((arr > 0) & (arr < 1) if open_ else (arr >= 0) & (arr <= 1))
    if not np.all(ok):
        bad = tuple(np.argwhere(~ok)[0])
        where = f" (entry {', '.join(str(int(b)) for b in bad)})" if arr.ndim else ""
        interval = "(0, 1)" if open_ else "[0, 1]"
        raise ParameterError(field, f"must be in {interval}, got {arr[bad]:g}{where}")


def _check_distribution(value: Any, field: str, shape: tuple[int, ...]) -> FloatArray:
    """Probability vector(s) along the last axis: non-negative, summing to 1 (to 1e-9)."""
    arr = _as_float_array(value, field)
    if arr.shape != shape:
        raise ParameterError(
            field, f"must have shape {_fmt_shape(shape)}, got {_fmt_shape(arr.shape)}"
        )
    _check_unit_interval(arr, field)
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > _SUM_TOL
    if np.any(bad):
        if arr.ndim == 1:
            raise ParameterError(field, f"entries must sum to 1, got {float(sums):.12g}")
        row = int(np.argmax(bad))
        raise ParameterError(
            field, f"every row must sum to 1, row {row + 1} sums to {float(sums[row]):.12g}"
        )
    return arr / sums[..., None]


def _cumulative(prob: FloatArray) -> FloatArray:
    """Cumulative sums along the last axis, set to exactly 1 from the last positive entry on.

    Inverse-CDF sampling then never picks a zero-probability entry through rounding.
    """
    cum = np.cumsum(prob, axis=-1)
    last = prob.shape[-1] - 1 - np.argmax((prob > 0)[..., ::-1], axis=-1)
    cols = np.arange(prob.shape[-1])
    cum[cols >= last[..., None]] = 1.0
    return cum


def _check_n_episodes(n_episodes: Any) -> int:
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)):
        raise ParameterError("n_episodes", f"must be an integer >= 1, got {n_episodes!r}")
    if n_episodes < 1:
        raise ParameterError("n_episodes", f"must be an integer >= 1, got {int(n_episodes)}")
    return int(n_episodes)


def _check_max_passes(max_passes: Any) -> int:
    if isinstance(max_passes, bool) or not isinstance(max_passes, (int, np.integer)):
        raise ParameterError("max_passes", f"must be an integer >= 1, got {max_passes!r}")
    if max_passes < 1:
        raise ParameterError("max_passes", f"must be an integer >= 1, got {int(max_passes)}")
    return int(max_passes)


def _normalise_rng(rng: RNGLike) -> np.random.Generator:
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise ParameterError(
            "rng", f"must be None, an integer seed >= 0 or a numpy Generator, got {rng!r}"
        ) from None


@attrs.frozen(eq=False)
class TaskDistribution:
    """Per-task success probabilities: how hard each task is for each of the K models.

    Each episode draws one row of K probabilities, fixed for all its passes; a pass on model k
    then succeeds with the row's k-th entry. Passes are independent *given* the task, so a
    failure makes a hard task more likely and the success of later passes is lower than with
    i.i.d. passes of the same mean (Jensen).

    Build it with :meth:`beta` (independent Beta(a_k, b_k) per model; fields ``a``, ``b``),
    :meth:`beta_mean` (Beta with a given mean and concentration a_k + b_k), or
    :meth:`empirical` (rows of a table of per-task probabilities, sampled with replacement;
    the correlation across models within a task is kept).

    Examples
    --------
    >>> tasks = TaskDistribution.beta_mean([0.3, 0.8], concentration=4.0)
    >>> tasks.mean()
    array([0.3, 0.8])
    >>> tasks.sample(3, rng=0).shape
    (3, 2)
    >>> TaskDistribution.empirical([[0.1, 0.5], [0.5, 0.9]]).mean()
    array([0.3, 0.7])
    """

    kind: Literal["beta", "empirical"]
    a: FloatArray | None = None
    b: FloatArray | None = None
    table: FloatArray | None = None

    @classmethod
    def beta(cls, a: ArrayLike, b: ArrayLike) -> TaskDistribution:
        """Independent Beta(a_k, b_k) success probability for each model k (a_k, b_k > 0)."""
        a = _as_float_array(a, "tasks.a")
        b = _as_float_array(b, "tasks.b")
        for arr, field in ((a, "tasks.a"), (b, "tasks.b")):
            if arr.ndim != 1 or arr.size < 1:
                raise ParameterError(field, f"must be a 1-D array (one per model), got shape "
                                            f"{_fmt_shape(arr.shape)}")
            if not np.all(np.isfinite(arr) & (arr > 0)):
                raise ParameterError(field, f"must be > 0 and finite, got {arr.tolist()}")
        if a.shape != b.shape:
            raise ParameterError(
                "tasks.b", f"must have the shape of a {_fmt_shape(a.shape)}, got "
                f"{_fmt_shape(b.shape)}"
            )
        return cls(kind="beta", a=a, b=b)

    @classmethod
    def beta_mean(cls, mean: ArrayLike, concentration: float | ArrayLike) -> TaskDistribution:
        """Beta per model with mean ``mean`` (p_k) and concentration a_k + b_k.

        A large concentration means nearly identical tasks (the i.i.d. limit); a small one,
        very different tasks.
        """
        m = _as_float_array(mean, "tasks.mean")
        _check_unit_interval(m, "tasks.mean", open_=True)
        kappa = _as_float_array(concentration, "tasks.concentration")
        if not np.all(np.isfinite(kappa) & (kappa > 0)):
            raise ParameterError(
                "tasks.concentration", f"must be > 0 and finite, got {kappa.tolist()}"
            )
        try:
            kappa = np.broadcast_to(kappa, m.shape)
        except ValueError:
            raise ParameterError("tasks.concentration", f"must be a scalar or have shape "
                                 f"{_fmt_shape(m.shape)}, got {_fmt_shape(kappa.shape)}") from None
        return cls.beta(m * kappa, (1.0 - m) * kappa)

    @classmethod
    def empirical(cls, table: ArrayLike) -> TaskDistribution:
        """Rows of per-task success probabilities (shape (m, K)), sampled with replacement."""
        t = _as_float_array(table, "tasks.table")
        if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 1:
            raise ParameterError("tasks.table", f"must have shape (m, K) with m >= 1, got "
                                                f"{_fmt_shape(t.shape)}")
        _check_unit_interval(t, "tasks.table")
        return cls(kind="empirical", table=t)

    @property
    def num_models(self) -> int:
        """K, the number of models the distribution covers."""
        if self.kind == "beta":
            assert self.a is not None
            return int(self.a.size)
        assert self.table is not None
        return int(self.table.shape[1])

    def mean(self) -> FloatArray:
        """Mean per-task success probability of each model, shape (K,)."""
        if self.kind == "beta":
            assert self.a is not None
            assert self.b is not None
            return np.asarray(self.a / (self.a + self.b), dtype=np.float64)
        assert self.table is not None
        return np.asarray(self.table.mean(axis=0), dtype=np.float64)

    def sample(self, n: int, rng: RNGLike = None) -> FloatArray:
        """Draw ``n`` tasks: an (n, K) array of per-model success probabilities."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ParameterError("n", f"must be an integer >= 0, got {n!r}")
        gen = _normalise_rng(rng)
        if self.kind == "beta":
            assert self.a is not None
            assert self.b is not None
            return gen.beta(self.a, self.b, size=(n, self.a.size))
        assert self.table is not None
        rows = gen.integers(0, self.table.shape[0], size=n)
        return np.asarray(self.table[rows], dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Estimate:
    """A Monte Carlo mean with its standard error and a normal-approximation interval."""

    mean: float
    std_error: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, values: ArrayLike, confidence: float) -> Estimate:
        """Estimate of the mean of ``values`` (sample standard deviation, ddof = 1)."""
        x = np.asarray(values, dtype=np.float64)
        n = x.size
        mean = float(x.mean())
        se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2.0)
        return cls(mean, se, mean - z * se, mean + z * se)


class ExactOutcomes(Protocol):
    """What :meth:`SimulationSummary.compare` needs from the exact engine's result."""

    success: Any
    latency: Any
    cost: Any
    user_utility: Any
    provider_cost: Any
    passes: Any


@attrs.frozen
class ComparisonRow:
    """One quantity: Monte Carlo estimate and s.e., exact value, z = (estimate − exact)/s.e."""

    quantity: str
    estimate: float
    std_error: float
    exact: float
    z_score: float


@attrs.frozen
class Comparison:
    """Table of Monte Carlo estimates against exact values (from :meth:`SimulationSummary.compare`).

    Examples
    --------
    >>> row = ComparisonRow("success", 0.51, 0.01, 0.5, 1.0)
    >>> Comparison((row,)).max_abs_z
    1.0
    """

    rows: tuple[ComparisonRow, ...]
    n_truncated: int = 0

    @property
    def max_abs_z(self) -> float:
        """Largest |z| over the rows (NaN rows ignored)."""
        zs = [abs(r.z_score) for r in self.rows if not math.isnan(r.z_score)]
        return max(zs) if zs else math.nan

    def within(self, z: float = 4.0) -> bool:
        """True when every |z-score| is at most ``z``."""
        return bool(self.max_abs_z <= z)

    def to_pandas(self) -> pd.DataFrame:
        """The table as a pandas DataFrame indexed by quantity (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(
            [attrs.asdict(r) for r in self.rows]).set_index("quantity")

    def __str__(self) -> str:
        lines = [f"{'quantity':<16}{'estimate':>14}{'s.e.':>12}{'exact':>14}{'z':>8}"]
        for r in self.rows:
            lines.append(
                f"{r.quantity:<16}{r.estimate:>14.6g}{r.std_error:>12.3g}{r.exact:>14.6g}"
                f"{r.z_score:>8.2f}"
            )
        if self.n_truncated:
            lines.append(f"warning: {self.n_truncated} truncated episodes bias the estimates")
        return "\n".join(lines)


_SCALARS = ("success", "latency", "cost", "user_utility", "provider_cost")


@attrs.frozen
class SimulationSummary:
    """Means, standard errors and confidence intervals of a batch of episodes.

    ``success``, ``latency``, ``cost``, ``user_utility`` and ``provider_cost`` estimate S, L,
    C, U and J; ``passes[k]`` the expected number of passes on model k + 1. Intervals are
    mean ± z·s.e. with the normal quantile z of ``confidence``.
    """

    n_episodes: int
    confidence: float
    success: Estimate
    latency: Estimate
    cost: Estimate
    user_utility: Estimate
    provider_cost: Estimate
    passes: tuple[Estimate, ...]
    n_solved: int
    n_abandoned: int
    n_truncated: int
    model_names: tuple[str, ...] = ()

    def items(self) -> list[tuple[str, Estimate]]:
        """(quantity, estimate) pairs, passes as ``passes[1]``, ``passes[2]``, ... (1-based)."""
        out = [(name, getattr(self, name)) for name in _SCALARS]
        out += [(f"passes[{k + 1}]", e) for k, e in enumerate(self.passes)]
        return out

    def compare(self, exact: ExactOutcomes | Mapping[str, Any]) -> Comparison:
        """Table of estimate, s.e., exact value and z-score for every quantity.

        Parameters
        ----------
        exact
            The exact values of one game and policy: an object with attributes (or a mapping
            with keys) ``success``, ``latency``, ``cost``, ``user_utility``,
            ``provider_cost`` (scalars) and ``passes`` (shape (K,)), e.g. the
            ``ChainOutcomes`` of ``routegame.markov.chain.chain_outcomes``.

        Notes
        -----
        z = (estimate − exact) / s.e.; when s.e. is 0 (e.g. every episode solved) z is 0 if the
        estimate equals the exact value up to rounding (1e-9 relative) and ±inf otherwise.
        """

        def get(name: str) -> Any:
            if isinstance(exact, Mapping):
                if name not in exact:
                    raise ParameterError("exact", f"missing {name!r}")
                return exact[name]
            if not hasattr(exact, name):
                raise ParameterError("exact", f"has no attribute {name!r}")
            return getattr(exact, name)

        values: list[float] = []
        for name in _SCALARS:
            v = np.asarray(get(name), dtype=np.float64)
            if v.size != 1:
                raise ParameterError("exact", f"{name} must be a single value, got shape "
                                              f"{_fmt_shape(v.shape)}")
            values.append(float(v.reshape(())))
        passes = np.asarray(get("passes"), dtype=np.float64).reshape(-1)
        if passes.size != len(self.passes):
            raise ParameterError("exact", f"passes must have {len(self.passes)} entries, got "
                                          f"{passes.size}")
        values += passes.tolist()
        rows = []
        for (name, est), ex in zip(self.items(), values, strict=True):
            diff = est.mean - ex
            if est.std_error > 0:
                z = diff / est.std_error
            elif math.isnan(est.std_error):
                z = math.nan
            elif abs(diff) <= 1e-9 * (1.0 + abs(ex)):
                z = 0.0
            else:
                z = math.copysign(math.inf, diff)
            rows.append(ComparisonRow(name, est.mean, est.std_error, ex, z))
        return Comparison(tuple(rows), n_truncated=self.n_truncated)


@attrs.frozen(eq=False)
class Episodes:
    """Per-episode outcomes of a simulation (n episodes, K models).

    Attributes
    ----------
    passes : ndarray of int, shape (n, K)
        Number of passes of each episode on each model.
    latency, cost : ndarray of float, shape (n,)
        Total latency the user waited and total compute cost.
    solved, abandoned, truncated : ndarray of bool, shape (n,)
        How the episode ended: exactly one is True for each episode (truncated = cut short by
        ``max_passes``).
    task_value, penalty : ndarray of float, shape (n,)
        V and P of each episode.
    model_names : tuple of str
        Names of the K models (``M1``, ``M2``, ... by default).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    >>> ep = simulate_two_model(g, route=1, cascade=0.5, abandon=0.0, n_episodes=1000, rng=1)
    >>> ep.n_episodes, ep.num_models
    (1000, 2)
    >>> bool(ep.solved.all())
    True
    """

    passes: IntArray
    latency: FloatArray
    cost: FloatArray
    solved: BoolArray
    abandoned: BoolArray
    truncated: BoolArray
    task_value: FloatArray
    penalty: FloatArray
    model_names: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.passes.ndim != 2:
            raise ParameterError(
                "passes", f"must have shape (n, K), got {_fmt_shape(self.passes.shape)}"
            )
        n = self.passes.shape[0]
        for name in (
            "latency", "cost", "solved", "abandoned", "truncated", "task_value", "penalty"
        ):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ParameterError(name, f"must have shape ({n},), got {_fmt_shape(arr.shape)}")
        if self.model_names and len(self.model_names) != self.passes.shape[1]:
            raise ParameterError("model_names", f"must have {self.passes.shape[1]} names, got "
                                                f"{len(self.model_names)}")

    @property
    def n_episodes(self) -> int:
        """n, the number of episodes."""
        return int(self.passes.shape[0])

    @property
    def num_models(self) -> int:
        """K, the number of models."""
        return int(self.passes.shape[1])

    @property
    def total_passes(self) -> IntArray:
        """Passes of each episode over all models, shape (n,)."""
        return np.asarray(self.passes.sum(axis=1), dtype=np.int64)

    @property
    def user_utility(self) -> FloatArray:
        """Realised user utility V·solved − latency of each episode."""
        return np.where(self.solved, self.task_value, 0.0) - self.latency

    @property
    def provider_cost(self) -> FloatArray:
        """Realised provider cost cost + P·(1 − solved) of each episode."""
        return self.cost + np.where(self.solved, 0.0, self.penalty)

    def summary(self, confidence: float = 0.95) -> SimulationSummary:
        """Means, standard errors and ``confidence`` intervals of S, L, C, U, J and passes.

        Examples
        --------
        >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
        >>> s = simulate_two_model(g, 2, 0.0, 1.0, n_episodes=20_000, rng=3).summary()
        >>> abs(s.success.mean - 0.8) < 4 * s.success.std_error   # one pass of M2
        True
        """
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not (
            0 < confidence < 1
        ):
            raise ParameterError("confidence", f"must be in (0, 1), got {confidence!r}")
        conf = float(confidence)
        names = self.model_names or tuple(f"M{k + 1}" for k in range(self.num_models))
        return SimulationSummary(
            n_episodes=self.n_episodes,
            confidence=conf,
            success=Estimate.of(self.solved, conf),
            latency=Estimate.of(self.latency, conf),
            cost=Estimate.of(self.cost, conf),
            user_utility=Estimate.of(self.user_utility, conf),
            provider_cost=Estimate.of(self.provider_cost, conf),
            passes=tuple(Estimate.of(self.passes[:, k], conf) for k in range(self.num_models)),
            n_solved=int(self.solved.sum()),
            n_abandoned=int(self.abandoned.sum()),
            n_truncated=int(self.truncated.sum()),
            model_names=tuple(names),
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per episode (needs pandas).

        Columns: ``passes_1`` .. ``passes_K`` (1-based model numbers), ``latency``, ``cost``,
        ``solved``, ``abandoned``, ``truncated``, ``task_value``, ``penalty``,
        ``user_utility``, ``provider_cost``. The model names are in ``df.attrs["model_names"]``.
        """
        import pandas as pd

        data: dict[str, Any] = {
            f"passes_{k + 1}": self.passes[:, k] for k in range(self.num_models)
        }
        for name in ("latency", "cost", "solved", "abandoned", "truncated", "task_value",
                     "penalty", "user_utility", "provider_cost"):
            data[name] = getattr(self, name)
        df = pd.DataFrame(data)
        df.attrs["model_names"] = list(
            self.model_names or (f"M{k + 1}" for k in range(self.num_models)))
        return df

    def to_table(
        self, path: str | os.PathLike[str], *, overwrite: bool = False, field: str = "path"
    ) -> Path:
        """Write one row per episode to ``path``: CSV (``.csv``) or Parquet (``.parquet``, ``.pq``).

        Written by :func:`routegame.io.write_table`: a temporary file in the same directory,
        renamed onto ``path`` only when complete, so an error or a signal leaves nothing
        half-written. An existing ``path`` is refused unless ``overwrite=True``. Needs pandas
        and pyarrow.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from routegame.io import check_output_path, table_format, write_table

        table_format(path, field)
        check_output_path(path, overwrite, field)
        return write_table(self.to_pandas(), path, overwrite=overwrite, field=field)


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


def _task_values(task_value: TaskValueLike | None, default: float, n: int,
                 gen: np.random.Generator) -> FloatArray:
    if task_value is None:
        return np.full(n, default)
    if callable(task_value):
        arr = _as_float_array(task_value(n, gen), "task_value")
        if arr.shape != (n,):
            raise ParameterError("task_value", f"sampler must return shape ({n},), got "
                                               f"{_fmt_shape(arr.shape)}")
    else:
        arr = _as_float_array(task_value, "task_value")
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        elif arr.shape != (n,):
            raise ParameterError("task_value", f"must be a scalar or have shape ({n},) (one per "
                                               f"episode), got {_fmt_shape(arr.shape)}")
    return check_array(arr, "task_value")


def _abandon_table(abandon: Any, values: FloatArray, n: int, K: int
                   ) -> tuple[FloatArray | None, FloatArray | None]:
    """Return (per-model q (K,), None) or (None, per-episode q (n, K))."""
    shapes = f"a scalar, shape ({K},) (per model), ({n}, 1) or ({n}, {K}) (per episode)"
    if callable(abandon):
        arr = _as_float_array(abandon(values), "abandon")
        _check_unit_interval(arr, "abandon")
        if arr.shape == (n,):
            arr = arr[:, None]
        if arr.ndim == 0:
            return np.full(K, float(arr)), None
        if arr.shape not in ((n, 1), (n, K)):
            raise ParameterError("abandon", f"function must return shape ({n},) or ({n}, {K}), "
                                            f"got {_fmt_shape(arr.shape)}")
        return None, np.ascontiguousarray(np.broadcast_to(arr, (n, K)))
    arr = _as_float_array(abandon, "abandon")
    _check_unit_interval(arr, "abandon")
    if arr.ndim == 0:
        return np.full(K, float(arr)), None
    if arr.shape == (K,):
        return arr.copy(), None
    if arr.shape in ((n, 1), (n, K)):
        return None, np.ascontiguousarray(np.broadcast_to(arr, (n, K)))
    hint = " (for one q per episode use shape (n, 1))" if arr.ndim == 1 else ""
    raise ParameterError("abandon", f"must be {shapes}, got {_fmt_shape(arr.shape)}{hint}")


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
        ``params.success_prob``. Entries in [0, 1].
    tasks : TaskDistribution, optional
        Per-episode success probabilities, drawn once per episode and used for all its passes.
        Replaces ``params.success_prob``. Cannot be combined with ``success_schedule``.
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
    (``Generator.geometric``) and then the exit (one uniform) gives exactly the distribution
    of the pass-by-pass chain, passes per model, latency and cost included. A visit that would
    take the episode past ``max_passes`` is cut at exactly ``max_passes`` passes and marked
    truncated, as pass by pass. Random numbers are drawn in this order: task values (if
    sampled), then chunk by chunk: the first model (when ``start`` is not a point mass), then
    per round of visits one block of geometric variates for the live episodes and one block of
    uniforms for those whose visit the cap did not cut. The same seed gives the same episodes
    for a given method.

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
    if not isinstance(params, GameParams):
        raise ParameterError("params", f"must be a GameParams, got {type(params).__name__}")
    K = params.num_models
    n = _check_n_episodes(n_episodes)
    max_passes = _check_max_passes(max_passes)
    start_arr = _check_distribution(start, "start", (K,))
    R = _check_distribution(cascade, "cascade", (K, K))
    if success_schedule is not None and tasks is not None:
        raise ParameterError("success_schedule", "cannot be combined with tasks; give one of them")
    schedule = None
    if success_schedule is not None:
        schedule = _as_float_array(success_schedule, "success_schedule")
        if schedule.ndim != 2 or schedule.shape[0] != K or schedule.shape[1] < 1:
            raise ParameterError("success_schedule", f"must have shape ({K}, A) with A >= 1, got "
                                                     f"{_fmt_shape(schedule.shape)}")
        _check_unit_interval(schedule, "success_schedule")
        schedule = np.ascontiguousarray(schedule)
    if method not in ("auto", "pass", "run"):
        raise ParameterError("method", f"must be 'auto', 'pass' or 'run', got {method!r}")
    if method == "run" and (schedule is not None or tasks is not None):
        which = "success_schedule" if schedule is not None else "tasks"
        raise ParameterError("method", f"must be 'pass' or 'auto' with {which} (passes are not "
                                       f"i.i.d.), got 'run'")
    use_runs = method == "run" or (method == "auto" and schedule is None and tasks is None)
    if tasks is not None:
        if not isinstance(tasks, TaskDistribution):
            raise ParameterError("tasks", f"must be a TaskDistribution, got {type(tasks).__name__}")
        if tasks.num_models != K:
            raise ParameterError("tasks", f"must cover {K} models, got {tasks.num_models}")
    # Validate the abandon input before drawing anything (a callable is checked after V).
    if not callable(abandon):
        q_model, q_table = _abandon_table(abandon, np.empty(0), n, K)
    gen = _normalise_rng(rng)
    values = _task_values(task_value, params.task_value, n, gen)
    if callable(abandon):
        q_model, q_table = _abandon_table(abandon, values, n, K)
    task_probs = None
    if tasks is not None:
        task_probs = np.ascontiguousarray(tasks.sample(n, gen))
        if task_probs.shape != (n, K):  # pragma: no cover - guarded by TaskDistribution
            raise ParameterError("tasks", f"sample has shape {_fmt_shape(task_probs.shape)}")
    if use_runs and method == "auto":
        # runs pay off only when visits are long: a geometric variate costs several uniforms
        q_visit = q_model if q_model is not None else np.asarray(q_table).mean(axis=0)
        a_stay = (1.0 - params.success_prob) * (1.0 - q_visit) * np.diag(R)
        use_runs = bool(np.max(a_stay) >= _RUN_THRESHOLD)
    if use_runs:
        run = _run_visits(n, start_arr, R, params.success_prob, params.latency, params.cost,
                          q_model, q_table, max_passes, gen)
    else:
        run = _run(n, start_arr, R, params.success_prob, params.latency, params.cost, schedule,
                   task_probs, q_model, q_table, max_passes, gen)
    return Episodes(
        passes=run.passes,
        latency=run.latency,
        cost=run.cost,
        solved=run.solved,
        abandoned=run.abandoned,
        truncated=run.truncated,
        task_value=values,
        penalty=np.full(n, params.penalty),
        model_names=tuple(params.names),
    )


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
    if isinstance(route, bool) or route not in (1, 2):
        raise ParameterError("route", f"must be 1 or 2, got {route!r}")
    s = check_scalar(cascade, "cascade")
    start, R = two_model_policy(int(route), s)
    return simulate(params, start, R, abandon, n_episodes, rng, method=method, **kwargs)
