"""The explorer's page: Dash layout, callbacks and the export routes.

Everything numeric comes from :mod:`routegame.explore._model`; this module only lays it out.
Assets (Dash's scripts, plotly.js, the page's style) are served by the app itself.

Callbacks
---------
* ``_structure``: builds the input fields (V, P and t, c, p of each model) from the URL on first
  load, from a picked scenario, or when a model is added or removed.
* ``_sync``: keeps each field's text box and slider in step (one callback per field, MATCH).
* ``_hetero``: for a calibrated heterogeneous scenario, the real-data equilibrium beside the
  i.i.d. one (its own callback: the real-data engine may take a few tenths of a second).
* ``_update``: on every change, validates all fields (a bad one gets the CLI's message under it
  and the results keep the last valid game), then redraws the results, the plots and the
  sensitivity table, and writes the game into the URL and the export links.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from typing import Any

from routegame.errors import ParameterError
from routegame.explore import _model as rgm
from routegame.explore._state import ViewState, query_from_state, state_from_game, state_from_query
from routegame.params import TWO_MODEL_FIELDS

__all__ = ["DEFAULT_MAP_N", "build_outputs", "create_app", "hetero_outputs", "update_request"]

#: Grid points per axis of the policy map (the interaction budget is measured at this size).
DEFAULT_MAP_N = 61

_COLORS = [  # by policy class code (see _model.policy_class): route kind x user's answer
    "#1f77b4",
    "#6baed6",
    "#c6dbef",  # M2
    "#2ca02c",
    "#98df8a",
    "#d9f0d3",  # M1 no cascade
    "#ff7f0e",
    "#ffbb78",
    "#fdd0a2",  # M1 partial cascade
    "#9467bd",
    "#c5b0d5",
    "#e7d4f0",  # M1 full cascade
]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111;background:#fafafa}
.page{max-width:1500px;margin:0 auto;padding:0.6em 1.2em}
h1{font-size:1.55em;margin:.3em 0 .1em}h2{font-size:1.15em;margin:1.1em 0 .35em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:.9em 0 .3em}
.intro{color:#333;max-width:75em;margin:.2em 0 .6em;line-height:1.4}
.columns{display:flex;gap:1.4em;align-items:flex-start}
.inputs{flex:0 0 390px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.4em .9em .9em}
.results{flex:1 1 auto;min-width:0}
.row{margin:.35em 0 .5em}.row label{display:block;font-size:.88em;color:#222}
.row .range{color:#777;font-size:.85em}
.num-input{width:8em}.num-input input{width:7.5em;padding:2px 4px;font-size:.95em}
.num-input.bad input{border:2px solid #c00;background:#fff0f0}
.error{color:#b00;font-size:.85em;min-height:0}
.model{border-top:1px dashed #ccc;margin-top:.5em;padding-top:.3em}
.model-head{display:flex;gap:.5em;align-items:center}
.name-input{width:14em;font-size:.9em}
button{cursor:pointer}
.guideline{background:#fff6d6;border:2px solid #222;padding:.5em .9em;border-radius:4px;line-height:1.4}
.status{font-size:.9em;color:#555;margin:.2em 0}.status.bad{color:#b00;font-weight:600}
table.nums{border-collapse:collapse;margin:.3em 0;background:#fff}
table.nums td,table.nums th{border:1px solid #bbb;padding:.2em .55em;text-align:left;font-size:.92em}
table.nums th{background:#eee}table.nums td.n{font-variant-numeric:tabular-nums;text-align:right}
.cards{display:flex;gap:1em;flex-wrap:wrap}
.small{font-size:.85em;color:#555}.note{font-size:.88em;color:#7a4b00}
.export a{margin-right:1em}
code{background:#f0f0f0;padding:0 .2em;word-break:break-all}
"""


_INTRO = (
    "A provider answers a task with a cheap standard model M1 or a slow, costly reasoning model M2. After a "
    "failed answer the user re-prompts or abandons; the provider may cascade re-prompts to the other model. "
    "The provider minimises compute cost plus a churn penalty P when the user leaves; the user weighs the "
    "task value V against waiting. "
)
_INTRO_END = (
    "the equilibrium, the plots and the sensitivity table update at once. Latency and V share the time unit; "
    "cost and P share the cost unit."
)
_BR_HELP = (
    "For a policy that starts on M1 and sends a share s of re-prompts to M2, how likely is the user to leave "
    "after a failure? The dashed lines are the user's thresholds; the star is the equilibrium."
)
_MAP_HELP = (
    "Each cell is a game that differs from this one (star) in the two parameters of the axes; the colour is "
    "the provider-optimal policy and the user's answer there."
)
_SENS_HELP = (
    "The recommendation is the policy class shown in the map (route, cascade none / partial / full, and the "
    "user's answer). Each parameter is moved alone, the others held; the edges come from a scan refined by "
    "bisection."
)


# ---------------------------------------------------------------------------------------------
# small helpers


def _num(x: float | None, digits: int = 6) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}g}"


def _units(units: dict[str, str]) -> tuple[str, str]:
    return units.get("latency") or "time units", units.get("cost") or "cost units"


def _field_unit(field: str, units: dict[str, str]) -> str:
    lat, cost = _units(units)
    base = field.rsplit("_", 1)[0] if field[-1].isdigit() else field
    return {"task_value": lat, "penalty": cost, "latency": lat, "cost": cost}.get(base, "probability")


