"""Heterogeneous games: tasks of different difficulty, retries that learn, users who differ.

* :mod:`routegame.hetero.tasks`: weighted task tables, logit-shift schedules, Beta quadrature.
* :mod:`routegame.hetero.chain`: exact outcomes of policies, a weighted sum of per-task chains.
* :mod:`routegame.hetero.search`: certified global best responses (box bounds from monotonicity).
* :mod:`routegame.hetero.bayes`: the Bayes-optimal stopping user (backward induction).
* :mod:`routegame.hetero.provider`: the provider's optimum over (route, s), strong and weak.
* :mod:`routegame.hetero.kmodel`: K-model outcomes and the stationary user's response.
* :mod:`routegame.hetero.calibration`, :mod:`routegame.hetero.realdata`: real pairs.
* :class:`HeteroGame`: the facade; :func:`solve_record` answers a batch line.
"""

from routegame.hetero.engine import HeteroGame, HeteroOutcomes, HeteroSolution, Policy, PolicyPoint
from routegame.hetero.record import solve_record
from routegame.hetero.tasks import TaskTable, beta_table, logit_shift

__all__ = [
    "HeteroGame",
    "HeteroOutcomes",
    "HeteroSolution",
    "Policy",
    "PolicyPoint",
    "TaskTable",
    "beta_table",
    "logit_shift",
    "solve_record",
]
