"""Tests of routegame.general: exact K-model best responses and Stackelberg optima.

Every expected value comes from an independent route: the Markov-chain linear solve
(routegame.markov.chain), brute force over q grids or over all 2^K pure stopping rules,
exhaustive grids over policies, or the two-model closed forms (routegame.closed_form).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routegame.errors import ParameterError
from routegame.general import (
    GeneralGame,
    continuation_vertices,
    equilibrium,
    lookahead_best_response,
    misalignment_gap,
    solve_general,
    state_aware_best_response,
    state_aware_best_response_arrays,
    stationary_best_response,
    stationary_best_response_arrays,
    user_preferred,
)
from routegame.general.user import _state_aware_core, _stationary_core, _stopping_values
from routegame.markov.chain import chain_outcomes
from routegame.params import GameParams

SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


# ---------------------------------------------------------------------------------------------
# strategies and independent references
# ---------------------------------------------------------------------------------------------


@st.composite
def games(draw: st.DrawFn, k_min: int = 2, k_max: int = 4) -> GameParams:
    K = draw(st.integers(k_min, k_max))
    fl = st.floats
    V = draw(fl(1.0, 20.0))
    P = draw(fl(0.0, 30.0))
    t = [draw(fl(0.1, 10.0)) for _ in range(K)]
    c = [draw(fl(0.0, 5.0)) for _ in range(K)]
    p = [draw(fl(0.05, 0.95)) for _ in range(K)]
    return GameParams.from_lists(V, P, t, c, p)


def random_policy(rng: np.random.Generator, K: int, upward: bool = False) -> tuple:
    start = rng.dirichlet(np.full(K, 0.5))
    R = rng.dirichlet(np.full(K, 0.5), size=K)
    if upward:
        R = np.triu(R)
        R[np.arange(K), np.arange(K)] += 1e-3
        R /= R.sum(axis=1, keepdims=True)
    # sometimes point masses, as the solvers produce them
    if rng.random() < 0.3:
        start = np.eye(K)[rng.integers(K)]
    return start, R


def chain(g: GameParams, start, R, abandon, per_model: bool | None = None):
    if per_model is None:
        per_model = np.ndim(abandon) == 1
    return chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob, start, R,
                          abandon, per_model=per_model)


def brute_stationary_max(g: GameParams, start, R, n: int = 4001) -> float:
    q = np.linspace(0.0, 1.0, n)
    return float(chain(g, start, R, q, per_model=False).user_utility.max())


def brute_state_aware(g: GameParams, start, R) -> tuple[float, np.ndarray]:
    K = g.num_models
    qs = np.array(list(itertools.product((0.0, 1.0), repeat=K)))
    out = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob,
                         start, R, qs, per_model=True)
    return float(out.user_utility.max()), out.user_utility


def batch_cost(g: GameParams, user: str, pi: np.ndarray, R: np.ndarray) -> np.ndarray:
    B = len(R)
    args = (np.full(B, g.task_value), np.full(B, g.penalty), np.tile(g.latency, (B, 1)),
            np.tile(g.cost, (B, 1)), np.tile(g.success_prob, (B, 1)), pi, R, "strong", 1e-9)
    core = _stationary_core if user == "stationary" else _state_aware_core
    return np.asarray(core(*args)["provider_cost"])


def policy_cost(g: GameParams, m: int) -> list[float]:
    """J of starting on model m and then (a) the user quitting or (b) staying on one model k."""
    xi, p, P = g.net_value(), g.success_prob, g.penalty
    gg = g.cost - P * p
    out = [P + gg[m]] if xi.min() <= 0 else []
    out += [P + gg[m] + (1 - p[m]) * gg[k] / p[k] for k in range(len(p)) if xi[k] >= 0]
    return out


def simplex_grid(K: int, n: int) -> np.ndarray:
    pts = [c for c in itertools.product(range(n + 1), repeat=K) if sum(c) == n]
    return np.array(pts, dtype=float) / n


# ---------------------------------------------------------------------------------------------
# stationary user
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(games(), st.integers(0, 2**32 - 1))
def test_stationary_best_response_beats_q_grid(g: GameParams, seed: int) -> None:
    rng = np.random.default_rng(seed)
    start, R = random_policy(rng, g.num_models, upward=bool(rng.random() < 0.5))
    br = stationary_best_response(g, start, R)
    grid_max = brute_stationary_max(g, start, R)
    scale = max(1.0, abs(grid_max))
    assert br.user_utility >= grid_max - 1e-9 * scale
    assert br.user_utility <= grid_max + 1e-3 * scale  # the grid comes close to the maximum
    # the reported utility and cost are those of the chain at q*
    out = chain(g, start, R, br.abandon)
    assert br.user_utility == pytest.approx(float(out.user_utility), rel=1e-9, abs=1e-9)
    assert br.provider_cost == pytest.approx(float(out.provider_cost), rel=1e-9, abs=1e-9)
    for q in br.argmax:
        assert float(chain(g, start, R, q).user_utility) == pytest.approx(
            br.user_utility, rel=1e-7, abs=1e-7)


@SETTINGS
@given(games(2, 2), st.sampled_from([1, 2]), st.floats(0.0, 1.0))
def test_stationary_two_models_equals_closed_form(g: GameParams, route: int, s: float) -> None:
    from routegame.closed_form import best_response

    start = np.eye(2)[route - 1]
    R = np.array([[1.0 - s, s], [0.0, 1.0]])
    for tb in ("strong", "weak"):
        br = stationary_best_response(g, start, R, tie_break=tb)
        cf = best_response(g.task_value, g.latency, g.success_prob, route, s, cost=g.cost,
                           penalty=g.penalty, tie_break=tb)
        assert br.user_utility == pytest.approx(float(cf.user_utility), rel=1e-7, abs=1e-7)
        assert br.provider_cost == pytest.approx(float(cf.provider_cost), rel=1e-6, abs=1e-6)
        if not br.indifferent:
            assert br.abandon == pytest.approx(float(cf.abandon), abs=1e-6)


def test_stationary_flat_and_batched() -> None:
    # xi_2 = 0 and every re-prompt goes to model 2: U does not depend on q.
    g = GameParams.from_lists(10, 5, [1, 4], [1, 3], [0.3, 0.4])
    br = stationary_best_response(g, [1, 0], [[0, 1], [0, 1]], tie_break="strong")
    assert br.flat
    assert br.indifferent
    assert br.argmax == (0.0, 1.0)
    weak = stationary_best_response(g, [1, 0], [[0, 1], [0, 1]], tie_break="weak")
    assert br.provider_cost <= weak.provider_cost
    # g_2 = 3 - 5 * 0.4 = 1 > 0: the provider prefers the user to quit (q = 1) under strong
    assert br.abandon == 1.0
    assert weak.abandon == 0.0
    # the batched version agrees with the single one
    rng = np.random.default_rng(1)
    starts, Rs = zip(*(random_policy(rng, 3) for _ in range(6)), strict=True)
    h = GameParams.from_lists(8, 3, [1, 2, 6], [1, 2, 3], [0.2, 0.5, 0.7])
    out = stationary_best_response_arrays(8, 3, h.latency, h.cost, h.success_prob,
                                          np.array(starts), np.array(Rs))
    for i in range(6):
        one = stationary_best_response(h, starts[i], Rs[i])
        assert out["user_utility"][i] == pytest.approx(one.user_utility)
        assert out["abandon"][i] == pytest.approx(one.abandon)


# ---------------------------------------------------------------------------------------------
# state-aware and lookahead users
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(games(), st.integers(0, 2**32 - 1), st.booleans())
def test_state_aware_equals_best_pure_stopping_rule(g: GameParams, seed: int, upward: bool) -> None:
    rng = np.random.default_rng(seed)
    start, R = random_policy(rng, g.num_models, upward=upward)
    br = state_aware_best_response(g, start, R)
    best, _ = brute_state_aware(g, start, R)
    assert br.user_utility == pytest.approx(best, rel=1e-9, abs=1e-9)
    out = chain(g, start, R, np.array(br.abandon))
    assert float(out.user_utility) == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert br.provider_cost == pytest.approx(float(out.provider_cost), rel=1e-9, abs=1e-9)
    # no mixed abandon probability does better (a few random mixtures)
    qs = rng.random((50, g.num_models))
    assert float(chain(g, start, R, qs, per_model=True).user_utility.max()) <= best + 1e-9 * max(1, abs(best))


@SETTINGS
@given(games(), st.integers(0, 2**32 - 1))
def test_backward_induction_equals_policy_iteration(g: GameParams, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _, R = random_policy(rng, g.num_models, upward=True)
    xi, p = g.net_value()[None], g.success_prob[None]
    w1, v1 = _stopping_values(xi, p, R[None], upward=True)
    w2, v2 = _stopping_values(xi, p, R[None], upward=False)
    np.testing.assert_allclose(w1, w2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(v1, v2, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(games(), st.integers(0, 2**32 - 1))
def test_state_aware_user_does_at_least_as_well(g: GameParams, seed: int) -> None:
    rng = np.random.default_rng(seed)
    start, R = random_policy(rng, g.num_models, upward=bool(rng.random() < 0.5))
    sa = state_aware_best_response(g, start, R)
    stn = stationary_best_response(g, start, R)
    la = lookahead_best_response(g, start, R)
    tol = 1e-9 * max(1.0, abs(sa.user_utility))
    assert sa.user_utility >= stn.user_utility - tol
    assert la.user_utility >= sa.user_utility - tol
    # the lookahead user's equivalent chain reproduces its utility
    out = chain(g, start, np.array(la.cascade), np.array(la.abandon))
    assert float(out.user_utility) == pytest.approx(la.user_utility, rel=1e-9, abs=1e-9)


def test_state_aware_never_mixes_where_the_stationary_user_does() -> None:
    # paper's value-latency regime (xi_1 > 0 > xi_2), route 1, s between s_low and s_high
    g = GameParams.from_lists(10, 0, [1, 9], [1, 1], [0.3, 0.8])
    R = [[0.4, 0.6], [0.0, 1.0]]
    stn = stationary_best_response(g, [1, 0], R)
    sa = state_aware_best_response(g, [1, 0], R)
    assert 0.0 < stn.abandon < 1.0
    assert sa.abandon == (0.0, 1.0)
    assert not any(sa.indifferent)
    assert sa.user_utility > stn.user_utility


def test_state_aware_ties_and_batch() -> None:
    # xi_2 = 0: the user is indifferent after a failure on M2 (R = identity)
    g = GameParams.from_lists(10, 5, [1, 4], [1, 3], [0.3, 0.4])
    strong = state_aware_best_response(g, [0, 1], np.eye(2), tie_break="strong")
    weak = state_aware_best_response(g, [0, 1], np.eye(2), tie_break="weak")
    assert strong.indifferent[1]
    assert weak.indifferent[1]
    assert strong.abandon[1] == 1.0  # g_2 = 1 > 0: the provider wants the user to quit
    assert weak.abandon[1] == 0.0
    assert strong.provider_cost < weak.provider_cost
    out = state_aware_best_response_arrays(10, 5, g.latency, g.cost, g.success_prob,
                                           [[1, 0], [0, 1]], np.eye(2))
    assert out["abandon"].shape == (2, 2)


# ---------------------------------------------------------------------------------------------
# the provider's optimum
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(games(), st.sampled_from(["stationary", "state-aware"]), st.integers(0, 2**32 - 1))
def test_equilibrium_is_consistent_and_unbeaten_by_random_policies(
    g: GameParams, user: str, seed: int
) -> None:
    eq = equilibrium(g, user)
    K = g.num_models
    # reported numbers are the chain's at the reported policy and response
    out = chain(g, np.array(eq.start), np.array(eq.cascade), np.array(eq.abandon))
    assert eq.provider_cost == pytest.approx(float(out.provider_cost), rel=1e-9, abs=1e-9)
    assert eq.user_utility == pytest.approx(float(out.user_utility), rel=1e-9, abs=1e-9)
    # an independent best response at the reported policy gives the same cost
    br = GeneralGame(g, user).best_response(eq.start, eq.cascade)
    assert br.provider_cost == pytest.approx(eq.provider_cost, rel=1e-9, abs=1e-9)
    # no random policy (with the user's exact response) is cheaper for the provider
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.full(K, 0.4), size=300)
    R = rng.dirichlet(np.full(K, 0.4), size=(300, K))
    assert batch_cost(g, user, pi, R).min() >= eq.provider_cost - 1e-9 * max(1, abs(eq.provider_cost))
    # weak: never below strong; equal away from knife edges (some xi_k = 0)
    weak = equilibrium(g, user, "weak")
    assert weak.provider_cost >= eq.provider_cost - 1e-9 * max(1, abs(eq.provider_cost))
    if np.all(np.abs(g.net_value()) > 1e-9):
        assert weak.provider_cost == pytest.approx(eq.provider_cost, rel=1e-9, abs=1e-9)
    if not eq.indifferent:
        assert weak.attained
    # user-preferred and gap
    up = user_preferred(g, user)
    assert up.user_utility >= eq.user_utility - 1e-9
    assert misalignment_gap(g, user) == pytest.approx(up.user_utility - eq.user_utility)
    json.dumps(GeneralGame(g, user).solve().to_dict())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("user", ["stationary", "state-aware"])
def test_equilibrium_against_exhaustive_grid_two_models(seed: int, user: str) -> None:
    rng = np.random.default_rng(seed)
    # games with one value-dominated and one latency-dominated model (where cascades matter)
    while True:
        g = GameParams.from_lists(rng.uniform(2, 20), rng.uniform(0, 30), rng.uniform(0.1, 10, 2),
                                  rng.uniform(0, 5, 2), rng.uniform(0.05, 0.95, 2))
        xi = g.net_value()
        if xi.min() < 0 < xi.max():
            break
    eq = equilibrium(g, user)
    s = np.linspace(0, 1, 41)
    a, b, c = np.meshgrid(s, s, s, indexing="ij")  # start on M1, R[1, 2], R[2, 1]
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    pi = np.stack([a, 1 - a], axis=1)
    R = np.stack([np.stack([1 - b, b], 1), np.stack([c, 1 - c], 1)], axis=1)
    J = batch_cost(g, user, pi, R)
    assert J.min() >= eq.provider_cost - 1e-9 * max(1.0, abs(eq.provider_cost))
    assert J.min() <= eq.provider_cost + 0.05 * max(1.0, abs(eq.provider_cost))


@pytest.mark.parametrize("user", ["stationary", "state-aware"])
def test_equilibrium_against_exhaustive_grid_three_models(user: str) -> None:
    rng = np.random.default_rng(7)
    g = GameParams.from_lists(10, 12, [1.0, 6.0, 3.0], [0.5, 1.0, 4.0], [0.3, 0.4, 0.85])
    eq = equilibrium(g, user)
    S = simplex_grid(3, 3)  # 10 points per row
    rows = np.array(list(itertools.product(range(len(S)), repeat=3)))
    Rs = S[rows]
    pis = simplex_grid(3, 3)
    R = np.repeat(Rs, len(pis), axis=0)
    pi = np.tile(pis, (len(Rs), 1))
    R = np.concatenate([R, rng.dirichlet(np.full(3, 0.4), size=(3000, 3))])
    pi = np.concatenate([pi, rng.dirichlet(np.full(3, 0.4), size=3000)])
    J = batch_cost(g, user, pi, R)
    assert J.min() >= eq.provider_cost - 1e-9 * max(1.0, abs(eq.provider_cost))


@SETTINGS
@given(games(2, 2))
def test_two_models_general_class_is_at_least_as_good_as_the_papers(g: GameParams) -> None:
    from routegame.closed_form import solve_arrays

    sol = solve_arrays(g.task_value, g.penalty, g.latency, g.cost, g.success_prob)
    eq = equilibrium(g, "stationary")
    J_cf = float(sol.provider_cost)
    assert eq.provider_cost <= J_cf + 1e-9 * max(1.0, abs(J_cf))
    xi = g.net_value()
    if (xi > 0).all() or (xi < 0).all():  # same-sign regimes: the paper's class is optimal
        assert eq.provider_cost == pytest.approx(J_cf, rel=1e-9, abs=1e-9)
        # the user's utility is pinned down unless the provider has several optimal policies
        # (the two solvers may then pick different ones)
        J_start = [min(policy_cost(g, m)) for m in range(2)]
        if abs(J_start[0] - J_start[1]) > 1e-6 * max(1.0, abs(J_cf)):
            assert eq.user_utility == pytest.approx(float(sol.user_utility), rel=1e-7, abs=1e-7)
    # the user's best policy is at least as good as within the paper's class
    assert user_preferred(g).user_utility >= float(sol.pref_user_utility) - 1e-9


def test_two_models_strictly_better_than_the_papers_class() -> None:
    from routegame.closed_form import solve_arrays

    # xi = (-0.4, 4.4): the paper's best is route 2 kept on M2 (J = P + g_2 / p_2 = 6.125);
    # a downward cascade M2 -> M1 is a threat that makes the user quit after one M2 pass:
    # J = P + g_2 = 6.1.
    g = GameParams.from_lists(18, 6, [4.0, 10.0], [1.7, 4.9], [0.2, 0.8])
    sol = solve_arrays(g.task_value, g.penalty, g.latency, g.cost, g.success_prob)
    assert float(sol.provider_cost) == pytest.approx(6.125)
    eq = equilibrium(g)
    assert eq.provider_cost == pytest.approx(6.1)
    assert eq.route == 2
    assert eq.kind == "abandon"
    assert eq.abandon == 1.0
    # value-latency game: start on M2, then i.i.d. re-prompts mixing M1 and M2 (rho.xi = 0)
    h = GameParams.from_lists(10, 17, [2.0, 8.0], [4.3, 4.7], [0.3, 0.6])
    sol = solve_arrays(h.task_value, h.penalty, h.latency, h.cost, h.success_prob)
    eq = equilibrium(h)
    assert eq.provider_cost < float(sol.provider_cost) - 1.0
    assert eq.route == 2
    assert np.allclose(eq.continuation, [2 / 3, 1 / 3])


def test_weak_tie_breaking_reports_unattained_infimum() -> None:
    g = GameParams.from_lists(10, 6, [1, 5, 2], [1, 0.5, 3], [0.3, 0.4, 0.8])
    strong = equilibrium(g, "state-aware", "strong")
    weak = equilibrium(g, "state-aware", "weak")
    assert strong.indifferent
    assert strong.attained
    assert not weak.attained
    assert weak.provider_cost == pytest.approx(strong.provider_cost)
    # at the approached policy itself the weak user quits, costing the provider more
    br = state_aware_best_response(g, weak.start, weak.cascade, tie_break="weak")
    assert br.provider_cost > weak.provider_cost
    # strictly approaching: shift mass towards the value-dominated model of the mixture
    rho = np.array(weak.continuation)
    xi = g.net_value()
    k = int(np.argmax(np.where(rho > 0, xi, -np.inf)))
    for eps in (1e-2, 1e-4, 1e-6):
        r2 = (1 - eps) * rho + eps * np.eye(3)[k]
        brw = state_aware_best_response(g, weak.start, np.tile(r2, (3, 1)), tie_break="weak")
        assert brw.provider_cost >= weak.provider_cost - 1e-12
        assert brw.provider_cost == pytest.approx(weak.provider_cost, abs=50 * eps)


def test_knife_edges_do_not_crash() -> None:
    # xi = (0, 0): every response is a best response
    g = GameParams.from_lists(10, 3, [3, 8], [1, 2], [0.3, 0.8])
    for user in ("stationary", "state-aware"):
        for tb in ("strong", "weak"):
            eq = equilibrium(g, user, tb)
            assert np.isfinite(eq.provider_cost)
        assert equilibrium(g, user, "weak").provider_cost >= equilibrium(g, user).provider_cost


def test_continuation_vertices() -> None:
    v = continuation_vertices(np.array([2.0, -1.0, 0.0]))
    assert v.shape == (3, 3)
    assert np.allclose(v @ np.array([2.0, -1.0, 0.0]), [2.0, 0.0, 0.0])
    assert np.allclose(v.sum(axis=1), 1.0)


def test_solve_general_batch_line_and_errors() -> None:
    line = {"task_value": 10, "penalty": 5, "user": "state-aware", "models": [
        {"latency": 1, "cost": 1, "success_prob": 0.3},
        {"latency": 4, "cost": 3, "success_prob": 0.8},
        {"latency": 9, "cost": 5, "success_prob": 0.95}]}
    out = solve_general(line)
    assert out["user"] == "state-aware"
    assert isinstance(out["equilibrium"]["abandon"], list)
    json.dumps(out)
    with pytest.raises(ParameterError, match=r"^user: "):
        solve_general({**line, "user": "clairvoyant"})
    with pytest.raises(ParameterError, match=r"^tie_break: "):
        equilibrium(GameParams.from_dict(
            {k: v for k, v in line.items() if k != "user"}), tie_break="medium")
    g = GameParams.from_lists(10, 5, [1, 4], [1, 3], [0.3, 0.8])
    with pytest.raises(ParameterError, match=r"^cascade: "):
        stationary_best_response(g, [1, 0], [[0.5, 0.6], [0, 1]])
    with pytest.raises(ParameterError, match=r"^start: "):
        state_aware_best_response(g, [1, 0, 0], np.eye(2))
