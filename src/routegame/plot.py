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

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.closed_form import REGIMES, best_response, solve_arrays, thresholds
from routegame.errors import ParameterError
from routegame.params import TWO_MODEL_FIELDS, GameParams, check_tie_break

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from routegame.closed_form import TwoModelSolution

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

#: Names of the parameter axes a map can vary.
AXES: tuple[str, ...] = (
    *TWO_MODEL_FIELDS,
    "latency_ratio",
    "cost_ratio",
)

#: Provider policy categories of :func:`policy_code` / :func:`policy_map`, by code.
POLICIES: tuple[str, ...] = (
    "M1 only  (1, 0)",
    "M1 then M2  (1, 1)",
    "M2 only  (2, 0)",
    "threshold cascade  (1, s*)",
    "cascade, user mixes  (1, s*)",
)

_SUB = {1: "₁", 2: "₂"}
_REGIME_LABELS = {
    0: "value-value\nξ₁ > 0, ξ₂ > 0",
    1: "latency-latency\nξ₁ < 0, ξ₂ < 0",
    2: "latency-value\nξ₁ < 0 < ξ₂",
    3: "value-latency\nξ₂ < 0 < ξ₁",
}
# lightness order survives grey-scale printing; hatching tells neighbours apart again
_REGIME_SHADE = {0: 0.95, 3: 0.68, 2: 0.42, 1: 0.12}
_REGIME_HATCH = {0: "", 3: "//", 2: "\\\\", 1: "xx"}
_POLICY_SHADE = {0: 0.97, 3: 0.7, 1: 0.5, 4: 0.3, 2: 0.06}
_POLICY_HATCH = {0: "", 1: "//", 2: "\\\\", 3: "xx", 4: ".."}
_MAX_N = 2000
_NO_REGIME = frozenset({"penalty", "cost_1", "cost_2", "cost_ratio"})  # axes the regime ignores


# ---------------------------------------------------------------------------------------------
# helpers


def _fmt(x: float) -> str:
    """Three significant digits, no trailing noise."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{float(x):.3g}"


def _resolve(params: Any) -> tuple[GameParams, dict[str, str], str]:
    """(params, units, name) from GameParams, a Scenario or None (the default scenario)."""
    if params is None:
        from routegame.scenarios import load_scenario

        params = load_scenario("default")
    units: dict[str, str] = {}
    name = "custom"
    if not isinstance(params, GameParams) and hasattr(params, "params"):
        units = dict(getattr(params, "units", {}) or {})
        name = str(getattr(params, "name", name))
        params = params.params
    if not isinstance(params, GameParams):
        raise ParameterError(
            "params", f"must be GameParams or a Scenario, got {type(params).__name__}"
        )
    if params.num_models != 2:
        raise ParameterError(
            "params", f"the figures are for two-model games, got {params.num_models} models"
        )
    return params, units, name


def _units(units: Mapping[str, str]) -> tuple[str, str]:
    return units.get("latency") or "latency units", units.get("cost") or "cost units"


def _axis_label(name: str, units: Mapping[str, str]) -> str:
    lat_u, cost_u = _units(units)
    if name == "task_value":
        return f"task value V ({lat_u})"
    if name == "penalty":
        return f"churn penalty P ({cost_u})"
    if name == "latency_ratio":
        return "latency ratio t₂/t₁ (t₁ fixed)"
    if name == "cost_ratio":
        return "cost ratio c₂/c₁ (c₁ fixed)"
    field, k = name.rsplit("_", 1)
    i = int(k)
    if field == "latency":
        return f"latency t{_SUB[i]} of M{i} ({lat_u})"
    if field == "cost":
        return f"cost c{_SUB[i]} of M{i} ({cost_u})"
    return f"success probability p{_SUB[i]} of M{i} (per pass)"


def _point(params: GameParams, name: str) -> float:
    """The scenario's coordinate on axis ``name``."""
    t, c, p = params.latency, params.cost, params.success_prob
    simple = {
        "task_value": params.task_value,
        "penalty": params.penalty,
        "latency_1": t[0], "latency_2": t[1],
        "cost_1": c[0], "cost_2": c[1],
        "success_prob_1": p[0], "success_prob_2": p[1],
        "latency_ratio": t[1] / t[0],
        "cost_ratio": c[1] / c[0] if c[0] > 0 else math.nan,
    }
    return float(simple[name])


