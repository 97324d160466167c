"""Heterogeneous games: tasks of different difficulty, retries that learn, users who differ.

* :mod:`routegame.hetero.tasks`: weighted task tables, logit-shift schedules, Beta quadrature.
* :mod:`routegame.hetero.chain`: exact outcomes of policies, a weighted sum of per-task chains.
* :mod:`routegame.hetero.search`: certified global best responses (box bounds from monotonicity).
* :mod:`routegame.hetero.bayes`: the Bayes-optimal stopping user (backward induction).
* :mod:`routegame.hetero.provider`: the provider's optimum over (route, s), strong and weak.
* :mod:`routegame.hetero.allpolicies`: the provider's optimum over all policies (start,
  cascade matrix): lattice, refinement, certified responses (``policies="all"``).
* :mod:`routegame.hetero.kmodel`: K-model outcomes, the stationary user's response and the
  optimum over all K-model policies (``k_model_optimum``).
* :mod:`routegame.hetero.figures`: the (V, P) policy map of ``routegame plot``.
* :mod:`routegame.hetero.calibration`, :mod:`routegame.hetero.realdata`: real pairs.
* :class:`HeteroEngine`: the engine protocol (``routegame.solve(params, tasks=...)``);
  :class:`HeteroKModelEngine` (:mod:`routegame.hetero.kengine`) for tables of K > 2 models;
* :class:`HeteroGame`: the facade; :func:`solve_record` answers a batch line.
"""

from routegame.hetero.engine import HeteroGame, HeteroOutcomes, HeteroSolution, Policy, PolicyPoint
from routegame.hetero.kengine import HeteroKModelEngine
from routegame.hetero.protocol import HeteroEngine
from routegame.hetero.record import solve_record
from routegame.hetero.tasks import TaskTable, beta_table, logit_shift

__all__ = [
    "HeteroEngine",
    "HeteroGame",
    "HeteroKModelEngine",
    "HeteroOutcomes",
    "HeteroSolution",
    "Policy",
    "PolicyPoint",
    "TaskTable",
    "beta_table",
    "logit_shift",
    "solve_record",
]
