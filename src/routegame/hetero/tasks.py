r"""Task tables: how hard each task is for each model, and how retries learn.

A heterogeneous game draws one task per episode from a finite weighted table. Task t (weight
w_t >= 0, sum 1) has, for every model k and every overall attempt number a = 1, 2, ... of the
episode, a success probability p_{t,k}(a); the schedule is stored for a = 1..A and is constant
from attempt A on. Passes are **independent given the task**, so

* the correlation of successes across models is kept (one row carries all K columns);
* a failure is evidence that the task is hard: P(success at attempt 2 | failure at attempt 1)
  = E[p (1 - p)] / E[1 - p] < E[p] whenever p varies across tasks (a covariance argument:
  Cov(p, 1 - p) = -Var p);
* retries that learn (re-prompts that see feedback) are a schedule a -> p_{t,k}(a).

Schedules combined with heterogeneity are built by a shift on the logit scale,
``logit p_{t,k}(a) = logit p_{t,k}(1) + delta_k(a)`` with delta_k(1) = 0; tasks with p = 0 or 1
stay at 0 or 1 (the shift moves only probabilities strictly inside (0, 1)).

Continuous families are reduced to tables by quadrature: a Beta(a_k, b_k) per model
(independent given nothing, or conditioned on a partner's count) is replaced by the
m-node Gauss-Jacobi rule, exact for polynomials in p of degree 2m - 1. Every outcome of the game
is, per task, an analytic function of p on a neighbourhood of [0, 1] whenever the user abandons
with positive probability, so the quadrature error decays geometrically in m; the error stated
by :func:`beta_table` is the difference between the m- and 2m-node rules on the mean of a test
function, and the tests compare against Monte Carlo. (With a user who never abandons and tasks
whose p can be 0 the expected latency diverges, so no rule is exact there.)

Identical rows are merged (:meth:`TaskTable.compressed`): LiveCodeBench's 1055 problems have
at most 11 x 11 distinct rows for a standard/standard pair, which is what makes maps fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from routegame._types import ArrayLike, FloatArray
from routegame.errors import ParameterError

__all__ = ["TaskTable", "beta_table", "logit_shift"]


def _as_array(value: Any, field: str) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(field, "must be a rectangular array of numbers (ragged rows?)") from None
    return arr


def _check_probs(arr: FloatArray, field: str) -> None:
    ok = np.isfinite(arr) & (arr >= 0.0) & (arr <= 1.0)
    if not np.all(ok):
        bad = tuple(int(b) for b in np.argwhere(~ok)[0])
        where = ", ".join(str(b + 1) for b in bad)
        raise ParameterError(field, f"must be in [0, 1], got {arr[bad]!r} (entry {where})")


def check_weights(weight: Any, n: int, field: str = "weight") -> FloatArray:
    """Weights of n tasks: finite, >= 0, not all 0; returned normalised to sum 1."""
    if weight is None:
        return np.full(n, 1.0 / n)
    w = _as_array(weight, field)
    if w.shape != (n,):
        raise ParameterError(field, f"must have one weight per task ({n}), got shape {w.shape}")
    if not np.all(np.isfinite(w) & (w >= 0.0)):
        bad = int(np.argwhere(~(np.isfinite(w) & (w >= 0.0)))[0][0])
        raise ParameterError(field, f"must be finite and >= 0, got {w[bad]!r} (entry {bad + 1})")
    total = float(w.sum())
    if total <= 0.0:
        raise ParameterError(field, "must not be all zero")
    return w / total


def logit_shift(success_prob: ArrayLike, shift: ArrayLike) -> FloatArray:
    """Per-task schedules p_{t,k}(a) = expit(logit p_{t,k} + delta_k(a)).

    Parameters
    ----------
    success_prob : array_like, shape (T, K)
        First-attempt probabilities.
    shift : array_like, shape (K, A)
        delta_k(a) for a = 1..A (the first column is normally 0).

    Returns
    -------
    ndarray, shape (T, K, A)

    Examples
    --------
    >>> logit_shift([[0.5, 0.0]], [[0.0, np.log(3.0)], [0.0, 1.0]]).round(3).tolist()
    [[[0.5, 0.75], [0.0, 0.0]]]
    """
    p = _as_array(success_prob, "success_prob")
    d = _as_array(shift, "shift")
    if p.ndim != 2 or d.ndim != 2 or d.shape[0] != p.shape[1]:
        raise ParameterError("shift", f"must have shape (K, A) with K = {p.shape[-1]}, got {d.shape}")
    _check_probs(p, "success_prob")
    with np.errstate(divide="ignore"):
        lg = np.log(p) - np.log1p(-p)
    z = lg[:, :, None] + d[None, :, :]
    out = 1.0 / (1.0 + np.exp(-z))
    out = np.where(p[:, :, None] <= 0.0, 0.0, np.where(p[:, :, None] >= 1.0, 1.0, out))
    return np.asarray(out, dtype=np.float64)


@attrs.frozen(eq=False)
class TaskTable:
    """A weighted table of per-task, per-model (and per-attempt) success probabilities.

    Attributes
    ----------
    prob : ndarray, shape (T, K, A)
        p_{t,k}(a); column a - 1 is the a-th attempt of the episode, the last repeats.
    weight : ndarray, shape (T,)
        Task weights, normalised to sum 1.

    Examples
    --------
    >>> tab = TaskTable.from_rows([[0.2, 0.9], [0.6, 0.9]], weight=[3, 1])
    >>> tab.num_tasks, tab.num_models, tab.num_attempts
    (2, 2, 1)
    >>> tab.mean().tolist()
    [0.3, 0.9]
    """

    prob: FloatArray
    weight: FloatArray

    @classmethod
    def from_rows(
        cls,
        success_prob: ArrayLike,
        weight: ArrayLike | None = None,
        *,
        schedule: ArrayLike | None = None,
        field: str = "success_prob",
    ) -> TaskTable:
        """Build from rows (T, K) of first-attempt probabilities, or (T, K, A) schedules.

        ``schedule`` (shape (K, A)) is a logit shift applied to (T, K) rows
        (see :func:`logit_shift`).
        """
        p = _as_array(success_prob, field)
        if p.ndim == 1:
            raise ParameterError(field, "must be a table: one row [p_1, ..., p_K] per task")
        if p.ndim not in (2, 3) or p.shape[0] < 1 or p.shape[1] < 1:
            raise ParameterError(field, f"must have shape (T, K) or (T, K, A), got {p.shape}")
        _check_probs(p, field)
        if schedule is not None:
            if p.ndim != 2:
                raise ParameterError("schedule", "a logit shift needs (T, K) rows")
            p = logit_shift(p, schedule)
        if p.ndim == 2:
            p = p[:, :, None]
        w = check_weights(weight, p.shape[0])
        return cls(np.ascontiguousarray(p), w)

    @classmethod
    def iid(cls, success_prob: Sequence[float]) -> TaskTable:
        """One task: the paper's i.i.d. game.

        Examples
        --------
        >>> TaskTable.iid([0.3, 0.8]).num_tasks
        1
        """
        return cls.from_rows([list(success_prob)])

    @property
    def num_tasks(self) -> int:
        """T."""
        return int(self.prob.shape[0])

    @property
    def num_models(self) -> int:
        """K."""
        return int(self.prob.shape[1])

    @property
    def num_attempts(self) -> int:
        """A, the length of the stored schedule."""
        return int(self.prob.shape[2])

    def mean(self, attempt: int = 1) -> FloatArray:
        """Mean success probability of each model at an attempt number (default the first)."""
        a = min(max(attempt, 1), self.num_attempts) - 1
        return np.asarray(self.weight @ self.prob[:, :, a], dtype=np.float64)

    def compressed(self) -> TaskTable:
        """The same distribution with identical rows merged (weights added).

        Examples
        --------
        >>> TaskTable.from_rows([[0.1, 1.0], [0.1, 1.0], [0.5, 0.0]]).compressed().num_tasks
        2
        """
        flat = self.prob.reshape(self.num_tasks, -1)
        uniq, inv = np.unique(flat, axis=0, return_inverse=True)
        w = np.bincount(inv.ravel(), weights=self.weight, minlength=uniq.shape[0])
        keep = w > 0
        return TaskTable(
            np.ascontiguousarray(uniq[keep].reshape(-1, self.num_models, self.num_attempts)),
            w[keep] / w[keep].sum(),
        )

    def with_attempts(self, attempts: int) -> FloatArray:
        """prob extended (or cut) to ``attempts`` columns, the last column repeated."""
        idx = np.minimum(np.arange(attempts), self.num_attempts - 1)
        return np.asarray(self.prob[:, :, idx], dtype=np.float64)

    def select(self, models: Sequence[int]) -> TaskTable:
        """The sub-table of some models (0-based columns), rows kept."""
        return TaskTable(np.ascontiguousarray(self.prob[:, list(models), :]), self.weight)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"success_prob": [[...]], "weight": [...]}`` (first attempt)."""
        return {
            "success_prob": self.prob[:, :, 0].tolist(),
            "weight": self.weight.tolist(),
        }


