"""The decision guideline: the threshold rules laid out as a tree of text boxes (the box-layout
engine), with the scenario's path in bold.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

from routegame.params import GameParams, check_tie_break

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from routegame.plot.plane import _fmt, _new_axes, _resolve

__all__ = ['decision_guideline']


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
