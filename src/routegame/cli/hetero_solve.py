"""``routegame solve`` on a heterogeneous scenario (a task table): the real-data equilibrium
beside the i.i.d. one. Called from :mod:`routegame.cli.solve_cmd` (a few lines there)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routegame.errors import ParameterError

__all__ = ["hetero_source", "solve_hetero", "solve_hetero_json"]


def hetero_source(scenario: str | None, config: str | None) -> str | None:
    """The scenario name or config path when it is heterogeneous (has a task table), else None."""
    from routegame.hetero.scenarios import is_hetero_config, is_hetero_scenario

    if scenario is not None and is_hetero_scenario(scenario):
        return scenario
    if config is not None and is_hetero_config(config):
        return config
    return None


def solve_hetero_json(source: str, tie_break: str, overrides: Mapping[str, Any] | None = None,
                      user: str | None = None, policies: str = "paper") -> dict[str, Any]:
    """The JSON answer for a heterogeneous scenario: the batch schema (with the certificates
    ``response_gap`` and ``truncation_bound`` in every policy block, and the ``all_policies``
    block with ``policies="all"``) plus the cost of following the i.i.d. prescription on the
    data (``follow_iid``).

    Examples
    --------
    >>> d = solve_hetero_json("lcb-gpt-4o-mini-vs-o3-mini", "strong")
    >>> sorted(k for k in d if k in ("equilibrium", "iid", "follow_iid", "scenario"))
    ['equilibrium', 'follow_iid', 'iid', 'scenario']
    """
    import numpy as np

    from routegame.hetero.engine import _check_policies
    from routegame.hetero.protocol import HeteroEngine
    from routegame.hetero.scenarios import load_hetero
    from routegame.model.params import GameParams

    sc = load_hetero(source)
    g = sc.game
    ov = dict(overrides or {})
    if ov.get("success_prob") is not None:
        raise ParameterError("--success-prob", "a heterogeneous scenario has a task table; "
                             "edit its [tasks] instead")
    V = _scalar(ov.get("task_value"), "task_value", "--task-value", g.task_value)
    P = _scalar(ov.get("penalty"), "penalty", "--penalty", g.penalty)
    t = _pair(ov.get("latency"), "latency", g.latency)
    c = _pair(ov.get("cost"), "cost", g.cost)
    m = np.clip(g.tasks.mean(), 1e-12, 1.0 - 1e-12)
    params = GameParams.two_model(V, P, t, c, (float(m[0]), float(m[1])))
    try:
        pol = _check_policies(policies)
    except ParameterError:
        raise ParameterError("--policies", f"must be paper or all, got {policies!r}") from None
    if pol == "all" and (user or g.user) == "bayes":
        raise ParameterError("--policies", "all is not available for the Bayes user (it is "
                             "solved on the paper's class (route, s)); use paper")
    if user == "hazard" and g.user != "hazard":
        raise ParameterError("--user", "hazard needs the abandon probability after each failure, "
                             "which this scenario does not give: use a batch line with "
                             '"user": "hazard", "hazard": [h1, h2, ...]')
    eng = HeteroEngine(g.tasks, user or g.user, hazard=tuple(g.hazard), policies=pol)
    out: dict[str, Any] = {"scenario": sc.name, "description": sc.description,
                           "models": list(sc.model_names), "units": sc.units}
    out.update(eng.solve_json(params, tie_break))  # type: ignore[arg-type]
    iid_eq = out["iid"]["equilibrium"]
    route, s = int(iid_eq["route"]), float(iid_eq["cascade"])
    st = np.eye(2)[route - 1]
    R = np.array([[1 - s, s], [0.0, 1.0]])
    br = eng.best_response(params, st, R, tie_break)  # type: ignore[arg-type]
    J_star = float(out["equilibrium"]["provider_cost"])
    out["follow_iid"] = {
        "route": route, "cascade": s, "abandon": br.abandon,
        "provider_cost": br.provider_cost, "user_utility": br.user_utility,
        "excess_cost": br.provider_cost / J_star - 1.0 if J_star > 0 else None,
    }
    return out


def _scalar(text: Any, field: str, label: str, default: float) -> float:
    """A command-line number (a string from the shared game flags) or the scenario's value."""
    if text is None:
        return float(default)
    from routegame.cli._common import _number

    return _number(str(text), field, label)


