"""Tests of the figures (routegame.plot) and of ``routegame plot KIND``.

The maps are checked cell by cell against games solved one at a time with ``TwoModelGame``
(built here from the axes' own coordinates), and the regimes, thresholds and rules against
formulas written out in the tests, so a wrong grid, axis mapping or colour would fail.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from routegame import GameParams, ParameterError, TwoModelGame  # noqa: E402
from routegame import plot as rp  # noqa: E402

# latency-value game whose equilibrium is a threshold cascade (s* = s0)
LV = GameParams.two_model(10, 20, latency=[4, 5], cost=[1, 4], success_prob=[0.3, 0.8])
# value-latency game (a mixed band s_low < s < s_high)
VL = GameParams.two_model(10, 1, latency=[1, 9], cost=[1, 4], success_prob=[0.3, 0.8])
N = 13


def _centres(ax, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of an n x n map from the axes limits (the plotted range).

    Also checks that the image is drawn with row 0 at the bottom and cell (i, j) centred on
    (x_j, y_i), so that the array read back by the tests is what the reader sees.
    """
    xs, ys = np.linspace(*ax.get_xlim(), n), np.linspace(*ax.get_ylim(), n)
    im = ax.images[0]
    assert im.origin == "lower"
    dx, dy = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    assert im.get_extent() == pytest.approx([xs[0] - dx, xs[-1] + dx, ys[0] - dy, ys[-1] + dy])
    assert np.shape(im.get_array())[:2] == (n, n)
    return xs, ys


def _cell_params(g: GameParams, x: str, y: str, xv: float, yv: float) -> GameParams:
    """The game of one cell, built field by field (independent of the plotting code)."""
    d = {"task_value": g.task_value, "penalty": g.penalty, "latency": list(g.latency),
         "cost": list(g.cost), "success_prob": list(g.success_prob)}
    ratios = {}
    for name, v in ((x, xv), (y, yv)):
        if name in ("task_value", "penalty"):
            d[name] = v
        elif name.endswith("_ratio"):
            ratios[name] = v
        else:
            field, k = name.rsplit("_", 1)
            d[field][int(k) - 1] = v
    if "latency_ratio" in ratios:
        d["latency"][1] = d["latency"][0] * ratios["latency_ratio"]
    if "cost_ratio" in ratios:
        d["cost"][1] = d["cost"][0] * ratios["cost_ratio"]
    return GameParams.two_model(d["task_value"], d["penalty"], d["latency"], d["cost"],
                                d["success_prob"])


def _legend_colours(ax) -> dict[str, tuple[float, float, float]]:
    leg = ax.get_legend()
    out = {}
    for h, t in zip(leg.legend_handles, leg.get_texts(), strict=True):
        if hasattr(h, "get_facecolor") and h.get_hatch() is not None:
            out[t.get_text()] = tuple(np.round(h.get_facecolor()[:3], 6))
    return out


def _decode(ax, n: int) -> np.ndarray:
    """Category label of every cell, decoded from the image colours through the legend."""
    img = np.asarray(ax.images[0].get_array())[..., :3]
    colours = _legend_colours(ax)
    inv = {v: k for k, v in colours.items()}
    assert len(inv) == len(colours), "two categories share a colour"
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = inv[tuple(np.round(img[i, j], 6))]
    return out


def _star(ax) -> tuple[float, float]:
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert stars, "the scenario's point is not marked"
    return float(stars[0].get_xdata()[0]), float(stars[0].get_ydata()[0])


# ---------------------------------------------------------------------------------------------
# regime map


