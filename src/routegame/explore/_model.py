"""The explorer's one adapter to the solvers: every solver result the page shows passes here.

The page (:mod:`routegame.explore.app`) never touches a solver or its result type; it asks this
module for plain display data (floats, strings, lists). When the solver's result type changes,
this is the only module to adapt.

What is computed (every game goes through :func:`routegame.solve`, which picks the engine: the
paper's closed forms for two models, the exact K-model engine otherwise):

* :func:`analyse`: the equilibrium (route, cascade, abandon, J, U, success), the user-preferred
  policy and its provider cost, the misalignment gap ΔU = U_pref - U*, the price of alignment
  J_pref - J*, the throttling verdict and least throttle, the guideline sentence.
* :func:`best_response_curve`: q*(s) on route 1 over a grid of s with the exact thresholds
  inserted, and the provider's cost J(s, q*(s)) along it.
* :func:`policy_map`: the provider-optimal policy class on an n x n grid of two parameters
  (one vectorised :func:`~routegame.closed_form.solve_arrays` call).
* :func:`sensitivity`: for each parameter, the interval around its value in which the
  recommendation (the policy class, see :func:`policy_class`) stays the same: a vectorised
  1-D scan on each side, then a vectorised bracket refinement (each round evaluates 8 interior
  points of every bracket, shrinking it 9-fold).
* :func:`hetero_view` (module :mod:`routegame.explore._hetero`): a calibrated heterogeneous
  scenario's real-data equilibrium beside the i.i.d. one, with bootstrap intervals.

What this module reads from the library (the only place the explorer does): the typed
:class:`~routegame.model.results.GameResult` of :func:`routegame.solve` and of
:func:`~routegame.closed_form.solve_arrays` (``equilibrium``, ``user_preferred``,
``throttling`` (``pays``, ``latency``, ``policy``), ``regime_names``, ``net_value``, ``s0``,
``s_low``, ``s_high``, ``misalignment_gap``, ``price_of_alignment``; a policy's ``route``,
``cascade``, ``abandon``, ``provider_cost``, ``user_utility``, ``success``, ``attained`` and,
K-model, ``start``, ``continuation``, ``kind``); :func:`routegame.guideline.guideline`;
:func:`~routegame.closed_form.best_response` (``abandon``, ``provider_cost``) and
:func:`~routegame.closed_form.thresholds`; the wording of :mod:`routegame.present.wording`;
:func:`routegame.report.build_report`, :class:`routegame.scenarios.Scenario` (``to_toml``),
:func:`~routegame.scenarios.load_scenario`, ``load_config``, ``list_scenarios``.

A *policy class* is what the provider recommends, in words: the route, whether re-prompts are
cascaded to M2 (none, partly, always) and how the user answers (stays, sometimes leaves, leaves
after the first failure). The cascade probability itself moves continuously with the parameters;
its class changes only at the thresholds, which is what "the recommendation changes" means here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from routegame.errors import ParameterError
from routegame.params import BOUNDS, TWO_MODEL_FIELDS, GameParams, check_scalar, describe_range

__all__ = [
    "FIELD_LABELS",
    "PER_MODEL",
    "Analysis",
    "CurveData",
    "MapData",
    "PolicyView",
    "SensitivityRow",
    "analyse",
    "best_response_curve",
    "game_from_fields",
    "hetero_choices",
    "hetero_view",
    "is_hetero",
    "parse_number",
    "policy_class",
    "policy_class_names",
    "policy_map",
    "report_html",
    "scenario_choices",
    "scenario_game",
    "sensitivity",
    "toml_text",
]

#: Per-model fields in the order shown on the page.
PER_MODEL: tuple[str, ...] = ("latency", "cost", "success_prob")

#: Human labels (symbol, words) of the game fields, by field name.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "task_value": ("V", "task value"),
    "penalty": ("P", "churn penalty"),
    "latency": ("t", "latency"),
    "cost": ("c", "cost"),
    "success_prob": ("p", "success probability"),
}

_EPS = 1e-9
_ROUTE_KINDS = ("route to M2", "M1, no cascade", "M1, partial cascade to M2", "M1, full cascade to M2")
_ABANDON_KINDS = ("user stays", "user sometimes leaves", "user leaves after a failure")


# ---------------------------------------------------------------------------------------------
# input: fields -> validated game


def parse_number(text: Any, field: str, label: str | None = None) -> float:
    """Parse what was typed in a field and check it against ``field``'s range.

    Same rule and message as the command line (``routegame solve --penalty abc``): a
    :class:`~routegame.errors.ParameterError` naming ``label`` and the allowed range.

    Examples
    --------
    >>> parse_number(" 2.5 ", "latency")
    2.5
    >>> parse_number("abc", "penalty")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: penalty: must be a number >= 0 and finite, got 'abc'
    >>> parse_number("1.2", "success_prob", "success_prob[2]")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: success_prob[2]: must be in (0, 1), got 1.2
    """
    name = label or field
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return check_scalar(float(text), field, name)
    s = "" if text is None else str(text).strip()
    try:
        x = float(s)
    except ValueError:
        raise ParameterError(name, f"must be a number {describe_range(field)}, got {s!r}") from None
    return check_scalar(x, field, name)


def field_label(field: str, model: int | None) -> str:
    """The CLI's name of a field: ``task_value``, ``penalty``, ``latency[2]`` ..."""
    return field if model is None else f"{field}[{model}]"