def _pair(text: Any, field: str, default: Any) -> tuple[float, float]:
    if text is None:
        return float(default[0]), float(default[1])
    from routegame.cli._common import _values

    a, b = _values(str(text), field, 2)
    return a, b


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, list):
        return "(" + ", ".join(_fmt(v) for v in x) + ")"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def solve_hetero(console: Any, source: str, tie_break: str, *, as_json: bool,
                 overrides: Mapping[str, Any] | None = None, user: str | None = None,
                 given_flags: Sequence[str] = (), policies: str = "paper") -> None:
    """Print the answer (tables, or one JSON line with ``as_json``)."""
    import json

    d = solve_hetero_json(source, tie_break, overrides, user, policies)
    if as_json:
        from routegame.model.results import round_json

        print(json.dumps(round_json(d), allow_nan=False, default=lambda o: None))
        return

    title = f"heterogeneous scenario {d['scenario']}: {d['description']}"
    if given_flags:
        title += f"; overridden: {', '.join(given_flags)}"
    console.print(title, markup=False, style="bold")
    cu = d["units"].get("cost", "")
    console.print(
        f"{d['num_tasks']} tasks, mean success probabilities {_fmt(d['mean_success_prob'])} "
        f"({d['models'][0]}, {d['models'][1]}); user: {d['user']}; tie-break: {tie_break}",
        markup=False)
    rows = []
    for label, part in (("equilibrium", "equilibrium"), ("weak eq.", "equilibrium_weak"),
                        ("user-preferred", "user_preferred")):
        for src, block in (("data", d), ("i.i.d.", d["iid"])):
            p = block[part]
            rows.append([label if src == "data" else "", src, _fmt(p["route"]),
                         _fmt(p["cascade"]), _fmt(p["abandon"]), _fmt(p["provider_cost"]),
                         _fmt(p["user_utility"]), _fmt(p.get("response_gap"))])
    console.print(_number_table(
        "real data (task table) vs the i.i.d. game with the mean probabilities",
        ["", "policy", "route", "s", "q", f"J {cu}".strip(), "U", "gap"], rows, 2), markup=False)
    console.print("s: cascade probability, q: abandon probability after a failure; gap: "
                  "the response gap, no response of the user beats the reported one by more "
                  "(certified)" + ("; Bayes truncation bound "
                                   f"{_fmt(d['equilibrium'].get('truncation_bound'))}"
                                   if d["user"] == "bayes" else ""), markup=False)
    if "all_policies" in d:
        _render_all(console, d["all_policies"], cu)
    f = d["follow_iid"]
    console.print(
        f"misalignment gap: data {_fmt(d['misalignment_gap'])}, i.i.d. "
        f"{_fmt(d['iid']['misalignment_gap'])}; price of alignment: data "
        f"{_fmt(d['price_of_alignment'])}, i.i.d. {_fmt(d['iid']['price_of_alignment'])}",
        markup=False)
    excess = f["excess_cost"]
    console.print(
        f"following the i.i.d. prescription (route {f['route']}, s = {_fmt(f['cascade'])}) on "
        f"the data: the user answers q = {_fmt(f['abandon'])}, J = {_fmt(f['provider_cost'])}"
        + (f" ({100 * excess:+.3g}% vs the data optimum)" if excess is not None else ""),
        markup=False)


def _number_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
                  labels: int) -> Any:
    """A rich table whose number columns are never cut (a piped or 80-column table still shows
    every digit): numbers keep their full width, headers and the label columns fold."""
    from rich.table import Table

    t = Table(title=title, show_edge=False)
    for j, col in enumerate(headers):
        width = max(len(r[j]) for r in rows) if j >= labels else None
        t.add_column(col, justify="left" if j < labels else "right", overflow="fold",
                     min_width=width)
    for r in rows:
        t.add_row(*r)
    return t


def _render_all(console: Any, a: Mapping[str, Any], cu: str) -> None:
    """The optimum over all policies (start pi_1, cascade s, way back u) on the data."""

    rows = []
    for label, part in (("equilibrium", "equilibrium"), ("weak eq.", "equilibrium_weak"),
                        ("user-preferred", "user_preferred")):
        p = a[part]
        rows.append([label, _fmt(p["start"][0]), _fmt(p["cascade"][0][1]),
                     _fmt(p["cascade"][1][0]), _fmt(p["abandon"]), _fmt(p["provider_cost"]),
                     _fmt(p["user_utility"]), _fmt(p["response_gap"])])
    console.print(_number_table(
        "all policies on the data: start pi_1 = P(first pass on M1), s = R_12, u = R_21 "
        "(way back)", ["", "pi_1", "s", "u", "q", f"J {cu}".strip(), "U", "gap"], rows, 1),
        markup=False)
    paper, saving = a["paper_class_cost"], a["saving"]
    rel = f" ({100 * saving / paper:.3g}% of the paper class's J)" if paper else ""
    console.print(
        f"paper class (route, s): J = {_fmt(paper)}; all policies save {_fmt(saving)}{rel}. "
        f"Best found on a lattice of step {_fmt(a['lattice_step'])} plus refinement to "
        f"{_fmt(a['refine_step'])} ({a['evaluations']} policies); not a certified global "
        "minimum (J jumps with the user's response).", markup=False)
