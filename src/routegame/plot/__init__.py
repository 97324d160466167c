r"""Figures of the two-model routing game (matplotlib, imported lazily).

Every figure is a public function that returns a :class:`matplotlib.figure.Figure`, takes the
game as ``params`` (a :class:`~routegame.params.GameParams` with two models, or a scenario from
:mod:`routegame.scenarios`, whose units label the axes; default: the ``default`` scenario) and an
optional ``ax`` to draw into. The maps solve one game per grid cell with
:func:`routegame.solve_arrays` (one vectorised call per map) and mark the scenario's own point.

=========================  =================================================================
function                   what it shows
=========================  =================================================================
:func:`regime_map`         sign pattern of (ξ_1, ξ_2) over a parameter plane, ξ_i = 0 drawn
:func:`best_response_curves`  the user's q*(s) on route 1 in each regime, thresholds marked
:func:`policy_map`         the provider's optimal policy (i, s*) over a parameter plane
:func:`misalignment_map`   the misalignment gap ΔU = U(user-preferred) - U(equilibrium)
:func:`throttling_map`     where raising latencies pays the provider, and by how much
:func:`decision_guideline` the threshold rules as a decision tree, the scenario's path in bold
=========================  =================================================================

Parameter planes are named by :data:`AXES`: a field (``task_value``, ``penalty``,
``latency_1`` ... ``success_prob_2``) or a ratio that keeps model 1 fixed (``latency_ratio``
t_2/t_1, ``cost_ratio`` c_2/c_1). Categorical regions are drawn with colours of distinct
lightness *and* hatching *and* direct labels, so the figures survive grey-scale printing.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from routegame import GameParams
>>> from routegame.plot import regime_map
>>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
>>> fig = regime_map(g, n=30)
>>> fig.axes[0].get_xlabel()
'latency t₁ of M1 (latency units)'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from routegame.plot.curves import best_response_curves
from routegame.plot.layout import decision_guideline
from routegame.plot.maps import misalignment_map, policy_code, policy_map, regime_map, throttling_map
from routegame.plot.plane import AXES, POLICIES
from routegame.plot.save import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "AXES",
    "FIGURES",
    "POLICIES",
    "best_response_curves",
    "decision_guideline",
    "misalignment_map",
    "policy_code",
    "policy_map",
    "regime_map",
    "save_figure",
    "throttling_map",
]

#: Figure functions by the name used in ``routegame plot KIND``.
FIGURES: dict[str, Callable[..., Figure]] = {
    "regime-map": regime_map,
    "best-response-curves": best_response_curves,
    "policy-map": policy_map,
    "misalignment-map": misalignment_map,
    "throttling-map": throttling_map,
    "decision-guideline": decision_guideline,
}