def game_from_fields(
    values: Mapping[tuple[str, int | None], Any], names: Sequence[str | None] | None = None
) -> tuple[GameParams | None, dict[tuple[str, int | None], str]]:
    """Validate every field; return the game (None if any field is bad) and the messages.

    ``values`` maps (field, model number or None) to what was typed. Messages are keyed the
    same way and read ``latency[1]: must be > 0 and finite, got -1``.

    Examples
    --------
    >>> vals = {("task_value", None): "10", ("penalty", None): "x",
    ...         ("latency", 1): "3", ("latency", 2): "6", ("cost", 1): "1", ("cost", 2): "4",
    ...         ("success_prob", 1): ".25", ("success_prob", 2): "1.2"}
    >>> game, errors = game_from_fields(vals)
    >>> game is None
    True
    >>> for message in sorted(errors.values()):
    ...     print(message)
    penalty: must be a number >= 0 and finite, got 'x'
    success_prob[2]: must be in (0, 1), got 1.2
    """
    numbers: dict[tuple[str, int | None], float] = {}
    errors: dict[tuple[str, int | None], str] = {}
    for (field, model), text in values.items():
        try:
            numbers[field, model] = parse_number(text, field, field_label(field, model))
        except ParameterError as exc:
            errors[field, model] = str(exc)
    if errors:
        return None, errors
    k = max(m for (_, m) in values if m is not None)
    lists = {f: [numbers[f, j] for j in range(1, k + 1)] for f in PER_MODEL}
    nm = list(names) if names is not None else [None] * k
    nm = [(x or "").strip() or None for x in nm] + [None] * (k - len(nm))
    try:
        game = GameParams.from_lists(
            numbers["task_value", None],
            numbers["penalty", None],
            lists["latency"],
            lists["cost"],
            lists["success_prob"],
            names=nm[:k],
        )
    except ParameterError as exc:  # pragma: no cover - every field was checked above
        return None, {("task_value", None): str(exc)}
    return game, {}


# ---------------------------------------------------------------------------------------------
# scenarios and export


def scenario_choices() -> list[tuple[str, str, int]]:
    """(name, description, number of models) of every built-in scenario."""
    from routegame.scenarios import list_scenarios

    return [(s.name, s.description, s.num_models) for s in list_scenarios()]


def hetero_choices() -> list[tuple[str, str]]:
    """(name, description) of every calibrated heterogeneous scenario (real-data task tables)."""
    from routegame.explore._hetero import hetero_scenarios

    return list(hetero_scenarios())


def is_hetero(name: str | None) -> bool:
    """Whether ``name`` is a calibrated heterogeneous scenario (see :mod:`routegame.explore._hetero`)."""
    from routegame.explore._hetero import is_hetero as _is

    return _is(name)


def hetero_view(name: str, game: GameParams | None = None) -> Any:
    """The real-data vs i.i.d. comparison of a calibrated scenario (a ``HeteroView``; cached),
    at its calibration or, for another two-model ``game``, at that game's V, P, t and c."""
    from routegame.explore._hetero import hetero_view as _view

    return _view(name, game)