def _default_range(params: GameParams, name: str) -> tuple[float, float]:
    """A range around the scenario's value that contains the rules' thresholds."""
    V, P = params.task_value, params.penalty
    t, c, p = params.latency, params.cost, params.success_prob
    cpp = c / p
    if name == "task_value":
        hi = 2.0 * max(V, *(t / p))
        return hi / 100.0, hi
    if name == "penalty":
        bar = (c[1] - c[0]) / (p[1] - p[0]) if p[1] != p[0] else 0.0
        hi = 2.0 * max(P, *cpp, abs(bar))
        return 0.0, hi if hi > 0 else 1.0
    if name == "latency_ratio":
        hi = 2.0 * max(t[1] / t[0], V * p[1] / t[0], 1.0)
        return hi / 100.0, hi
    if name == "cost_ratio":
        if c[0] <= 0:  # only with cost_1 on the other axis; the scenario has no ratio
            return 0.0, 2.0 * max(p[1] / p[0], 1.0)
        hi = 2.0 * max(c[1] / c[0], p[1] / p[0], 1.0 + P * abs(p[1] - p[0]) / c[0])
        return 0.0, hi
    field, k = name.rsplit("_", 1)
    i = int(k) - 1
    if field == "latency":
        hi = 2.0 * max(t[i], V * p[i])
        return hi / 100.0, hi
    if field == "cost":
        j = 1 - i
        hi = 2.0 * max(c[i], c[j] * p[i] / p[j])
        return 0.0, hi if hi > 0 else 1.0
    return 0.01, 0.99


