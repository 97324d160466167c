"""Parameter planes: axes, ranges, the grid of games (built by the sweep's grid builder) and the
drawing helpers every map shares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.closed_form import solve_arrays
from routegame.errors import ParameterError
from routegame.params import TWO_MODEL_FIELDS, GameParams

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from routegame.closed_form import TwoModelSolution


__all__ = ['AXES', 'POLICIES']


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


_REGIME_SHADE = {0: 0.95, 3: 0.68, 2: 0.42, 1: 0.12}


_REGIME_HATCH = {0: "", 3: "//", 2: "\\\\", 1: "xx"}


_POLICY_SHADE = {0: 0.97, 3: 0.7, 1: 0.5, 4: 0.3, 2: 0.06}


_POLICY_HATCH = {0: "", 1: "//", 2: "\\\\", 3: "xx", 4: ".."}


_MAX_N = 2000


_NO_REGIME = frozenset({"penalty", "cost_1", "cost_2", "cost_ratio"})  # axes the regime ignores


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