def scenario_game(name: str | None = None, config: str | None = None) -> tuple[GameParams, dict[str, str], str]:
    """The game, units and name of a built-in scenario or a TOML file (default: ``default``)."""
    from routegame.scenarios import load_config, load_scenario

    if name is not None and config is not None:
        raise ParameterError("source", "give one of --scenario and --config, not both")
    if config is None and is_hetero(name):
        from routegame.explore._hetero import iid_game

        assert name is not None
        game, units, _models = iid_game(name)
        return game, units, name
    sc = load_config(config) if config is not None else load_scenario(name or "default")
    return sc.params, dict(sc.units), sc.name


def _scenario(game: GameParams, units: Mapping[str, str], name: str, description: str) -> Any:
    from routegame.scenarios import Scenario

    return Scenario(name=name, version=1, description=description, params=game, units=dict(units))


def toml_text(game: GameParams, units: Mapping[str, str], name: str = "explored") -> str:
    """The game as a scenario TOML document (the schema of :mod:`routegame.scenarios`).

    Examples
    --------
    >>> import tomllib
    >>> from routegame.scenarios import scenario_from_dict
    >>> g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> scenario_from_dict(tomllib.loads(toml_text(g, {}))).params == g
    True
    """
    return _scenario(game, units, name, "Exported from routegame explore").to_toml(
        header="Exported from the routegame explorer; load with: routegame solve --config FILE"
    )


def report_html(game: GameParams, units: Mapping[str, str], name: str = "explored", n: int = 100) -> str:
    """The HTML report of :mod:`routegame.report` for a two-model game."""
    from routegame.report import build_report

    return build_report(_scenario(game, units, name, "Exported from routegame explore"), n=n).html


# ---------------------------------------------------------------------------------------------
# policy classes


def policy_class(route: Any, cascade: Any, abandon: Any) -> np.ndarray:
    """Integer class of (route, cascade, abandon), broadcasting: 3 * route kind + abandon kind.

    Examples
    --------
    >>> policy_class(2, 0.0, 0.0), policy_class(1, 0.2, 0.0), policy_class(1, 1.0, 1.0)
    (array(0), array(6), array(11))
    """
    r = np.asarray(route)
    s = np.asarray(cascade, dtype=float)
    q = np.asarray(abandon, dtype=float)
    kind = np.where(r == 2, 0, np.where(s <= _EPS, 1, np.where(s >= 1 - _EPS, 3, 2)))
    ab = np.where(q <= _EPS, 0, np.where(q >= 1 - _EPS, 2, 1))
    return np.asarray(3 * kind + ab)


def policy_class_names() -> list[str]:
    """Names of the classes of :func:`policy_class`, by code."""
    return [f"{r}; {a}" for r in _ROUTE_KINDS for a in _ABANDON_KINDS]


# ---------------------------------------------------------------------------------------------
# the headline answer


@attrs.frozen
class PolicyView:
    """A policy, the user's answer and its outcomes, ready to print."""

    words: str
    route: int | None
    cascade: float | None
    abandon: float | tuple[float, ...]
    provider_cost: float
    user_utility: float
    success: float
    attained: bool = True


@attrs.frozen
class Analysis:
    """Everything the page prints about one game (numbers and sentences)."""

    num_models: int
    regime: str | None
    net_value: tuple[float, ...]
    thresholds: dict[str, float | None]
    equilibrium: PolicyView
    user_preferred: PolicyView
    misalignment_gap: float
    price_of_alignment: float
    throttle_pays: bool | None
    throttle_words: str
    guideline: str
    recommendation: str
    notes: tuple[str, ...] = ()


def _two_model_words(route: int, s: float, q: float = 0.0) -> str:
    from routegame.present.wording import policy_words

    return policy_words(route, s, q)


def _g(x: float) -> str:
    return f"{x:.4g}"


def _f(x: Any) -> float:
    return float(np.asarray(x))


def _two_model_view(p: Any, *, attained: bool = True) -> PolicyView:
    """A :class:`PolicyView` of a two-model :class:`~routegame.model.results.PolicyResult`."""
    route, s, q = int(np.asarray(p.route)), _f(p.cascade), _f(p.abandon)
    return PolicyView(
        _two_model_words(route, s, q), route, s, q, _f(p.provider_cost), _f(p.user_utility),
        _f(p.success), attained,
    )


