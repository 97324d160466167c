"""Sanity checks of the numeric engine (routegame.markov.numeric) that use no closed form.

Every expectation here comes from the model's definitions, evaluated independently with
:func:`routegame.markov.chain.chain_outcomes` on dense grids, or from orderings that must
hold by construction (weak >= strong, gap >= 0, throttling never hurts the provider).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routegame.errors import ParameterError
from routegame.markov.chain import chain_outcomes, two_model_policy
from routegame.markov.numeric import (
    numeric_best_response,
    numeric_equilibrium,
    numeric_solve,
    numeric_thresholds,
    numeric_throttling,
    numeric_user_preferred,
)
from routegame.params import GameParams

Q_DENSE = np.linspace(0.0, 1.0, 4001)


def chain_values(g: GameParams, route: int, s: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    """U and J of policy (route, s) against stationary q, straight from the chain."""
    start, R = two_model_policy(route, s)
    out = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob,
                         start, R, q, per_model=False)
    return out.user_utility, out.provider_cost


def rel(x: float) -> float:
    return 1e-9 * max(1.0, abs(x))


@st.composite
def games(draw: st.DrawFn, regime: str | None = None) -> GameParams:
    """Two-model games (any ordering of the models), optionally of one sign pattern of xi."""
    unit = st.floats(0.03, 0.97)
    V = draw(st.floats(0.5, 30.0))
    p = [draw(unit), draw(unit)]
    xi_sign = {
        None: (None, None),
        "value-value": (1, 1),
        "latency-latency": (-1, -1),
        "latency-value": (-1, 1),
        "value-latency": (1, -1),
    }[regime]
    t = []
    for i in range(2):
        frac = draw(st.floats(0.05, 0.95))
        if xi_sign[i] == 1:  # t < V p
            t.append(V * p[i] * frac)
        elif xi_sign[i] == -1:  # t > V p
            t.append(V * p[i] / frac)
        else:
            t.append(draw(st.floats(0.05, 20.0)))
    c = [draw(st.floats(0.0, 10.0)), draw(st.floats(0.0, 10.0))]
    P = draw(st.one_of(st.just(0.0), st.floats(0.0, 30.0)))
    return GameParams.two_model(V, P, t, c, p)


FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------
# User best response
# --------------------------------------------------------------------------------------------


@FEW
@given(games(), st.sampled_from([1, 2]), st.floats(0.0, 1.0))
def test_best_response_is_global(g: GameParams, route: int, s: float) -> None:
    br = numeric_best_response(g, route, s)
    U, _ = chain_values(g, route, s, Q_DENSE)
    U_star, _ = chain_values(g, route, s, br["abandon"])
    assert float(U_star) == pytest.approx(br["user_utility"], rel=1e-12, abs=1e-12)
    assert br["user_utility"] >= U.max() - rel(U.max())
    for lo, hi in br["argmax_set"]:
        for q in (lo, hi):
            assert float(chain_values(g, route, s, q)[0]) >= br["user_utility"] - 2 * rel(U.max())


@FEW
@given(games(), st.floats(0.0, 1.0))
def test_route_2_response_follows_sign_of_xi2(g: GameParams, s: float) -> None:
    xi2 = g.net_value()[1]
    br = numeric_best_response(g, 2, s)
    assert br["abandon"] == (0.0 if xi2 > 0 else 1.0)
    assert not br["indifferent"]


@FEW
@given(games("value-value"), st.floats(0.0, 1.0))
def test_both_value_dominated_never_abandons(g: GameParams, s: float) -> None:
    assert numeric_best_response(g, 1, s)["abandon"] == 0.0


@FEW
@given(games("latency-latency"), st.floats(0.0, 1.0))
def test_both_latency_dominated_abandons_at_once(g: GameParams, s: float) -> None:
    assert numeric_best_response(g, 1, s)["abandon"] == 1.0


def test_interior_best_response_is_stationary() -> None:
    g = GameParams.two_model(10, 2, (2, 6), (1, 3), (0.3, 0.5))  # xi = (1, -1)
    br = numeric_best_response(g, 1, 0.4)
    q = br["abandon"]
    assert 0.0 < q < 1.0
    h = 1e-5
    U_lo, _ = chain_values(g, 1, 0.4, q - h)
    U_hi, _ = chain_values(g, 1, 0.4, q + h)
    slope = (float(U_hi) - float(U_lo)) / (2 * h)
    assert abs(slope) < 1e-6
    assert br["user_utility"] > max(float(chain_values(g, 1, 0.4, x)[0]) for x in (0.0, 1.0))


def test_knife_edge_user_is_indifferent() -> None:
    g = GameParams.two_model(10, 2, (2, 5), (1, 3), (0.3, 0.5))  # xi2 = 0 exactly
    br = numeric_best_response(g, 2, 0.0)
    assert br["indifferent"]
    assert br["argmax_set"] == [[0.0, 1.0]]
    out = numeric_solve(g, throttling=False)
    assert out["regime"] == "knife-edge"


# --------------------------------------------------------------------------------------------
# Thresholds of the response to route 1
# --------------------------------------------------------------------------------------------


def test_single_threshold_when_only_m2_is_worth_it() -> None:
    g = GameParams.two_model(8, 2, (3, 4), (0.1, 3), (0.3, 0.8))  # xi = (-0.6, 2.4)
    th = numeric_thresholds(g)
    s0 = th["s0"]
    assert s0 is not None
    assert th["s_low"] is None
    assert th["s_high"] is None
    assert numeric_best_response(g, 1, s0 - 1e-6)["abandon"] == 1.0
    assert numeric_best_response(g, 1, s0 + 1e-6)["abandon"] == 0.0
    # at the threshold the user is indifferent between staying and leaving
    U, _ = chain_values(g, 1, s0, np.array([0.0, 1.0]))
    assert U[0] == pytest.approx(U[1], abs=1e-11)


def test_two_thresholds_when_only_m1_is_worth_it() -> None:
    g = GameParams.two_model(10, 2, (2, 6), (1, 3), (0.3, 0.5))  # xi = (1, -1)
    th = numeric_thresholds(g)
    lo, hi = th["s_low"], th["s_high"]
    assert th["s0"] is None
    assert lo is not None
    assert hi is not None
    assert 0 < lo < hi <= 1
    assert numeric_best_response(g, 1, lo - 1e-6)["abandon"] == 0.0
    assert 0.0 < numeric_best_response(g, 1, lo + 1e-6)["abandon"] < 1.0
    assert 0.0 < numeric_best_response(g, 1, hi - 1e-6)["abandon"] < 1.0
    assert numeric_best_response(g, 1, min(1.0, hi + 1e-6))["abandon"] == 1.0


@FEW
@given(games("latency-value"))
def test_threshold_separates_leaving_from_staying(g: GameParams) -> None:
    s0 = numeric_thresholds(g)["s0"]
    assert s0 is not None
    for s in np.linspace(0, 1, 11):
        if abs(s - s0) > 1e-6:
            assert numeric_best_response(g, 1, s)["abandon"] == (1.0 if s < s0 else 0.0)


# --------------------------------------------------------------------------------------------
# Provider
# --------------------------------------------------------------------------------------------


def strong_cost(g: GameParams, route: int, s: float) -> float:
    """J at the user's best response, ties broken for the provider (via the chain)."""
    br = numeric_best_response(g, route, s)
    qs = [x for iv in br["argmax_set"] for x in iv]
    return min(float(chain_values(g, route, s, q)[1]) for q in qs)


