"""Figures of a heterogeneous scenario for ``routegame plot`` (matplotlib, no pyplot).

Only one figure of ``routegame plot`` has a meaning on a task table: the **policy map**, the
provider's optimal policy class over (task value V, penalty P), computed on the data
(:func:`routegame.hetero.provider.policy_map`: the paper's class, strong tie-breaking, s-grid
precision on smooth pieces) beside the i.i.d. game with the tables' mean success probabilities
(the closed forms). The other kinds (regime map, best-response curves, misalignment and
throttling maps, decision guideline) are statements of the i.i.d. theory (regimes, thresholds
s0, s_low, s_high, closed-form responses); ``plot`` refuses them for a heterogeneous scenario in
one line and points at ``plot policy-map`` and ``report``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from routegame.hetero.scenarios import HeteroScenario

__all__ = ["CLASSES", "policy_classes", "policy_map_figure"]

#: Policy classes, in the colour order of the figure.
CLASSES = ("route 2", "route 1, s = 0", "route 1, 0 < s < 1", "route 1, s = 1")


def policy_classes(sc: HeteroScenario, task_values: Any, penalties: Any,
                   s_grid: int = 81) -> tuple[np.ndarray, np.ndarray]:
    """Class codes (indices into :data:`CLASSES`) of the data and the i.i.d. optimum on a
    (V, P) grid, each of shape (len(V), len(P)).

    Examples
    --------
    >>> from routegame.hetero.scenarios import load_hetero
    >>> data, iid = policy_classes(load_hetero("lcb-gpt-4o-mini-vs-o3-mini"), [120], [0.01, 1])
    >>> [CLASSES[k] for k in data[0]], [CLASSES[k] for k in iid[0]]
    (['route 1, s = 0', 'route 2'], ['route 1, s = 0', 'route 1, s = 0'])
    """
    from routegame import closed_form as cf
    from routegame.hetero.realdata import policy_class

    g = sc.game
    if g.user not in ("stationary", "state-aware"):
        raise ParameterError("user", f"the policy map is drawn for a stationary or state-aware "
                             f"user, this scenario's is {g.user!r}")
    V = np.asarray(task_values, dtype=float).ravel()
    P = np.asarray(penalties, dtype=float).ravel()
    pm = g.policy_map(V, P, s_grid)
    m = np.clip(g.tasks.mean(), 1e-12, 1.0 - 1e-12)
    VV, PP = np.meshgrid(V, P, indexing="ij")
    sol = cf.solve_arrays(VV, PP, g.latency, g.cost, m)
    code = np.vectorize(lambda r, s: CLASSES.index(policy_class(int(r), float(s))))
    return code(pm["route"], pm["cascade"]), code(np.asarray(sol.route), np.asarray(sol.cascade))


def policy_map_figure(sc: HeteroScenario, *, n: int = 60, x_range: Any = None,
                      y_range: Any = None) -> Figure:
    """The data's optimal policy class over (V, P) beside the i.i.d. one (log axes; the
    scenario's point starred).

    Parameters
    ----------
    sc : HeteroScenario
    n : int
        Grid points per axis (4 to 400).
    x_range, y_range : (lo, hi), optional
        V and P ranges (default: V / 4 to 4 V and P / 10 to 10 P around the scenario's point).

    Examples
    --------
    >>> from routegame.hetero.scenarios import load_hetero
    >>> fig = policy_map_figure(load_hetero("lcb-gpt-4o-vs-o4-mini"), n=6)
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['data (task table)', 'i.i.d. (mean success probabilities)']
    """
    import matplotlib.colors
    import matplotlib.patches
    import matplotlib.ticker
    from matplotlib.figure import Figure

    if not isinstance(n, int) or not 4 <= n <= 400:
        raise ParameterError("n", f"must be an integer in [4, 400], got {n!r}")
    g = sc.game
    V0, P0 = float(g.task_value), float(g.penalty)
    lo_v, hi_v = _range(x_range, (V0 / 4, V0 * 4), "x_range")
    p_default = (P0 / 10, P0 * 10) if P0 > 0 else (1e-4, 1.0)
    lo_p, hi_p = _range(y_range, p_default, "y_range")
    Vs = np.geomspace(lo_v, hi_v, n)
    Ps = np.geomspace(lo_p, hi_p, n)
    data, iid = policy_classes(sc, Vs, Ps)
    fig = Figure(figsize=(9.6, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    cmap = matplotlib.colors.ListedColormap(["#4c72b0", "#dd8452", "#55a868", "#c44e52"])
    lu, cu = sc.units.get("latency", "latency units"), sc.units.get("cost", "cost units")
    for ax, codes, title in ((axes[0], data, "data (task table)"),
                             (axes[1], iid, "i.i.d. (mean success probabilities)")):
        ax.pcolormesh(Vs, Ps, codes.T, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        if lo_v <= V0 <= hi_v and lo_p <= P0 <= hi_p:
            ax.plot([V0], [P0], "k*", ms=10)
        ax.set_title(title)
        ax.set_xlabel(f"task value V ({lu})")
    axes[0].set_ylabel(f"penalty P ({cu})")
    handles = [matplotlib.patches.Patch(color=cmap(i), label=c) for i, c in enumerate(CLASSES)]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8)
    fig.suptitle(f"Optimal policy of {sc.name} ({g.user} user, strong ties): "
                 f"{sc.model_names[0]} = M1, {sc.model_names[1]} = M2", fontsize=9)
    return fig


def _range(value: Any, default: tuple[float, float], field: str) -> tuple[float, float]:
    if value is None:
        return default
    lo, hi = (float(x) for x in value)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ParameterError(field, f"must be two numbers 0 < LO < HI, got {value!r}")
    return lo, hi