def analyse(game: GameParams, tie_break: str = "strong", user: str = "stationary") -> Analysis:
    """Solve ``game`` and return the headline answer (two-model closed form or K-model engine).

    Both go through :func:`routegame.solve` and read its :class:`~routegame.model.results.GameResult`.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> a = analyse(g)
    >>> a.equilibrium.route, round(a.equilibrium.cascade, 4), a.regime
    (1, 0.2, 'latency-value')
    """
    if game.num_models != 2:
        return _analyse_k(game, tie_break, user)
    import routegame as rg
    from routegame.guideline import guideline
    from routegame.present.wording import response_words

    res = rg.solve(game, tie_break=tie_break)  # type: ignore[arg-type]
    eq = res.equilibrium
    attained = True if eq.attained is None else bool(np.asarray(eq.attained))
    eqv = _two_model_view(eq, attained=attained)
    prefv = _two_model_view(res.user_preferred)
    th = res.throttling
    assert th is not None  # the two-model engine always fills it
    if bool(np.asarray(th.pays)):
        t_old, t_new = game.latency, [float(x) for x in np.asarray(th.latency)]
        moves = [f"t{k + 1}: {_g(t_old[k])} → {_g(t_new[k])}" for k in range(2) if t_new[k] > t_old[k]]
        tp = _two_model_view(th.policy)
        throttle = (
            f"Throttling pays. Least throttle: {', '.join(moves) or 'none'}; then the provider "
            f"would {tp.words}, and {response_words(float(tp.abandon))} "  # type: ignore[arg-type]
            f"(q = {_g(float(tp.abandon))}): J = {_g(tp.provider_cost)} "  # type: ignore[arg-type]
            f"(< J* = {_g(eqv.provider_cost)}), U = {_g(tp.user_utility)}."
        )
    else:
        throttle = (
            "Throttling does not pay: no increase of the latencies lowers the provider's cost "
            f"below J* = {_g(eqv.provider_cost)}."
        )
    code = int(policy_class(eqv.route, eqv.cascade, eqv.abandon))
    notes = []
    assumptions = game.standing_assumptions()
    if assumptions:
        notes.append(
            "The paper's standing assumptions fail here: "
            + ", ".join(assumptions)
            + " (the exact solver does not need them)."
        )
    if not eqv.attained:
        notes.append(
            "Under weak tie-breaking this provider cost is only approached (an infimum), "
            "not attained by any policy."
        )

    def th_value(name: str) -> float | None:
        x = _f(getattr(res, name))
        return None if math.isnan(x) else x

    return Analysis(
        num_models=2,
        regime=str(res.regime_names),
        net_value=tuple(float(x) for x in np.asarray(res.net_value)),
        thresholds={k: th_value(k) for k in ("s0", "s_low", "s_high")},
        equilibrium=eqv,
        user_preferred=prefv,
        misalignment_gap=_f(res.misalignment_gap),
        price_of_alignment=_f(res.price_of_alignment),
        throttle_pays=bool(np.asarray(th.pays)),
        throttle_words=throttle,
        guideline=guideline(res),
        recommendation=policy_class_names()[code],
        notes=tuple(notes),
    )


def _k_words(start: Sequence[float], continuation: Sequence[float], kind: str, names: Sequence[str]) -> str:
    def dist(d: Sequence[float]) -> str:
        parts = [(names[k], x) for k, x in enumerate(d) if x > _EPS]
        if len(parts) == 1:
            return parts[0][0]
        return " / ".join(f"{n} ({x:.3g})" for n, x in parts)

    first = f"start on {dist(start)}"
    if kind == "abandon":
        return first + "; the user leaves after a failure"
    return first + f"; re-prompt on {dist(continuation)}"


def _analyse_k(game: GameParams, tie_break: str, user: str) -> Analysis:
    import routegame as rg

    names = [f"M{k + 1}" for k in range(game.num_models)]
    res = rg.solve(game, user=user, tie_break=tie_break)  # type: ignore[arg-type]
    views = []
    for e in (res.equilibrium, res.user_preferred):
        start = [float(x) for x in np.asarray(e.start)]
        cont = [float(x) for x in np.asarray(e.continuation)]
        ab = np.asarray(e.abandon, dtype=float)
        route = int(np.asarray(e.route))
        views.append(
            PolicyView(
                _k_words(start, cont, str(e.kind), names),
                route or None,
                None,
                float(ab) if ab.ndim == 0 else tuple(float(x) for x in ab),
                _f(e.provider_cost),
                _f(e.user_utility),
                _f(e.success),
                True if e.attained is None else bool(np.asarray(e.attained)),
            )
        )
    eqv, prefv = views
    return Analysis(
        num_models=game.num_models,
        regime=None,
        net_value=tuple(float(x) for x in np.asarray(res.net_value)),
        thresholds={},
        equilibrium=eqv,
        user_preferred=prefv,
        misalignment_gap=_f(res.misalignment_gap),
        price_of_alignment=_f(res.price_of_alignment),
        throttle_pays=None,
        throttle_words="The throttling analysis is a two-model result; not available for "
        f"{game.num_models} models.",
        guideline=(
            f"{game.num_models} models, {user} user: the exact K-model engine optimises over all "
            f"policies (start distribution, cascade matrix); its optimum is to {eqv.words}."
        ),
        recommendation=eqv.words,
        notes=(
            "Thresholds, the best-response curve, the policy map, throttling and the sensitivity "
            "ranges are closed-form two-model results and are shown for two-model games only.",
        ),
    )


