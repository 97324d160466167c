"""The user's best-response curves q*(s) in each regime.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.closed_form import REGIMES, best_response, solve_arrays, thresholds
from routegame.errors import ParameterError
from routegame.params import GameParams, check_tie_break

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from routegame.plot.plane import _check_n, _fmt, _resolve, _units

__all__ = ['best_response_curves']


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