@FEW
@given(games())
def test_equilibrium_is_consistent_and_optimal(g: GameParams) -> None:
    eq = numeric_equilibrium(g)
    U, J = chain_values(g, eq["route"], eq["cascade"], eq["abandon"])
    assert float(J) == pytest.approx(eq["provider_cost"], rel=1e-9, abs=1e-12)
    assert float(U) == pytest.approx(eq["user_utility"], rel=1e-9, abs=1e-12)
    U_all, _ = chain_values(g, eq["route"], eq["cascade"], Q_DENSE)
    assert float(U) >= U_all.max() - rel(U_all.max())  # the user best-responds
    for route in (1, 2):
        for s in np.linspace(0, 1, 9):
            assert eq["provider_cost"] <= strong_cost(g, route, float(s)) + rel(eq["provider_cost"])


@FEW
@given(games())
def test_orderings(g: GameParams) -> None:
    out = numeric_solve(g, throttling=False)
    strong, weak = out["equilibrium"], out["equilibrium_weak"]
    assert weak["provider_cost"] >= strong["provider_cost"] - rel(strong["provider_cost"])
    assert out["misalignment_gap"] >= -rel(strong["user_utility"])
    up = out["user_preferred"]
    for route in (1, 2):
        for s in np.linspace(0, 1, 6):
            br = numeric_best_response(g, route, float(s))
            assert up["user_utility"] >= br["user_utility"] - rel(br["user_utility"])
    xi = g.net_value()
    assert out["net_value"] == pytest.approx(list(xi))
    expected = {(1, 1): "value-value", (-1, -1): "latency-latency", (-1, 1): "latency-value",
                (1, -1): "value-latency"}[(int(np.sign(xi[0])), int(np.sign(xi[1])))]
    assert out["regime"] == expected