def _axis_title(field: str, units: dict[str, str]) -> str:
    base, _, k = field.rpartition("_") if field[-1].isdigit() else (field, "", "")
    sym, words = rgm.FIELD_LABELS[base]
    sym = f"{sym}{k}" if k else sym
    return f"{sym}: {words}{f' of M{k}' if k else ''} ({_field_unit(field, units)})"


def _slider_range(field: str, x: float | None) -> tuple[float, float, float]:
    if field == "success_prob":
        return 0.001, 0.999, 0.001
    hi = 4 * x if x and x > 0 else 10.0
    hi = float(f"{hi:.2g}")
    step = hi / 400
    lo = step if field in ("task_value", "latency") else 0.0
    return lo, hi, step


# ---------------------------------------------------------------------------------------------
# the input fields


def _param_row(field: str, model: int, text: str, units: dict[str, str]) -> Any:
    from dash import dcc, html

    from routegame.params import describe_range

    sym, words = rgm.FIELD_LABELS[field]
    sym = f"{sym}{model}" if model else sym
    unit = _field_unit(field, units)
    try:
        x: float | None = rgm.parse_number(text, field)
    except ParameterError:
        x = None
    lo, hi, step = _slider_range(field, x)
    ident = {"field": field, "model": model}
    return html.Div(
        className="row",
        children=[
            html.Label(
                [html.B(sym), f" {words} ", html.Span(f"({unit}, {describe_range(field)})", className="range")],
                htmlFor=f"in-{field}-{model}",
            ),
            dcc.Input(
                id={"type": "field", **ident},
                value=text,
                type="text",
                debounce=False,
                className=f"num-input field-{field}-{model}",
                autoComplete="off",
            ),
            dcc.Slider(
                id={"type": "slider", **ident},
                min=lo,
                max=hi,
                step=step,
                value=min(max(x, lo), hi) if x is not None else lo,
                marks=None,
                updatemode="mouseup",
                className=f"slider slider-{field}-{model}",
                allow_direct_input=False,
            ),
            html.Div(id={"type": "error", **ident}, className=f"error error-{field}-{model}"),
        ],
    )


def fields_children(state: ViewState) -> list[Any]:
    """The input fields of ``state`` (V, P, then one block per model)."""
    from dash import dcc, html

    units = state.units
    k = state.num_models
    out: list[Any] = [
        html.H3("The task and the provider"),
        _param_row("task_value", 0, state.values.get(("task_value", None), ""), units),
        _param_row("penalty", 0, state.values.get(("penalty", None), ""), units),
        html.H3("The models"),
        html.P(
            "Model 1 is the paper's standard model (fast, cheap, weak), model 2 the reasoning model; "
            "more models use the exact K-model engine.",
            className="small",
        ),
    ]
    for m in range(1, k + 1):
        name = state.names[m - 1] if m - 1 < len(state.names) else ""
        head = html.Div(
            className="model-head",
            children=[
                html.B(f"M{m}"),
                dcc.Input(
                    id={"type": "name", "model": m},
                    value=name,
                    type="text",
                    placeholder="name (optional)",
                    className=f"name-input name-{m}",
                ),
                html.Button(
                    "remove",
                    id={"type": "remove", "model": m},
                    n_clicks=0,
                    disabled=k <= 2,
                    className=f"remove remove-{m}",
                    title="Remove this model (at least two remain)",
                ),
            ],
        )
        rows = [_param_row(f, m, state.values.get((f, m), ""), units) for f in rgm.PER_MODEL]
        out.append(html.Div(className="model", children=[head, *rows]))
    return out


def _state_from_page(
    ids_values: list[dict[str, Any]],
    names: list[dict[str, Any]],
    tie: str,
    user: str,
    x: str,
    y: str,
    meta: dict[str, Any],
) -> ViewState:
    values: dict[tuple[str, int | None], str] = {}
    for item in ids_values:
        i = item["id"]
        values[i["field"], i["model"] or None] = "" if item.get("value") is None else str(item["value"])
    nm = [""] * max((m for (_, m) in values if m is not None), default=0)
    for item in names:
        j = item["id"]["model"]
        if 1 <= j <= len(nm):
            nm[j - 1] = item.get("value") or ""
    return ViewState(
        values=values,
        names=tuple(nm),
        tie_break=tie or "strong",
        user=user or "stationary",
        x_axis=x or "penalty",
        y_axis=y or "cost_2",
        units=dict(meta.get("units", {})),
        scenario=meta.get("scenario", ""),
    )


# ---------------------------------------------------------------------------------------------
# the results


def _policy_rows(prefix: str, v: rgm.PolicyView, cost_u: str, lat_u: str) -> list[Any]:
    from dash import html

    ab = v.abandon
    ab_text = _num(ab) if isinstance(ab, float) else ", ".join(_num(a) for a in ab)
    rows = [
        ("policy", v.words, "", "words"),
        ("route (first model)", "-" if v.route is None else f"M{v.route}", "", "route"),
        ("cascade s (share of re-prompts sent to M2)", _num(v.cascade), "", "cascade"),
        ("abandon q (user leaves after a failure)", ab_text, "probability", "abandon"),
        ("J: provider cost per task", _num(v.provider_cost), cost_u, "J"),
        ("U: user utility per task", _num(v.user_utility), lat_u, "U"),
        ("success probability S", _num(v.success), "probability", "success"),
    ]
    return [
        html.Tr([html.Td(a), html.Td(b, id=f"{prefix}-{key}", className="n"), html.Td(u, className="small")])
        for a, b, u, key in rows
    ]


