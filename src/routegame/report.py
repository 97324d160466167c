"""A self-contained HTML report of one game (``routegame report``), rendered from its result.

The report gives the scenario's parameters and where each number comes from, the regime and the
user's thresholds, the equilibrium under strong and weak tie-breaking, the policy the user would
prefer, the misalignment gap, the throttling verdict (with the paper's Proposition 2 condition
checked against the exact answer), the decision-guideline sentence, and the figures of
:mod:`routegame.plot` around the scenario's point. Figures are embedded as base64 PNG, so the
one HTML file stands alone; they are also written beside it under ``figures/``. The solution is
embedded verbatim as JSON (``<script type="application/json" id="routegame-solution">``), equal
to ``routegame.solve(params).to_json_dict()``. K-model games get their equilibrium, the
user-preferred policy, the gap and the price of alignment (no regimes, throttling or figures,
which belong to the two-model game).

:func:`build_report` returns the report in memory; :func:`write_report` writes it atomically (the
directory is built under a temporary name beside the target and renamed into place; an existing
report directory is updated file by file, never deleted).

Examples
--------
>>> from routegame import GameParams, TwoModelGame
>>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
>>> rep = build_report(g, figures=False)
>>> rep.solution == TwoModelGame(g).solve().to_dict()
True
>>> rep.html.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from routegame.errors import ParameterError
from routegame.model.params import GameParams
from routegame.model.results import GameResult
from routegame.present.wording import REGIME_TEXT, fmt_value, policy_label, response_words

__all__ = ["REPORT_FILE", "Report", "build_report", "load_game", "write_report"]

#: Name of the HTML file inside the report directory.
REPORT_FILE = "report.html"
_FIG_DIR = "figures"
_FIG_DPI = 110


@attrs.frozen
class Report:
    """A rendered report.

    Attributes
    ----------
    html : str
        The self-contained HTML document.
    figures : dict of str to bytes
        PNG files by file name (also embedded in ``html``).
    solution : dict
        ``routegame.solve(params).to_json_dict()`` (strong tie-breaking).
    scenario : Scenario
        The game and its provenance.
    result : GameResult
        The solved game (the one result type the report is rendered from).
    """

    html: str
    figures: dict[str, bytes] = attrs.field(repr=False)
    solution: dict[str, Any] = attrs.field(repr=False)
    scenario: Any = attrs.field(repr=False)
    result: GameResult | None = attrs.field(default=None, repr=False)


# ---------------------------------------------------------------------------------------------
# input


def load_game(scenario: str | None = None, config: str | os.PathLike[str] | None = None) -> Any:
    """The scenario of the ``--scenario NAME`` / ``--config FILE`` options (default ``default``).

    Examples
    --------
    >>> load_game().name
    'default'
    >>> load_game("default", "x.toml")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: source: give one of --scenario and --config, not both
    """
    from routegame.scenarios import load_config, load_scenario

    if scenario is not None and config is not None:
        raise ParameterError("source", "give one of --scenario and --config, not both")
    if config is not None:
        return load_config(config)
    return load_scenario(scenario if scenario is not None else "default")


def _as_scenario(scenario: Any) -> Any:
    """A Scenario from a name, a Scenario, GameParams or None (the default scenario)."""
    from routegame.scenarios import Scenario, load_scenario

    if scenario is None:
        scenario = "default"
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    elif isinstance(scenario, GameParams):
        scenario = Scenario(name="custom", version=1, description="", params=scenario)
    if not isinstance(scenario, Scenario):
        raise ParameterError(
            "scenario", f"must be a scenario name, Scenario or GameParams, got "
            f"{type(scenario).__name__}")
    return scenario


# ---------------------------------------------------------------------------------------------
# formatting


def _num(x: Any, digits: int = 6) -> str:
    return fmt_value(x, digits)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _policy_words(route: Any, cascade: Any) -> str:
    return policy_label(int(route), float(cascade))


def _abandon_words(q: Any) -> str:
    return response_words(float(q)).removeprefix("the user ")


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table; cells are already-escaped HTML."""
    h = "".join(f"<th>{c}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


# ---------------------------------------------------------------------------------------------
# sections


def _params_section(sc: Any) -> str:
    g: GameParams = sc.params
    lat_u = sc.units.get("latency", "latency units")
    cost_u = sc.units.get("cost", "cost units")
    src = sc.sources

    def source(key: str) -> str:
        return _e(src.get(key, "not given"))

    rows = [
        ["V", "task_value", _num(g.task_value), _e(lat_u), source("task_value")],
        ["P", "penalty", _num(g.penalty), _e(cost_u), source("penalty")],
    ]
    for k in (1, 2):
        m = g.models[k - 1]
        for sym, field, val, unit in (("t", "latency", m.latency, lat_u),
                                      ("c", "cost", m.cost, cost_u),
                                      ("p", "success_prob", m.success_prob, "per pass")):
            rows.append([f"{sym}{'₁₂'[k - 1]}", f"models[{k}].{field}", _num(val), _e(unit),
                         source(f"models[{k}].{field}")])
    names = ", ".join(f"M{k} = {_e(n)}" for k, n in enumerate(g.names, start=1))
    xi = g.net_value()
    cpp = g.cost / g.success_prob
    derived = _table(
        ["derived", "M1", "M2", "unit"],
        [["net value ξᵢ = V·pᵢ &minus; tᵢ", _num(xi[0]), _num(xi[1]), _e(lat_u)],
         ["cost per success cᵢ/pᵢ", _num(cpp[0]), _num(cpp[1]), _e(cost_u)]])
    warn = ""
    failed = g.standing_assumptions()
    if failed:
        warn = (f'<p class="warn">The paper\'s standing assumptions fail here: '
                f'{_e(", ".join(failed))}. The exact solution below does not need them; the '
                f"paper's threshold rules (Theorem 3) may not apply.</p>")
    return (f"<h2>Parameters</h2><p>Models: {names}.</p>"
            + _table(["symbol", "field", "value", "unit", "source"], rows, "params")
            + derived + warn)


def _f(x: Any) -> float:
    return float(x)


def _regime_section(res: GameResult) -> str:
    r = str(res.regime_names)
    s0, s_low, s_high = (_f(x) for x in (res.s0, res.s_low, res.s_high))
    thr = []
    if not math.isnan(s0):
        thr.append(f"On route 1 the user stays (q* = 0) when the cascade s &gt; s₀ = "
                   f"<b>{_num(s0)}</b> and leaves after the first failure when s &lt; s₀.")
    if not math.isnan(s_low):
        thr.append(f"On route 1 the user stays for s ≤ s_low = <b>{_num(s_low)}</b>, mixes "
                   f"(0 &lt; q* &lt; 1) up to s_high = <b>{_num(s_high)}</b> and leaves "
                   f"after the first failure for s ≥ s_high.")
    if not thr:
        thr.append("The user's response on route 1 does not depend on the cascade s.")
    xi = res.net_value
    return (f"<h2>Regime</h2><p><b>{_e(r)}</b>: {_e(REGIME_TEXT.get(r, r))}. "
            f"ξ = ({_num(_f(xi[0]))}, {_num(_f(xi[1]))}).</p>"
            f"<p>{' '.join(thr)}</p>")


def _equilibrium_section(res: GameResult, cost_u: str, lat_u: str) -> str:
    assert res.equilibrium_weak is not None
    cols = [("strong equilibrium", res.equilibrium), ("weak equilibrium", res.equilibrium_weak),
            ("user-preferred", res.user_preferred)]
    if res.tie_break == "weak":  # the headline is weak: the strong one is not in this result
        cols = cols[1:]
    rows = []
    for label, key in (("route i", "route"), ("cascade s", "cascade"),
                       ("user's abandon probability q", "abandon")):
        rows.append([label] + [_num(_f(getattr(d, key))) for _, d in cols])
    rows.append(["policy"] + [_e(_policy_words(d.route, d.cascade)) for _, d in cols])
    rows.append(["the user"] + [_e(_abandon_words(d.abandon)) for _, d in cols])
    rows.append([f"provider cost J ({_e(cost_u)})"]
                + [_num(_f(d.provider_cost)) for _, d in cols])
    rows.append([f"user utility U ({_e(lat_u)})"] + [_num(_f(d.user_utility)) for _, d in cols])
    rows.append(["success probability S"] + [_num(_f(d.success)) for _, d in cols])
    rows.append(["attained"] + [_num(bool(d.attained) if d.attained is not None else True)
                                for _, d in cols])
    note = ""
    if not bool(res.equilibrium_weak.attained):
        note = ("<p>Under weak tie-breaking the provider's best cost is an infimum: it is "
                "approached as the cascade tends to the policy shown, but no policy attains "
                "it.</p>")
    return ("<h2>Equilibrium</h2><p>The provider (leader) commits to a policy (i, s); the user "
            "(follower) best-responds with q*. Strong tie-breaking resolves the user's "
            "indifference in the provider's favour, weak against it. The user-preferred policy "
            "maximises the user's utility at the user's own best response; its provider cost "
            "is the price of alignment's first term.</p>"
            + _table(["", *(c for c, _ in cols)], rows, "eq") + note)


def _gap_section(res: GameResult, lat_u: str, cost_u: str) -> str:
    gap, price = _f(res.misalignment_gap), _f(res.price_of_alignment)
    if gap > 0:
        txt = (f"The user would be better off by <b>{_num(gap)}</b> {_e(lat_u)} of utility "
               "per task under the policy it prefers: the provider's cost ranking and the "
               "user's utility ranking of the policies differ.")
    else:
        txt = "None: the provider serves the policy the user would pick."
    return (f"<h2>Misalignment gap</h2><p>ΔU = {_num(gap)} {_e(lat_u)}. {txt}</p>"
            f"<p>Price of alignment J_pref &minus; J* = <b>{_num(price)}</b> {_e(cost_u)}: "
            "what serving the user's favourite policy would cost the provider.</p>")


def _throttling_section(g: GameParams, res: GameResult, cost_u: str, lat_u: str) -> str:
    assert res.throttling is not None
    th, eq = res.throttling, res.equilibrium
    pol = th.policy
    cpp = g.cost / g.success_prob
    bound = float(min(cpp))
    paper = g.penalty <= bound
    paper_txt = (f"The paper's condition P ≤ min(c₁/p₁, c₂/p₂) = {_num(bound)} "
                 f"{'holds' if paper else 'does not hold'} (P = {_num(g.penalty)}).")
    pays = bool(th.pays)
    if pays:
        gain = _f(eq.provider_cost) - _f(pol.provider_cost)
        lat = [_f(x) for x in th.latency]
        raised = [f"t{'₁₂'[k]} from {_num(g.latency[k])} to {_num(lat[k])}"
                  for k in range(2) if lat[k] != g.latency[k]]
        verdict = (f"<b>Throttling pays.</b> Raising {_e(' and '.join(raised) or 'no latency')} "
                   f"{_e(lat_u)} and serving {_e(_policy_words(pol.route, pol.cascade))} "
                   f"makes the user {_e(_abandon_words(pol.abandon))}; the provider's cost "
                   f"falls by {_num(gain)} {_e(cost_u)} (from {_num(_f(eq.provider_cost))} to "
                   f"{_num(_f(pol.provider_cost))}) and the user's utility falls by "
                   f"{_num(_f(eq.user_utility) - _f(pol.user_utility))} {_e(lat_u)}.")
        if not bool(pol.attained):
            verdict += (" The least throttle is an infimum under weak tie-breaking (the user "
                        "must be strictly worse off staying).")
    else:
        verdict = ("<b>Throttling does not pay</b>: no increase of the latencies lowers the "
                   "provider's cost below its equilibrium cost.")
    agree = paper == pays
    cmp = ("The exact answer agrees with the paper's condition here." if agree else
           "The exact answer differs from the paper's condition here (see docs/theory.md on "
           "Proposition 2).")
    return f"<h2>Throttling</h2><p>{verdict}</p><p>{paper_txt} {cmp}</p>"


def _k_model_sections(res: GameResult, cost_u: str, lat_u: str) -> str:
    """Equilibrium and user-preferred policy of a K-model game (start pi, re-prompt rho)."""
    names = [f"M{k + 1}" for k in range(res.num_models)]
    if res.params is not None:
        names = list(res.params.names)

    def dist(x: Any) -> str:
        return ", ".join(f"{n}: {_num(float(v), 4)}" for n, v in zip(names, x, strict=True)
                         if float(v) > 0)

    cols = [("equilibrium", res.equilibrium), ("user-preferred", res.user_preferred)]
    rows = [
        ["first model (start π)"] + [_e(dist(d.start)) for _, d in cols],
        ["re-prompt model (every row of R)"] + [_e(dist(d.continuation)) for _, d in cols],
        ["user's abandon probability q"] + [_e(_num(_f(d.abandon)) if np.ndim(d.abandon) == 0
                                              else dist(d.abandon) or "0") for _, d in cols],
        [f"provider cost J ({_e(cost_u)})"] + [_num(_f(d.provider_cost)) for _, d in cols],
        [f"user utility U ({_e(lat_u)})"] + [_num(_f(d.user_utility)) for _, d in cols],
        ["success probability S"] + [_num(_f(d.success)) for _, d in cols],
        ["attained"] + [_num(bool(d.attained)) for _, d in cols],
    ]
    xi = ", ".join(f"{n}: {_num(float(v))}" for n, v in zip(names, res.net_value, strict=True))
    return (f"<h2>Equilibrium ({_e(res.num_models)} models, {_e(res.user)} user)</h2>"
            f"<p>Net values ξ = ({_e(xi)}). The provider's optimum over all start distributions "
            "and cascade matrices is memoryless: a first model, then every re-prompt drawn from "
            "one distribution (docs/theory_kmodel.md).</p>"
            + _table(["", *(c for c, _ in cols)], rows, "eq")
            + _gap_section(res, lat_u, cost_u))


_FIGURES: list[tuple[str, str, dict[str, Any], str]] = [
    ("decision-guideline", "decision_guideline", {},
     "The threshold rules as a decision tree; the bold path is this scenario's, the bottom box "
     "gives its exact equilibrium."),
    ("regime-map", "regime_map", {},
     "Regimes over the two latencies: the lines ξ₁ = 0 and ξ₂ = 0 separate where each model is "
     "worth its wait; the star is this scenario."),
    ("best-response-curves", "best_response_curves", {},
     "The user's abandon probability q* against the cascade s on route 1, in each regime; "
     "vertical lines mark the thresholds s₀, s_low, s_high."),
    ("policy-map-cost-penalty", "policy_map", {"x": "cost_ratio", "y": "penalty"},
     "The provider's optimal policy over the cost ratio c₂/c₁ and the churn penalty P."),
    ("policy-map-value-latency", "policy_map", {"x": "task_value", "y": "latency_ratio"},
     "The provider's optimal policy over the task value V and the latency ratio t₂/t₁."),
    ("misalignment-map", "misalignment_map", {},
     "The misalignment gap ΔU over the latency ratio and the cost ratio: hatched cells are "
     "aligned (ΔU = 0)."),
    ("throttling-map", "throttling_map", {},
     "Where raising latencies lowers the provider's cost, and by how much; the dashed line is "
     "the paper's boundary P = min(c₁/p₁, c₂/p₂)."),
]


def _render_figures(sc: Any, n: int) -> dict[str, bytes]:
    from routegame import plot

    out: dict[str, bytes] = {}
    for fname, func, kwargs, _ in _FIGURES:
        fn: Callable[..., Any] = getattr(plot, func)
        if func in ("decision_guideline",):
            fig = fn(sc)
        elif func == "best_response_curves":
            fig = fn(sc, n=max(n, 101))
        else:
            fig = fn(sc, n=n, **kwargs)
        buf = io.BytesIO()
        plot.save_figure(fig, buf, fmt="png", dpi=_FIG_DPI)
        out[f"{fname}.png"] = buf.getvalue()
    return out


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#111;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #bbb;padding:.25em .6em;
text-align:left;vertical-align:top}th{background:#eee}td:nth-child(n+2){font-variant-numeric:
tabular-nums}.summary{background:#fff6d6;border:2px solid #111;padding:.6em 1em}
.warn{background:#fde2e2;border-left:4px solid #b00;padding:.4em .8em}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.92em;color:#333}code{background:#f3f3f3;padding:0 .2em}
.small{font-size:.85em;color:#555}
"""


def _json_block(sc: Any, sol: Mapping[str, Any]) -> str:
    data = {"scenario": sc.to_dict(), "solution": sol}
    text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)
    # keep the JSON inert inside <script>: "</" cannot close the element
    text = text.replace("</", "<\\/")
    return f'<script type="application/json" id="routegame-solution">\n{text}\n</script>'


def _html(sc: Any, res: GameResult, figures: Mapping[str, bytes]) -> str:
    from routegame import __version__

    g: GameParams = sc.params
    sol = res.to_json_dict()
    lat_u = sc.units.get("latency", "latency units")
    cost_u = sc.units.get("cost", "cost units")
    eq = res.equilibrium
    if res.kind == "two-model":
        assert res.throttling is not None
        summary = (
            f'<div class="summary"><p><b>Equilibrium:</b> '
            f'{_e(_policy_words(eq.route, eq.cascade))}; the user '
            f'{_e(_abandon_words(eq.abandon))}. Provider cost J* = '
            f'{_num(_f(eq.provider_cost))} {_e(cost_u)}, user utility U* = '
            f'{_num(_f(eq.user_utility))} {_e(lat_u)}. Regime: {_e(res.regime_names)}. '
            f'Misalignment gap ΔU = {_num(_f(res.misalignment_gap))}. Throttling '
            f'{"pays" if bool(res.throttling.pays) else "does not pay"}.</p>'
            f'<p><b>Decision guideline.</b> {_e(sol["guideline"])}</p></div>')
        body = [
            _regime_section(res),
            _equilibrium_section(res, cost_u, lat_u),
            _gap_section(res, lat_u, cost_u),
            _throttling_section(g, res, cost_u, lat_u),
            f"<h2>Decision guideline</h2><p>{_e(sol['guideline'])}</p>",
        ]
    else:
        summary = (
            f'<div class="summary"><p><b>Equilibrium</b> ({res.num_models} models): provider '
            f"cost J* = {_num(_f(eq.provider_cost))} {_e(cost_u)}, user utility U* = "
            f"{_num(_f(eq.user_utility))} {_e(lat_u)}, success S = {_num(_f(eq.success))}. "
            f"Misalignment gap ΔU = {_num(_f(res.misalignment_gap))}.</p></div>")
        body = [_k_model_sections(res, cost_u, lat_u),
                "<p>Regimes, thresholds, throttling and the figures describe the paper's "
                "two-model game; they are not drawn for K-model games.</p>"]
    figs = []
    for fname, _, _, caption in _FIGURES:
        key = f"{fname}.png"
        if key not in figures:
            continue
        b64 = base64.b64encode(figures[key]).decode("ascii")
        figs.append(f'<figure id="{_e(fname)}"><img alt="{_e(caption)}" '
                    f'src="data:image/png;base64,{b64}"><figcaption>{_e(caption)} '
                    f'<span class="small">(file: <code>{_FIG_DIR}/{_e(key)}</code>)</span>'
                    f"</figcaption></figure>")
    desc = f"<p>{_e(sc.description)}</p>" if sc.description else ""
    where = f" from <code>{_e(sc.path.name)}</code>" if sc.path is not None else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>routegame report: {_e(sc.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Routing game report: {_e(sc.name)}</h1>",
        f'<p class="small">Scenario <code>{_e(sc.name)}</code> version {sc.version}{where}; '
        f"generated by routegame {_e(__version__)}. Model: Mahmood, “Routing, Cascades, and "
        "User Choice for LLMs” (ICLR 2026, arXiv 2602.09902), solved exactly.</p>",
        desc,
        summary,
        _params_section(sc),
        *body,
        "<h2>Figures</h2>" + ("".join(figs) if figs else "<p>No figures.</p>"),
        _json_block(sc, sol),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


# ---------------------------------------------------------------------------------------------
# public API


def build_report(scenario: Any = None, *, n: int = 160, figures: bool = True) -> Report:
    """Render the report of a game in memory (two-model games get the paper's full analysis).

    Parameters
    ----------
    scenario : str, Scenario or GameParams, optional
        A shipped scenario's name, a scenario (e.g. from :func:`routegame.scenarios.load_config`)
        or bare parameters. Default: ``"default"``.
    n : int
        Grid points per axis of the maps (the figures cost about n² games each).
    figures : bool
        Render the figures (needs matplotlib); False gives a text-only report.

    Returns
    -------
    Report

    Raises
    ------
    ParameterError
        Unknown scenario or a bad ``n``.
    """
    from routegame.engines import solve

    sc = _as_scenario(scenario)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 2000:
        raise ParameterError("n", f"must be an integer in [2, 2000], got {n!r}")
    res = solve(sc.params)
    figs = _render_figures(sc, n) if figures and res.kind == "two-model" else {}
    return Report(html=_html(sc, res, figs), figures=figs, solution=res.to_json_dict(),
                  scenario=sc, result=res)


def _is_report_dir(path: Path) -> bool:
    """An existing directory we may replace: empty, or holding a previous report."""
    return path.is_dir() and (not any(path.iterdir()) or (path / REPORT_FILE).is_file())


def _update_report_dir(target: Path, report: Report) -> None:
    """Replace, file by file, only what a report writes (other files in ``target`` stay).

    Every file is written beside its final name and renamed into place (atomic per file);
    ``report.html`` goes last, so a failure leaves the previous report readable.
    """
    fig_dir = target / _FIG_DIR
    if report.figures:
        fig_dir.mkdir(exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        items = [(fig_dir / name, data) for name, data in report.figures.items()]
        items.append((target / REPORT_FILE, report.html.encode("utf-8")))
        for final, data in items:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp_name, 0o644)
            staged.append((Path(tmp_name), final))
        for tmp_path, final in staged:
            os.replace(tmp_path, final)
    except BaseException:
        for tmp_path, _ in staged:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
        raise


def write_report(
    out_dir: str | os.PathLike[str],
    scenario: Any = None,
    *,
    overwrite: bool = False,
    n: int = 160,
    figures: bool = True,
) -> Path:
    """Write ``out_dir/report.html`` and ``out_dir/figures/*.png`` atomically.

    A new directory is built under a temporary name beside ``out_dir`` and renamed into place,
    so a failure leaves nothing half-written. An existing ``out_dir`` is refused unless
    ``overwrite``; even then only a directory that is empty or holds a previous report
    (a ``report.html``) is updated, and only the files a report writes are replaced (each
    atomically): other files in it are never deleted.

    Parameters
    ----------
    out_dir : path
        The report directory.
    scenario : str, Scenario or GameParams, optional
        See :func:`build_report`.
    overwrite : bool
        Replace an existing report directory.
    n : int
        Grid points per axis of the maps.
    figures : bool
        Render the figures (False: a text-only report, no ``figures/`` directory).

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    ParameterError
        ``--out`` exists (without ``overwrite``), is not a report directory, or its parent
        does not exist; or a bad scenario.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "rep"
    >>> write_report(d, "default", figures=False).name
    'report.html'
    >>> write_report(d, "default", figures=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: --out: ...rep exists; pass --overwrite to replace it
    """
    target = Path(out_dir)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise ParameterError("--out", f"{target} exists; pass --overwrite to replace it")
        if not _is_report_dir(target):
            raise ParameterError(
                "--out", f"{target} exists and is not a routegame report directory (no "
                f"{REPORT_FILE}); refusing to replace it")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise ParameterError("--out", f"directory {parent} does not exist")
    report = build_report(scenario, n=n, figures=figures)
    if target.is_dir():
        _update_report_dir(target, report)
        return target / REPORT_FILE
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        if report.figures:
            (tmp / _FIG_DIR).mkdir()
        for name, data in report.figures.items():
            (tmp / _FIG_DIR / name).write_bytes(data)
        (tmp / REPORT_FILE).write_text(report.html, encoding="utf-8")
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it the usual mode
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target / REPORT_FILE