# ---------------------------------------------------------------------------------------------
# the user's best-response curve


@attrs.frozen
class CurveData:
    """q*(s) and J(s, q*(s)) on route 1, the thresholds, and the route-2 answer."""

    cascade: list[float]
    abandon: list[float]
    provider_cost: list[float]
    thresholds: dict[str, float | None]
    route2_abandon: float
    route2_cost: float


def best_response_curve(game: GameParams, tie_break: str = "strong", n: int = 201) -> CurveData:
    """The user's best response on route 1 over s in [0, 1] (thresholds inserted exactly).

    At a threshold where q* jumps both one-sided values are included (s - 1e-9 and s), so the
    drawn curve shows the jump.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> c = best_response_curve(g, n=11)
    >>> c.abandon[0], c.abandon[-1], round(c.thresholds["s0"], 4)
    (1.0, 0.0, 0.2)
    """
    from routegame import closed_form as cf

    V, P, t, c, p = game.task_value, game.penalty, game.latency, game.cost, game.success_prob
    s0, sl, sh = (float(x) for x in cf.thresholds(V, t, p))
    th = {"s0": s0, "s_low": sl, "s_high": sh}
    extra = [x for x in th.values() if not math.isnan(x) and 0 <= x <= 1]
    grid = np.unique(np.concatenate([np.linspace(0, 1, n), extra, [max(0.0, x - 1e-9) for x in extra]]))
    br = cf.best_response(V, t, p, 1, grid, cost=c, penalty=P, tie_break=tie_break)
    br2 = cf.best_response(V, t, p, 2, 0.0, cost=c, penalty=P, tie_break=tie_break)
    return CurveData(
        grid.tolist(),
        np.asarray(br.abandon).tolist(),
        np.asarray(br.provider_cost).tolist(),
        {k: (None if math.isnan(v) else v) for k, v in th.items()},
        float(br2.abandon),
        float(br2.provider_cost),
    )


# ---------------------------------------------------------------------------------------------
# grids of games


def _flat_values(game: GameParams) -> dict[str, float]:
    return dict(
        zip(
            TWO_MODEL_FIELDS,
            [float(x) for x in (game.task_value, game.penalty, *game.latency, *game.cost, *game.success_prob)],
            strict=True,
        )
    )


def _base(field: str) -> str:
    return field.rsplit("_", 1)[0] if field[-1].isdigit() else field


def _solve_grid(game: GameParams, columns: Mapping[str, np.ndarray], tie_break: str) -> Any:
    """solve_arrays over games equal to ``game`` except the given flat fields (same shape)."""
    from routegame.closed_form import solve_arrays

    v = _flat_values(game)
    shape = next(iter(columns.values())).shape
    arr = {f: (columns[f] if f in columns else np.full(shape, v[f])) for f in TWO_MODEL_FIELDS}
    pair = {b: np.stack([arr[f"{b}_1"], arr[f"{b}_2"]], axis=-1) for b in PER_MODEL}
    return solve_arrays(
        arr["task_value"],
        arr["penalty"],
        pair["latency"],
        pair["cost"],
        pair["success_prob"],
        tie_break=tie_break,
    )


def _classes(sol: Any) -> np.ndarray:
    eq = sol.equilibrium
    return policy_class(eq.route, eq.cascade, eq.abandon)