def results_children(a: rgm.Analysis, units: dict[str, str]) -> list[Any]:
    """The guideline, the equilibrium and user-preferred tables, alignment and throttling."""
    from dash import html

    lat_u, cost_u = _units(units)
    eq_title = "Equilibrium (the provider's best policy, the user's best answer)"
    if not a.equilibrium.attained:
        eq_title += " — infimum, not attained"
    head = html.Tr([html.Th("quantity"), html.Th("value"), html.Th("unit")])
    regime = ""
    if a.regime is not None:
        xi = ", ".join(f"ξ{k + 1} = {_num(x, 4)}" for k, x in enumerate(a.net_value))
        regime = f"Regime: {a.regime} ({xi}; ξi = V·pi - ti is the user's net value of one pass on Mi)."
    out: list[Any] = [
        html.Div(
            className="guideline", children=[html.B("In words: "), html.Span(a.guideline, id="guideline")]
        ),
        html.P(regime, className="small", id="regime"),
        html.Div(
            className="cards",
            children=[
                html.Div(
                    [
                        html.H3(eq_title),
                        html.Table([head, *_policy_rows("eq", a.equilibrium, cost_u, lat_u)], className="nums"),
                    ]
                ),
                html.Div(
                    [
                        html.H3("What the user would prefer"),
                        html.Table(
                            [head, *_policy_rows("pref", a.user_preferred, cost_u, lat_u)], className="nums"
                        ),
                    ]
                ),
            ],
        ),
        html.H3("Misalignment"),
        html.Table(
            className="nums",
            children=[
                html.Tr(
                    [
                        html.Td("misalignment gap ΔU = U_pref - U* (what the user loses)"),
                        html.Td(_num(a.misalignment_gap), id="gap", className="n"),
                        html.Td(lat_u, className="small"),
                    ]
                ),
                html.Tr(
                    [
                        html.Td(
                            "price of alignment J_pref - J* (what serving the user's choice costs the provider)"
                        ),
                        html.Td(_num(a.price_of_alignment), id="poa", className="n"),
                        html.Td(cost_u, className="small"),
                    ]
                ),
            ],
        ),
        html.H3("Throttling (does making the user wait longer pay the provider?)"),
        html.P(a.throttle_words, id="throttle"),
    ]
    out += [html.P(n, className="note") for n in a.notes]
    return out


_HETERO_HELP = (
    "Real problems differ in difficulty: a model that failed a task once is likely to fail it again, so "
    "re-prompting the same model is worth less than the paper's i.i.d. model (every retry a fresh coin with "
    "the mean success probability) predicts. Left: the exact equilibrium on the calibrated table of "
    "LiveCodeBench problems (routegame.hetero). Right: the i.i.d. game with the same mean success "
    "probabilities, which is the game in the fields on the left. Brackets: 95% bootstrap"
    " intervals over problems. Both sides use strong tie-breaking."
)


def _interval(iv: tuple[float, float] | None) -> str:
    return "" if iv is None else f"[{_num(iv[0], 4)}, {_num(iv[1], 4)}]"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def hetero_children(v: Any, game: Any = None) -> list[Any]:
    """The real-data equilibrium beside the i.i.d. one (a calibrated heterogeneous scenario)."""
    from dash import html

    d, i = v.data, v.iid
    m1, m2 = v.models

    def row(label: str, key: str, a: str, b: str, unit: str = "") -> Any:
        return html.Tr([html.Td(label), html.Td(a, id=f"het-data-{key}", className="n"),
                        html.Td(b, id=f"het-iid-{key}", className="n"), html.Td(unit, className="small")])

    def freq(side: Any) -> str:
        return ", ".join(f"{k}: {_pct(x)}" for k, x in side.policy_frequency) or "-"

    head = html.Tr([html.Th("quantity"), html.Th("real data (task table)"),
                    html.Th("i.i.d. model (the game in the fields)"), html.Th("unit")])
    rows = [
        head,
        row("policy and the user's answer", "words", d.words, i.words),
        row("route (first model)", "route", f"M{d.route}", f"M{i.route}"),
        row("cascade s", "cascade", _num(d.cascade), _num(i.cascade)),
        row("abandon q after a failure", "abandon", _num(d.abandon), _num(i.abandon), "probability"),
        row("J*: provider cost per task", "J", _num(d.provider_cost), _num(i.provider_cost), "USD"),
        row("   95% bootstrap interval of J*", "J-ci", _interval(d.cost_interval), _interval(i.cost_interval),
            "USD"),
        row("U*: user utility per task", "U", _num(d.user_utility), _num(i.user_utility), "s"),
        row("   95% bootstrap interval of U*", "U-ci", _interval(d.utility_interval),
            _interval(i.utility_interval), "s"),
        row("success probability S", "success", _num(d.success), _num(i.success), "probability"),
        row("misalignment gap ΔU", "gap", _num(d.misalignment_gap), _num(i.misalignment_gap), "s"),
        row("   95% bootstrap interval of ΔU", "gap-ci", _interval(d.gap_interval), _interval(i.gap_interval),
            "s"),
        row("share of resamples where this policy class is optimal", "freq", freq(d), freq(i)),
    ]
    if not v.at_calibration:  # the intervals belong to the calibrated values only
        bootstrap_rows = {"het-data-J-ci", "het-data-U-ci", "het-data-gap-ci", "het-data-freq"}
        rows = [r for r in rows if getattr(r.children[1], "id", None) not in bootstrap_rows]
    excess = v.follow_iid_cost / d.provider_cost - 1 if d.provider_cost > 0 else float("nan")
    follow = (
        "If the provider follows the i.i.d. prescription on real tasks, it pays "
        f"J = {_num(v.follow_iid_cost, 4)} USD ({'+' if excess >= 0 else ''}{100 * excess:.1f}% over J*) "
        "and the real user abandons after a "
        f"failure with probability {_num(v.follow_iid_abandon, 3)} (U = {_num(v.follow_iid_utility, 4)} s)."
    )
    c = v.calibrated
    calib = (
        f"Calibrated values: V = {_num(c[0])} s, P = {_num(c[1])} USD, {m1}: t1 = {_num(c[2], 4)} s, "
        f"c1 = {_num(c[4], 4)} USD, mean p1 = {_num(c[6], 4)}; {m2}: t2 = {_num(c[3], 4)} s, "
        f"c2 = {_num(c[5], 4)} USD, mean p2 = {_num(c[7], 4)}; {v.user} user."
    )
    if not v.at_calibration:
        boot = ("The bootstrap intervals are computed at the calibrated values only; set the fields back "
                "(pick the scenario again) to see them.")
    elif v.replicates:
        boot = (f"Intervals: {v.replicates} bootstrap resamples of the problems (seed {v.seed}), each "
                "re-calibrated and both games re-solved; precomputed when the scenario was shipped.")
    else:
        boot = "No precomputed intervals match this scenario (run python -m routegame.explore._hetero)."
    out: list[Any] = [
        html.P(_HETERO_HELP, className="small"),
        html.Table(rows, className="nums", id="het-table"),
        html.P(follow, id="het-follow"),
        html.P(calib, className="small"),
        html.P(boot, className="small"),
    ]
    if game is not None and game.num_models != 2:
        out.insert(0, html.P(
            "This comparison is a two-model one: it stays at the calibrated values while the game has "
            f"{game.num_models} models.", className="note", id="het-moved"))
    elif not v.at_calibration:
        moved_p = any(abs(a - b) > 1e-12 for a, b in zip(v.mean_success, c[6:], strict=True))
        out.insert(0, html.P(
            "You moved the game away from the calibration: the real-data side is the scenario's task table "
            "with your V, P, t and c"
            + (" (the table fixes the success probabilities, so your p1, p2 move the i.i.d. side only)"
               if moved_p else "")
            + ", the i.i.d. side is the game in the fields.", className="note", id="het-moved"))
    return out