def test_regime_map_cells_axes_and_point() -> None:
    fig = rp.regime_map(LV, n=N)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "latency t₁ of M1 (latency units)"
    assert ax.get_ylabel() == "latency t₂ of M2 (latency units)"
    assert "worth its wait" in ax.get_title()
    xs, ys = _centres(ax, N)
    labels = _decode(ax, N)
    V, p = LV.task_value, LV.success_prob
    for i, t2 in enumerate(ys):
        for j, t1 in enumerate(xs):
            xi1, xi2 = V * p[0] - t1, V * p[1] - t2
            want = ("value-value" if xi1 > 0 and xi2 > 0 else "latency-latency"
                    if xi1 < 0 and xi2 < 0 else "latency-value" if xi1 < 0 else "value-latency")
            assert labels[i, j].startswith(want + ":"), (t1, t2, labels[i, j])
    assert _star(ax) == (4.0, 5.0)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("ξ₁" in t and "= 0" in t for t in texts)
    assert any("ξ₂" in t and "= 0" in t for t in texts)
    # the default range holds the scenario and both sign boundaries (t_i = V p_i)
    assert ax.get_xlim()[0] < V * p[0] < ax.get_xlim()[1]
    assert ax.get_ylim()[0] < V * p[1] < ax.get_ylim()[1]


def test_regime_map_other_plane_and_ranges() -> None:
    fig = rp.regime_map(LV, x="task_value", y="latency_ratio", x_range=(1, 30),
                        y_range=(0.5, 3), n=N)
    ax = fig.axes[0]
    assert ax.get_xlim() == (1, 30)
    assert ax.get_ylim() == (0.5, 3)
    assert ax.get_xlabel() == "task value V (latency units)"
    assert ax.get_ylabel() == "latency ratio t₂/t₁ (t₁ fixed)"
    assert _star(ax) == (10.0, 1.25)
    labels = _decode(ax, N)
    xs, ys = _centres(ax, N)
    t1, (p1, p2) = LV.latency[0], LV.success_prob
    for i, r in enumerate(ys):
        for j, V in enumerate(xs):
            xi1, xi2 = V * p1 - t1, V * p2 - r * t1
            if abs(xi1) < 1e-9 or abs(xi2) < 1e-9:
                continue
            assert labels[i, j].split(":")[0] == (
                ("value" if xi1 > 0 else "latency") + "-" + ("value" if xi2 > 0 else "latency"))


def test_units_label_the_axes() -> None:
    from routegame.scenarios import scenario_from_dict

    sc = scenario_from_dict({"task_value": 10, "penalty": 4, "latency": [1, 5], "cost": [1, 4],
                             "success_prob": [0.3, 0.75], "units": {"latency": "s",
                                                                     "cost": "USD"}})
    ax = rp.throttling_map(sc, n=8).axes[0]
    assert ax.get_xlabel() == "task value V (s)"
    assert ax.get_ylabel() == "churn penalty P (USD)"


# ---------------------------------------------------------------------------------------------
# best-response curves


def _panels(fig) -> dict[str, object]:
    return {a.get_title().split("\n")[0].split(" ")[0]: a for a in fig.axes}


def _curve(ax) -> tuple[np.ndarray, np.ndarray]:
    line = next(ln for ln in ax.lines if ln.get_label() == "q*(s) on route 1")
    s = np.asarray(line.get_xdata(), dtype=float)
    q = np.asarray(line.get_ydata(), dtype=float)
    keep = ~np.isnan(s)
    return s[keep], q[keep]


def _vlines(ax) -> list[float]:
    return sorted(float(ln.get_xdata()[0]) for ln in ax.lines
                  if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1])


