"""Every engine passes the conformance checker; the library picks the engine; issue-11 cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import routegame as rg
from routegame.engines import ChainEngine, KModelEngine, TwoModelEngine, engine_for
from routegame.engines.protocol import Engine
from routegame.markov.chain import chain_outcomes
from routegame.testing import check_engine
from routegame.testing.strategies import extreme_two_model_games

THREE = rg.GameParams.from_lists(10, 6, [1, 5, 2], [1, 0.5, 3], [0.3, 0.4, 0.8])


@pytest.mark.parametrize("engine", [TwoModelEngine(), KModelEngine("stationary"),
                                    KModelEngine("state-aware")], ids=lambda e: repr(e))
def test_every_engine_passes_the_conformance_checker(engine: Engine) -> None:
    games = None if engine.name == "two-model" else [*__import__(
        "routegame.testing.conformance", fromlist=["x"]).default_games()[:5], THREE]
    assert check_engine(engine, games, grid=41) > 20


def test_chain_engine_outcomes_and_responses_conform() -> None:
    # the oracle's solve is the slow numeric search; its outcomes and responses are checked here
    assert check_engine(ChainEngine(), [rg.GameParams.two_model(10, 5, (1, 4), (1, 3), (0.3, 0.8))],
                        grid=11) > 10


def test_check_engine_catches_a_wrong_engine() -> None:
    class Wrong(TwoModelEngine):
        def outcomes(self, params, start, cascade, abandon):  # type: ignore[no-untyped-def]
            o = super().outcomes(params, start, cascade, abandon)
            return rg.Outcome(o.success, o.latency, o.cost * 1.01 + 1e-3, o.user_utility,
                              o.provider_cost, o.passes)

    with pytest.raises(AssertionError, match=r"outcomes\.cost"):
        check_engine(Wrong())


def test_library_picks_the_engine() -> None:
    two = rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))
    assert engine_for(two).name == "two-model"
    assert engine_for(two, "stationary").name == "k-model"
    assert engine_for(THREE).name == "k-model"
    assert rg.solve(THREE).kind == "k-model"
    assert rg.solve(two)["equilibrium"]["route"] == 1


def test_huge_penalty_two_model_keeps_the_cheaper_threshold_cascade() -> None:
    # issue 11: P = 1e12 returned (1, 1) with J = 5 while (1, 0.2) with J = 4.5 is attainable
    for P in (1e11, 1e12, 1e15, 1e100):
        res = rg.solve_arrays(10, P, [3, 6], [1, 4], [0.25, 0.75])
        assert int(res.route) == 1
        assert float(res.cascade) == pytest.approx(0.2, rel=1e-12)
        assert float(res.provider_cost) == pytest.approx(4.5, rel=1e-12)


@pytest.mark.parametrize("P", [1e16, 1e17, 1e100])
def test_huge_penalty_k_model(P: float) -> None:
    g = rg.GameParams.two_model(10, P, (3, 6), (1, 4), (0.25, 0.75))
    res = rg.solve(g, user="stationary")
    J = float(res.equilibrium.provider_cost)
    assert pytest.approx(4.5, rel=1e-12) == J  # never 0 with positive costs, never a crash
    out = chain_outcomes(10, P, [3, 6], [1, 4], [0.25, 0.75], res.equilibrium.start,
                         res.equilibrium.cascade, res.equilibrium.abandon)
    assert float(out.provider_cost) == pytest.approx(J, rel=1e-12)


def test_tiny_success_probability_k_model_no_linalg_error() -> None:
    g = rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (1e-17, 0.75))
    res = rg.solve(g, user="stationary")
    assert float(res.equilibrium.provider_cost) == pytest.approx(5.25, rel=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extreme_two_model_games())
def test_two_model_optimum_over_many_magnitudes_against_the_chain(g: rg.GameParams) -> None:
    """Reported J* is the chain's J of the reported policy and response, and no policy of the
    paper's family (at the user's best response) is cheaper."""
    res = rg.solve_arrays(g.task_value, g.penalty, g.latency, g.cost, g.success_prob)
    route, s, q = int(res.route), float(res.cascade), float(res.abandon)
    start, R = rg.markov.two_model_policy(route, s)
    out = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob, start, R, q)
    J = float(res.provider_cost)
    assert 0.0 <= float(res.success) <= 1.0
    assert J >= 0.0
    mag = float(out.cost + g.penalty * (1 - out.success)) + 1e-300
    assert abs(float(out.provider_cost) - J) <= 1e-6 * mag
    s_grid = np.linspace(0, 1, 101)
    br1 = rg.best_response(g.task_value, g.latency, g.success_prob, 1, s_grid, cost=g.cost,
                           penalty=g.penalty)
    br2 = rg.best_response(g.task_value, g.latency, g.success_prob, 2, 0.0, cost=g.cost,
                           penalty=g.penalty)
    costs = np.append(br1.provider_cost, br2.provider_cost)
    ties = np.append(br1.indifferent, br2.indifferent)
    beats = costs < J * (1 - 1e-9) - 1e-300
    # a cheaper policy may only come from a response the kernel calls a tie (the user's
    # utilities equal within the tolerance policy, where the fast path's exact signs decide)
    assert not np.any(beats & ~ties), (J, costs[beats & ~ties])


def test_throttling_attained_agrees_with_the_equilibrium_under_weak_ties() -> None:
    # issue 7: weak equilibrium not attained, throttling (which does not pay) claimed attained
    res = rg.solve_arrays(10, 5, [3, 6], [1, 4], [0.25, 0.75], tie_break="weak")
    assert not bool(res.throttling_pays)
    assert bool(res.throttling.policy.attained) == bool(res.equilibrium.attained) is False


def test_outputs_are_rounded_and_probabilities_in_range() -> None:
    d = rg.solve(rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))).to_json_dict()
    assert d["net_value"] == [-0.5, 1.5]
    assert d["equilibrium"]["user_utility"] == -0.5
    res = rg.solve_arrays(10, np.linspace(0, 50, 501), [3, 6], [1, 4], [0.25, 0.75])
    cols = res.columns()
    assert np.all((cols["success"] >= 0) & (cols["success"] <= 1))


def test_price_of_alignment_and_user_preferred_cost() -> None:
    d = rg.solve(rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))).to_json_dict()
    assert d["user_preferred"]["provider_cost"] == pytest.approx(4 / 0.75)
    assert d["price_of_alignment"] == pytest.approx(4 / 0.75 - 4.5)


@pytest.mark.parametrize("bad", [
    {"task_value": None}, {"task_value": True}, {"latency": np.array([1 + 0j, 2])},
    {"latency": np.array(["1", "2"])}, {"latency": np.ma.masked_array([1.0, 2.0], [0, 1])},
    {"latency": np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]")},
    {"cost": [True, 1.0]}, {"latency": np.ones((3, 2)), "cost": np.ones((4, 2))},
])
def test_array_api_refuses_what_json_refuses(bad: dict) -> None:
    kw = {"task_value": 10, "penalty": 5, "latency": [3, 6], "cost": [1, 4],
          "success_prob": [0.25, 0.75], **bad}
    with pytest.raises(rg.ParameterError) as err:
        rg.solve_arrays(**kw)
    assert err.value.field in kw


def test_game_params_refuse_none_and_bool() -> None:
    with pytest.raises(rg.ParameterError, match="task_value"):
        rg.TwoModelGame.from_values(None, 5, [3, 6], [1, 4], [0.25, 0.75])  # type: ignore[arg-type]
    with pytest.raises(rg.ParameterError, match="penalty"):
        rg.GameParams(task_value=1, penalty=True, models=THREE.models)


def _batch(lines: list[str]) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).parent / "routegame")
    return subprocess.run([exe, "solve", "--batch", "-"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=120)


def test_batch_survives_huge_integers_and_numbers_every_answer() -> None:
    ok = json.dumps({"id": "a", "task_value": 10, "penalty": 5, "latency": [3, 6],
                     "cost": [1, 4], "success_prob": [0.25, 0.75]})
    huge = '{"id": "b", "task_value": ' + "9" * 5000 + "}"
    big = '{"id": "c", "task_value": 10, "penalty": ' + "9" * 400 + \
        ', "latency": [3, 6], "cost": [1, 4], "success_prob": [0.25, 0.75]}'
    run = _batch([ok, huge, big, ok])
    assert run.returncode == 0, run.stderr
    out = [json.loads(x) for x in run.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert "equilibrium" in out[0]
    assert "equilibrium" in out[3]
    assert out[1]["error"]["field"] in ("json", "task_value")
    assert out[2]["error"]["field"] == "penalty"
    assert "internal" not in out[2]["error"]["message"]


@pytest.mark.parametrize("user", [None, "stationary", "state-aware"])
@pytest.mark.parametrize("game", [
    {"task_value": 10, "penalty": 5, "latency": (3, 6), "cost": (1e15, 4), "success_prob": (1e-300, 0.75)},
    {"task_value": 1e300, "penalty": 5, "latency": (3, 6), "cost": (1, 4), "success_prob": (0.5, 0.6)},
    {"task_value": 10, "penalty": 5, "latency": (1e300, 1e-300), "cost": (1, 4), "success_prob": (0.25, 0.75)},
    {"task_value": 10, "penalty": 1e308, "latency": (3, 6), "cost": (1, 4), "success_prob": (0.25, 0.75)},
    {"task_value": 10, "penalty": 5, "latency": (3, 6), "cost": (1e15, 4), "success_prob": (1e-300, 1e-300)},
])
def test_extreme_valid_inputs_answer_without_warnings(game: dict, user: str | None) -> None:
    import warnings

    g = rg.GameParams.two_model(**game)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = rg.solve(g, user=user)
    J = float(res.equilibrium.provider_cost)
    assert np.isfinite(J)
    assert J >= 0
    o = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob,
                       *(rg.markov.two_model_policy(int(res.route), float(res.cascade))
                         if res.kind == "two-model" else
                         (res.equilibrium.start, res.equilibrium.cascade)),
                       res.equilibrium.abandon)
    assert float(o.provider_cost) == pytest.approx(J, rel=1e-9)


@pytest.mark.parametrize("user", [None, "stationary"])
def test_answers_beyond_double_precision_are_refused_in_one_line(user: str | None) -> None:
    # c/p = 1e310 is the exact cost per success of every policy: not a double
    g = rg.GameParams.two_model(1e20, 0, (1, 1), (1e300, 1e300), (1e-10, 1e-10))
    with pytest.raises(rg.NotSolvableError, match="beyond double precision"):
        rg.solve(g, user=user)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: rg.outcomes(10, 5, [3, 6], [1, 4], [0.25, 0.75], 3, 0.2, 0), "route"),
    (lambda: rg.outcomes(10, 5, [3, 6], [1, 4], [0.25, 0.75], 1, 1.5, 0), "cascade"),
    (lambda: rg.outcomes(10, 5, [3, 6], [1, 4], [0.25, 1.0], 1, 0.5, 0), "success_prob"),
    (lambda: rg.outcomes(10, 5, [3, 6], [1, 4], [0.25, 0.75], 1, [0.1, 0.2, 0.3], [0, 1]),
     "abandon"),
    (lambda: rg.outcomes(None, 5, [3, 6], [1, 4], [0.25, 0.75], 1, 0.2, 0), "task_value"),
    (lambda: rg.expected_passes(0.5, 0.8, 1, 0.2, True), "abandon"),
    (lambda: rg.expected_passes(0.5, np.array([0.8 + 0j]), 1, 0.2, 0), "p2"),
    (lambda: rg.thresholds(10, [[3, 6]] * 3, [[0.25, 0.75]] * 2), "success_prob"),
    (lambda: rg.thresholds(10, [3, 6, 7], [0.25, 0.75]), "latency"),
    (lambda: rg.best_response(10, [3, 6], [0.25, 0.75], 1, 0.2, tie_break="fair"), "tie_break"),
    (lambda: rg.best_response(10, [3, 6], [0.25, 0.75], 2.5, 0.2), "route"),
    (lambda: rg.best_response(10, [3, 6], [0.25, 0.75], 1, 0.2, cost=[-1, 4]), "cost"),
])
def test_public_array_functions_raise_parameter_error_naming_the_field(call, field) -> None:
    with pytest.raises(rg.ParameterError) as err:
        call()
    assert err.value.field == field


@pytest.mark.parametrize("args", [["solve", "--scenario", "default"],
                                  ["solve", "--scenario", "aider-openai-3-tier"],
                                  ["solve", "--scenario", "default", "--json"], ["scenarios"]])
def test_reading_the_first_line_of_solve_exits_0(args: list[str]) -> None:
    exe = str(Path(sys.executable).parent / "routegame")
    p = subprocess.Popen([exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None
    assert p.stderr is not None
    p.stdout.read(1)
    p.stdout.close()
    assert p.wait(timeout=120) == 0
    assert p.stderr.read() == b""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extreme_two_model_games())
def test_k_model_engine_over_many_magnitudes_against_the_chain(g: rg.GameParams) -> None:
    """The K-model optimum is never above the two-model one (a larger policy class), is >= 0,
    and equals the chain's J of the reported policy and response, for both users."""
    J2 = float(rg.solve(g).equilibrium.provider_cost)
    for user in ("stationary", "state-aware"):
        e = rg.solve(g, user=user).equilibrium
        Jk = float(e.provider_cost)
        assert 0.0 <= Jk <= J2 * (1 + 1e-9) + 1e-300, (user, Jk, J2)
        out = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob,
                             e.start, e.cascade, e.abandon)
        assert abs(float(out.provider_cost) - Jk) <= 1e-9 * max(Jk, float(out.provider_cost))
        assert 0.0 <= float(e.success) <= 1.0
