"""Helpers shared by the engines (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

from routegame.errors import NotSolvableError
from routegame.markov.chain import chain_outcomes
from routegame.model.params import GameParams
from routegame.model.policy import check_policy
from routegame.model.results import Outcome


def chain_outcome(params: GameParams, start: Any, cascade: Any, abandon: Any) -> Outcome:
    """Outcomes of one policy by the absorbing chain's linear solve (the oracle)."""
    K = params.num_models
    st, R = check_policy(start, cascade, K)
    if st.shape != (K,) or R.shape != (K, K):
        raise NotSolvableError("give one policy: start of shape (K,), cascade of shape (K, K)")
    out = chain_outcomes(
        params.task_value, params.penalty, params.latency, params.cost, params.success_prob,
        st, R, abandon, per_model=np.ndim(abandon) == 1,
    )
    return Outcome(
        success=float(np.clip(out.success, 0.0, 1.0)), latency=float(out.latency),
        cost=float(out.cost), user_utility=float(out.user_utility),
        provider_cost=float(out.provider_cost), passes=tuple(float(v) for v in out.passes),
    )


def as_two_model_policy(start: Any, cascade: Any) -> tuple[int, float]:
    """(route, s) of a K = 2 policy in the paper's family, else NotSolvableError.

    The family: pi = e_i; after an M1 failure re-prompt on M2 with probability s; M2 keeps the
    task (R[2] = (0, 1)). Route 2 never visits M1, so only R[2] matters there.
    """
    st, R = check_policy(start, cascade, 2)
    if st.shape != (2,) or R.shape != (2, 2):
        raise NotSolvableError("give one policy: start (2,), cascade (2, 2)")
    if R[1, 1] != 1.0 or st[0] not in (0.0, 1.0):
        raise NotSolvableError(
            "the two-model closed form solves the paper's policies (route i, cascade s) only: "
            "start must be a point mass and M2 must keep the task; use the k-model engine"
        )
    route = 1 if st[0] == 1.0 else 2
    return route, float(R[0, 1]) if route == 1 else 0.0


class ChainOutcomes:
    """Mixin: an engine whose outcomes are the chain's linear solve (exact for any policy)."""

    def outcomes(self, params: GameParams, start: Any, cascade: Any, abandon: Any) -> Outcome:
        """Outcomes of the policy (start, cascade) against ``abandon``, by the chain."""
        return chain_outcome(params, start, cascade, abandon)