def beta_table(
    a: ArrayLike, b: ArrayLike, nodes: int = 16
) -> tuple[TaskTable, float]:
    """Product Gauss-Jacobi table of independent Beta(a_k, b_k) success probabilities.

    Parameters
    ----------
    a, b : array_like, shape (K,)
        Beta parameters, > 0.
    nodes : int
        m, nodes per model (the table has m^K rows).

    Returns
    -------
    table : TaskTable
    error : float
        |E_m f - E_2m f| for f(p) = prod_k 1 / (1.05 - p_k), an analytic test function with
        the same kind of singularity as the game's expected passes (a pole just beyond p = 1).

    Examples
    --------
    >>> tab, err = beta_table([2.0, 8.0], [6.0, 2.0], nodes=16)   # error 1e-3 at 8 nodes
    >>> tab.mean().round(12).tolist(), err < 1e-5
    ([0.25, 0.8], True)
    """
    from scipy.special import roots_jacobi

    av = _as_array(a, "a")
    bv = _as_array(b, "b")
    for arr, name in ((av, "a"), (bv, "b")):
        if arr.ndim != 1 or not np.all(np.isfinite(arr) & (arr > 0)):
            raise ParameterError(name, "must be a 1-D array of numbers > 0")
    if av.shape != bv.shape:
        raise ParameterError("b", f"must have the shape of a {av.shape}, got {bv.shape}")
    if isinstance(nodes, bool) or not isinstance(nodes, int) or not 1 <= nodes <= 200:
        raise ParameterError("nodes", f"must be an integer in [1, 200], got {nodes!r}")

    def rule(m: int) -> tuple[list[FloatArray], list[FloatArray]]:
        xs, ws = [], []
        for ak, bk in zip(av, bv, strict=True):
            # Beta(a, b) on p in [0, 1]: weight p^(a-1) (1-p)^(b-1); Jacobi on x = 2p - 1 uses
            # (1-x)^alpha (1+x)^beta with alpha = b - 1, beta = a - 1.
            x, w = roots_jacobi(m, bk - 1.0, ak - 1.0)
            xs.append((x + 1.0) / 2.0)
            ws.append(w / w.sum())
        return xs, ws

    def grid(xs: list[FloatArray], ws: list[FloatArray]) -> tuple[FloatArray, FloatArray]:
        mesh = np.meshgrid(*xs, indexing="ij")
        wmesh = np.meshgrid(*ws, indexing="ij")
        p = np.stack([m.ravel() for m in mesh], axis=1)
        w = np.prod(np.stack([m.ravel() for m in wmesh], axis=1), axis=1)
        return p, w

    p, w = grid(*rule(nodes))
    p2, w2 = grid(*rule(2 * nodes))
    f1 = float(w @ np.prod(1.0 / (1.05 - p), axis=1))
    f2 = float(w2 @ np.prod(1.0 / (1.05 - p2), axis=1))
    return TaskTable.from_rows(np.clip(p, 0.0, 1.0), w), abs(f1 - f2)