def test_weak_infimum_not_attained_at_threshold() -> None:
    g = GameParams.two_model(8, 2, (3, 4), (0.1, 3), (0.3, 0.8))  # xi = (-0.6, 2.4)
    s0 = numeric_thresholds(g)["s0"]
    strong = numeric_equilibrium(g, "strong")
    weak = numeric_equilibrium(g, "weak")
    # the provider cascades exactly at the threshold, where the indifferent user stays...
    assert strong["route"] == 1
    assert strong["cascade"] == pytest.approx(s0, abs=1e-9)
    assert strong["abandon"] == 0.0
    # ...which no policy attains when ties go against the provider
    assert weak["attained"] is False
    assert weak["cascade"] == pytest.approx(s0, abs=1e-9)
    assert weak["provider_cost"] == pytest.approx(strong["provider_cost"], rel=1e-9)
    # approached from above: just above s0 the user stays and the cost is close
    assert strong_cost(g, 1, s0 + 1e-7) == pytest.approx(strong["provider_cost"], rel=1e-5)
    # and at s0 itself the weak response (the user leaves) costs strictly more
    J_leave = float(chain_values(g, 1, s0, 1.0)[1])
    assert J_leave > weak["provider_cost"] + 1e-3


def test_weak_knife_edge_at_s0_takes_no_limit_from_outside() -> None:
    # xi_1 = V p1 - t1 = 0 (t1 is 4.9358... = V p1 to the last bit), xi_2 = 11.28 - 1 > 0, P = 0.
    # Route 1, s = 0: only M1 passes and xi_1 = 0, so U(q) = 0 for every q: under weak ties
    # the user picks the q worst for the provider; with P = 0 that is q = 0 (passes until
    # success): J = c1 / p1 = 1 / 0.21875 = 4.5714... For s > 0 the user strictly stays
    # (M2 is worth xi_2 > 0), so J(s) -> c1 / p1 too as s -> 0+: no policy comes near the
    # J = 1.519 of q = 0.5625 at s ~ 0 (a tied response the user never chooses for s > 0).
    # Route 2: xi_2 > 0, the user stays, J = c2 / p2 = 2.0, attained (and the minimum: for
    # route 1 and any s the user stays and J(s) >= min(c1/p1, c2/p2) = 2.0).
    g = GameParams.two_model(22.563917864890847, 0.0, [4.935857032944873, 1.0], [1.0, 1.0],
                             [0.21875, 0.5])
    assert g.net_value()[0] == 0.0
    weak = numeric_equilibrium(g, "weak")
    assert weak["provider_cost"] == pytest.approx(2.0, rel=1e-9)
    assert weak["attained"] is True
    assert (weak["route"], weak["abandon"]) == (2, 0.0)
    # strong: at s = 0 the indifferent user leaves after one pass: J = c1 = 1.0 (every
    # policy costs at least one pass of the cheaper model, min(c) = 1.0)
    assert numeric_equilibrium(g, "strong")["provider_cost"] == pytest.approx(1.0, rel=1e-9)


def test_weak_knife_edge_at_s1_takes_no_limit_from_outside() -> None:
    # Mirror case: xi_2 = 10 * 0.5 - 5 = 0, xi_1 = 1 - 0.5 = 0.5 > 0, P = 0. Route 1, s = 1:
    # one M1 pass (worth xi_1 whatever q), then only M2 passes (worth 0): U flat in q, the
    # weak user picks q = 0: J = c1 + (1 - p1) c2 / p2 = 1 + 0.9 * 8 = 8.2, also the limit as
    # s -> 1- (the user strictly stays there). Route 1 with s < 1 and q = 0 costs a mixture
    # of c1/p1 = 10 and that 8.2; route 2: U = 0 flat, weak q = 0, J = c2 / p2 = 8.0: the
    # weak minimum, attained. Strong: at s = 1 the user leaves after one pass, J = c1 = 1.
    g = GameParams.two_model(10, 0.0, [0.5, 5.0], [1.0, 4.0], [0.1, 0.5])
    assert g.net_value()[1] == 0.0
    weak = numeric_equilibrium(g, "weak")
    assert weak["provider_cost"] == pytest.approx(8.0, rel=1e-9)
    assert weak["attained"] is True
    assert weak["route"] == 2
    assert numeric_equilibrium(g, "strong")["provider_cost"] == pytest.approx(1.0, rel=1e-9)


