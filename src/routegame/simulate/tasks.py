"""Task heterogeneity: :class:`TaskDistribution`, per-task success probabilities (optionally per
attempt: per-task feedback schedules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np

from routegame._types import ArrayLike, FloatArray, RNGLike
from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    pass
from routegame.simulate.inputs import (
    _as_float_array,
    _check_unit_interval,
    _cumulative,
    _fmt_shape,
    _normalise_rng,
)

__all__ = ['TaskDistribution']


@attrs.frozen(eq=False)
class TaskDistribution:
    """Per-task success probabilities: how hard each task is for each of the K models.

    Each episode draws one row of K probabilities, fixed for all its passes; a pass on model k
    then succeeds with the row's k-th entry. Passes are independent *given* the task, so a
    failure makes a hard task more likely and the success of later passes is lower than with
    i.i.d. passes of the same mean (Jensen).

    Build it with :meth:`beta` (independent Beta(a_k, b_k) per model; fields ``a``, ``b``),
    :meth:`beta_mean` (Beta with a given mean and concentration a_k + b_k), or
    :meth:`empirical` (rows of a table of per-task probabilities, sampled with replacement,
    uniformly or in proportion to task weights; the correlation across models within a task is
    kept).

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
    weight: FloatArray | None = None

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
    def empirical(cls, table: ArrayLike, weight: ArrayLike | None = None) -> TaskDistribution:
        """Rows of per-task success probabilities, sampled with replacement.

        Shape (m, K): one probability per task and model; or (m, K, A): a per-task feedback
        schedule, the probability of the a-th pass of the episode (a = 1..A, the last
        repeating), as the exact heterogeneous engine takes it (``TaskTable.prob``).
        ``weight`` (m,): rows are drawn in proportion to these (>= 0, not all 0; default equal,
        drawn with ``Generator.integers``; weighted rows by inversion of one uniform each).

        Examples
        --------
        >>> t = TaskDistribution.empirical([[[0.2, 0.4], [0.5, 0.7]]])
        >>> t.num_models, t.num_attempts, t.mean().tolist()
        (2, 2, [0.2, 0.5])
        >>> TaskDistribution.empirical([[0.1, 0.5], [0.5, 0.9]], weight=[3, 1]).mean().tolist()
        [0.2, 0.6]
        """
        t = _as_float_array(table, "tasks.table")
        if t.ndim not in (2, 3) or min(t.shape) < 1:
            raise ParameterError("tasks.table", f"must have shape (m, K) or (m, K, A) with m >= 1, "
                                                f"got {_fmt_shape(t.shape)}")
        _check_unit_interval(t, "tasks.table")
        if weight is None:
            return cls(kind="empirical", table=t)
        w = _as_float_array(weight, "tasks.weight")
        if w.shape != (t.shape[0],):
            raise ParameterError("tasks.weight", f"must have shape ({t.shape[0]},) (one per "
                                                 f"row), got {_fmt_shape(w.shape)}")
        if not (np.all(np.isfinite(w) & (w >= 0)) and w.sum() > 0):
            raise ParameterError("tasks.weight", "must be finite, >= 0 and not all 0")
        return cls(kind="empirical", table=t, weight=w / w.sum())

    @property
    def num_models(self) -> int:
        """K, the number of models the distribution covers."""
        if self.kind == "beta":
            assert self.a is not None
            return int(self.a.size)
        assert self.table is not None
        return int(self.table.shape[1])

    def mean(self) -> FloatArray:
        """Mean per-task success probability of each model (first attempt), shape (K,)."""
        if self.kind == "beta":
            assert self.a is not None
            assert self.b is not None
            return np.asarray(self.a / (self.a + self.b), dtype=np.float64)
        assert self.table is not None
        first = self.table if self.table.ndim == 2 else self.table[:, :, 0]
        if self.weight is not None:
            return np.asarray(self.weight @ first, dtype=np.float64)
        return np.asarray(first.mean(axis=0), dtype=np.float64)

    @property
    def num_attempts(self) -> int:
        """A, the attempts of a per-task schedule (1 without one)."""
        return 1 if self.table is None or self.table.ndim == 2 else int(self.table.shape[2])

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
        if self.weight is None:
            rows = gen.integers(0, self.table.shape[0], size=n)
        else:
            rows = np.searchsorted(_cumulative(self.weight), gen.random(n), side="right")
        return np.asarray(self.table[rows], dtype=np.float64)
