"""The four maps over a parameter plane: regimes, the provider's policy, the misalignment gap and
throttling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.errors import ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from routegame.plot.plane import (
    _NO_REGIME,
    _POLICY_HATCH,
    _POLICY_SHADE,
    _REGIME_HATCH,
    _REGIME_LABELS,
    _REGIME_SHADE,
    POLICIES,
    _categorical,
    _finish,
    _hatch,
    _label_spots,
    _mark_point,
    _new_axes,
    _Plane,
    _resolve,
    _units,
    _zero_lines,
)

__all__ = ['misalignment_map', 'policy_code', 'policy_map', 'regime_map', 'throttling_map']


def regime_map(
    params: Any = None,
    *,
    x: str = "latency_1",
    y: str = "latency_2",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    n: int = 200,
    ax: Axes | None = None,
) -> Figure:
    """Regime (sign pattern of ξ_1, ξ_2) over a parameter plane.

    Parameters
    ----------
    params : GameParams or Scenario, optional
        The game; the other parameters stay at its values. Default: scenario ``default``.
    x, y : str
        Axis names from :data:`AXES`.
    x_range, y_range : (float, float), optional
        Plotted ranges; by default twice the largest of the scenario's value and the thresholds
        that matter for that axis.
    n : int
        Grid points per axis.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = regime_map(n=20)
    >>> fig.axes[0].get_title()
    'Regimes: is each model worth its wait?'
    """
    g, units, name = _resolve(params)
    if x in _NO_REGIME and y in _NO_REGIME:
        raise ParameterError(
            "y", f"the regime depends only on task_value, the latencies and the success "
            f"probabilities; {x} and {y} do not change it, so the map would be one colour: "
            "put one of those on an axis")
    plane = _Plane(g, x, y, x_range, y_range, n)
    xi1, xi2 = plane.xi
    from routegame.closed_form import regime_code

    codes = regime_code(xi1, xi2)
    fig, ax = _new_axes(ax, (8.6, 5.6))
    handles = _categorical(ax, plane, codes, _REGIME_LABELS, _REGIME_SHADE, _REGIME_HATCH)
    handles += _zero_lines(ax, plane)
    handles += _mark_point(ax, plane, name)
    _finish(ax, plane, "Regimes: is each model worth its wait?", units, handles,
            legend_title="regime (ξᵢ = V·pᵢ - tᵢ)")
    return fig


def policy_code(route: Any, cascade: Any, abandon: Any) -> np.ndarray:
    """Category in :data:`POLICIES` of provider policies (route, cascade) and the user's q.

    Examples
    --------
    >>> [POLICIES[k] for k in policy_code([1, 1, 2, 1, 1], [0, 1, 0, 0.4, 0.4], [0, 0, 0, 0, 0.3])]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['M1 only  (1, 0)', 'M1 then M2  (1, 1)', 'M2 only  (2, 0)', 'threshold cascade  (1, s*)',
     'cascade, user mixes  (1, s*)']
    """
    r = np.asarray(route)
    s = np.asarray(cascade, dtype=float)
    q = np.asarray(abandon, dtype=float)
    mixed = (q > 1e-9) & (q < 1 - 1e-9)
    code = np.select([r == 2, s <= 0.0, s >= 1.0, mixed], [2, 0, 1, 4], default=3)
    return code.astype(np.int64)


def _masked_rule(ax: Axes, plane: _Plane, f: np.ndarray, where: np.ndarray, style: str) -> bool:
    """Draw the zero line of ``f`` (continuous) restricted to ``where``; True if drawn."""
    if not where.any():
        return False
    fm = np.ma.masked_array(f, mask=~where)
    if not (fm.min() < 0 < fm.max()):
        return False
    halo = ax.contour(plane.xs, plane.ys, fm, levels=[0.0], colors="white", linestyles="-",
                      linewidths=3.2)
    if not any(np.size(p.vertices) for p in halo.get_paths()):
        halo.remove()
        return False
    ax.contour(plane.xs, plane.ys, fm, levels=[0.0], colors="black", linestyles=style,
               linewidths=1.2)
    return True


def policy_map(
    params: Any = None,
    *,
    x: str = "cost_ratio",
    y: str = "penalty",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    n: int = 200,
    tie_break: str = "strong",
    ax: Axes | None = None,
) -> Figure:
    """The provider's optimal policy (i, s*) over a parameter plane.

    Regions are labelled by policy (see :data:`POLICIES`): M1 only (1, 0), M1 then M2 (1, 1),
    M2 only (2, 0), a cascade at a threshold of the user's response (s* = s0, s_low or s_high;
    the user does not mix), and an interior cascade where the user mixes (0 < q* < 1). The
    ξ_i = 0 lines and the paper's Theorem 3 rules (c_1/p_1 = c_2/p_2 in the value-value
    regime, P = (c_2 - c_1)/(p_2 - p_1) in the latency-latency regime) are drawn where they
    cross the plane.

    Parameters
    ----------
    params : GameParams or Scenario, optional
        The game (default: scenario ``default``).
    x, y : str
        Axis names from :data:`AXES` (default: cost ratio × penalty).
    x_range, y_range : (float, float), optional
        Plotted ranges.
    n : int
        Grid points per axis.
    tie_break : {"strong", "weak"}
        Stackelberg convention.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = policy_map(n=20, x="task_value", y="latency_ratio")
    >>> fig.axes[0].get_ylabel()
    'latency ratio t₂/t₁ (t₁ fixed)'
    """
    from matplotlib.lines import Line2D

    g, units, name = _resolve(params)
    plane = _Plane(g, x, y, x_range, y_range, n)
    sol = plane.solve(tie_break)
    codes = policy_code(sol.route, sol.cascade, sol.abandon)
    fig, ax = _new_axes(ax, (8.8, 5.6))
    labels = {k: POLICIES[k].replace("  ", "\n") for k in range(len(POLICIES))}
    handles = _categorical(ax, plane, codes, labels, _POLICY_SHADE, _POLICY_HATCH)
    handles += _zero_lines(ax, plane, color="0.15")
    c, p, P = plane.c, plane.p, plane.P
    # sign-equivalent forms without poles: c2/p2 > c1/p1, and P > (c2 - c1)/(p2 - p1) for p2 > p1
    # (M2 beats M1 with a user who leaves after one failure iff P (p2 - p1) > c2 - c1)
    vv_rule = c[..., 1] * p[..., 0] - c[..., 0] * p[..., 1]
    ll_rule = P * (p[..., 1] - p[..., 0]) - (c[..., 1] - c[..., 0])
    drawn = _masked_rule(ax, plane, vv_rule, sol.regime == 0, ":")
    if drawn:
        handles.append(Line2D([], [], color="black", ls=":", lw=1.2,
                              label="Thm 3 (value-value): c₁/p₁ = c₂/p₂"))
    if _masked_rule(ax, plane, ll_rule, sol.regime == 1, "-."):
        handles.append(Line2D([], [], color="black", ls="-.", lw=1.2,
                              label="Thm 3 (latency-latency):\nP = (c₂ - c₁)/(p₂ - p₁)"))
    handles += _mark_point(ax, plane, name)
    _finish(ax, plane, f"Provider's optimal policy ({tie_break} Stackelberg)", units, handles,
            legend_title="policy (route, cascade s)")
    return fig


def _heat(
    ax: Axes, plane: _Plane, values: np.ndarray, zero: np.ndarray, zero_label: str,
    cbar_label: str,
) -> list[Any]:
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    cmap = colormaps["cividis"].with_extremes(bad="0.94")
    data = np.ma.masked_array(values, mask=zero)
    fig = ax.figure
    vmax = float(values[~zero].max()) if (~zero).any() else 1.0
    im = ax.imshow(data, origin="lower", extent=plane.extent, aspect="auto",
                   interpolation="nearest", cmap=cmap, vmin=0.0, vmax=vmax)
    if (~zero).any():  # no scale to show when every cell is zero
        fig.colorbar(im, ax=ax, label=cbar_label, shrink=0.85, pad=0.02)
    _hatch(ax, plane, zero, "//", color="0.55")
    handles: list[Any] = []
    if zero.any():
        handles.append(Patch(facecolor="0.94", edgecolor="0.55", hatch="//", label=zero_label))
        for i, j in _label_spots(zero, plane.point_index, plane.regimes, single=True):
            ax.text(plane.xs[j], plane.ys[i], zero_label, ha="center", va="center", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.4",
                          "alpha": 0.9})
    return handles


def misalignment_map(
    params: Any = None,
    *,
    x: str = "latency_ratio",
    y: str = "cost_ratio",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    n: int = 200,
    tie_break: str = "strong",
    ax: Axes | None = None,
) -> Figure:
    """The misalignment gap ΔU = U(user-preferred policy) - U(provider's equilibrium).

    The gap is in the user's utility unit (the latency unit). Cells with ΔU = 0 (the provider
    serves the policy the user would pick) are grey and hatched. The default plane, latency
    ratio × cost ratio, shows the mechanism: the user ranks models by latency, the provider
    by cost.

    Parameters
    ----------
    params : GameParams or Scenario, optional
        The game (default: scenario ``default``).
    x, y : str
        Axis names from :data:`AXES`.
    x_range, y_range : (float, float), optional
        Plotted ranges.
    n : int
        Grid points per axis.
    tie_break : {"strong", "weak"}
        Stackelberg convention of the equilibrium.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = misalignment_map(n=20)
    >>> fig.axes[0].get_title()
    'Misalignment gap ΔU = U(user-preferred) - U(equilibrium)'
    """
    g, units, name = _resolve(params)
    plane = _Plane(g, x, y, x_range, y_range, n)
    sol = plane.solve(tie_break)
    gap = np.asarray(sol.misalignment_gap, dtype=float)
    scale = np.maximum(1.0, np.abs(np.asarray(sol.pref_user_utility)))
    zero = gap <= 1e-9 * scale
    fig, ax = _new_axes(ax, (8.0, 6.6))
    lat_u, _ = _units(units)
    handles = _heat(ax, plane, gap, zero, "aligned (ΔU = 0)",
                    f"misalignment gap ΔU ({lat_u})")
    handles += _zero_lines(ax, plane, color="black", halo=True)
    handles += _mark_point(ax, plane, name)
    _finish(ax, plane, "Misalignment gap ΔU = U(user-preferred) - U(equilibrium)", units,
            handles, below=True)
    return fig


def throttling_map(
    params: Any = None,
    *,
    x: str = "task_value",
    y: str = "penalty",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    n: int = 200,
    tie_break: str = "strong",
    ax: Axes | None = None,
) -> Figure:
    """Where throttling (raising latencies) pays the provider, and by how much.

    Colour: gain = J* - J_throttled ≥ 0 in the cost unit, J* the provider's equilibrium cost
    and J_throttled its cost after the best throttle. Grey hatched cells: throttling does not
    pay. The paper's boundary P = min(c_1/p_1, c_2/p_2) (Proposition 2: throttling pays
    below it) is drawn as a dashed line for comparison with the exact region.

    Parameters
    ----------
    params : GameParams or Scenario, optional
        The game (default: scenario ``default``).
    x, y : str
        Axis names from :data:`AXES` (default: task value × penalty).
    x_range, y_range : (float, float), optional
        Plotted ranges.
    n : int
        Grid points per axis.
    tie_break : {"strong", "weak"}
        Stackelberg convention.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = throttling_map(n=20)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('task value V (time unit)', 'churn penalty P (cost unit)')
    """
    from matplotlib.lines import Line2D

    g, units, name = _resolve(params)
    plane = _Plane(g, x, y, x_range, y_range, n)
    sol = plane.solve(tie_break)
    J = np.asarray(sol.provider_cost, dtype=float)
    gain = J - np.asarray(sol.throttle_provider_cost, dtype=float)
    zero = ~np.asarray(sol.throttle_pays, dtype=bool)
    fig, ax = _new_axes(ax, (8.0, 6.6))
    _, cost_u = _units(units)
    handles = _heat(ax, plane, gain, zero, "throttling does not pay",
                    f"gain J* - J_throttled ({cost_u})")
    with np.errstate(divide="ignore", invalid="ignore"):
        cpp = plane.c / plane.p
    paper = plane.P - np.minimum(cpp[..., 0], cpp[..., 1])
    if np.nanmin(paper) < 0 < np.nanmax(paper):
        for col, lw in (("white", 3.6), ("black", 1.6)):
            ax.contour(plane.xs, plane.ys, paper, levels=[0.0], colors=col, linestyles="--",
                       linewidths=lw)
        handles.append(Line2D([], [], color="black", ls="--", lw=1.6,
                              label="paper: P = min(c₁/p₁, c₂/p₂)"))
    else:
        verdict = "holds" if np.nanmax(paper) <= 0 else "fails"
        handles.append(Line2D([], [], color="none",
                              label=f"paper's condition P ≤ min(c₁/p₁, c₂/p₂)\n"
                                    f"{verdict} on the whole plane"))
    pays = (~zero).astype(float)
    if 0.0 < pays.mean() < 1.0:
        ax.contour(plane.xs, plane.ys, pays, levels=[0.5], colors="black", linewidths=1.0)
        handles.append(Line2D([], [], color="black", lw=1.0, label="exact boundary"))
    handles += _zero_lines(ax, plane, color="0.3", halo=True)
    handles += _mark_point(ax, plane, name)
    _finish(ax, plane, "Throttling: provider's gain from raising latencies", units, handles,
            below=True)
    return fig