def test_weak_knife_edge_infimum_approached_from_the_right_of_s0() -> None:
    # xi_1 = 0 (t1 = V p1 exactly), xi_2 = V p2 - t2 = 2.60 > 0. Route 1, s = 0: U flat, the
    # weak user picks the worse of q = 0 (c1 / p1 = 11.4772) and q = 1 (c1 + (1 - p1) P =
    # 11.2476 + 0.02 * 38.5627 = 12.0189): 12.0189. For s > 0 the user stays (q = 0) and
    # J(s) = (c1 + (1 - p1) s C2) / (p1 + (1 - p1) s) with C2 = c2 / p2 = 15.173 > c1 / p1,
    # increasing in s, -> c1 / p1 as s -> 0+; route 2 costs C2. So the weak value is the
    # infimum c1 / p1, approached from the right of s = 0 and not attained.
    g = GameParams.two_model(20.948892531202354, 38.56270674628524,
                             [20.529914680578308, 3.83957019916253],
                             [11.247622956029712, 4.6624700724694055], [0.98, 0.3072825456908703])
    assert g.net_value()[0] == 0.0
    weak = numeric_equilibrium(g, "weak")
    assert weak["provider_cost"] == pytest.approx(11.247622956029712 / 0.98, rel=1e-9)
    assert weak["attained"] is False
    assert (weak["route"], weak["abandon"]) == (1, 0.0)
    assert 0.0 <= weak["cascade"] < 1e-9


def test_weak_infimum_approached_from_above_in_latency_value() -> None:
    # xi = (2.5 - 3, 7.5 - 6) = (-0.5, 1.5). Route 1, cascade s, the user staying (q = 0):
    # E[N1] = 1 / (1 - (1 - p1)(1 - s)); M2 is reached with prob (1 - p1) s E[N1], then 1/p2
    # passes. At s = 0.2: E[N1] = 2.5, U(0) = 2.5 * -0.5 + 0.375 * (4/3) * 1.5 = -0.5 =
    # xi_1 = U(1) (leave after one pass): s0 = 0.2. Below s0 the user leaves: J = c1 +
    # P (1 - p1) = 4.75; above, J(s) = (c1 + (1 - p1) s c2/p2) / (1 - (1 - p1)(1 - s)) =
    # (1 + 4 s) / (0.25 + 0.75 s), increasing, -> 1.8 / 0.4 = 4.5 as s -> 0.2+; at s0 the
    # weak user leaves (4.75); route 2 costs c2 / p2 = 16/3. Infimum 4.5, not attained.
    g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    weak = numeric_equilibrium(g, "weak")
    assert weak["provider_cost"] == pytest.approx(4.5, rel=1e-9)
    assert weak["attained"] is False
    assert (weak["route"], weak["abandon"]) == (1, 0.0)
    assert weak["cascade"] == pytest.approx(0.2, abs=1e-9)


def test_weak_both_knife_edges_user_indifferent_everywhere() -> None:
    # xi = (0, 0): U = 0 for every policy and q, the weak user always picks the q worst for
    # the provider. With P = 0 that is q = 0 (passes until success); route 1 costs c1 / p1 =
    # 2 at s = 0, c1 + (1 - p1) c2 / p2 = 1 + 0.5 * 4 = 3 at s = 1 and a mixture between;
    # route 2 costs c2 / p2 = 4: the weak value is 2, attained at route 1, s = 0, q = 0.
    g = GameParams.two_model(10, 0.0, [5.0, 2.5], [1.0, 1.0], [0.5, 0.25])
    assert list(g.net_value()) == [0.0, 0.0]
    weak = numeric_equilibrium(g, "weak")
    assert weak["provider_cost"] == pytest.approx(2.0, rel=1e-9)
    assert weak["attained"] is True
    assert (weak["route"], weak["cascade"], weak["abandon"]) == (1, 0.0, 0.0)