def hetero_outputs(state: ViewState) -> tuple[list[Any], dict[str, str]] | None:
    """The comparison panel of ``state`` (children, style); None when a field is refused."""
    if not rgm.is_hetero(state.scenario):
        return [], {"display": "none"}
    game, _ = rgm.game_from_fields(state.values, state.names)
    if game is None:
        return None
    return hetero_children(rgm.hetero_view(state.scenario, game), game), {"display": "block"}


def curve_figure(c: rgm.CurveData, a: rgm.Analysis, units: dict[str, str]) -> dict[str, Any]:
    """q*(s) with the thresholds and J(s, q*(s)) on a second axis (a plotly figure dict)."""
    _, cost_u = _units(units)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": c.cascade,
            "y": c.abandon,
            "mode": "lines",
            "name": "q*(s): user's abandon probability",
            "line": {"color": "#1f77b4", "width": 3},
        },
        {
            "type": "scatter",
            "x": c.cascade,
            "y": c.provider_cost,
            "mode": "lines",
            "yaxis": "y2",
            "name": f"J(s, q*(s)): provider cost ({cost_u})",
            "line": {"color": "#d62728", "dash": "dot"},
        },
    ]
    eq = a.equilibrium
    if eq.route == 1 and eq.cascade is not None:
        data.append(
            {
                "type": "scatter",
                "x": [eq.cascade],
                "y": [eq.abandon],
                "mode": "markers",
                "name": "equilibrium (route 1)",
                "marker": {"size": 13, "symbol": "star", "color": "#000"},
            }
        )
    shapes, notes = [], []
    for key, label in (("s0", "s0"), ("s_low", "s_low"), ("s_high", "s_high")):
        v = c.thresholds.get(key)
        if v is not None and 0 <= v <= 1:
            shapes.append(
                {
                    "type": "line",
                    "x0": v,
                    "x1": v,
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "line": {"color": "#555", "dash": "dash", "width": 1},
                }
            )
            notes.append(
                {
                    "x": v,
                    "y": 1.04,
                    "yref": "paper",
                    "text": f"{label} = {v:.3g}",
                    "showarrow": False,
                    "font": {"size": 11},
                }
            )
    title = (
        f"Route 1 (start on M1). On route 2 the user answers q* = {c.route2_abandon:.3g}, "
        f"J = {c.route2_cost:.4g} {cost_u}."
    )
    return {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {
                "title": {"text": "cascade probability s (share of re-prompts sent to M2)"},
                "range": [0, 1],
            },
            "yaxis": {
                "title": {"text": "q*: probability the user leaves after a failure"},
                "range": [-0.05, 1.08],
            },
            "yaxis2": {
                "title": {"text": f"J: provider cost ({cost_u})"},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
            },
            "shapes": shapes,
            "annotations": notes,
            "height": 360,
            "margin": {"l": 60, "r": 70, "t": 50, "b": 50},
            "legend": {"orientation": "h", "y": -0.25},
            "uirevision": "curve",
        },
    }