def axis_range(game: GameParams, field: str) -> tuple[float, float, bool]:
    """(low, high, log) of a map axis around the game's value of ``field``."""
    x = _flat_values(game)[field]
    base = _base(field)
    if base == "success_prob":
        return max(0.005, x - 0.3), min(0.995, x + 0.3), False
    if x == 0.0:
        ref = float(np.max(game.cost)) if base == "penalty" else 1.0
        return 0.0, max(ref, 1e-3) * 4, False
    return x / 10, x * 10, True


@attrs.frozen
class MapData:
    """Policy classes on a grid of two parameters, with names of the classes present."""

    x_field: str
    y_field: str
    x: list[float]
    y: list[float]
    x_log: bool
    y_log: bool
    z: list[list[int]]  # index into ``names``
    names: list[str]
    codes: list[int]
    cascade: list[list[float]]
    provider_cost: list[list[float]]
    point: tuple[float, float]


def policy_map(game: GameParams, x_field: str, y_field: str, tie_break: str = "strong", n: int = 61) -> MapData:
    """The provider-optimal policy class over an n x n grid around the game's point.

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> m = policy_map(g, "penalty", "cost_2", n=5)
    >>> len(m.z), len(m.z[0]), m.point
    (5, 5, (5.0, 4.0))
    """
    for f in (x_field, y_field):
        if f not in TWO_MODEL_FIELDS:
            raise ParameterError("axis", f"must be one of {', '.join(TWO_MODEL_FIELDS)}, got {f!r}")
    if x_field == y_field:
        raise ParameterError("axis", "the two axes must differ")
    if game.num_models != 2:
        raise ParameterError("models", "the policy map is for two-model games")
    axes = []
    for f in (x_field, y_field):
        lo, hi, log = axis_range(game, f)
        axes.append(((np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)), log))
    (xs, xlog), (ys, ylog) = axes
    X, Y = np.meshgrid(xs, ys)  # rows are y
    sol = _solve_grid(game, {x_field: X, y_field: Y}, tie_break)
    cls = _classes(sol)
    codes = sorted(int(c) for c in np.unique(cls))
    index = np.searchsorted(codes, cls)
    allnames = policy_class_names()
    v = _flat_values(game)
    return MapData(
        x_field,
        y_field,
        xs.tolist(),
        ys.tolist(),
        xlog,
        ylog,
        index.tolist(),
        [allnames[c] for c in codes],
        codes,
        np.asarray(sol.equilibrium.cascade).tolist(),
        np.asarray(sol.equilibrium.provider_cost).tolist(),
        (v[x_field], v[y_field]),
    )


# ---------------------------------------------------------------------------------------------
# sensitivity: how far each parameter can move


@attrs.frozen
class SensitivityRow:
    """The interval of one parameter in which the recommendation does not change."""

    field: str
    value: float
    low: float | None  # where the class changes going down (None: not within the scanned range)
    high: float | None
    low_limit: float  # the end of the scanned range
    high_limit: float
    low_becomes: str | None
    high_becomes: str | None


def _side_grid(x: float, field: str, up: bool, scale: float, m: int) -> np.ndarray:
    """Scan points from ``x`` towards the end of the field's range, fine near ``x``."""
    base = _base(field)
    lo, _, lo_in, _ = BOUNDS[base]
    if up:
        end = 1 - 1e-6 if base == "success_prob" else max(x, scale) * 1e3
    else:
        end = 1e-6 if base == "success_prob" else (lo if lo_in else x * 1e-3)
    if (up and end <= x) or (not up and end >= x):
        return np.array([])
    return np.asarray(x + (end - x) * np.geomspace(1e-5, 1.0, m))


