"""The report of a heterogeneous scenario: the real-data equilibrium beside the i.i.d. one.

``routegame report --scenario lcb-...`` (or ``--config`` of a ``routegame calibrate --out``
file) renders this page instead of the paper's two-model analysis, which describes the i.i.d.
game only. Sections:

* the game: V, P, the two models (latency, cost, mean success probability), the tasks, the
  source of every number (the scenario's ``[sources]``);
* data vs i.i.d.: the equilibrium (strong and weak), the user-preferred policy, the gap and the
  price of alignment of the data game (task table, :class:`routegame.hetero.HeteroEngine`) and
  of the i.i.d. game with the mean success probabilities, side by side; what following the
  i.i.d. prescription costs on the data;
* bootstrap intervals (problems resampled, the calibration refitted) for J*, U* and the gap of
  both games and the frequency of each optimal policy class, when the scenario's models are a
  calibrated pair (:data:`routegame.hetero.calibration.PAIRS`);
* figures: the provider's cost J(s) along route 1 against the user's best response (data and
  i.i.d.), the optimal policy class over a (V, P) grid (data and i.i.d.), and the task table.

Everything shown is read from :class:`~routegame.model.results.GameResult` and the bootstrap's
output; nothing is recomputed for display.
"""

from __future__ import annotations

import html
import io
import json
from typing import Any

import numpy as np

from routegame.present.wording import fmt_value, policy_label

__all__ = ["REPLICATES", "build_real_data_report"]

#: Bootstrap replicates of the report (each one a calibrated equilibrium, about 1 s).
REPLICATES = 20


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _n(x: Any) -> str:
    return _e(fmt_value(x))


def _table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{c}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _policy(p: dict[str, Any]) -> str:
    return _e(policy_label(int(p["route"]), float(p["cascade"])))


def _compare_section(d: dict[str, Any], cu: str, lu: str) -> str:
    rows = []
    for label, part in (("equilibrium (strong)", "equilibrium"),
                        ("equilibrium (weak)", "equilibrium_weak"),
                        ("user-preferred", "user_preferred")):
        for src, block in (("data", d), ("i.i.d.", d["iid"])):
            p = block[part]
            rows.append([_e(label) if src == "data" else "", src, _policy(p),
                         _n(p["route"]), _n(p["cascade"]), _n(p["abandon"]),
                         _n(p["provider_cost"]), _n(p["user_utility"])])
    for label, key in (("misalignment gap ΔU", "misalignment_gap"),
                       ("price of alignment", "price_of_alignment")):
        rows.append([_e(label), "data / i.i.d.", "", "", "", "", _n(d[key]) + " / "
                     + _n(d["iid"][key]), ""])
    f = d["follow_iid"]
    excess = f["excess_cost"]
    label = policy_label(int(f["route"]), float(f["cascade"]))
    follow = (f"<p><b>Following the i.i.d. prescription</b> ({_e(label)}) on the data: the "
              f"real user answers q = {_n(f['abandon'])}, "
              f"the provider pays J = {_n(f['provider_cost'])} {_e(cu)}"
              + (f", {100 * excess:+.3g}% against the data optimum" if excess is not None
                 else "") + f"; the user gets U = {_n(f['user_utility'])} {_e(lu)}.</p>")
    return ("<h2>Real data vs the i.i.d. game</h2><p>The data game solves the routing game on "
            "the task table (passes independent given the task, the task drawn once per "
            "episode); the i.i.d. game is the paper's game with the tasks' mean success "
            "probabilities. Abandon q is the user's probability of leaving after a failure "
            "(one per model for the state-aware user).</p>"
            + _table(["", "game", "policy", "route", "cascade s", "abandon q",
                      f"J ({_e(cu)})", f"U ({_e(lu)})"], rows) + follow)


def _bootstrap_section(b: dict[str, Any] | None, pair: str | None, cu: str, lu: str) -> str:
    if b is None:
        return ("<h2>Uncertainty</h2><p>No bootstrap: the scenario's models are not one of the "
                "calibrated pairs (<code>routegame calibrate --list</code>).</p>")

    def ci(x: list[float]) -> str:
        return f"{_n(x[1])} [{_n(x[0])}, {_n(x[2])}]"

    rows = [["J* (" + _e(cu) + ")", ci(b["J"]), ci(b["iid_J"])],
            ["U* (" + _e(lu) + ")", ci(b["U"]), ci(b["iid_U"])],
            ["misalignment gap", ci(b["gap"]), "—"]]
    classes = sorted(set(b["policy_frequency"]) | set(b["iid_policy_frequency"]))
    for c in classes:
        rows.append([f"P(optimum is {_e(c)})", _n(b["policy_frequency"].get(c, 0.0)),
                     _n(b["iid_policy_frequency"].get(c, 0.0))])
    return (f"<h2>Uncertainty (bootstrap)</h2><p>{b['replicates']} replicates of pair "
            f"<code>{_e(pair)}</code>: LiveCodeBench problems resampled with replacement, the "
            "empirical-Bayes prior refitted, both games solved on each; median "
            "[2.5%, 97.5%] percentiles (seed 0).</p>"
            + _table(["quantity", "data", "i.i.d."], rows))