def map_figure(m: rgm.MapData, units: dict[str, str]) -> dict[str, Any]:
    """The provider-optimal policy class over two parameters, the current game starred."""
    n = len(m.names)
    scale = []
    for i, code in enumerate(m.codes):
        col = _COLORS[code]
        scale += [[i / n, col], [(i + 1) / n, col]]
    import numpy as np

    custom = np.round(np.stack([np.asarray(m.cascade), np.asarray(m.provider_cost)], axis=-1), 6).tolist()
    data: list[dict[str, Any]] = [
        {
            "type": "heatmap",
            "x": m.x,
            "y": m.y,
            "z": m.z,
            "zmin": -0.5,
            "zmax": n - 0.5,
            "colorscale": scale,
            "showscale": False,
            "customdata": custom,
            "hovertemplate": "x = %{x:.4g}<br>y = %{y:.4g}<br>policy: see the legend (colour)<br>cascade s = "
            "%{customdata[0]}, provider cost J = %{customdata[1]}<extra></extra>",
        }
    ]
    for code, name in zip(m.codes, m.names, strict=True):
        data.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "markers",
                "name": name,
                "marker": {"size": 12, "symbol": "square", "color": _COLORS[code]},
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": [m.point[0]],
            "y": [m.point[1]],
            "mode": "markers",
            "name": "this game",
            "marker": {"size": 16, "symbol": "star", "color": "#000", "line": {"color": "#fff", "width": 1}},
        }
    )
    return {
        "data": data,
        "layout": {
            "xaxis": {"title": {"text": _axis_title(m.x_field, units)}, **_axis_type(m.x_log)},
            "yaxis": {"title": {"text": _axis_title(m.y_field, units)}, **_axis_type(m.y_log)},
            "height": 430,
            "margin": {"l": 70, "r": 20, "t": 20, "b": 50},
            "legend": {"orientation": "v", "x": 1.02, "y": 1},
            "uirevision": f"{m.x_field}-{m.y_field}",
        },
    }


def _axis_type(log: bool) -> dict[str, Any]:
    return {"type": "log", "dtick": "D2"} if log else {"type": "linear"}


def sensitivity_table(rows: list[rgm.SensitivityRow], units: dict[str, str]) -> Any:
    """How far each parameter can move, one row per parameter."""
    from dash import html

    head = html.Tr(
        [
            html.Th("parameter"),
            html.Th("now"),
            html.Th("recommendation unchanged from"),
            html.Th("to"),
            html.Th("below, it becomes"),
            html.Th("above, it becomes"),
        ]
    )
    body = []
    for r in rows:
        lo = _num(r.low, 4) if r.low is not None else f"no change down to {_num(r.low_limit, 4)}"
        hi = _num(r.high, 4) if r.high is not None else f"no change up to {_num(r.high_limit, 4)}"
        body.append(
            html.Tr(
                [
                    html.Td(_axis_title(r.field, units)),
                    html.Td(_num(r.value), className="n"),
                    html.Td(lo, className=f"n sens-low-{r.field}"),
                    html.Td(hi, className=f"n sens-high-{r.field}"),
                    html.Td(r.low_becomes or "-", className="small"),
                    html.Td(r.high_becomes or "-", className="small"),
                ]
            )
        )
    return html.Table([head, *body], className="nums", id="sensitivity-table")


@functools.lru_cache(maxsize=16)
def _compute(game: Any, tie: str, user: str, x: str, y: str, n: int) -> tuple[Any, ...]:
    import numpy as np

    # the grids reach extreme games (1000 x a value): overflow there is expected, not news
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        a = rgm.analyse(game, tie, user)
        if game.num_models != 2:
            return a, None, None, []
        return (
            a,
            rgm.best_response_curve(game, tie),
            rgm.policy_map(game, x, y, tie, n),
            rgm.sensitivity(game, tie),
        )


def build_outputs(state: ViewState, map_n: int = DEFAULT_MAP_N) -> dict[str, Any]:
    """Everything the page redraws for ``state`` (the body of the main callback).

    Returns a dict with ``errors`` ({(field, model): message}); if there are none, also
    ``results``, ``curve``, ``map``, ``sensitivity``, ``query`` and ``two_model``. The panel of
    a calibrated scenario is :func:`hetero_outputs`, a callback of its own (it may take a few
    tenths of a second and must not hold up the rest of the page).
    """
    game, errors = rgm.game_from_fields(state.values, state.names)
    if game is None:
        return {"errors": errors}
    x, y = state.x_axis, state.y_axis
    if x == y:
        y = "cost_2" if x != "cost_2" else "penalty"
    a, c, m, rows = _compute(game, state.tie_break, state.user, x, y, map_n)
    units = state.units
    out: dict[str, Any] = {
        "errors": {},
        "results": results_children(a, units),
        "query": query_from_state(state),
        "two_model": game.num_models == 2,
    }
    if game.num_models == 2:
        out["curve"] = curve_figure(c, a, units)
        out["map"] = map_figure(m, units)
        out["sensitivity"] = sensitivity_table(rows, units)
    return out


# ---------------------------------------------------------------------------------------------
# the app


