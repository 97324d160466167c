"""Results of a simulation: per-episode :class:`Episodes`, their :class:`SimulationSummary`, and the
comparison with exact values.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import numpy as np

from routegame._types import ArrayLike, BoolArray, FloatArray, IntArray
from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
from routegame.simulate.inputs import _fmt_shape

__all__ = ['Comparison', 'ComparisonRow', 'Episodes', 'Estimate', 'ExactOutcomes', 'SimulationSummary']


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
        z = (estimate − exact) / s.e.; z is 0 when the estimate equals the exact value up to
        rounding (1e-9 relative: e.g. every episode solved, or a latency that is the same in
        every episode, whose s.e. is 0 or rounding noise), and ±inf when s.e. is 0 otherwise.
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
            if abs(diff) <= 1e-9 * (1.0 + abs(ex)):  # equal up to rounding (a constant column
                z = 0.0  # has a rounding-sized s.e.: no z of 600 for a rounding difference)
            elif est.std_error > 0:
                z = diff / est.std_error
            elif math.isnan(est.std_error):
                z = math.nan
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
        V and P of each episode (``simulate`` gives P, and V when it is one value for all
        episodes, as read-only broadcast views).
    model_names : tuple of str
        Names of the K models (``M1``, ``M2``, ... by default).

    Examples
    --------
    >>> from routegame import GameParams
    >>> from routegame.simulate import simulate_two_model
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
        >>> from routegame import GameParams
        >>> g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
        >>> from routegame.simulate import simulate_two_model
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

    def to_columns(self) -> dict[str, Any]:
        """One column per field, one entry per episode (see :meth:`to_pandas`)."""
        data: dict[str, Any] = {
            f"passes_{k + 1}": self.passes[:, k] for k in range(self.num_models)
        }
        for name in ("latency", "cost", "solved", "abandoned", "truncated", "task_value",
                     "penalty", "user_utility", "provider_cost"):
            data[name] = getattr(self, name)
        return data

    def to_pandas(self) -> pd.DataFrame:
        """One row per episode (needs pandas).

        Columns: ``passes_1`` .. ``passes_K`` (1-based model numbers), ``latency``, ``cost``,
        ``solved``, ``abandoned``, ``truncated``, ``task_value``, ``penalty``,
        ``user_utility``, ``provider_cost``. The model names are in ``df.attrs["model_names"]``.
        """
        import pandas as pd

        data = self.to_columns()
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