def test_best_response_curves_follow_the_theorems() -> None:
    fig = rp.best_response_curves(LV, n=201)
    panels = _panels(fig)
    assert set(panels) == {"value-value", "latency-latency", "latency-value", "value-latency"}
    assert "(scenario)" in panels["latency-value"].get_title()
    for a in fig.axes:
        assert a.get_xlim() == (0.0, 1.0)
    assert fig.axes[2].get_xlabel() == "cascade probability s (failed M1 pass → M2)"
    assert fig.axes[0].get_ylabel() == "user's abandon probability q*"
    V, p1, p2 = LV.task_value, *LV.success_prob

    # scenario's own panel: the single threshold s0 = -ξ1 / (ξ2/p2 - ξ1) (Theorem 1)
    xi1, xi2 = V * p1 - 4, V * p2 - 5
    s0 = -xi1 / (xi2 / p2 - xi1)
    ax = panels["latency-value"]
    assert _vlines(ax) == pytest.approx([s0], abs=1e-12)
    s, q = _curve(ax)
    assert np.all(q[s < s0 - 1e-6] == 1.0)
    assert np.all(q[s > s0 + 1e-6] == 0.0)
    assert _star(ax) == pytest.approx((s0, 0.0), abs=1e-6)  # the equilibrium s* = s0

    # the other panels use t_i = V p_i (1 - sign/2), i.e. ξ_i = ±V p_i / 2 (documented)
    for name in ("value-value", "latency-latency"):
        _, q = _curve(panels[name])
        assert np.all(q == (0.0 if name == "value-value" else 1.0))
        assert _vlines(panels[name]) == []
    xi1, xi2 = V * p1 / 2, -V * p2 / 2
    s_high = xi1 / (xi1 - xi2)
    ax = panels["value-latency"]
    lines = _vlines(ax)
    assert len(lines) == 2
    assert lines[1] == pytest.approx(s_high, abs=1e-12)
    s_low = lines[0]
    s, q = _curve(ax)
    assert 0 < s_low < s_high
    assert np.all(q[s < s_low - 1e-6] == 0.0)
    assert np.all(q[s > s_high + 1e-6] == 1.0)
    band = q[(s > s_low + 1e-3) & (s < s_high - 1e-3)]
    assert band.size
    assert np.all((band > 0) & (band < 1))
    assert np.all(np.diff(q) >= -1e-9)  # q* rises with the cascade
    xi1, xi2 = -V * p1 / 2, V * p2 / 2
    assert _vlines(panels["latency-value"]) != [-xi1 / (xi2 / p2 - xi1)]  # own numbers, not these


def test_best_response_curves_into_given_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 4).ravel()
    assert rp.best_response_curves(VL, n=21, ax=list(axes)) is fig
    with pytest.raises(ParameterError, match=r"^ax: must be 4 axes"):
        rp.best_response_curves(VL, ax=list(axes)[:2])


# ---------------------------------------------------------------------------------------------
# policy map


def _policy_label(eq: dict) -> str:
    """The category of an equilibrium, from the spec's names (not from routegame.plot)."""
    if eq["route"] == 2:
        return "M2 only"
    if eq["cascade"] == 0:
        return "M1 only"
    if eq["cascade"] == 1:
        return "M1 then M2"
    if 0 < eq["abandon"] < 1:
        return "cascade, user mixes"
    return "threshold cascade"


@pytest.mark.parametrize(("g", "x", "y"), [
    (LV, "task_value", "latency_ratio"),
    (LV, "cost_ratio", "penalty"),
    (VL, "cost_2", "penalty"),
])
def test_policy_map_matches_games_solved_one_by_one(g: GameParams, x: str, y: str) -> None:
    fig = rp.policy_map(g, x=x, y=y, n=N)
    ax = fig.axes[0]
    assert ax.get_title() == "Provider's optimal policy (strong Stackelberg)"
    labels = _decode(ax, N)
    xs, ys = _centres(ax, N)
    seen = set()
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            eq = TwoModelGame(_cell_params(g, x, y, xv, yv)).solve()["equilibrium"]
            want = _policy_label(eq)
            seen.add(want)
            assert labels[i, j].split(":")[0] == want, (xv, yv, labels[i, j], eq)
    assert len(seen) >= 2  # the plane shows a boundary


def test_policy_map_draws_theorem3_rule_in_latency_latency() -> None:
    g = GameParams.two_model(10, 0.5, latency=[64, 182], cost=[0.0024, 0.0036],
                             success_prob=[0.387, 0.396])  # both latency-dominated
    ax = rp.policy_map(g, x="penalty", y="cost_ratio", n=N).axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("Thm 3 (latency-latency)") for t in texts)
    # the exact boundary is that rule: M2 iff P (p2 - p1) > c2 - c1
    labels = _decode(ax, N)
    xs, ys = _centres(ax, N)
    c1, (p1, p2) = g.cost[0], g.success_prob
    for i, r in enumerate(ys):
        for j, P in enumerate(xs):
            margin = P * (p2 - p1) - (c1 * r - c1)
            if abs(margin) > 1e-9:
                assert labels[i, j].startswith("M2 only" if margin > 0 else "M1 only")