def _layout(initial: ViewState) -> Any:
    from dash import dcc, html

    scen = [
        {"label": f"{name} ({k} models): {desc}", "value": name} for name, desc, k in rgm.scenario_choices()
    ] + [
        {"label": f"{name} (calibrated on real data: real vs i.i.d.): {desc}", "value": name}
        for name, desc in rgm.hetero_choices()
    ]
    axes = [{"label": _axis_title(f, {}), "value": f} for f in TWO_MODEL_FIELDS]
    return html.Div(
        className="page",
        children=[
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="loaded", data=False),
            dcc.Store(id="meta", data={"units": initial.units, "scenario": initial.scenario}),
            html.H1("routegame explorer: routing, cascades and a user who can quit"),
            html.P(
                className="intro",
                children=[
                    _INTRO,
                    html.B("Change any number on the left (type it or drag its slider): "),
                    _INTRO_END,
                ],
            ),
            html.Div(
                className="columns",
                children=[
                    html.Div(
                        className="inputs",
                        children=[
                            html.H2("1. The game"),
                            html.Label(
                                "Load a built-in scenario (the lcb-… ones are calibrated on real "
                                "LiveCodeBench problems and add a real-data vs i.i.d. comparison):",
                                htmlFor="scenario",
                                className="small",
                            ),
                            dcc.Dropdown(
                                id="scenario",
                                options=scen,
                                value=None,
                                clearable=False,
                                placeholder="choose a scenario…",
                                optionHeight=50,
                            ),
                            html.Div(id="fields", children=fields_children(initial)),
                            html.Button("+ add a model", id="add-model", n_clicks=0, className="add-model"),
                            html.H3("Tie-breaking (when the user is indifferent)"),
                            dcc.RadioItems(
                                id="tie-break",
                                value=initial.tie_break,
                                options=[
                                    {
                                        "label": " strong: the user breaks ties in the provider's favour",
                                        "value": "strong",
                                    },
                                    {"label": " weak: against the provider", "value": "weak"},
                                ],
                            ),
                            html.H3("User of the K-model engine (3 or more models)"),
                            dcc.RadioItems(
                                id="user",
                                value=initial.user,
                                options=[
                                    {"label": " stationary: one abandon probability", "value": "stationary"},
                                    {"label": " state-aware: one per failed model", "value": "state-aware"},
                                ],
                            ),
                            html.H3("Export and share"),
                            html.Div(
                                className="export",
                                children=[
                                    html.A(
                                        "scenario TOML", id="export-toml", href="", download="explored.toml"
                                    ),
                                    html.A("HTML report", id="export-report", href="", download="report.html"),
                                ],
                            ),
                            html.P(
                                [
                                    "The address bar holds the whole game; this link reopens this view: ",
                                    html.Code(id="share-url"),
                                ],
                                className="small",
                            ),
                            html.P(
                                "The TOML loads back with: routegame solve --config FILE.toml",
                                className="small",
                            ),
                        ],
                    ),
                    html.Div(
                        className="results",
                        children=[
                            html.H2("2. What happens"),
                            html.Div(id="status", className="status"),
                            html.Div(id="results"),
                            html.Div(
                                id="hetero-section",
                                style={"display": "none"},
                                children=[
                                    html.H2("Real data vs the i.i.d. model (calibrated scenario)"),
                                    html.Div(id="hetero"),
                                ],
                            ),
                            html.Div(
                                id="two-model-sections",
                                children=[
                                    html.H2("3. The user's best response to the cascade"),
                                    html.P(
                                        _BR_HELP,
                                        className="small",
                                    ),
                                    dcc.Graph(id="br-graph", config={"displaylogo": False}),
                                    html.H2("4. The provider's best policy around this game"),
                                    html.P(
                                        _MAP_HELP,
                                        className="small",
                                    ),
                                    html.Div(
                                        className="cards",
                                        children=[
                                            html.Div(
                                                [
                                                    html.Label("x axis", className="small"),
                                                    dcc.Dropdown(
                                                        id="map-x",
                                                        options=axes,
                                                        value=initial.x_axis,
                                                        clearable=False,
                                                        style={"width": "22em"},
                                                    ),
                                                ]
                                            ),
                                            html.Div(
                                                [
                                                    html.Label("y axis", className="small"),
                                                    dcc.Dropdown(
                                                        id="map-y",
                                                        options=axes,
                                                        value=initial.y_axis,
                                                        clearable=False,
                                                        style={"width": "22em"},
                                                    ),
                                                ]
                                            ),
                                        ],
                                    ),
                                    dcc.Graph(id="map-graph", config={"displaylogo": False}),
                                    html.H2(
                                        "5. How far can each parameter move before the recommendation changes?"
                                    ),
                                    html.P(
                                        _SENS_HELP,
                                        className="small",
                                    ),
                                    html.Div(id="sensitivity"),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )


def create_app(initial: ViewState | None = None, map_n: int = DEFAULT_MAP_N) -> Any:
    """Build the Dash app; ``initial`` is the game shown when the URL names none (default scenario).

    Examples
    --------
    >>> app = create_app()
    >>> app.server.test_client().get("/").status_code
    200
    """
    import dash
    from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update
    from dash.exceptions import PreventUpdate

    if initial is None:
        game, units, name = rgm.scenario_game("default")
        initial = state_from_game(game, units, name)
    if rgm.is_hetero(initial.scenario):  # its panel takes about a second once: start it now
        threading.Thread(target=rgm.hetero_view, args=(initial.scenario,), daemon=True).start()
    app = dash.Dash(
        __name__,
        serve_locally=True,
        title="routegame explorer",
        update_title=None,  # type: ignore[arg-type]  # None: keep the title while updating
        suppress_callback_exceptions=True,
        assets_folder="_no_assets_",
    )
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.layout = _layout(initial)
    field_all = {"type": "field", "field": ALL, "model": ALL}

    @app.callback(
        Output("fields", "children"),
        Output("loaded", "data"),
        Output("tie-break", "value"),
        Output("user", "value"),
        Output("map-x", "value"),
        Output("map-y", "value"),
        Output("meta", "data"),
        Input("url", "search"),
        Input("scenario", "value"),
        Input("add-model", "n_clicks"),
        Input({"type": "remove", "model": ALL}, "n_clicks"),
        State(field_all, "value"),
        State({"type": "name", "model": ALL}, "value"),
        State("loaded", "data"),
        State("tie-break", "value"),
        State("user", "value"),
        State("map-x", "value"),
        State("map-y", "value"),
        State("meta", "data"),
    )
    def _structure(
        search: str | None,
        scenario: str | None,
        add: int,
        removes: list[int],
        _v: Any,
        _n: Any,
        loaded: bool,
        tie: str,
        user: str,
        x: str,
        y: str,
        meta: dict[str, Any],
    ) -> tuple[Any, ...]:
        trig = ctx.triggered_id
        current = _state_from_page(ctx.states_list[0], ctx.states_list[1], tie, user, x, y, meta or {})
        if trig is None or trig == "url":
            if loaded:
                raise PreventUpdate
            st = state_from_query(search or "", default=None) if search and "V=" in search else None
            if st is None:
                return (no_update, True, no_update, no_update, no_update, no_update, no_update)
        elif trig == "scenario":
            if not scenario:
                raise PreventUpdate
            game, units, name = rgm.scenario_game(scenario)
            st = state_from_game(game, units, name, tie_break=tie, user=user, x_axis=x, y_axis=y)
        elif trig == "add-model":
            k = current.num_models
            values = dict(current.values)
            for f in rgm.PER_MODEL:
                values[f, k + 1] = current.values.get((f, k), "")
            st = ViewState(
                values=values,
                names=(*current.names, ""),
                tie_break=tie,
                user=user,
                x_axis=x,
                y_axis=y,
                units=current.units,
                scenario="",
            )
        else:  # a remove button
            if not ctx.triggered or not ctx.triggered[0]["value"] or current.num_models <= 2:
                raise PreventUpdate
            gone = int(trig["model"])
            values = {}
            for (f, m), v in current.values.items():
                if m is None or m < gone:
                    values[f, m] = v
                elif m > gone:
                    values[f, m - 1] = v
            names = tuple(n for j, n in enumerate(current.names, start=1) if j != gone)
            st = ViewState(
                values=values,
                names=names,
                tie_break=tie,
                user=user,
                x_axis=x,
                y_axis=y,
                units=current.units,
                scenario="",
            )
        return (
            fields_children(st),
            True,
            st.tie_break,
            st.user,
            st.x_axis,
            st.y_axis,
            {"units": st.units, "scenario": st.scenario},
        )

    @app.callback(
        Output({"type": "field", "field": MATCH, "model": MATCH}, "value"),
        Output({"type": "slider", "field": MATCH, "model": MATCH}, "value"),
        Output({"type": "slider", "field": MATCH, "model": MATCH}, "max"),
        Input({"type": "field", "field": MATCH, "model": MATCH}, "value"),
        Input({"type": "slider", "field": MATCH, "model": MATCH}, "value"),
        State({"type": "slider", "field": MATCH, "model": MATCH}, "max"),
        State({"type": "slider", "field": MATCH, "model": MATCH}, "step"),
        prevent_initial_call=True,
    )
    def _sync(text: Any, slider: Any, smax: Any, step: Any) -> tuple[Any, Any, Any]:
        trig = ctx.triggered_id
        if trig is None:
            raise PreventUpdate
        field = trig["field"]
        if trig["type"] == "slider":
            if slider is None:
                raise PreventUpdate
            try:  # a slider snaps to its step: only a real move (more than a step) rewrites the text
                if abs(rgm.parse_number(text, field) - float(slider)) <= float(step or 0) * 0.5 + 1e-12:
                    raise PreventUpdate
            except ParameterError:
                pass
            return f"{float(slider):.6g}", no_update, no_update
        try:
            x = rgm.parse_number(text, field)
        except ParameterError:
            raise PreventUpdate from None
        new_max: Any = no_update
        if smax is not None and x > float(smax):
            new_max = _slider_range(field, x)[1]
        return no_update, x, new_max

    @app.callback(
        Output({"type": "error", "field": ALL, "model": ALL}, "children"),
        Output(field_all, "className"),
        Output("status", "children"),
        Output("status", "className"),
        Output("results", "children"),
        Output("br-graph", "figure"),
        Output("map-graph", "figure"),
        Output("sensitivity", "children"),
        Output("two-model-sections", "style"),
        Output("url", "search"),
        Output("export-toml", "href"),
        Output("export-report", "href"),
        Output("share-url", "children"),
        Input(field_all, "value"),
        Input({"type": "name", "model": ALL}, "value"),
        Input("tie-break", "value"),
        Input("user", "value"),
        Input("map-x", "value"),
        Input("map-y", "value"),
        State("meta", "data"),
        State("url", "href"),
    )
    def _update(
        _v: Any, _n: Any, tie: str, user: str, x: str, y: str, meta: dict[str, Any], href: str | None
    ) -> tuple[Any, ...]:
        state = _state_from_page(ctx.inputs_list[0], ctx.inputs_list[1], tie, user, x, y, meta or {})
        try:
            out = build_outputs(state, map_n)
        except Exception as exc:  # a solver failure must not take the page down: say so, keep the rest
            msg = (
                f"This game could not be solved ({type(exc).__name__}: {exc}); the results are the last game's."
            )
            keep = [no_update] * len(ctx.outputs_list[0]), [no_update] * len(ctx.outputs_list[1])
            return (*keep, msg, "status bad", *([no_update] * 9))
        errors = out["errors"]
        err_ids = [o["id"] for o in ctx.outputs_list[0]]
        cls_ids = [o["id"] for o in ctx.outputs_list[1]]
        err_children = [errors.get((i["field"], i["model"] or None), "") for i in err_ids]
        classes = [
            f"num-input field-{i['field']}-{i['model']}"
            + (" bad" if (i["field"], i["model"] or None) in errors else "")
            for i in cls_ids
        ]
        if errors:
            status = (
                f"{len(errors)} field{'s' if len(errors) > 1 else ''} refused (see the red message); "
                "the results below are for the last valid game."
            )
            return (err_children, classes, status, "status bad", *([no_update] * 9))
        k = state.num_models
        status = (
            f"Showing the game with {k} models"
            + (f" (from scenario {state.scenario})" if state.scenario else "")
            + (" (the i.i.d. game of a calibrated scenario: see the real data beside it below)"
               if rgm.is_hetero(state.scenario) else "")
            + ("." if k == 2 else "; the exact K-model engine is used.")
        )
        q = out["query"]
        base = (href or "").split("?", 1)[0]
        return (
            err_children,
            classes,
            status,
            "status",
            out["results"],
            out.get("curve", no_update),
            out.get("map", no_update),
            out.get("sensitivity", no_update),
            {"display": "block" if out["two_model"] else "none"},
            q,
            f"/export/scenario.toml{q}",
            f"/export/report.html{q}" if out["two_model"] else "",
            base + q,
        )

    @app.callback(
        Output("hetero", "children"),
        Output("hetero-section", "style"),
        Input(field_all, "value"),
        Input({"type": "name", "model": ALL}, "value"),
        State("meta", "data"),
    )
    def _hetero(_v: Any, _n: Any, meta: dict[str, Any]) -> tuple[Any, Any]:
        state = _state_from_page(ctx.inputs_list[0], ctx.inputs_list[1], "strong", "stationary",
                                 "penalty", "cost_2", meta or {})
        try:
            out = hetero_outputs(state)
        except Exception as exc:  # the real-data engine failed on this game: say so, keep the page
            return [html.P(f"The real-data game could not be solved here ({type(exc).__name__}: {exc}).",
                           className="status bad")], {"display": "block"}
        if out is None:
            raise PreventUpdate
        return out

    _add_routes(app.server)
    return app


_REPORT_LOCK = threading.Lock()


def _add_routes(server: Any) -> None:
    from flask import Response, request

    def game_of_request() -> tuple[Any, ViewState]:
        state = state_from_query(request.query_string.decode("utf-8", "replace"))
        game, errors = rgm.game_from_fields(state.values, state.names)
        if game is None:
            raise ParameterError("game", "; ".join(errors.values()))
        return game, state

    def refuse(exc: ParameterError) -> Response:
        return Response(f"error: {exc}\n", status=400, mimetype="text/plain")

    @server.route("/export/scenario.toml")
    def export_toml() -> Response:
        try:
            game, state = game_of_request()
        except ParameterError as exc:
            return refuse(exc)
        text = rgm.toml_text(game, state.units, state.scenario or "explored")
        return Response(
            text,
            mimetype="application/toml",
            headers={"Content-Disposition": 'attachment; filename="explored.toml"'},
        )

    @server.route("/export/report.html")
    def export_report() -> Response:
        try:
            game, state = game_of_request()
            if game.num_models != 2:
                raise ParameterError(
                    "models", f"the HTML report covers two-model games, this one has {game.num_models}"
                )
            with _REPORT_LOCK:  # one report at a time (matplotlib, memory)
                page = rgm.report_html(game, state.units, state.scenario or "explored")
        except ParameterError as exc:
            return refuse(exc)
        return Response(
            page, mimetype="text/html", headers={"Content-Disposition": 'attachment; filename="report.html"'}
        )


def update_request(app: Any, state: ViewState, changed: str = "penalty") -> dict[str, Any]:
    """The body of the request the page sends when field ``changed`` of a game changes.

    Dash's callback protocol for the main callback (``POST /_dash-update-component``), for
    state-driven tests and the interaction benchmark. The state's fields must be those on the
    page (the same number of models).
    """
    output = next(k for k in app.callback_map if "status.children" in k)
    keys = [(f, m) for (f, m) in state.values]
    ids = [{"field": f, "model": m or 0, "type": "field"} for (f, m) in keys]

    def many(kind: str, prop: str) -> list[dict[str, Any]]:
        return [{"id": {**i, "type": kind}, "property": prop} for i in ids]

    outputs: list[Any] = [many("error", "children"), many("field", "className")]
    for spec in output.strip(".").split("...")[2:]:
        cid, prop = spec.rsplit(".", 1)
        outputs.append({"id": cid, "property": prop})
    k = state.num_models
    names = list(state.names) + [""] * (k - len(state.names))
    inputs: list[Any] = [
        [{"id": i, "property": "value", "value": state.values[key]} for i, key in zip(ids, keys, strict=True)],
        [
            {"id": {"model": m, "type": "name"}, "property": "value", "value": names[m - 1]}
            for m in range(1, k + 1)
        ],
        {"id": "tie-break", "property": "value", "value": state.tie_break},
        {"id": "user", "property": "value", "value": state.user},
        {"id": "map-x", "property": "value", "value": state.x_axis},
        {"id": "map-y", "property": "value", "value": state.y_axis},
    ]
    changed_id = next(i for i in ids if i["field"] == changed)
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": [json.dumps(changed_id, sort_keys=True, separators=(",", ":")) + ".value"],
        "state": [
            {"id": "meta", "property": "data", "value": {"units": state.units, "scenario": state.scenario}},
            {"id": "url", "property": "href", "value": "http://127.0.0.1/"},
        ],
    }