def _check_range(rng: Any, name: str, field: str, params: GameParams) -> tuple[float, float]:
    if rng is None:
        return _default_range(params, name)
    try:
        lo, hi = (float(v) for v in rng)
    except (TypeError, ValueError):
        raise ParameterError(field, f"must be two numbers (low, high), got {rng!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ParameterError(field, f"must be finite with low < high, got ({lo:g}, {hi:g})")
    if name in ("task_value", "penalty"):
        base = name
    else:
        base = {"latency_ratio": "latency", "cost_ratio": "cost"}.get(name, name.rsplit("_", 1)[0])
    if name == "latency_ratio" and lo <= 0:
        raise ParameterError(field, f"{name} must be > 0, got low = {lo:g}")
    from routegame.params import check_scalar

    for v in (lo, hi):
        try:
            check_scalar(v, base)
        except ParameterError as exc:
            raise ParameterError(field, f"{name} {exc.reason}") from None
    return lo, hi


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= _MAX_N:
        raise ParameterError("n", f"must be an integer in [2, {_MAX_N}], got {n!r}")
    return int(n)


class _Plane:
    """A grid of games over two parameter axes (rows: y, columns: x)."""

    def __init__(
        self, params: GameParams, x: str, y: str, x_range: Any, y_range: Any, n: Any
    ) -> None:
        for field, name in (("x", x), ("y", y)):
            if name not in AXES:
                raise ParameterError(field, f"must be one of {', '.join(AXES)}, got {name!r}")
        if x == y:
            raise ParameterError("y", f"must differ from x, got {y!r} twice")
        clash = [{"latency_2", "latency_ratio"}, {"cost_2", "cost_ratio"}]
        if {x, y} in clash:
            raise ParameterError("y", f"{x} and {y} both set model 2's parameter; pick one")
        if "cost_ratio" in (x, y) and params.cost[0] == 0 and "cost_1" not in (x, y):
            raise ParameterError("x" if x == "cost_ratio" else "y", "cost_ratio needs c1 > 0")
        n = _check_n(n)
        self.params, self.x, self.y = params, x, y
        self.x_range = _check_range(x_range, x, "x_range", params)
        self.y_range = _check_range(y_range, y, "y_range", params)
        if "cost_ratio" in (x, y) and "cost_1" in (x, y):
            c1_range = self.x_range if x == "cost_1" else self.y_range
            if c1_range[0] <= 0:
                raise ParameterError("x_range" if x == "cost_1" else "y_range",
                                     "cost_1 must be > 0 when cost_ratio is the other axis")
        self.xs = np.linspace(*self.x_range, n)
        self.ys = np.linspace(*self.y_range, n)
        from routegame.sweep.grid import game_grid

        g = game_grid(params, {y: self.ys[:, None], x: self.xs[None, :]})  # rows y, columns x
        V, P = g["task_value"], g["penalty"]
        t, c, p = (np.stack([g[f"{f}_1"], g[f"{f}_2"]], axis=-1)
                   for f in ("latency", "cost", "success_prob"))
        self.V, self.P, self.t, self.c, self.p = V, P, t, c, p
        self.x0, self.y0 = _point(params, x), _point(params, y)

    @property
    def xi(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.V * self.p[..., 0] - self.t[..., 0], self.V * self.p[..., 1] - self.t[..., 1])

    def solve(self, tie_break: str) -> TwoModelSolution:
        return solve_arrays(self.V, self.P, self.t, self.c, self.p, tie_break=tie_break)

    @property
    def regimes(self) -> np.ndarray:
        """Regime code of every cell."""
        from routegame.closed_form import regime_code

        return regime_code(*self.xi)

    @property
    def point_index(self) -> tuple[float, float]:
        """The scenario's point as fractional grid indices (row, col)."""
        fx = (self.x0 - self.xs[0]) / (self.xs[-1] - self.xs[0]) * (len(self.xs) - 1)
        fy = (self.y0 - self.ys[0]) / (self.ys[-1] - self.ys[0]) * (len(self.ys) - 1)
        return float(fy), float(fx)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        dx = (self.xs[-1] - self.xs[0]) / max(len(self.xs) - 1, 1)
        dy = (self.ys[-1] - self.ys[0]) / max(len(self.ys) - 1, 1)
        return (self.xs[0] - dx / 2, self.xs[-1] + dx / 2, self.ys[0] - dy / 2, self.ys[-1] + dy / 2)

    def fixed_note(self) -> str:
        """The parameters held fixed, for the subtitle."""
        g = self.params
        varied = {self.x, self.y}
        if "latency_ratio" in varied:
            varied.add("latency_2")
        if "cost_ratio" in varied:
            varied.add("cost_2")
        parts = []
        if "task_value" not in varied:
            parts.append(f"V = {_fmt(g.task_value)}")
        if "penalty" not in varied:
            parts.append(f"P = {_fmt(g.penalty)}")
        for field, sym in (("latency", "t"), ("cost", "c"), ("success_prob", "p")):
            vals = getattr(g, field)
            keep = [k for k in (1, 2) if f"{field}_{k}" not in varied]
            if len(keep) == 2:
                parts.append(f"{sym} = ({_fmt(vals[0])}, {_fmt(vals[1])})")
            elif keep:
                k = keep[0]
                parts.append(f"{sym}{_SUB[k]} = {_fmt(vals[k - 1])}")
        return "fixed: " + ", ".join(parts)


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _shade(value: float) -> tuple[float, float, float]:
    """A cividis colour lightened towards white (keeps its grey-scale order)."""
    from matplotlib import colormaps

    r, g, b, _ = colormaps["cividis"](value)
    w = 0.45
    return (w + (1 - w) * r, w + (1 - w) * g, w + (1 - w) * b)


def _hatch(ax: Axes, plane: _Plane, mask: np.ndarray, hatch: str, color: str = "0.25") -> None:
    if not hatch or not mask.any():
        return
    import matplotlib as mpl

    with mpl.rc_context({"hatch.color": color, "hatch.linewidth": 0.6}):
        ax.contourf(plane.xs, plane.ys, mask.astype(float), levels=[0.5, 1.5],
                    colors="none", hatches=[hatch])


def _spot(part: np.ndarray, avoid: tuple[float, float] | None) -> tuple[int, int, float] | None:
    """(row, col, depth) of a central point deep inside ``part``, away from ``avoid``."""
    from scipy import ndimage

    depth = ndimage.distance_transform_edt(np.pad(part, 1))[1:-1, 1:-1]
    rows, cols = np.meshgrid(np.arange(part.shape[0]), np.arange(part.shape[1]), indexing="ij")
    if avoid is not None:  # keep clear of the scenario's marker
        near = np.hypot((rows - avoid[0]) / part.shape[0], (cols - avoid[1]) / part.shape[1])
        depth = np.where(near < 0.09, 0.0, depth)
    top = float(depth.max())
    if top < max(2.5, 0.035 * max(part.shape)):  # too thin to hold a label box
        return None
    good = depth >= 0.75 * top
    ci, cj = rows[part].mean(), cols[part].mean()
    dist = np.where(good, np.hypot(rows - ci, cols - cj), np.inf)
    flat = int(dist.argmin())
    return flat // part.shape[1], flat % part.shape[1], top


def _label_spots(
    mask: np.ndarray, avoid: tuple[float, float] | None = None, split: np.ndarray | None = None,
    single: bool = False,
) -> list[tuple[int, int]]:
    """Grid indices (row, col) where to label the region ``mask``.

    ``split`` (e.g. the regime codes) cuts the region along the ξ_i = 0 lines: every piece
    covering at least 5 % of the plane gets its own label, placed centrally and deep inside
    the piece, away from ``avoid`` (the scenario's marker). A region too small for any label
    gets none (the legend still names it). ``single``: one label, in the deepest piece.
    """
    if mask.sum() < 0.012 * mask.size:
        return []
    pieces = [mask] if split is None else [mask & (split == r) for r in np.unique(split[mask])]
    spots = []
    for part in [] if single else pieces:
        if part.sum() >= 0.05 * mask.size:
            sp = _spot(part, avoid)
            if sp is not None:
                spots.append(sp[:2])
    if not spots:
        cands = [sp for sp in (_spot(part, avoid) for part in pieces) if sp is not None]
        if cands:
            best = max(cands, key=lambda sp: sp[2])
            spots.append(best[:2])
    return spots


def _categorical(
    ax: Axes, plane: _Plane, codes: np.ndarray, labels: Mapping[int, str],
    shades: Mapping[int, float], hatches: Mapping[int, str],
) -> list[Any]:
    """Paint categories (colour + hatch + direct labels); return legend handles."""
    from matplotlib.patches import Patch

    img = np.ones((*codes.shape, 3))
    handles = []
    for k in labels:
        mask = codes == k
        if mask.any():
            img[mask] = _shade(shades[k])
    ax.imshow(img, origin="lower", extent=plane.extent, aspect="auto", interpolation="nearest")
    for k, label in labels.items():
        mask = codes == k
        if not mask.any():
            continue
        _hatch(ax, plane, mask, hatches[k])
        handles.append(Patch(facecolor=_shade(shades[k]), edgecolor="0.25", hatch=hatches[k],
                             label=label.replace("\n", ": ", 1).replace("\n", " ")))
        for i, j in _label_spots(mask, plane.point_index, plane.regimes):
            ax.text(plane.xs[j], plane.ys[i], label, ha="center", va="center", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.4", "alpha": 0.88})
    return handles


def _zero_lines(ax: Axes, plane: _Plane, color: str = "black", halo: bool = False) -> list[Any]:
    """Draw ξ_1 = 0 (solid) and ξ_2 = 0 (dashed) where they cross the plane."""
    from matplotlib.lines import Line2D

    handles = []
    for k, (xi, style) in enumerate(zip(plane.xi, ("-", "--"), strict=True), start=1):
        if np.nanmin(xi) < 0 < np.nanmax(xi):
            if halo:
                ax.contour(plane.xs, plane.ys, xi, levels=[0.0], colors="white",
                           linestyles="-", linewidths=4.0)
            ax.contour(plane.xs, plane.ys, xi, levels=[0.0], colors=color, linestyles=style,
                       linewidths=1.8)
            handles.append(Line2D([], [], color=color, ls=style, lw=1.8,
                                  label=f"ξ{_SUB[k]} = V·p{_SUB[k]} - t{_SUB[k]} = 0"))
    return handles


def _mark_point(ax: Axes, plane: _Plane, name: str) -> list[Any]:
    from matplotlib.lines import Line2D

    x0, y0 = plane.x0, plane.y0
    inside = (plane.x_range[0] <= x0 <= plane.x_range[1]
              and plane.y_range[0] <= y0 <= plane.y_range[1])
    label = f"scenario '{name}'" + ("" if inside else " (outside the plotted range)")
    if inside:
        ax.plot([x0], [y0], marker="*", ms=17, mfc="white", mec="black", mew=1.6, ls="none",
                zorder=6)
        ax.plot([x0], [y0], marker="*", ms=6, mfc="black", mec="black", ls="none", zorder=7)
    return [Line2D([], [], marker="*", ms=13, mfc="white", mec="black", mew=1.4, ls="none",
                   label=label)]


def _finish(
    ax: Axes, plane: _Plane, title: str, units: Mapping[str, str], handles: Sequence[Any],
    legend_title: str | None = None, below: bool = False,
) -> None:
    ax.set_xlim(*plane.x_range)
    ax.set_ylim(*plane.y_range)
    ax.set_xlabel(_axis_label(plane.x, units))
    ax.set_ylabel(_axis_label(plane.y, units))
    ax.set_title(title, pad=16)
    ax.annotate(plane.fixed_note(), xy=(0, 1), xycoords="axes fraction", xytext=(0, 4),
                textcoords="offset points", va="bottom", ha="left", fontsize=8, color="0.25")
    if handles and below:
        ax.legend(handles=list(handles), loc="upper center", bbox_to_anchor=(0.5, -0.13),
                  borderaxespad=0.0, fontsize=8.5, title=legend_title, title_fontsize=9,
                  frameon=False, handlelength=2.4, handleheight=1.4, ncols=3)
    elif handles:
        ax.legend(handles=list(handles), loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0.0, fontsize=8.5, title=legend_title, title_fontsize=9,
                  frameon=False, handlelength=2.4, handleheight=1.4)


# ---------------------------------------------------------------------------------------------
# 1. regime map


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


# ---------------------------------------------------------------------------------------------
# 2. best-response curves


def _regime_latencies(g: GameParams, code: int) -> np.ndarray:
    """Latencies that put the scenario's V and p into regime ``code`` (ξ_i = ±V p_i / 2)."""
    signs = {0: (1, 1), 1: (-1, -1), 2: (-1, 1), 3: (1, -1)}[code]
    Vp = g.task_value * g.success_prob
    return np.array([Vp[k] * (1.0 - 0.5 * signs[k]) for k in range(2)])


def best_response_curves(
    params: Any = None,
    *,
    n: int = 801,
    tie_break: str = "strong",
    ax: Sequence[Axes] | None = None,
) -> Figure:
    """The user's best response q*(s) on route 1, one panel per regime.

    The panel of the scenario's own regime uses its numbers; the other three keep V, p and c
    and move the latencies to t_i = V p_i (1 ∓ 1/2), i.e. ξ_i = ± V p_i / 2. The thresholds
    s0 (latency-value) and s_low < s_high (value-latency) are drawn as vertical lines; at the
    jump at s0 the filled dot is the response under the tie-breaking convention.

    Parameters
    ----------
    params : GameParams or Scenario, optional
        The game (default: scenario ``default``).
    n : int
        Points on the s axis.
    tie_break : {"strong", "weak"}
        Convention for the user's indifference (at s0).
    ax : sequence of 4 Axes, optional
        Draw into these (order: value-value, latency-latency, latency-value, value-latency).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from routegame import GameParams
    >>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    >>> fig = best_response_curves(g, n=50)
    >>> [a.get_title().split("\\n")[0] for a in fig.axes]  # doctest: +NORMALIZE_WHITESPACE
    ['value-value (scenario)', 'latency-latency', 'latency-value', 'value-latency']
    """
    g, units, name = _resolve(params)
    n = _check_n(n)
    check_tie_break(tie_break)
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10.5, 7.4), layout="constrained")
        axes = list(fig.subplots(2, 2, sharex=True, sharey=True).ravel())
    else:
        axes = list(ax)
        if len(axes) != 4:
            raise ParameterError("ax", f"must be 4 axes, got {len(axes)}")
        fig = axes[0].figure
    lat_u, _ = _units(units)
    xi = g.net_value()
    from routegame.closed_form import regime_code

    own = int(regime_code(xi[0], xi[1]))
    sol = solve_arrays(g.task_value, g.penalty, g.latency, g.cost, g.success_prob,
                       tie_break=tie_break)
    s = np.linspace(0.0, 1.0, n)
    for code, a in zip((0, 1, 2, 3), axes, strict=True):
        t = g.latency if code == own else _regime_latencies(g, code)
        s0, s_lo, s_hi = (float(v) for v in thresholds(g.task_value, t, g.success_prob))
        extra = [v for v in (s0, s_lo, s_hi) if not math.isnan(v)]
        eps = 1e-7
        ss = np.unique(np.clip(np.concatenate(
            [s] + [np.array([v - eps, v, v + eps]) for v in extra]), 0.0, 1.0))
        q = best_response(g.task_value, t, g.success_prob, 1, ss, cost=g.cost,
                          penalty=g.penalty, tie_break=tie_break).abandon
        # break the line at jumps so no false vertical segment is drawn
        jump = np.abs(np.diff(q)) > 0.5
        qs = q.astype(float).copy()
        xs = ss.copy()
        if jump.any():
            idx = np.flatnonzero(jump) + 1
            xs = np.insert(xs, idx, np.nan)
            qs = np.insert(qs, idx, np.nan)
        a.plot(xs, qs, color="black", lw=2.2, label="q*(s) on route 1")
        if not math.isnan(s0):
            q_at = float(best_response(g.task_value, t, g.success_prob, 1, s0, cost=g.cost,
                                       penalty=g.penalty, tie_break=tie_break).abandon)
            a.plot([s0], [q_at], "o", color="black", ms=7, zorder=5)
            a.plot([s0], [1.0 - q_at], "o", mfc="white", mec="black", ms=7, zorder=5)
        styles = (("s0", s0, ":"), ("s_low", s_lo, "--"), ("s_high", s_hi, "-."))
        for label, v, ls in styles:
            if math.isnan(v):
                continue
            a.axvline(v, color="0.35", ls=ls, lw=1.3)
            sym = {"s0": "$s_0$", "s_low": r"$s_\mathrm{low}$",
                   "s_high": r"$s_\mathrm{high}$"}[label]
            a.annotate(f"{sym} = {v:.3f}", xy=(v, 0.5), xytext=(4 if label != "s_low" else -4, 0),
                       textcoords="offset points", rotation=90, va="center",
                       ha="left" if label != "s_low" else "right", fontsize=8.5, color="0.2")
        if code == own and int(sol.route) == 1:
            a.plot([float(sol.cascade)], [float(sol.abandon)], marker="*", ms=16, mfc="white",
                   mec="black", mew=1.5, ls="none", zorder=6, clip_on=False,
                   label=f"provider's optimum s* = {float(sol.cascade):.3g}")
            a.legend(loc="best", fontsize=8, frameon=True)
        flat = {0: "q* = 0 for every s:\nthe user never abandons",
                1: "q* = 1 for every s:\nthe user leaves after the first failure"}
        if code in flat:
            a.text(0.5, 0.5, flat[code], ha="center", va="center", fontsize=9.5, color="0.25",
                   transform=a.transAxes)
        x1 = g.task_value * g.success_prob[0] - t[0]
        x2 = g.task_value * g.success_prob[1] - t[1]
        head = REGIMES[code] + (" (scenario)" if code == own else "")
        a.set_title(f"{head}\nt = ({_fmt(t[0])}, {_fmt(t[1])}) {lat_u}:  "
                    f"ξ₁ = {_fmt(x1)}, ξ₂ = {_fmt(x2)}", fontsize=10,
                    fontweight="bold" if code == own else "normal")
        a.set_xlim(0.0, 1.0)
        a.set_ylim(-0.06, 1.06)
        a.grid(True, color="0.88", lw=0.6)
        a.set_xlabel("cascade probability s (failed M1 pass → M2)")
        a.set_ylabel("user's abandon probability q*")
        a.label_outer()
    fig.suptitle(
        f"User's best response on route 1 ({tie_break} tie-breaking), scenario '{name}': "
        f"V = {_fmt(g.task_value)}, p = ({_fmt(g.success_prob[0])}, {_fmt(g.success_prob[1])})",
        fontsize=11)
    return fig