def test_policy_code_categories() -> None:
    codes = rp.policy_code([1, 1, 2, 1, 1, 2], [0, 1, 0, 0.3, 0.3, 0.7], [0, 1, 1, 0, 0.5, 0])
    assert [rp.POLICIES[k].split("  ")[0] for k in codes] == [
        "M1 only", "M1 then M2", "M2 only", "threshold cascade", "cascade, user mixes", "M2 only"]


# ---------------------------------------------------------------------------------------------
# heat maps


def test_misalignment_map_values() -> None:
    ax = rp.misalignment_map(LV, n=N).axes[0]
    assert ax.get_title().startswith("Misalignment gap ΔU")
    assert ax.get_xlabel() == "latency ratio t₂/t₁ (t₁ fixed)"
    assert ax.get_ylabel() == "cost ratio c₂/c₁ (c₁ fixed)"
    data = ax.images[0].get_array()
    xs, ys = _centres(ax, N)
    n_pos = 0
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            sol = TwoModelGame(_cell_params(LV, "latency_ratio", "cost_ratio", xv, yv)).solve()
            gap = sol["misalignment_gap"]
            want = sol["user_preferred"]["user_utility"] - sol["equilibrium"]["user_utility"]
            assert gap == pytest.approx(max(want, 0.0), abs=1e-9)
            if np.ma.is_masked(data[i, j]):
                assert gap <= 1e-9
            else:
                n_pos += 1
                assert float(data[i, j]) == pytest.approx(gap, rel=1e-12, abs=1e-12)
    assert 0 < n_pos < N * N
    assert _star(ax) == (1.25, 4.0)
    assert fig_has_colorbar(ax)


def fig_has_colorbar(ax) -> bool:
    return any(a is not ax and a.get_ylabel().startswith(("misalignment", "gain"))
               for a in ax.figure.axes)


def test_throttling_map_values_and_paper_boundary() -> None:
    g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    ax = rp.throttling_map(g, n=N).axes[0]
    assert ax.get_title() == "Throttling: provider's gain from raising latencies"
    assert ax.get_xlabel() == "task value V (latency units)"
    assert ax.get_ylabel() == "churn penalty P (cost units)"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "paper: P = min(c₁/p₁, c₂/p₂)" in texts
    data = ax.images[0].get_array()
    xs, ys = _centres(ax, N)
    pays = 0
    for i, P in enumerate(ys):
        for j, V in enumerate(xs):
            sol = TwoModelGame(_cell_params(g, "task_value", "penalty", V, P)).solve()
            th = sol["throttling"]
            if th["pays"]:
                pays += 1
                gain = sol["equilibrium"]["provider_cost"] - th["provider_cost"]
                assert gain > 0
                assert float(data[i, j]) == pytest.approx(gain, rel=1e-12, abs=1e-12)
            else:
                assert np.ma.is_masked(data[i, j])
    assert 0 < pays < N * N
    assert fig_has_colorbar(ax)


def test_throttling_map_says_when_paper_boundary_is_out_of_view() -> None:
    g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    ax = rp.throttling_map(g, x="latency_1", y="latency_2", n=8).axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("fails on the whole plane" in t for t in texts)  # P = 4 > min c/p = 3.33


# ---------------------------------------------------------------------------------------------
# decision guideline