def test_weak_value_attained_where_response_leaves_zero_continuously() -> None:
    # value-latency (xi = (0.0169, -0.289)): the provider's best cascade is where q* leaves
    # 0 (s_low); q* is continuous there, so the user's response at s_low is unique (q = 0)
    # and the weak value is attained and equal to the strong one (weak >= strong always).
    g = GameParams.two_model(1.8383602253839184, 49.362767198990205,
                             [0.01991714500745656, 1.2082459961035295],
                             [0.3333333333333333, 1.8383602253839184], [0.02, 0.5])
    strong = numeric_equilibrium(g, "strong")
    weak = numeric_equilibrium(g, "weak")
    assert strong["abandon"] == 0.0
    assert weak["attained"] is True
    assert weak["provider_cost"] == pytest.approx(strong["provider_cost"], rel=1e-9)


def test_throttling_never_hurts_the_provider() -> None:
    g = GameParams.two_model(10, 0, (1, 4), (1, 3), (0.3, 0.8))
    base = numeric_equilibrium(g)
    th = numeric_throttling(g, num_points=1)
    assert th["pays"] is True
    assert th["provider_cost"] < base["provider_cost"]
    assert th["latency"][0] >= 1.0
    assert th["latency"][1] >= 4.0
    again = numeric_equilibrium(g.replace(latency=th["latency"]))
    assert again["provider_cost"] == pytest.approx(th["provider_cost"], rel=1e-9)
    # the user loses from it
    assert th["user_utility"] < base["user_utility"]


def test_throttling_reports_no_gain_as_original_latencies() -> None:
    # a value-dominated user and a high churn penalty: keeping the user is cheapest
    g = GameParams.two_model(10, 50, (1, 4), (1, 3), (0.3, 0.8))
    th = numeric_throttling(g, num_points=1)
    base = numeric_equilibrium(g)
    assert th["provider_cost"] <= base["provider_cost"] + rel(base["provider_cost"])
    if not th["pays"]:
        assert th["latency"] == [1.0, 4.0]
        assert th["provider_cost"] == base["provider_cost"]


# --------------------------------------------------------------------------------------------
# Interface
# --------------------------------------------------------------------------------------------


def test_solve_keys_and_determinism() -> None:
    g = GameParams.two_model(10, 2, (2, 6), (1, 3), (0.3, 0.5))
    a = numeric_solve(g, throttling=False)
    b = numeric_solve(g.to_dict(), throttling=False)
    assert a == b
    assert set(a) == {"net_value", "regime", "thresholds", "equilibrium", "equilibrium_weak",
                      "user_preferred", "misalignment_gap", "throttling"}
    assert set(a["equilibrium"]) == {"route", "cascade", "abandon", "provider_cost",
                                     "user_utility"}
    assert set(a["equilibrium_weak"]) == set(a["equilibrium"]) | {"attained"}
    assert set(a["user_preferred"]) == {"route", "cascade", "abandon", "user_utility"}
    assert set(a["thresholds"]) == {"s0", "s_low", "s_high"}
    assert a["throttling"] is None


def test_user_preferred_standalone_matches_solve() -> None:
    g = GameParams.two_model(10, 2, (2, 6), (1, 3), (0.3, 0.5))
    assert numeric_user_preferred(g) == numeric_solve(g, throttling=False)["user_preferred"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda g: numeric_best_response(g, 3, 0.5), "route"),
        (lambda g: numeric_best_response(g, 1, 1.5), "cascade"),
        (lambda g: numeric_best_response(g, 1, 0.5, tol=-1), "tol"),
        (lambda g: numeric_equilibrium(g, "medium"), "tie_break"),
        (lambda g: numeric_throttling(g, num_points=0), "num_points"),
        (lambda g: numeric_solve(g.to_dict() | {"penalty": -1}), "penalty"),
        (lambda g: numeric_solve("not a game"), "params"),
        (
            lambda g: numeric_solve(
                GameParams.from_lists(10, 1, [1, 2, 3], [1, 2, 3], [0.2, 0.4, 0.6])
            ),
            "models",
        ),
    ],
)
def test_bad_inputs_name_the_field(call: Any, field: str) -> None:
    g = GameParams.two_model(10, 2, (2, 6), (1, 3), (0.3, 0.5))
    with pytest.raises(ParameterError) as err:
        call(g)
    assert err.value.field == field