def _params_section(sc: Any, d: dict[str, Any], cu: str, lu: str) -> str:
    g = sc.game
    m = g.tasks.mean()
    rows = [[_e(sc.model_names[k]), _n(g.latency[k]), _n(g.cost[k]), _n(m[k])] for k in range(2)]
    src = "".join(f"<li><code>{_e(k)}</code>: {_e(v)}</li>" for k, v in sc.sources.items())
    return (f"<h2>The game</h2><p>Task value V = {_n(g.task_value)} {_e(lu)}, penalty P = "
            f"{_n(g.penalty)} {_e(cu)}, user: {_e(d['user'])}, {d['num_tasks']} task types "
            "(identical rows merged).</p>"
            + _table(["model", f"latency ({_e(lu)})", f"cost ({_e(cu)})",
                      "mean success probability"], rows)
            + (f"<p>Sources:</p><ul>{src}</ul>" if src else ""))


def _figures(sc: Any, d: dict[str, Any], n: int) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from routegame import closed_form as cf
    from routegame.hetero.provider import respond
    from routegame.hetero.realdata import policy_class

    g = sc.game
    out: dict[str, bytes] = {}

    def save(fig: Any, name: str) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        out[name] = buf.getvalue()

    # 1. J(s) along route 1 against the user's best response, data and i.i.d.
    s = np.linspace(0.0, 1.0, max(11, min(n, 201)))
    r = respond(g.ctx, np.ones(s.size), s, np.zeros(s.size), "strong", certify=False)
    m = np.clip(g.tasks.mean(), 1e-12, 1 - 1e-12)
    iid = [cf.best_response(g.task_value, g.latency, m, 1, float(x), cost=g.cost,
                            penalty=g.penalty) for x in s]
    iid2 = cf.best_response(g.task_value, g.latency, m, 2, 0.0, cost=g.cost, penalty=g.penalty)
    r2 = respond(g.ctx, np.zeros(1), np.zeros(1), np.zeros(1), "strong", certify=False)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(s, r.provider_cost, label="data: route 1, cascade s", color="C0")
    ax.axhline(float(r2.provider_cost[0]), color="C0", ls=":", label="data: route 2")
    ax.plot(s, [float(x.provider_cost) for x in iid], label="i.i.d.: route 1, cascade s",
            color="C1")
    ax.axhline(float(iid2.provider_cost), color="C1", ls=":", label="i.i.d.: route 2")
    ax.set_xlabel("cascade s (probability that a re-prompt after an M1 failure goes to M2)")
    ax.set_ylabel(f"provider cost J ({sc.units.get('cost', 'cost units')})")
    ax.set_title("Provider's cost against the user's best response")
    ax.legend(fontsize=8)
    save(fig, "real_data_cost_curve.png")

    # 2. optimal policy class over (V, P), data and i.i.d.
    k = max(4, min(n, 16))
    V0, P0 = g.task_value, g.penalty
    Vs = np.geomspace(V0 / 4, V0 * 4, k)
    Ps = np.geomspace(P0 / 10, P0 * 10, k) if P0 > 0 else np.geomspace(1e-4, 1.0, k)
    classes = ["route 2", "route 1, s = 0", "route 1, 0 < s < 1", "route 1, s = 1"]
    if g.user in ("stationary", "state-aware"):
        pm = g.policy_map(Vs, Ps)
        data_cls = np.vectorize(policy_class)(pm["route"].astype(int), pm["cascade"])
        VV, PP = np.meshgrid(Vs, Ps, indexing="ij")
        sol = cf.solve_arrays(VV, PP, g.latency, g.cost, m)
        iid_cls = np.vectorize(policy_class)(np.asarray(sol.route).astype(int),
                                             np.asarray(sol.cascade))
        fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True)
        cmap = matplotlib.colors.ListedColormap(["#4c72b0", "#dd8452", "#55a868", "#c44e52"])
        for ax, cls, title in ((axes[0], data_cls, "data"), (axes[1], iid_cls, "i.i.d.")):
            codes = np.vectorize(classes.index)(cls)
            ax.pcolormesh(Vs, Ps, codes.T, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.plot([V0], [P0] if P0 > 0 else [Ps[0]], "k*", ms=10)
            ax.set_title(f"optimal policy: {title}")
            ax.set_xlabel(f"task value V ({sc.units.get('latency', 'latency units')})")
        axes[0].set_ylabel(f"penalty P ({sc.units.get('cost', 'cost units')})")
        handles = [matplotlib.patches.Patch(color=cmap(i), label=c) for i, c in enumerate(classes)]
        fig.legend(handles=handles, loc="upper center", ncol=4, fontsize=8,
                   bbox_to_anchor=(0.5, -0.02))
        save(fig, "real_data_policy_map.png")

    # 3. the task table
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    p = g.tasks.prob[:, :, 0]
    ax.scatter(p[:, 0], p[:, 1], s=4000 * g.tasks.weight, alpha=0.5)
    ax.set_xlabel(f"success probability of M1 ({sc.model_names[0]})", fontsize=8)
    ax.set_ylabel(f"success probability of M2 ({sc.model_names[1]})", fontsize=8)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("Task table (area: weight)")
    save(fig, "real_data_tasks.png")
    return out


_CAPTIONS = {
    "real_data_cost_curve.png": "Provider cost J along route 1 (and route 2, dotted) against "
                                "the user's best response: data (task table) and i.i.d.",
    "real_data_policy_map.png": "Optimal policy class over task value V and penalty P: data "
                                "and i.i.d. (star: the scenario's V and P).",
    "real_data_tasks.png": "The task table: per-task success probabilities of M1 and M2.",
}


def build_real_data_report(sc: Any, *, n: int = 160, figures: bool = True,
                           replicates: int = REPLICATES) -> Any:
    """A :class:`routegame.report.Report` of a heterogeneous scenario (see the module docstring).

    Parameters
    ----------
    sc : routegame.hetero.scenarios.HeteroScenario
    n : int
        Resolution of the figures (points along s; the (V, P) map uses min(n, 16) per axis).
    figures : bool
        Render the figures (needs matplotlib).
    replicates : int
        Bootstrap replicates (0: none).
    """
    import base64

    from routegame import __version__
    from routegame.cli.hetero_solve import solve_hetero_json
    from routegame.hetero.realdata import bootstrap, pair_for_models
    from routegame.report import _CSS, Report

    src = sc.path if sc.path is not None else sc.name
    d = solve_hetero_json(src, "strong")
    cu = sc.units.get("cost", "cost units")
    lu = sc.units.get("latency", "latency units")
    pair = pair_for_models(*sc.model_names)
    boot = None
    if pair is not None and replicates > 0:
        boot = bootstrap(pair, sc.game.task_value, sc.game.penalty, sc.game.user,
                         replicates=replicates, rng=0)
    figs = _figures(sc, d, n) if figures else {}
    fig_html = []
    for name, data in figs.items():
        b64 = base64.b64encode(data).decode("ascii")
        fig_html.append(f'<figure><img alt="{_e(_CAPTIONS[name])}" src="data:image/png;base64,'
                        f'{b64}"><figcaption>{_e(_CAPTIONS[name])} <span class="small">(file: '
                        f"<code>figures/{_e(name)}</code>)</span></figcaption></figure>")
    eq, iq = d["equilibrium"], d["iid"]["equilibrium"]
    summary = (f'<div class="summary"><p><b>Data:</b> {_policy(eq)}, J* = '
               f"{_n(eq['provider_cost'])} {_e(cu)}, U* = {_n(eq['user_utility'])} {_e(lu)}. "
               f"<b>i.i.d.:</b> {_policy(iq)}, J* = {_n(iq['provider_cost'])} {_e(cu)}, U* = "
               f"{_n(iq['user_utility'])} {_e(lu)}.</p></div>")
    solution = {"solution": d, "bootstrap": boot}
    text = json.dumps(solution, ensure_ascii=False, indent=1, allow_nan=False,
                      default=lambda o: None).replace("</", "<\\/")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>routegame report: {_e(sc.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Routing game report: {_e(sc.name)} (real data)</h1>",
        f'<p class="small">Heterogeneous scenario <code>{_e(sc.name)}</code> version '
        f"{sc.version}; generated by routegame {_e(__version__)}. Solved exactly on the task "
        "table and, beside it, as the paper's i.i.d. game.</p>",
        f"<p>{_e(sc.description)}</p>" if sc.description else "",
        summary,
        _params_section(sc, d, cu, lu),
        _compare_section(d, cu, lu),
        _bootstrap_section(boot, pair, cu, lu),
        "<h2>Figures</h2>" + ("".join(fig_html) if fig_html else "<p>No figures.</p>"),
        f'<script type="application/json" id="routegame-solution">\n{text}\n</script>',
        "</body></html>",
    ]
    html_text = "\n".join(p for p in parts if p) + "\n"
    return Report(html=html_text, figures=figs, solution=solution, scenario=sc, result=None)