@pytest.mark.parametrize("g", [LV, VL])
def test_decision_guideline_highlights_the_scenario_path(g: GameParams) -> None:
    fig = rp.decision_guideline(g)
    ax = fig.axes[0]
    assert ax.get_title() == "Decision guideline for scenario 'custom'"
    game = TwoModelGame(g)
    sol = game.solve()
    bold = [t.get_text() for t in ax.texts if t.get_color() == "black"]
    faint = [t.get_text() for t in ax.texts if t.get_color() != "black"]
    regime = game.regime.upper()
    assert any(t.startswith(regime) for t in bold)
    assert not any(t.startswith(regime) for t in faint)
    heads = ("VALUE-VALUE", "VALUE-LATENCY", "LATENCY-VALUE", "LATENCY-LATENCY")
    assert sum(any(t.startswith(h) for t in bold) for h in heads) == 1
    result = next(t for t in bold if t.startswith("EQUILIBRIUM"))
    eq = sol["equilibrium"]
    assert f"J* = {eq['provider_cost']:.4g}" in result
    assert f"U* = {eq['user_utility']:.4g}" in result
    assert f"ΔU = {sol['misalignment_gap']:.4g}" in result
    xi1 = g.task_value * g.success_prob[0] - g.latency[0]
    assert any(f"= {xi1:.3g}" in t for t in bold)  # the root question with its own number


def test_decision_guideline_default_scenario() -> None:
    fig = rp.decision_guideline()
    assert fig.axes[0].get_title() == "Decision guideline for scenario 'default'"


# ---------------------------------------------------------------------------------------------
# errors and saving


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"x": "nope"}, "^x: must be one of task_value"),
    ({"x": "latency_1", "y": "latency_1"}, "^y: must differ from x"),
    ({"x": "latency_2", "y": "latency_ratio"}, "^y: latency_2 and latency_ratio"),
    ({"x_range": (2, 1)}, r"^x_range: must be finite with low < high"),
    ({"x_range": (0, 1)}, r"^x_range: latency_1 must be > 0"),
    ({"x": "success_prob_1", "x_range": (0.1, 1.0)}, r"^x_range: success_prob_1 must be in \(0, 1\)"),
    ({"y_range": "ab"}, "^y_range: must be two numbers"),
    ({"n": 1}, r"^n: must be an integer in \[2, 2000\]"),
    ({"n": 2.5}, r"^n: must be an integer"),
])
def test_map_argument_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        rp.regime_map(LV, **kwargs)


def test_regime_map_refuses_a_plane_the_regime_ignores() -> None:
    with pytest.raises(ParameterError, match=r"^y: the regime depends only on .* one colour"):
        rp.regime_map(LV, x="penalty", y="cost_1", n=4)


def test_other_errors() -> None:
    three = GameParams.from_lists(10, 1, [1, 2, 3], [1, 2, 3], [0.2, 0.4, 0.6])
    for f in rp.FIGURES.values():
        with pytest.raises(ParameterError, match=r"^params: the figures are for two-model games"):
            f(three)
    with pytest.raises(ParameterError, match=r"^tie_break: must be 'strong' or 'weak'"):
        rp.policy_map(LV, tie_break="medium", n=4)
    with pytest.raises(ParameterError, match=r"^params: must be GameParams or a Scenario"):
        rp.regime_map({"task_value": 1})
    zero_c1 = GameParams.two_model(10, 1, [1, 2], [0, 1], [0.2, 0.5])
    with pytest.raises(ParameterError, match=r"^x: cost_ratio needs c1 > 0"):
        rp.policy_map(zero_c1, x="cost_ratio", y="penalty", n=4)


def test_draw_into_given_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert rp.policy_map(LV, n=6, ax=ax) is fig
    assert ax.get_title() == "Provider's optimal policy (strong Stackelberg)"


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"),
                                               (".pdf", b"%PDF")])
def test_save_figure_formats(tmp_path: Path, suffix: str, magic: bytes) -> None:
    from matplotlib.figure import Figure

    def small() -> Figure:
        fig = Figure(figsize=(2, 2))
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], label="a")
        ax.fill_between([0, 1], [0, 1], hatch="//", facecolor="none")
        return fig

    f = tmp_path / f"a{suffix}"
    rp.save_figure(small(), f)
    assert f.read_bytes().startswith(magic)
    if suffix != ".png":  # vector formats are reproducible (no dates, fixed ids)
        f2 = tmp_path / f"b{suffix}"
        rp.save_figure(small(), f2)
        assert f.read_bytes() == f2.read_bytes()