# ---------------------------------------------------------------------------------------------
# 3. policy map


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


# ---------------------------------------------------------------------------------------------
# 4./5. heat maps


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


# ---------------------------------------------------------------------------------------------
# 6. decision guideline


class _Box:
    def __init__(self, x: float, text: str, width: float, on_path: bool, wrap: int) -> None:
        self.x, self.width, self.on_path = x, width, on_path
        self.lines: list[str] = []
        for para in text.split("\n"):
            self.lines += textwrap.wrap(para, wrap, break_on_hyphens=False) or [""]
        self.y = 0.0  # top edge, set by the layout

    def height(self, line_h: float) -> float:
        return len(self.lines) * line_h + 0.22


def _candidate_costs(g: GameParams, sol: dict[str, Any], tie_break: str) -> str:
    """"J: (1, 0) 3.9 · (1, s₀) 3.88 · ..." for the candidate policies of the game's regime."""
    from routegame.game import TwoModelGame

    game = TwoModelGame(g)
    th = sol["thresholds"]
    cands: list[tuple[str, int, float]] = [("(1,\u00a00)", 1, 0.0)]
    for key, sym in (("s0", "s₀"), ("s_low", "s_low"), ("s_high", "s_high")):
        if th.get(key) is not None:
            cands.append((f"(1,\u00a0{sym})", 1, float(th[key])))
    eq = sol["equilibrium"]
    if eq["route"] == 1 and all(abs(eq["cascade"] - v) > 1e-9 for _, _, v in cands) \
            and 0 < eq["cascade"] < 1:
        cands.append((f"(1,\u00a0{eq['cascade']:.3g})", 1, float(eq["cascade"])))
    cands += [("(1,\u00a01)", 1, 1.0), ("(2,\u00a00)", 2, 0.0)]
    parts = []
    for label, route, cascade in cands:
        q = game.best_response(route, cascade, tie_break)["abandon"]  # type: ignore[arg-type]
        J = game.outcomes(route, cascade, q)["provider_cost"]
        parts.append(f"{label}\u00a0{J:.4g}")
    return "J at the user's response: " + ", ".join(parts)


