"""The explorer's adapter and state (no browser): numbers against the library's public API.

Expected values come from ``TwoModelGame`` / ``GeneralGame`` / closed-form threshold formulas,
never from :mod:`routegame.explore._model` itself.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import routegame as rg
from routegame.errors import ParameterError
from routegame.explore import _model as rgm
from routegame.explore._state import ViewState, query_from_state, state_from_game, state_from_query
from routegame.params import TWO_MODEL_FIELDS, GameParams
from routegame.testing.strategies import two_model_games

DEFAULT = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])


def _cls(game: GameParams, tie: str = "strong") -> tuple[int, str, str]:
    """The recommendation class from TwoModelGame.solve() (independent of _model.policy_class)."""
    eq = rg.TwoModelGame(game).solve(tie)["equilibrium"]  # type: ignore[arg-type]
    r, s, q = eq["route"], eq["cascade"], eq["abandon"]
    kind = "M2" if r == 2 else ("none" if s <= 1e-9 else "full" if s >= 1 - 1e-9 else "partial")
    ans = "stay" if q <= 1e-9 else "leave" if q >= 1 - 1e-9 else "mix"
    return r, kind, ans


def _with(game: GameParams, field: str, x: float) -> GameParams:
    if field in ("task_value", "penalty"):
        return game.replace(**{field: x})
    base, k = field.rsplit("_", 1)
    vals = list(getattr(game, base))
    vals[int(k) - 1] = x
    return game.replace(**{base: vals})


# ---------------------------------------------------------------------------------------------
# input


@pytest.mark.parametrize(
    ("flag", "field", "text"),
    [
        ("--penalty", "penalty", "abc"),
        ("--penalty", "penalty", "-0.5"),
        ("--task-value", "task_value", "nan"),
        ("--task-value", "task_value", "0"),
        ("--penalty", "penalty", "inf"),
        ("--task-value", "task_value", ""),
    ],
)
def test_field_messages_equal_the_cli(flag: str, field: str, text: str) -> None:
    from typer.testing import CliRunner

    from routegame.cli._app import app

    args = [
        "solve",
        "--task-value",
        "10",
        "--penalty",
        "5",
        "--latency",
        "3",
        "6",
        "--cost",
        "1",
        "4",
        "--success-prob",
        "0.25",
        "0.75",
    ]
    args[args.index(flag) + 1] = text
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    cli = res.stderr.strip().removeprefix("error: ")
    with pytest.raises(ParameterError) as exc:
        rgm.parse_number(text, field)
    assert str(exc.value) == cli


def test_game_from_fields_collects_every_bad_field() -> None:
    st_ = state_from_game(DEFAULT)
    vals = dict(st_.values)
    vals["latency", 1] = "-1"
    vals["success_prob", 2] = "1.2"
    game, errors = rgm.game_from_fields(vals)
    assert game is None
    assert errors == {
        ("latency", 1): "latency[1]: must be > 0 and finite, got -1",
        ("success_prob", 2): "success_prob[2]: must be in (0, 1), got 1.2",
    }
    game, errors = rgm.game_from_fields(st_.values, ["a", ""])
    assert errors == {}
    assert game is not None
    assert game.names == ["a", "M2"]
    assert game == DEFAULT.replace(
        models=(DEFAULT.models[0].__class__(3, 1, 0.25, name="a"), DEFAULT.models[1])
    )


@settings(max_examples=40)
@given(
    two_model_games(),
    st.sampled_from(["strong", "weak"]),
    st.sampled_from(list(TWO_MODEL_FIELDS)),
    st.sampled_from(list(TWO_MODEL_FIELDS)),
)
def test_url_round_trip(game: GameParams, tie: str, x: str, y: str) -> None:
    if x == y:
        y = "penalty" if x != "penalty" else "cost_2"
    s = state_from_game(
        game, {"latency": "s", "cost": "USD, per task"}, "default", tie_break=tie, x_axis=x, y_axis=y
    )
    back = state_from_query(query_from_state(s))
    assert back == s
    g2, errors = rgm.game_from_fields(back.values)
    assert not errors
    assert g2 is not None
    assert g2.task_value == game.task_value
    assert np.array_equal(g2.latency, game.latency)
    assert np.array_equal(g2.success_prob, game.success_prob)
    assert np.array_equal(g2.cost, game.cost)


def test_url_keeps_bad_text_and_defaults() -> None:
    s = state_from_query("?V=abc&P=5&t=3,6&c=1,4&p=0.25,1.2&tie=odd&x=nope")
    assert s.values["task_value", None] == "abc"
    assert s.values["success_prob", 2] == "1.2"
    assert (s.tie_break, s.x_axis, s.y_axis) == ("strong", "penalty", "cost_2")
    default = ViewState(values={})
    assert state_from_query("", default) is default
    assert state_from_query("?t=1,2,3&V=1").num_models == 3


def test_toml_export_loads_back_and_solves_the_same(tmp_path: object) -> None:
    from pathlib import Path

    from routegame.scenarios import load_config

    g = GameParams.from_lists(
        120, 0.5, [16.1, 40.2, 9.0], [0.045, 0.2, 0.01], [0.244, 0.6, 0.1], names=['a "quoted" name', None, "c"]
    )
    path = Path(str(tmp_path)) / "x.toml"
    path.write_text(rgm.toml_text(g, {"latency": "s", "cost": "USD"}, "my-game"))
    sc = load_config(path)
    assert sc.params == g
    assert sc.units == {"latency": "s", "cost": "USD"}
    assert sc.name == "my-game"
    assert tomllib.loads(path.read_text())["version"] == 1


# ---------------------------------------------------------------------------------------------
# the headline answer


@settings(max_examples=60)
@given(two_model_games(), st.sampled_from(["strong", "weak"]))
def test_analysis_equals_solve(game: GameParams, tie: str) -> None:
    tg = rg.TwoModelGame(game)
    res = rg.solve(game, tie_break=tie)  # type: ignore[arg-type]
    a = rgm.analyse(game, tie)
    eq, pref = res.equilibrium, res.user_preferred
    assert (a.equilibrium.route, a.equilibrium.cascade, a.equilibrium.abandon) == (
        int(eq.route), float(eq.cascade), float(eq.abandon))
    assert a.equilibrium.provider_cost == float(eq.provider_cost)
    assert a.equilibrium.user_utility == float(eq.user_utility)
    assert a.equilibrium.success == float(eq.success)
    assert a.user_preferred.provider_cost == float(pref.provider_cost)
    assert a.price_of_alignment == float(res.price_of_alignment)
    assert a.misalignment_gap == float(res.misalignment_gap)
    assert res.throttling is not None
    assert a.throttle_pays == bool(res.throttling.pays)
    assert a.guideline == res.to_json_dict()["guideline"]
    # independently: the success and costs shown agree with the outcomes of the policies shown
    out_eq = tg.outcomes(a.equilibrium.route, a.equilibrium.cascade, a.equilibrium.abandon)
    assert a.equilibrium.success == pytest.approx(out_eq["success"], rel=1e-9, abs=1e-12)
    out_pref = tg.outcomes(a.user_preferred.route, a.user_preferred.cascade, a.user_preferred.abandon)
    assert a.user_preferred.provider_cost == pytest.approx(out_pref["provider_cost"], rel=1e-9, abs=1e-12)
    assert a.price_of_alignment == pytest.approx(
        out_pref["provider_cost"] - out_eq["provider_cost"], rel=1e-9, abs=1e-9)


def test_k_model_analysis_equals_general_game() -> None:
    g = GameParams.from_lists(10, 6, [1, 5, 2], [1, 0.5, 3], [0.3, 0.4, 0.8])
    for user in ("stationary", "state-aware"):
        sol = rg.GeneralGame(g, user).solve("strong")
        a = rgm.analyse(g, "strong", user)
        assert a.num_models == 3
        assert a.throttle_pays is None
        assert a.equilibrium.provider_cost == float(sol.equilibrium.provider_cost)
        assert a.user_preferred.user_utility == float(sol.user_preferred.user_utility)
        assert a.misalignment_gap == float(sol.misalignment_gap)
        assert a.price_of_alignment == float(sol.price_of_alignment)
        assert a.price_of_alignment == pytest.approx(
            float(sol.user_preferred.provider_cost - sol.equilibrium.provider_cost), rel=1e-12)


def test_best_response_curve_equals_best_response() -> None:
    c = rgm.best_response_curve(DEFAULT, n=21)
    tg = rg.TwoModelGame(DEFAULT)
    for s, q, j in list(zip(c.cascade, c.abandon, c.provider_cost, strict=True))[::3]:
        br = tg.best_response(1, s)
        assert q == br["abandon"]
        assert j == pytest.approx(tg.outcomes(1, s, q)["provider_cost"], rel=1e-12)
    # s0 = -ξ1 / (ξ2 / p2 - ξ1) = 0.5 / (2 + 0.5) = 0.2, and the jump is drawn
    assert c.thresholds["s0"] == pytest.approx(0.2)
    assert 0.2 in c.cascade
    assert any(0.2 - 1e-8 < s < 0.2 for s in c.cascade)
    assert c.route2_abandon == tg.best_response(2, 0.0)["abandon"]


def test_policy_map_cells_equal_solve() -> None:
    m = rgm.policy_map(DEFAULT, "penalty", "cost_2", n=9)
    assert m.point == (5.0, 4.0)
    assert m.x_log
    assert m.y_log
    assert m.x[0] == pytest.approx(0.5)
    assert m.x[-1] == pytest.approx(50)
    names = rgm.policy_class_names()
    for i, j in [(0, 0), (4, 4), (8, 0), (0, 8), (3, 6), (7, 2)]:
        g = DEFAULT.replace(penalty=m.x[j], cost=[1.0, m.y[i]])
        eq = rg.TwoModelGame(g).solve()["equilibrium"]
        assert m.cascade[i][j] == pytest.approx(eq["cascade"], abs=1e-9)
        assert m.provider_cost[i][j] == pytest.approx(eq["provider_cost"], rel=1e-12)
        _r, kind, ans = _cls(g)
        name = m.names[m.z[i][j]]
        assert name == names[m.codes[m.z[i][j]]]
        words = {
            "M2": "route to M2",
            "none": "M1, no cascade",
            "partial": "M1, partial cascade",
            "full": "M1, full cascade",
        }[kind]
        assert name.startswith(words)
        assert {"stay": "user stays", "leave": "leaves after", "mix": "sometimes"}[ans] in name
    with pytest.raises(ParameterError, match="axis"):
        rgm.policy_map(DEFAULT, "penalty", "penalty")


# ---------------------------------------------------------------------------------------------
# sensitivity


def test_sensitivity_edges_of_the_default_game_are_the_closed_form_thresholds() -> None:
    rows = {r.field: r for r in rgm.sensitivity(DEFAULT)}
    # ξ1 = V p1 - t1 changes sign at V = t1/p1 = 12, t1 = V p1 = 2.5, p1 = t1/V = 0.3: M1 becomes
    # worth its wait, the user stays without a cascade and the provider stops cascading
    assert rows["task_value"].high == pytest.approx(12, rel=1e-4)
    assert rows["latency_1"].low == pytest.approx(2.5, rel=1e-4)
    assert rows["success_prob_1"].high == pytest.approx(0.3, rel=1e-4)
    assert rows["task_value"].high_becomes == "M1, no cascade; user stays"
    # ξ2 = V p2 - t2 changes sign at t2 = V p2 = 7.5 ... but the class changes before that
    assert rows["latency_2"].high is not None
    assert rows["latency_2"].high < 7.5


@pytest.mark.parametrize(
    "game",
    [
        DEFAULT,
        GameParams.two_model(10, 20, [4, 5], [1, 4], [0.3, 0.8]),
        GameParams.two_model(10, 1, [1, 9], [1, 4], [0.3, 0.8]),
        GameParams.two_model(120, 0.5, [16.1, 40.2], [0.045, 0.2], [0.244, 0.6]),
    ],
)
def test_sensitivity_edges_against_solve(game: GameParams) -> None:
    _check_edges(game)


@settings(max_examples=8)
@given(two_model_games(standing=True))
def test_sensitivity_edges_against_solve_random_games(game: GameParams) -> None:
    _check_edges(game)


def _check_edges(game: GameParams) -> None:
    base = _cls(game)
    v = dict(
        zip(
            TWO_MODEL_FIELDS,
            [game.task_value, game.penalty, *game.latency, *game.cost, *game.success_prob],
            strict=True,
        )
    )
    for r in rgm.sensitivity(game):
        x = v[r.field]
        for edge, limit in ((r.low, r.low_limit), (r.high, r.high_limit)):
            if edge is None:  # no change anywhere on a fine grid out to the limit
                for y in np.linspace(x, limit, 21)[1:]:
                    assert _cls(_with(game, r.field, float(y))) == base, (r.field, y)
                continue
            d = edge - x
            inside = x + 0.995 * d
            outside = edge + math.copysign(min(1e-4 * abs(d), abs(limit - edge)), d)
            assert _cls(_with(game, r.field, inside)) == base, (r.field, edge)
            assert _cls(_with(game, r.field, outside)) != base, (r.field, edge)


def test_sensitivity_is_within_budget() -> None:
    import time

    rgm.sensitivity(DEFAULT)
    t0 = time.perf_counter()
    for _ in range(3):
        rgm.sensitivity(DEFAULT)
    assert (time.perf_counter() - t0) / 3 < 1.0  # generous: the benchmark measures it properly
    assert math.isfinite(rgm.sensitivity(DEFAULT)[0].low_limit)


# ---------------------------------------------------------------------------------------------
# calibrated heterogeneous scenarios: the real-data equilibrium beside the i.i.d. one

HET = "lcb-gpt-4o-mini-vs-o3-mini"


def test_hetero_view_equals_the_engines() -> None:
    from routegame.explore._hetero import hetero_view
    from routegame.hetero import Policy
    from routegame.hetero.realdata import load_hetero_scenario

    v = hetero_view(HET)
    g = load_hetero_scenario(HET)
    eq, pref = g.equilibrium("strong"), g.user_preferred()
    assert (v.data.route, v.data.cascade, v.data.abandon) == (eq.route, eq.cascade, eq.abandon)
    assert v.data.provider_cost == eq.provider_cost
    assert v.data.user_utility == eq.user_utility
    assert v.data.success == eq.success
    assert v.data.misalignment_gap == pref.user_utility - eq.user_utility
    # the i.i.d. side: the paper's game with the table's mean success probabilities
    mean = g.tasks.mean()
    tg = rg.TwoModelGame.from_values(task_value=g.task_value, penalty=g.penalty, latency=list(g.latency),
                                     cost=list(g.cost), success_prob=[float(x) for x in mean])
    res = tg.solve("strong")
    assert v.iid.route == int(res.equilibrium.route)
    assert v.iid.provider_cost == pytest.approx(float(res.equilibrium.provider_cost), rel=1e-12)
    assert v.iid.user_utility == pytest.approx(float(res.equilibrium.user_utility), rel=1e-12)
    assert v.mean_success == pytest.approx(tuple(mean), rel=1e-15)
    follow = g.best_response(Policy(v.iid.route, v.iid.cascade))
    assert v.follow_iid_cost == follow.provider_cost
    # the fields of the page hold the i.i.d. game, with the models' names
    game, units, name = rgm.scenario_game(HET)
    assert name == HET
    assert units == {"latency": "s", "cost": "USD"}
    assert [float(x) for x in game.success_prob] == list(v.mean_success)
    assert tuple(game.names) == v.models


def test_hetero_bootstrap_is_the_hetero_engines_bootstrap() -> None:
    """Same resamples as routegame.hetero.realdata.bootstrap; the i.i.d. side recomputed here."""
    from routegame.explore._hetero import bootstrap_both
    from routegame.hetero.calibration import load_livecodebench
    from routegame.hetero.realdata import bootstrap, calibrated_game

    key = "gpt-4o-mini/o3-mini"
    mine = bootstrap_both(HET, replicates=2, seed=3)
    ref = bootstrap(key, 120.0, 0.1, replicates=2, rng=3)
    for k in ("J", "U", "gap", "policy_frequency"):
        assert mine["data"][k] == ref[k], k
    # one replicate: the i.i.d. interval collapses onto the i.i.d. game of that resample
    one = bootstrap_both(HET, replicates=1, seed=5)
    lcb = load_livecodebench()
    n = len(lcb.problems)
    rows = np.random.default_rng(5).integers(0, n, n)
    tab = calibrated_game(key, 120.0, 0.1, lcb=lcb, rows=rows)
    g = rg.TwoModelGame.from_values(task_value=120.0, penalty=0.1, latency=list(tab.latency),
                                    cost=list(tab.cost), success_prob=[float(x) for x in tab.tasks.mean()])
    j = float(g.solve("strong").equilibrium.provider_cost)
    assert one["iid"]["J"] == pytest.approx([j, j, j], rel=1e-12)


def test_shipped_intervals_match_the_shipped_scenarios() -> None:
    from routegame.explore._hetero import REPLICATES, hetero_scenarios, hetero_view
    from routegame.explore._hetero_intervals import INTERVALS
    from routegame.hetero.realdata import load_hetero_scenario

    names = [n for n, _ in hetero_scenarios()]
    assert len(names) >= 4
    assert sorted(INTERVALS) == sorted(names), "regenerate: python -m routegame.explore._hetero"
    for name in names:
        rec, g = INTERVALS[name], load_hetero_scenario(name)
        assert (rec["task_value"], rec["penalty"], rec["user"]) == (g.task_value, g.penalty, g.user)
        assert rec["replicates"] == REPLICATES
        for side in ("data", "iid"):
            lo, med, hi = rec[side]["J"]
            assert lo <= med <= hi
            assert sum(rec[side]["policy_frequency"].values()) == pytest.approx(1.0)
        for side in ("data", "iid"):  # the intervals are the percentiles of the shipped draws
            for q in ("J", "U", "gap"):
                draws = np.asarray(rec["draws"][side][q])
                assert draws.size == REPLICATES
                assert rec[side][q] == pytest.approx(
                    [np.percentile(draws, 2.5), np.median(draws), np.percentile(draws, 97.5)], rel=1e-12)
    v = hetero_view(HET)
    assert v.replicates == REPLICATES
    assert v.data.cost_interval == (INTERVALS[HET]["data"]["J"][0], INTERVALS[HET]["data"]["J"][2])
    assert v.iid.utility_interval == (INTERVALS[HET]["iid"]["U"][0], INTERVALS[HET]["iid"]["U"][2])


def test_shipped_draws_are_the_current_engines() -> None:
    """The first replicates, recomputed now with the hetero engine, equal the shipped ones."""
    from routegame.explore._hetero import SEED, bootstrap_both
    from routegame.explore._hetero_intervals import INTERVALS

    rec = INTERVALS[HET]
    now = bootstrap_both(HET, replicates=2, seed=SEED)
    for side in ("data", "iid"):
        for q in ("J", "U", "gap"):
            assert now["draws"][side][q] == pytest.approx(rec["draws"][side][q][:2], rel=1e-9, abs=1e-12), (
                f"{side} {q}: the shipped intervals are stale; "
                "regenerate with python -m routegame.explore._hetero"
            )


def test_hetero_view_follows_a_moved_game() -> None:
    from routegame.explore._hetero import hetero_view, iid_game
    from routegame.hetero import HeteroGame
    from routegame.hetero.realdata import load_hetero_scenario

    base, _, _ = iid_game(HET)
    assert hetero_view(HET, base) is hetero_view(HET)  # the calibration: cached, with intervals
    moved = base.replace(penalty=0.5, cost=[0.001, 0.03], success_prob=[0.4, 0.7])
    v = hetero_view(HET, moved)
    assert not v.at_calibration
    assert v.replicates == 0
    assert v.data.cost_interval is None
    g = load_hetero_scenario(HET)
    eq = HeteroGame(g.tasks, 120.0, 0.5, list(g.latency), [0.001, 0.03], user=g.user).equilibrium("strong")
    assert (v.data.route, v.data.cascade) == (eq.route, eq.cascade)
    assert v.data.provider_cost == eq.provider_cost
    res = rg.solve(moved)  # the i.i.d. side is the game in the fields, p included
    assert v.iid.provider_cost == float(res.equilibrium.provider_cost)
    assert v.mean_success == (0.4, 0.7)
    assert v.calibrated[6:] == tuple(float(x) for x in base.success_prob)