def test_save_figure_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"^--out: must end in \.png, \.svg or \.pdf"):
        rp.save_figure(rp.regime_map(LV, n=4), tmp_path / "a.jpg")


# ---------------------------------------------------------------------------------------------
# command line


@pytest.fixture(scope="module")
def cli():
    from typer.testing import CliRunner

    import routegame.cli.plot_cmd  # noqa: F401  (registers the command)
    from routegame.cli._app import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_plot_writes_each_kind(cli, tmp_path: Path) -> None:
    for kind in rp.FIGURES:
        out = tmp_path / f"{kind}.png"
        extra = ["--n", "6"] if kind != "decision-guideline" else []
        r = cli("plot", kind, "--out", str(out), "--dpi", "12", *extra)
        assert r.exit_code == 0, r.output
        assert r.stdout.strip() == f"wrote {out}"
        assert out.read_bytes().startswith(b"\x89PNG")
    r = cli("plot", "policy_map", "--config", str(_config(tmp_path)), "--out",
            str(tmp_path / "p.svg"), "--x", "task_value", "--y", "penalty", "--n", "5",
            "--x-range", "1", "20", "--tie-break", "weak")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "p.svg").read_bytes().startswith(b"<?xml")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def _config(tmp_path: Path) -> Path:
    f = tmp_path / "mine.toml"
    f.write_text("task_value = 10\npenalty = 4\nlatency = [1, 5]\ncost = [1, 4]\n"
                 "success_prob = [0.3, 0.75]\n")
    return f


@pytest.mark.parametrize(("args", "message"), [
    (["plot", "nope"], "error: KIND: must be one of regime-map"),
    (["plot", "regime-map", "--out", "{tmp}/a.jpg"], "error: --out: must end in .png"),
    (["plot", "regime-map", "--out", "{tmp}/no/a.png"], "error: --out: directory"),
    (["plot", "decision-guideline", "--x", "penalty", "--out", "{tmp}/a.png"],
     "error: --x: only for the maps"),
    (["plot", "policy-map", "--x", "nope", "--out", "{tmp}/a.png"], "error: --x: must be one of"),
    (["plot", "regime-map", "--n", "1", "--out", "{tmp}/a.png"], "error: --n: must be an integer"),
    (["plot", "regime-map", "--scenario", "nope", "--out", "{tmp}/a.png"],
     "error: scenario: unknown scenario 'nope'"),
    (["plot", "regime-map", "--scenario", "aider-openai-3-tier", "--out", "{tmp}/a.png"],
     "error: --models: the figures are of two-model games and aider-openai-3-tier has 3 models"),
    (["plot", "regime-map", "--scenario", "default", "--config", "x.toml"],
     "error: --scenario: give one of --scenario and --config"),
    (["plot", "regime-map", "--config", "{tmp}/missing.toml", "--out", "{tmp}/a.png"],
     "missing.toml: no such file"),
])
def test_cli_plot_errors(cli, tmp_path: Path, args: list[str], message: str) -> None:
    r = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_plot_refuses_to_overwrite(cli, tmp_path: Path) -> None:
    out = tmp_path / "r.png"
    out.write_bytes(b"keep")
    r = cli("plot", "regime-map", "--out", str(out), "--n", "4")
    assert r.exit_code == 2
    assert "exists; pass --overwrite" in r.stderr
    assert out.read_bytes() == b"keep"
    r = cli("plot", "regime-map", "--out", str(out), "--n", "4", "--overwrite", "--dpi", "12")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_default_ranges_hold_the_point_for_every_axis() -> None:
    for name in rp.AXES:
        # the regime ignores penalty and costs: pair those with task_value (else one colour)
        other = "task_value" if name in ("penalty", "cost_1", "cost_2", "cost_ratio") else "penalty"
        ax = rp.regime_map(LV, x=name, y=other, n=4).axes[0]
        x0, _ = _star(ax)
        lo, hi = ax.get_xlim()
        assert lo <= x0 <= hi, name
        assert math.isfinite(hi), name