def _guideline_boxes(g: GameParams, sol: dict[str, Any], tie_break: str) -> dict[str, Any]:
    """Texts of the decision tree for one game (all four branches; the game's own marked)."""
    V, P = g.task_value, g.penalty
    t, c, p = g.latency, g.cost, g.success_prob
    xi1, xi2 = sol["net_value"]
    regime = sol["regime"]
    th = sol["thresholds"]
    cpp = c / p
    bar = (c[1] - c[0]) / (p[1] - p[0]) if p[1] != p[0] else math.inf
    eq = sol["equilibrium"]

    def thr(key: str, formula: str) -> str:
        v = th.get(key)
        return f"{formula} = {v:.3g}" if v is not None else formula

    root = (f"Is M1 worth its wait?\nξ₁ = V·p₁ - t₁ = {_fmt(V)}·{_fmt(p[0])} - {_fmt(t[0])}"
            f" = {_fmt(xi1)}")
    q2 = f"Is M2 worth its wait?\nξ₂ = V·p₂ - t₂ = {_fmt(V)}·{_fmt(p[1])} - {_fmt(t[1])} = {_fmt(xi2)}"
    regimes = {
        "value-value": "VALUE-VALUE\nThe user never abandons, whatever the policy.",
        "value-latency": (
            "VALUE-LATENCY\nOn route 1 the user stays while s\u00a0≤\u00a0"
            + thr("s_low", "s_low") + ", mixes up to " + thr("s_high", "s_high")
            + ", leaves after the first failure beyond; on M2 leaves after one failure."),
        "latency-value": (
            "LATENCY-VALUE\nOn route 1 the user stays only if s\u00a0>\u00a0"
            + thr("s0", "s₀ = -ξ₁/(ξ₂/p₂ - ξ₁)") + "; on M2 never abandons."),
        "latency-latency": "LATENCY-LATENCY\nThe user leaves after the first failure, whatever "
                           "the policy.",
    }
    vv_pick = "M1" if cpp[0] <= cpp[1] else "M2"
    ll_pick = "M2" if bar < P else "M1"
    rules = {
        "value-value": (f"Provider: the lower cost per success, no cascade.\nc₁/p₁ = "
                        f"{_fmt(cpp[0])} vs c₂/p₂ = {_fmt(cpp[1])} → {vv_pick} only"),
        "value-latency": ("Provider: compare M1 with s\u00a0≤\u00a0s_low (user stays), a cascade in the "
                          "mixed band, and M2 only: the cheapest J wins."),
        "latency-value": ("Provider: compare M1 only (user leaves), M1 with s\u00a0=\u00a0s₀ (user "
                          "stays), M1 then M2, and M2 only: the cheapest J wins."),
        "latency-latency": (f"Provider: M2 only if P\u00a0>\u00a0(c₂-c₁)/(p₂-p₁), else M1 only; no "
                            f"cascade.\nP = {_fmt(P)} vs {_fmt(bar)} → {ll_pick} only"),
    }
    if regime in ("value-latency", "latency-value"):
        rules[regime] += "\n" + _candidate_costs(g, sol, tie_break)
    if eq["route"] == 2:
        policy = "route every task to M2"
    elif eq["cascade"] == 0:
        policy = "route to M1, no cascade (s* = 0)"
    elif eq["cascade"] == 1:
        policy = "route to M1, send every re-prompt to M2 (s* = 1)"
    else:
        policy = f"route to M1, cascade with s* = {eq['cascade']:.3g}"
    q = eq["abandon"]
    stay = ("the user never abandons" if q == 0 else "the user abandons after the first failure"
            if q == 1 else f"the user abandons after a failure with probability {q:.3g}")
    pref = sol["user_preferred"]
    pref_txt = ("M2" if pref["route"] == 2 else
                "M1 then M2" if pref["cascade"] == 1 else "M1 only")
    thr_txt = sol["throttling"]
    if thr_txt["pays"]:
        gain = eq["provider_cost"] - thr_txt["provider_cost"]
        lat = thr_txt["latency"]
        throttle = (f"Throttling PAYS: raising latencies to ({lat[0]:.3g}, {lat[1]:.3g}) cuts "
                    f"the provider's cost by {gain:.3g} and the user's utility by "
                    f"{eq['user_utility'] - thr_txt['user_utility']:.3g}.")
    else:
        throttle = "Throttling does not pay."
    result = (f"EQUILIBRIUM (exact): {policy}; {stay}. Provider cost J* = "
              f"{eq['provider_cost']:.4g}, user utility U* = {eq['user_utility']:.4g}.\n"
              f"User would prefer: {pref_txt} (U = {pref['user_utility']:.4g}); misalignment gap "
              f"ΔU = {sol['misalignment_gap']:.4g}. {throttle}")
    note = None
    if regime == "value-value" and (eq["route"] == 1) != (vv_pick == "M1"):
        note = "The exact equilibrium differs from the rule here (ties or assumptions)."
    if regime == "latency-latency" and (eq["route"] == 1) != (ll_pick == "M1"):
        note = ("The exact equilibrium differs from the Theorem 3 rule here: "
                + (", ".join(g.standing_assumptions()) + " fails" if g.standing_assumptions()
                   else "a tie"))
    if note:
        result += "\n" + note
    return {"root": root, "q2": q2, "regimes": regimes, "rules": rules, "result": result,
            "regime": regime, "xi": (xi1, xi2)}


