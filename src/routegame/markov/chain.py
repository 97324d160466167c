"""General K-model absorbing Markov chain of the routing game, solved by linear algebra.

Model (``spec/model.md`` section 3, generalised to K models). The transient states are
"about to query model k", k = 1..K; the absorbing states are "solved" and "abandoned". A pass on
model k takes latency t_k, costs c_k and succeeds with probability p_k, independently of the
past. After a failure on model j the user abandons with probability q_j; otherwise the next pass
is on model k with probability R[j, k] (the *cascade matrix*, row-stochastic). The first pass is
on model k with probability ``start[k]``.

With Q[j, k] = (1 - p_j)(1 - q_j) R[j, k] the transient-to-transient block, the expected
numbers of passes n (a row vector) solve n (I - Q) = start, i.e. (I - Q)^T n = start. Every
outcome is linear in n:

- passes per model: n_k;
- success S = sum_k n_k p_k, solved on model k: n_k p_k;
- abandoned right after a failure on model k: n_k (1 - p_k) q_k;
- expected total latency L = sum_k n_k t_k, expected total cost C = sum_k n_k c_k;
- user utility U = V S - L, provider cost J = C + P (1 - S).

The chain is absorbing whenever every p_k > 0, even with q = 0 (the user never abandons): the
row sums of Q are at most 1 - p_j < 1, so I - Q is invertible.

The stationary user of the paper has one abandon probability q for every failure; a
state-aware user has one q_j per model. Nothing here knows any closed form: the solver only
builds Q and calls :func:`numpy.linalg.solve` on the stacked systems.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from routegame._types import ArrayLike, FloatArray
from routegame.errors import ParameterError
from routegame.model.params import check_array, check_game_arrays
from routegame.model.policy import STOCHASTIC_TOL, check_policy, check_routes  # noqa: F401

__all__ = ["ChainOutcomes", "chain_outcomes", "two_model_policy"]

@attrs.frozen(eq=False)
class ChainOutcomes:
    """Expected outcomes of one task, arrays over the batch shape ``(...)``.

    Attributes
    ----------
    success : ndarray, shape (...)
        S, probability that the task is solved.
    latency : ndarray, shape (...)
        L, expected total time the user waits.
    cost : ndarray, shape (...)
        C, expected total compute cost.
    user_utility : ndarray, shape (...)
        U = V S - L.
    provider_cost : ndarray, shape (...)
        J = C + P (1 - S).
    passes : ndarray, shape (..., K)
        Expected number of passes on each model.
    solved_by : ndarray, shape (..., K)
        Probability that the task is solved by a pass on model k.
    abandoned_after : ndarray, shape (..., K)
        Probability that the user abandons right after a failure on model k.
    """

    success: FloatArray
    latency: FloatArray
    cost: FloatArray
    user_utility: FloatArray
    provider_cost: FloatArray
    passes: FloatArray
    solved_by: FloatArray
    abandoned_after: FloatArray

    @property
    def abandoned(self) -> FloatArray:
        """Probability that the task is abandoned, 1 - S computed as a sum over models."""
        return np.asarray(self.abandoned_after.sum(axis=-1))


def _expected_passes(start: Any, cascade: Any, success_prob: Any, abandon_k: Any) -> Any:
    """Expected passes per model: solve (I - Q)^T n = start on stacked systems.

    No validation; works for complex inputs too (used for complex-step derivatives).
    Shapes: ``start`` (..., K), ``cascade`` (..., K, K), ``success_prob`` and ``abandon_k``
    (..., K), all mutually broadcastable.
    """
    K = np.shape(cascade)[-1]
    cont = (1.0 - success_prob) * (1.0 - abandon_k)  # P(next pass happens | pass on j)
    A_T = np.eye(K) - np.swapaxes(cont[..., :, None] * cascade, -1, -2)
    # The diagonal 1 - (1 - p_j)(1 - q_j) R_jj as a sum of non-negative terms: exact even when
    # p_j is below the double precision of 1 (1 - p_j == 1), where the naive form is singular.
    R_jj = np.diagonal(cascade, axis1=-2, axis2=-1)
    stop = abandon_k + (1.0 - abandon_k) * success_prob  # P(no next pass | pass on j)
    diag = (1.0 - R_jj) + R_jj * stop
    idx = np.arange(K)
    A_T[..., idx, idx] = diag
    b = np.asarray(start)[..., None]
    if A_T.shape[:-2] != b.shape[:-2]:
        shape = np.broadcast_shapes(A_T.shape[:-2], b.shape[:-2])
        A_T = np.broadcast_to(A_T, (*shape, K, K))
        b = np.broadcast_to(b, (*shape, K, 1))
    return np.linalg.solve(A_T, b)[..., 0]


def _outcome_parts(
    task_value: Any,
    penalty: Any,
    latency: Any,
    cost: Any,
    success_prob: Any,
    start: Any,
    cascade: Any,
    abandon_k: Any,
) -> tuple[Any, ...]:
    """Unvalidated kernel: (S, L, C, U, J, passes) for broadcast-compatible inputs."""
    n = _expected_passes(start, cascade, success_prob, abandon_k)
    S = (n * success_prob).sum(axis=-1)
    L = (n * latency).sum(axis=-1)
    C = (n * cost).sum(axis=-1)
    U = task_value * S - L
    # J = C + P (1 - S) with 1 - S = sum_k n_k (1 - p_k) q_k, the probability of abandonment:
    # non-negative terms, so J keeps its digits when P dwarfs the costs
    J = C + penalty * (n * (1.0 - success_prob) * abandon_k).sum(axis=-1)
    return S, L, C, U, J, n


def chain_outcomes(
    task_value: ArrayLike,
    penalty: ArrayLike,
    latency: ArrayLike,
    cost: ArrayLike,
    success_prob: ArrayLike,
    start: ArrayLike,
    cascade: ArrayLike,
    abandon: ArrayLike,
    *,
    per_model: bool | None = None,
) -> ChainOutcomes:
    """Solve the absorbing chain of a K-model routing game for a batch of games and policies.

    Parameters
    ----------
    task_value, penalty : array_like, shape (...)
        V > 0 and P >= 0, broadcastable against the batch shape.
    latency, cost, success_prob : array_like, shape (..., K)
        t_k > 0, c_k >= 0 and 0 < p_k < 1 of every model.
    start : array_like, shape (..., K)
        Probability distribution of the model that serves the first pass.
    cascade : array_like, shape (..., K, K)
        Row-stochastic matrix R; R[j, k] is the probability that the re-prompt after a failure
        on model j goes to model k.
    abandon : array_like, shape () or (...) or (..., K)
        The user's abandon probability: one q for every failure (stationary user, scalar or
        batch-shaped) or one q_j per model (state-aware user, last axis of length K).
    per_model : bool, optional
        How to read ``abandon`` when its shape is ambiguous. By default an ``abandon`` whose last
        axis has length K is per model and any other shape is stationary; pass ``False`` for a
        batch of stationary q whose last axis happens to have length K.

    Returns
    -------
    ChainOutcomes
        S, L, C, U, J over the batch shape and passes / solved_by / abandoned_after per model.

    Raises
    ------
    ParameterError
        When a field is out of range or shapes do not broadcast; the message names the field.

    Examples
    --------
    One model-1 pass, then always re-prompt on model 2 (p = 0.5 then 0.8), never abandon:

    >>> out = chain_outcomes(10, 4, [1, 3], [1, 2], [0.5, 0.8], start=[1, 0],
    ...                      cascade=[[0, 1], [0, 1]], abandon=0)
    >>> float(out.success), float(out.latency), float(out.cost)
    (1.0, 2.875, 2.25)
    >>> out.passes
    array([1.   , 0.625])

    Stationary batch over q (shape (3,)):

    >>> chain_outcomes(10, 4, [1, 3], [1, 2], [0.5, 0.8], [1, 0], [[0, 1], [0, 1]],
    ...                abandon=[0, 0.5, 1]).success
    array([1.        , 0.72222222, 0.5       ])
    """
    g = check_game_arrays(task_value, latency, success_prob, penalty=penalty, cost=cost)
    V, P, t, c, p = (g[k] for k in ("task_value", "penalty", "latency", "cost", "success_prob"))
    K = t.shape[-1]
    st, R = check_policy(start, cascade, K)
    q = check_array(abandon, "abandon")
    if per_model is None:
        per_model = q.ndim >= 1 and q.shape[-1] == K
    if per_model:
        if q.ndim < 1 or q.shape[-1] not in (1, K):
            raise ParameterError(
                "abandon", f"per-model abandon must have shape (..., {K}), got {q.shape}"
            )
        q_k = q
    else:
        q_k = q[..., None]

    # Batch shape: broadcast field by field so that the error names the field at fault.
    batch: tuple[int, ...] = ()
    for field, shape in (
        ("latency", t.shape[:-1]),
        ("cost", c.shape[:-1]),
        ("success_prob", p.shape[:-1]),
        ("start", st.shape[:-1]),
        ("cascade", R.shape[:-2]),
        ("abandon", q_k.shape[:-1]),
        ("task_value", V.shape),
        ("penalty", P.shape),
    ):
        try:
            batch = np.broadcast_shapes(batch, shape)
        except ValueError:
            raise ParameterError(
                field, f"batch shape {shape} does not broadcast with {batch}"
            ) from None

    S, L, C, U, J, n = _outcome_parts(V, P, t, c, p, st, R, q_k)
    n = np.broadcast_to(n, (*batch, K))
    solved_by = n * p
    abandoned_after = n * (1.0 - p) * q_k

    def full(x: Any) -> FloatArray:
        return np.array(np.broadcast_to(x, batch), dtype=np.float64)

    return ChainOutcomes(
        success=full(S),
        latency=full(L),
        cost=full(C),
        user_utility=full(U),
        provider_cost=full(J),
        passes=np.array(n, dtype=np.float64),
        solved_by=np.array(np.broadcast_to(solved_by, (*batch, K)), dtype=np.float64),
        abandoned_after=np.array(np.broadcast_to(abandoned_after, (*batch, K)), dtype=np.float64),
    )


def two_model_policy(
    route: ArrayLike, cascade: ArrayLike, num_models: int = 2
) -> tuple[FloatArray, FloatArray]:
    """Start distribution and cascade matrix of the paper's policy (i, s).

    The first pass is on model ``route`` (1-based); after a failure of model 1 the re-prompt
    goes to model 2 with probability s and stays on model 1 otherwise; every other model keeps
    the task (``R = [[1 - s, s], [0, 1]]`` when K = 2). With ``num_models`` > 2 the same policy
    is embedded in a K-model game (models 3..K are never visited unless ``route`` points there).

    Parameters
    ----------
    route : array_like of int
        Model of the first pass, 1-based (1 or 2 for the paper's game).
    cascade : array_like of float
        s in [0, 1], broadcast against ``route``.
    num_models : int, default 2
        K >= 2.

    Returns
    -------
    start : ndarray, shape (..., K)
    R : ndarray, shape (..., K, K)

    Examples
    --------
    >>> start, R = two_model_policy(1, 0.25)
    >>> start
    array([1., 0.])
    >>> R
    array([[0.75, 0.25],
           [0.  , 1.  ]])
    >>> two_model_policy([1, 2], 0.5)[0]
    array([[1., 0.],
           [0., 1.]])
    """
    if isinstance(num_models, bool) or not isinstance(num_models, (int, np.integer)):
        raise ParameterError("num_models", f"must be an integer >= 2, got {num_models!r}")
    K = int(num_models)
    if K < 2:
        raise ParameterError("num_models", f"must be an integer >= 2, got {K}")
    r = check_routes(route, "route", K)
    s = check_array(cascade, "cascade")
    r, s = np.broadcast_arrays(r, s)
    idx = r.astype(np.int64) - 1
    start = (idx[..., None] == np.arange(K)).astype(np.float64)
    R = np.broadcast_to(np.eye(K), (*s.shape, K, K)).copy()
    R[..., 0, 0] = 1.0 - s
    R[..., 0, 1] = s
    return start, R