def sensitivity(
    game: GameParams, tie_break: str = "strong", points: int = 24, rounds: int = 5, max_rounds: int = 12
) -> list[SensitivityRow]:
    """For each of the eight parameters, how far it can move before the recommendation changes.

    Each side of each parameter is scanned on ``points`` values (geometric spacing: fine near the
    current value) out to the end of its range (for unbounded fields 1000 times the value), all
    in one :func:`~routegame.closed_form.solve_arrays` call; the first change on each side is
    then bracketed and refined by 8 interior points per bracket (all brackets in one call per
    round): at least ``rounds`` rounds, and more (up to ``max_rounds``) until every bracket is
    narrower than 1e-5 of its distance from the current value (a change close to the current
    value is located as precisely, relative to that distance, as a far one). The reported edge
    is the middle of the last bracket; a narrower change between two scan points can be missed
    (it is a scan, not a proof).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> rows = {r.field: r for r in sensitivity(g)}
    >>> r = rows["penalty"]
    >>> r.low is not None and r.low < 5 and r.low_becomes is not None
    True
    """
    if game.num_models != 2:
        return []
    v = _flat_values(game)
    names = policy_class_names()
    scales = {
        "task_value": v["task_value"],
        "penalty": max(float(np.max(game.cost)), 1e-3),
        "latency": float(np.max(game.latency)),
        "cost": max(float(np.max(game.cost)), 1e-3),
        "success_prob": 1.0,
    }
    base_code = int(_classes(_solve_grid(game, {"penalty": np.array([v["penalty"]])}, tie_break))[0])
    sides = []  # (field, up, grid)
    for f in TWO_MODEL_FIELDS:
        for up in (False, True):
            sides.append((f, up, _side_grid(v[f], f, up, scales[_base(f)], points)))
    # one call: a column per field, games differ in that field only
    cols: dict[str, list[np.ndarray]] = {f: [] for f in TWO_MODEL_FIELDS}
    for f, _up, grid in sides:
        for g in TWO_MODEL_FIELDS:
            cols[g].append(grid if g == f else np.full(grid.shape, v[g]))
    flat = {g: np.concatenate(c) for g, c in cols.items()}
    codes = _classes(_solve_grid(game, flat, tie_break)) if flat["task_value"].size else np.array([])
    # brackets around the first change on each side: side index, last value inside, first outside
    which: list[int] = []
    inner: list[float] = []
    outer: list[float] = []
    pos = 0
    first_change: dict[int, float | None] = {}
    for i, (_f, _up, grid) in enumerate(sides):
        c = codes[pos : pos + grid.size]
        pos += grid.size
        diff = np.flatnonzero(c != base_code)
        if diff.size == 0:
            first_change[i] = None
            continue
        j = int(diff[0])
        which.append(i)
        inner.append(v[sides[i][0]] if j == 0 else float(grid[j - 1]))
        outer.append(float(grid[j]))
    fr = np.linspace(0, 1, 10)[1:-1]
    for n_round in range(max(rounds, max_rounds) if which else 0):
        if n_round >= rounds and all(
            abs(b - a) <= 1e-5 * abs(b - v[sides[i][0]]) for i, a, b in zip(which, inner, outer, strict=True)
        ):
            break
        pts = [a + (b - a) * fr for a, b in zip(inner, outer, strict=True)]
        cols = {f: [] for f in TWO_MODEL_FIELDS}
        for i, pt in zip(which, pts, strict=True):
            for g in TWO_MODEL_FIELDS:
                cols[g].append(pt if g == sides[i][0] else np.full(pt.shape, v[g]))
        flat = {g: np.concatenate(c) for g, c in cols.items()}
        cc = _classes(_solve_grid(game, flat, tie_break)).reshape(len(which), fr.size)
        for k, pt in enumerate(pts):
            diff = np.flatnonzero(cc[k] != base_code)
            if diff.size:
                j = int(diff[0])
                inner[k], outer[k] = (inner[k] if j == 0 else float(pt[j - 1])), float(pt[j])
            else:
                inner[k] = float(pt[-1])
    for i, a, b in zip(which, inner, outer, strict=True):
        first_change[i] = 0.5 * (a + b)
    # classes just beyond the edges
    beyond: dict[int, str] = {}
    if which:
        flat = {
            g: np.array([b if sides[i][0] == g else v[g] for i, b in zip(which, outer, strict=True)])
            for g in TWO_MODEL_FIELDS
        }
        cc = _classes(_solve_grid(game, flat, tie_break))
        beyond = {i: names[int(c)] for i, c in zip(which, cc, strict=True)}
    rows = []
    for n, f in enumerate(TWO_MODEL_FIELDS):
        lo_i, hi_i = 2 * n, 2 * n + 1
        lo_g, hi_g = sides[lo_i][2], sides[hi_i][2]
        lo_c, hi_c = first_change[lo_i], first_change[hi_i]
        rows.append(
            SensitivityRow(
                field=f,
                value=v[f],
                low=lo_c,
                high=hi_c,
                low_limit=float(lo_g[-1]) if lo_g.size else v[f],
                high_limit=float(hi_g[-1]) if hi_g.size else v[f],
                low_becomes=beyond.get(lo_i),
                high_becomes=beyond.get(hi_i),
            )
        )
    return rows
