"""Calibration of real pairs: the data's own statistics, the calibrated tables, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routegame.hetero.calibration import (
    PAIRS,
    data_statistics,
    fit_beta_binomial,
    load_livecodebench,
    pair_table,
    table_statistics,
)
from routegame.hetero.realdata import calibrated_game, compare, load_hetero_scenario


@pytest.fixture(scope="module")
def lcb():
    return load_livecodebench()


def test_data_statistics_reproduce_the_issue(lcb):
    st = data_statistics(lcb)
    m = st["livecodebench"]
    # blind retry after a failure (pairs of distinct samples among the 10 per problem)
    assert round(m["GPT-4O-mini-2024-07-18"]["blind_retry"], 3) == 0.038
    assert round(m["Claude-3.5-Sonnet-20241022"]["blind_retry"], 3) == 0.048
    assert round(m["GPT-4O-mini-2024-07-18"]["mean"], 2) == 0.36  # the i.i.d. value
    assert round(m["Claude-3.5-Sonnet-20241022"]["mean"], 2) == 0.49
    # o3-mini has one sample per problem: the issue's 0.26 is low/med/high read as 3 samples
    assert round(st["o3_mini_three_levels_as_samples"]["blind_retry"], 2) == 0.26
    assert "blind_retry" not in m["O3-Mini-2025-01-31 (Med)"]
    # Aider: the retry rate over the first-try rate has median 1.75 (pass_rate_2/1: 2.38)
    assert round(st["aider"]["median_retry_over_first"], 2) == 1.75
    assert st["aider"]["rows"] == 69
    # correlated failures: P(M2 | M1 failed) below M2's mean
    for key in PAIRS:
        assert st["pairs"][key]["m2_given_m1_failed"] < st["pairs"][key]["mean_2"]
    assert st["routellm"]["mmlu"]["strong_given_weak_failed"] < st["routellm"]["mmlu"]["mean_strong"]


@pytest.mark.parametrize("key", list(PAIRS)[:4])
def test_calibrated_tables_reproduce_the_data(lcb, key):
    pr = PAIRS[key]
    st = data_statistics(lcb)
    tab = table_statistics(pair_table(lcb, pr.standard, pr.reasoning))
    assert tab["mean_1"] == pytest.approx(st["livecodebench"][pr.standard]["mean"], abs=2e-3)
    assert tab["mean_2"] == pytest.approx(st["livecodebench"][pr.reasoning]["mean"], abs=2e-3)
    assert tab["blind_retry_1"] == pytest.approx(
        st["livecodebench"][pr.standard]["blind_retry"], abs=2e-3)
    assert tab["m2_given_m1_failed"] == pytest.approx(st["pairs"][key]["m2_given_m1_failed"],
                                                      abs=1e-2)


def test_beta_binomial_fit_recovers_parameters():
    rng = np.random.default_rng(0)
    p = rng.beta(0.4, 0.6, 20000)
    k = rng.binomial(10, p)
    a, b = fit_beta_binomial(k, 10)
    assert a == pytest.approx(0.4, rel=0.06)
    assert b == pytest.approx(0.6, rel=0.06)


def test_compare_and_shipped_scenario(lcb):
    g = calibrated_game("gpt-4o-mini/o3-mini", 120.0, 0.1, lcb=lcb)
    r = compare(g)
    assert r["follow_iid_excess"] >= -1e-9  # the data optimum is never beaten by the i.i.d. one
    assert r["optimum"]["provider_cost"] <= r["best_static"]["provider_cost"] + 1e-12
    s = load_hetero_scenario("lcb-gpt-4o-mini-vs-o3-mini")
    np.testing.assert_allclose(s.tasks.mean(), g.tasks.mean(), atol=1e-12)
    with pytest.raises(ValueError, match="scenario"):
        load_hetero_scenario("nope")



def test_cli_calibrate(tmp_path):
    from typer.testing import CliRunner

    from routegame.cli._app import app

    runner = CliRunner()
    out = tmp_path / "s.toml"
    res = runner.invoke(app, ["calibrate", "--pair", "gpt-4o-mini/o3-mini", "--json",
                              "--bootstrap", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["bootstrap"]["replicates"] == 2
    assert out.exists()
    assert load_hetero_scenario(str(out)).task_value == 120.0
    res = runner.invoke(app, ["calibrate", "--out", str(out)])  # exists, no --overwrite
    assert res.exit_code == 2
    assert "--out" in res.output
    for bad in (["--pair", "x/y"], ["--task-value", "-1"], ["--user", "psychic"],
                ["--bootstrap", "-3"]):
        res = runner.invoke(app, ["calibrate", *bad])
        assert res.exit_code == 2, bad
        assert res.output.startswith("error: ")
        assert res.output.count("\n") == 1


def test_recommendation_range_is_consistent_with_equilibria():
    from routegame.hetero import HeteroGame
    from routegame.hetero.realdata import policy_class, recommendation_range

    tab = [[0.9, 0.95], [0.05, 0.6], [0.4, 0.7]]
    g = HeteroGame(tab, 10.0, 5.0, [1.0, 4.0], [1.0, 3.0])
    rr = recommendation_range(g, 5)
    eq = g.equilibrium()
    assert rr["class"] == policy_class(eq.route, eq.cascade)
    for V in rr["task_value_range"]:
        e = HeteroGame(tab, V, 5.0, [1.0, 4.0], [1.0, 3.0]).equilibrium()
        assert policy_class(e.route, e.cascade) == rr["class"]
    for P in rr["penalty_range"]:
        e = HeteroGame(tab, 10.0, P, [1.0, 4.0], [1.0, 3.0]).equilibrium()
        assert policy_class(e.route, e.cascade) == rr["class"]