def decision_guideline(
    params: Any = None,
    *,
    tie_break: str = "strong",
    ax: Axes | None = None,
) -> Figure:
    """The paper's decision guideline as a decision tree, the scenario's path highlighted.

    Two questions (is ξ_1 > 0? is ξ_2 > 0?) select the regime; the regime fixes how the user
    reacts to the cascade and which comparison decides the provider's policy. Boxes and arrows
    on the scenario's path are bold with black borders (grey elsewhere); the bottom box gives
    the exact equilibrium, the user-preferred policy, the misalignment gap and the throttling
    verdict with the scenario's own numbers. Designed for its default size (13 × 8.6 in).

    Parameters
    ----------
    params : GameParams or Scenario, optional
        The game (default: scenario ``default``).
    tie_break : {"strong", "weak"}
        Stackelberg convention of the equilibrium shown.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its axis is switched off).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = decision_guideline()
    >>> fig.axes[0].get_title()
    "Decision guideline for scenario 'default'"
    """
    from matplotlib.patches import FancyBboxPatch

    from routegame.game import TwoModelGame

    g, _, name = _resolve(params)
    check_tie_break(tie_break)
    sol = TwoModelGame(g).solve("weak" if tie_break == "weak" else "strong").to_dict()
    T = _guideline_boxes(g, sol, tie_break)
    W = 13.0
    fs = 9.0
    line_h = fs * 1.32 / 72.0
    bw = 3.05
    gap_x = (W - 0.3 - 4 * bw) / 3
    cols = [0.15 + bw / 2 + k * (bw + gap_x) for k in range(4)]
    order = ["value-value", "value-latency", "latency-value", "latency-latency"]
    regime = T["regime"]
    xi1, _ = T["xi"]
    left = xi1 > 0
    wrap = 40
    root = _Box(W / 2, T["root"], 4.2, True, 56)
    mid = [_Box((cols[0] + cols[1]) / 2, T["q2"], 4.2, left, 56),
           _Box((cols[2] + cols[3]) / 2, T["q2"], 4.2, (not left) and xi1 != 0, 56)]
    reg = [_Box(cols[k], T["regimes"][r], bw, r == regime, wrap) for k, r in enumerate(order)]
    rul = [_Box(cols[k], T["rules"][r], bw, r == regime, wrap) for k, r in enumerate(order)]
    res = _Box(W / 2, T["result"], W - 0.4, True, 160)
    rows = [[root], mid, reg, rul, [res]]
    gaps = [0.55, 0.55, 0.4, 0.45]
    y = -0.25
    for r, row in enumerate(rows):
        for b in row:
            b.y = y
        y -= max(b.height(line_h) for b in row) + (gaps[r] if r < len(gaps) else 0.0)
    H = -y + 0.15
    fig, ax = _new_axes(ax, (W, H + 0.45))
    ax.set_xlim(0, W)
    ax.set_ylim(-H, 0)
    ax.axis("off")

    def draw(b: _Box) -> None:
        h = b.height(line_h)
        ax.add_patch(FancyBboxPatch(
            (b.x - b.width / 2, b.y - h), b.width, h, boxstyle="round,pad=0,rounding_size=0.08",
            fc="#fff3c4" if b.on_path else "#f4f4f4", ec="black" if b.on_path else "0.65",
            lw=2.2 if b.on_path else 0.8, zorder=2))
        ax.text(b.x, b.y - h / 2, "\n".join(b.lines), ha="center", va="center", fontsize=fs,
                color="black" if b.on_path else "0.42", linespacing=1.32, zorder=3)

    def arrow(a: _Box, b: _Box, label: str | None = None) -> None:
        on = a.on_path and b.on_path
        x0, y0 = a.x, a.y - a.height(line_h)
        x1, y1 = b.x, b.y
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "lw": 2.4 if on else 0.9,
                                "color": "black" if on else "0.6", "shrinkA": 0, "shrinkB": 1},
                    zorder=1)
        if label:
            ax.text(x0 + 0.55 * (x1 - x0), y0 + 0.55 * (y1 - y0) + 0.06, label, ha="center",
                    va="bottom", fontsize=fs + 0.5, color="black" if on else "0.5",
                    fontweight="bold" if on else "normal", zorder=4,
                    bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"})

    for b in [root, *mid, *reg, *rul, res]:
        draw(b)
    arrow(root, mid[0], "yes: ξ₁ > 0")
    arrow(root, mid[1], "no: ξ₁ < 0")
    for k in range(4):
        parent = mid[0] if k < 2 else mid[1]
        arrow(parent, reg[k], "yes: ξ₂ > 0" if k % 2 == 0 else "no: ξ₂ < 0")
        arrow(reg[k], rul[k])
    own = [k for k, r in enumerate(order) if r == regime]
    if own:
        arrow(rul[own[0]], res)
    else:
        ax.text(W / 2, res.y + 0.08, "knife edge (ξ₁ = 0 or ξ₂ = 0): the user is indifferent "
                "and the tie-breaking convention decides", ha="center", va="bottom", fontsize=fs)
    ax.set_title(f"Decision guideline for scenario '{name}'", fontsize=12)
    return fig


# ---------------------------------------------------------------------------------------------
# registry and saving

#: Figure functions by the name used in ``routegame plot KIND``.
FIGURES: dict[str, Callable[..., Figure]] = {
    "regime-map": regime_map,
    "best-response-curves": best_response_curves,
    "policy-map": policy_map,
    "misalignment-map": misalignment_map,
    "throttling-map": throttling_map,
    "decision-guideline": decision_guideline,
}

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def save_figure(fig: Figure, path: Any, *, dpi: int = 150, fmt: str | None = None) -> None:
    """Save ``fig`` reproducibly (no timestamps in SVG/PDF); format from the suffix or ``fmt``.

    ``path`` is a file name (``.png``, ``.svg`` or ``.pdf``) or, with ``fmt``, a binary
    file object.

    Examples
    --------
    >>> import matplotlib, pathlib, tempfile
    >>> matplotlib.use("Agg")
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.svg"
    >>> save_figure(regime_map(n=10), f)
    >>> f.read_text()[:5]
    '<?xml'
    """
    import os

    import matplotlib as mpl

    if fmt is None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        fmt = _FORMATS.get(suffix)
    if fmt not in _FORMATS.values():
        raise ParameterError("--out", f"must end in .png, .svg or .pdf, got {path!s}")
    meta: dict[str, Any] = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[
        str(fmt)]
    with mpl.rc_context({"svg.hashsalt": "routegame"}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=meta)
