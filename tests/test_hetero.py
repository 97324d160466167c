"""The heterogeneous engine against independent routes: closed forms, the chain oracle, hand
derivations, Monte Carlo and brute-force grids (acceptance criteria of issue 8)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routegame import closed_form as cf
from routegame.hetero import HeteroGame, Policy, TaskTable, beta_table, logit_shift, solve_record
from routegame.hetero.chain import chain_sums, two_model_sums
from routegame.markov.chain import chain_outcomes

prob = st.floats(0.02, 0.98)
pos = st.floats(0.1, 20.0)
unit = st.floats(0.0, 1.0)


def _mc(tab: np.ndarray, w: np.ndarray, sched_shift: np.ndarray | None, route: int, s: float,
        hazard: np.ndarray, t: np.ndarray, c: np.ndarray, V: float, P: float, n: int,
        seed: int) -> dict[str, tuple[float, float]]:
    """Independent vectorised Monte Carlo of route/cascade episodes with task rows, a logit
    schedule by overall attempt number and a hazard q(failures so far)."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(tab.shape[0], size=n, p=w)
    base = tab[rows]  # (n, 2)
    model = np.full(n, route - 1)
    alive = np.ones(n, bool)
    solved = np.zeros(n)
    lat = np.zeros(n)
    cost = np.zeros(n)
    attempt = 0
    while alive.any() and attempt < 400:
        attempt += 1
        idx = np.flatnonzero(alive)
        m = model[idx]
        p = base[idx, m]
        if sched_shift is not None:
            a = min(attempt, sched_shift.shape[1]) - 1
            with np.errstate(divide="ignore"):
                z = np.log(p) - np.log1p(-p) + sched_shift[m, a]
            p = np.where((p > 0) & (p < 1), 1 / (1 + np.exp(-z)), p)
        lat[idx] += t[m]
        cost[idx] += c[m]
        win = rng.random(idx.size) < p
        solved[idx[win]] = 1.0
        alive[idx[win]] = False
        fail = idx[~win]
        q = hazard[min(attempt, hazard.size) - 1]
        leave = rng.random(fail.size) < q
        alive[fail[leave]] = False
        stay = fail[~leave]
        move = (model[stay] == 0) & (rng.random(stay.size) < s)
        model[stay[move]] = 1
    U = V * solved - lat
    J = cost + P * (1 - solved)
    out = {}
    for name, x in (("success", solved), ("latency", lat), ("user_utility", U),
                    ("provider_cost", J)):
        out[name] = (float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)))
    return out


# ------------------------------------------------------------------------------------------
# 1. one-row table = the i.i.d. closed forms


@settings(max_examples=60)
@given(p1=prob, p2=prob, V=pos, P=pos, t1=pos, t2=pos, c1=pos, c2=pos,
       route=st.sampled_from([1, 2]), s=unit, q=unit)
def test_one_row_outcomes_equal_closed_form(p1, p2, V, P, t1, t2, c1, c2, route, s, q):
    g = HeteroGame([[p1, p2]], V, P, [t1, t2], [c1, c2])
    got = g.outcomes(Policy(route, s), q)
    want = cf.outcomes(V, P, [t1, t2], [c1, c2], [p1, p2], route, s, q)
    for name in ("success", "latency", "cost", "user_utility", "provider_cost"):
        w = float(getattr(want, name))
        assert getattr(got, name) == pytest.approx(w, rel=1e-12, abs=1e-12)
    assert got.passes == pytest.approx(tuple(want.passes), rel=1e-12)


@settings(max_examples=25)
@given(p1=prob, p2=prob, V=pos, P=pos, t1=pos, t2=pos, c1=pos, c2=pos)
def test_one_row_equilibrium_equals_closed_form(p1, p2, V, P, t1, t2, c1, c2):
    g = HeteroGame([[p1, p2]], V, P, [t1, t2], [c1, c2])
    want = cf.solve_arrays(V, P, [t1, t2], [c1, c2], [p1, p2])
    scale = max(1.0, abs(float(want.provider_cost)))
    eq = g.equilibrium("strong")
    assert eq.provider_cost == pytest.approx(float(want.provider_cost), abs=1e-7 * scale)
    weak = g.equilibrium("weak")
    assert weak.provider_cost == pytest.approx(float(want.weak_provider_cost), abs=1e-7 * scale)
    pref = g.user_preferred()
    uscale = max(1.0, abs(float(want.pref_user_utility)))
    assert pref.user_utility == pytest.approx(float(want.pref_user_utility), abs=1e-7 * uscale)


@settings(max_examples=40)
@given(p1=prob, p2=prob, V=pos, t1=pos, t2=pos, route=st.sampled_from([1, 2]), s=unit)
def test_one_row_best_response_utility_equals_closed_form(p1, p2, V, t1, t2, route, s):
    g = HeteroGame([[p1, p2]], V, 1.0, [t1, t2], [1.0, 2.0])
    br = g.best_response(Policy(route, s))
    want = cf.best_response(V, [t1, t2], [p1, p2], route, s, cost=[1.0, 2.0], penalty=1.0)
    assert br.user_utility == pytest.approx(float(want.user_utility),
                                            abs=1e-9 * max(1.0, abs(float(want.user_utility))))
    assert br.response_gap >= 0


# ------------------------------------------------------------------------------------------
# 2. a two-point mixture = the hand derivation of docs/real_data.md


def test_two_point_mixture_matches_hand_derivation():
    # tasks: easy (0.9, 0.95) and hard (0.05, 0.6), weights 1/2; route 1, cascade s, re-prompt r
    V, P, t, c = 10.0, 5.0, np.array([1.0, 4.0]), np.array([1.0, 3.0])
    s, q = 0.25, 0.2
    r = 1 - q
    rows = [(0.9, 0.95), (0.05, 0.6)]
    S = L = C = 0.0
    for p1, p2 in rows:
        n1 = 1 / (1 - (1 - p1) * (1 - s) * r)  # docs/real_data.md, eq. (H1)
        n2 = (1 - p1) * s * r * n1 / (1 - (1 - p2) * r)  # eq. (H2)
        S += 0.5 * (p1 * n1 + p2 * n2)
        L += 0.5 * (t[0] * n1 + t[1] * n2)
        C += 0.5 * (c[0] * n1 + c[1] * n2)
    g = HeteroGame([list(x) for x in rows], V, P, t, c)
    o = g.outcomes(Policy(1, s), q)
    assert o.success == pytest.approx(S, rel=1e-13)
    assert o.latency == pytest.approx(L, rel=1e-13)
    assert o.provider_cost == pytest.approx(C + P * (1 - S), rel=1e-13)
    # blind retry after a failure on M1 (eq. H3): E[p(1-p)] / E[1-p], far below E[p]
    p1 = np.array([0.9, 0.05])
    retry = (p1 * (1 - p1)).mean() / (1 - p1).mean()
    assert retry == pytest.approx((0.09 + 0.0475) / 1.05)
    assert retry < p1.mean() / 3
    # U(q) is not of the i.i.d. shape: on route 2 with tasks p = 0.5 and 0.05 (weights 1/2),
    # V = 10, t_2 = 1, xi = (4, -0.5) and U'(r) = 0 is linear after a square root (eq. H4):
    # r* = (A - B) / (A (1 - p_h) - B (1 - p_e)), A = sqrt(xi_e (1 - p_e)), B = sqrt(-xi_h (1 - p_h))
    g2 = HeteroGame([[0.3, 0.5], [0.01, 0.05]], 10.0, P, [1.0, 1.0], c)
    A, B = np.sqrt(4.0 * 0.5), np.sqrt(0.5 * 0.95)
    r_star = (A - B) / (A * 0.95 - B * 0.5)
    br = g2.best_response(Policy(2, 0.0))
    assert br.abandon == pytest.approx(1 - r_star, abs=1e-9)
    u_star = 0.5 * (4.0 / (1 - 0.5 * r_star) - 0.5 / (1 - 0.95 * r_star))
    assert br.user_utility == pytest.approx(u_star, rel=1e-12)
    # the i.i.d. game with the mean p_2 = 0.275 has xi_2 = 1.75 > 0: never abandon
    iid = HeteroGame([[0.155, 0.275]], 10.0, P, [1.0, 1.0], c).best_response(Policy(2, 0.0))
    assert iid.abandon == 0.0


# ------------------------------------------------------------------------------------------
# 3. the Markov-chain oracle (general two-model policies, state-aware users, K = 3)


@settings(max_examples=40)
@given(st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_mixture_equals_weighted_chain_oracle(T, seed):
    rng = np.random.default_rng(seed)
    tab = rng.uniform(0.01, 0.99, (T, 2))
    w = rng.uniform(0.1, 1.0, T)
    w /= w.sum()
    start1, s, u = rng.uniform(size=3)
    q = rng.uniform(size=2)
    V, P = rng.uniform(1, 20, 2)
    t = rng.uniform(0.5, 5, 2)
    c = rng.uniform(0.1, 5, 2)
    g = HeteroGame(TaskTable.from_rows(tab, w), V, P, t, c)
    got = g.outcomes(Policy(start1=start1, cascade=s, back=u), q)
    o = chain_outcomes(V, P, t, c, tab, start=[start1, 1 - start1],
                       cascade=[[1 - s, s], [u, 1 - u]], abandon=q, per_model=True)
    assert got.success == pytest.approx(float(w @ o.success), rel=1e-10)
    assert got.latency == pytest.approx(float(w @ o.latency), rel=1e-10)
    assert got.provider_cost == pytest.approx(float(w @ o.provider_cost), rel=1e-10)


def test_k_model_kernel_equals_oracle_and_two_model_kernel():
    rng = np.random.default_rng(3)
    T, K = 7, 3
    tab = rng.uniform(0.05, 0.95, (T, K))
    w = np.full(T, 1 / T)
    start = rng.dirichlet(np.ones(K), size=4)
    R = rng.dirichlet(np.ones(K), size=(4, K))
    q = rng.uniform(size=(4, K))
    out = chain_sums(tab[:, :, None], w, start, R, (1 - q)[:, :, None])
    for i in range(4):
        o = chain_outcomes(1.0, 0.0, np.ones(K), np.zeros(K), tab, start=start[i], cascade=R[i],
                           abandon=q[i], per_model=True)
        assert out.success[i] == pytest.approx(float(w @ o.success), rel=1e-10)
        assert out.passes[i] == pytest.approx(w @ o.passes, rel=1e-10)
    # with a schedule and a hazard the K = 2 kernels agree with each other
    prob = rng.uniform(0.05, 0.95, (T, 2, 4))
    cont = rng.uniform(0.2, 1.0, (5, 2, 3))
    st1 = rng.uniform(size=5)
    s = rng.uniform(size=5)
    u = rng.uniform(size=5)
    a = two_model_sums(prob, w, st1, s, u, cont)
    Rm = np.stack([np.array([[1 - si, si], [ui, 1 - ui]]) for si, ui in zip(s, u, strict=True)])
    b = chain_sums(prob, w, np.stack([st1, 1 - st1], 1), Rm, cont)
    np.testing.assert_allclose(a.success, b.success, rtol=1e-12)
    np.testing.assert_allclose(a.passes, b.passes, rtol=1e-12)


def test_diverging_chain_is_infinite_latency_not_nan():
    g = HeteroGame([[0.0, 0.5], [0.5, 0.5]], 10, 5, [1, 4], [1, 3])
    o = g.outcomes(Policy(1, 0.0), 0.0)  # never abandon, never leave M1: task 1 runs for ever
    assert o.latency == np.inf
    assert o.user_utility == -np.inf
    assert o.success == pytest.approx(0.5, abs=1e-9)
    br = g.best_response(Policy(1, 0.0))
    assert br.abandon > 0  # type: ignore[operator]


# ------------------------------------------------------------------------------------------
# 4. Monte Carlo: tasks and schedules together, and a hazard user


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tasks_with_schedule_and_hazard_match_monte_carlo(seed):
    rng = np.random.default_rng(100 + seed)
    T = 6
    tab = rng.uniform(0.0, 0.9, (T, 2))
    tab[0] = [0.0, 0.0]  # an unsolvable task
    w = rng.uniform(0.2, 1, T)
    w /= w.sum()
    shift = np.array([[0.0, 1.2, 0.4], [0.0, 0.8, 0.8]])  # retries that learn, per model
    hazard = np.array([0.1, 0.3, 0.5])
    route, s = int(rng.integers(1, 3)), float(rng.uniform())
    V, P = 12.0, 4.0
    t, c = np.array([1.0, 3.0]), np.array([0.5, 2.0])
    game = HeteroGame(TaskTable.from_rows(tab, w, schedule=shift), V, P, t, c, user="hazard",
                      hazard=tuple(hazard))
    exact = game.outcomes(Policy(route, s), {"hazard": hazard.tolist()})
    est = _mc(tab, w, shift, route, s, hazard, t, c, V, P, 200_000, seed)
    for name in ("success", "latency", "user_utility", "provider_cost"):
        mean, se = est[name]
        assert abs(getattr(exact, name) - mean) <= 4 * se + 1e-12, name
    # the hazard user's "response" is the given rule
    br = game.best_response(Policy(route, s))
    assert br.provider_cost == pytest.approx(exact.provider_cost, rel=1e-12)


def test_project_simulator_with_tasks_agrees():
    from routegame.params import GameParams
    from routegame.simulate import TaskDistribution, simulate_two_model

    tab = np.array([[0.9, 0.95], [0.05, 0.6], [0.3, 0.5]])
    g = HeteroGame(tab, 10, 5, [1, 4], [1, 3])
    exact = g.outcomes(Policy(1, 0.4), 0.15)
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.5, 0.5))
    sim = simulate_two_model(params, 1, 0.4, 0.15, n_episodes=200_000, rng=5,
                             tasks=TaskDistribution.empirical(tab))
    summ = sim.summary()
    for name in ("success", "provider_cost", "user_utility"):
        e = getattr(summ, name)
        assert abs(getattr(exact, name) - e.mean) <= 4 * e.std_error + 1e-12


# ------------------------------------------------------------------------------------------
# 5. best responses and optima against brute-force grids


def _grid_utilities(tab, w, V, P, t, c, route, s, rr):
    """Independent: per-task closed forms of routegame.closed_form, summed over tasks."""
    S = np.zeros_like(rr)
    L = np.zeros_like(rr)
    C = np.zeros_like(rr)
    for (p1, p2), wt in zip(tab, w, strict=True):
        o = cf.outcomes(V, P, t, c, [p1, p2], route, s, 1 - rr)
        S += wt * o.success
        L += wt * o.latency
        C += wt * o.cost
    return V * S - L, C + P * (1 - S)


@settings(max_examples=20)
@given(st.integers(0, 2**31 - 1))
def test_stationary_best_response_beats_fine_grid(seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(2, 6))
    tab = rng.uniform(0.02, 0.98, (T, 2))
    w = np.full(T, 1 / T)
    V = float(rng.uniform(1, 20))
    t = rng.uniform(0.2, 8, 2)
    c = np.array([1.0, 2.0])
    route, s = int(rng.integers(1, 3)), float(rng.uniform())
    rr = np.linspace(0, 1, 4001)
    U, _ = _grid_utilities(tab, w, V, 3.0, t, c, route, s, rr)
    g = HeteroGame(TaskTable.from_rows(tab, w), V, 3.0, t, c)
    br = g.best_response(Policy(route, s))
    scale = max(1.0, abs(U.max()))
    assert br.user_utility >= U.max() - 1e-10 * scale  # never worse than the grid
    # ... and not better than the grid's known bias: |U'| * (grid step) / 2 bounds it
    slope = np.abs(np.diff(U)).max()
    assert br.user_utility <= U.max() + slope + 1e-10 * scale
    assert br.user_utility <= U.max() + br.response_gap + 1e-10 * scale


def test_state_aware_best_response_beats_2d_grid():
    rng = np.random.default_rng(11)
    tab = rng.uniform(0.02, 0.98, (4, 2))
    w = np.full(4, 0.25)
    V, t, c = 9.0, np.array([2.0, 5.0]), np.array([1.0, 2.0])
    g = HeteroGame(TaskTable.from_rows(tab, w), V, 3.0, t, c, user="state-aware")
    pol = Policy(1, 0.4)
    br = g.best_response(pol)
    grid = np.linspace(0, 1, 101)
    best = max(g.outcomes(pol, (q1, q2)).user_utility for q1 in grid for q2 in grid)
    assert br.user_utility >= best - 1e-10
    assert br.user_utility <= best + 0.05


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_provider_optimum_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    T = 3
    tab = rng.uniform(0.02, 0.98, (T, 2))
    w = np.full(T, 1 / T)
    V = float(rng.uniform(2, 15))
    P = float(rng.uniform(0, 10))
    t = np.sort(rng.uniform(0.5, 6, 2))
    c = np.sort(rng.uniform(0.2, 3, 2))
    game = HeteroGame(TaskTable.from_rows(tab, w), V, P, t, c)
    eq = game.equilibrium("strong")
    rr = np.linspace(0, 1, 2001)
    best = np.inf
    for route, svals in ((2, [0.0]), (1, np.linspace(0, 1, 401))):
        for s in svals:
            U, J = _grid_utilities(tab, w, V, P, t, c, route, float(s), rr)
            k = np.flatnonzero(U.max() - 1e-12 * max(1, abs(U.max())) <= U)
            best = min(best, float(J[k].min()))
    scale = max(1.0, abs(best))
    assert eq.provider_cost <= best + 2e-3 * scale  # the search misses nothing the grid finds
    assert eq.provider_cost >= best - 5e-2 * scale  # and is not implausibly better
    # the reported response is the user's best response to the reported policy
    br = game.best_response(Policy(eq.route, eq.cascade))
    assert br.user_utility == pytest.approx(eq.user_utility, abs=1e-7 * max(1, abs(br.user_utility)))


# ------------------------------------------------------------------------------------------
# 6. the Bayes user


def test_bayes_user_equals_enumeration_of_stopping_rules():
    # route 2, depth N = 8: enumerate all 2^7 continue/stop rules on the failure count
    tab = np.array([[0.5, 0.7], [0.5, 0.05], [0.5, 0.3]])
    w = np.array([0.3, 0.5, 0.2])
    V, t2 = 10.0, 1.4
    N = 8
    best = -np.inf
    for mask in range(2 ** (N - 1)):
        cont = [(mask >> b) & 1 for b in range(N - 1)]
        U = 0.0
        for (_, p2), wt in zip(tab, w, strict=True):
            reach = 1.0
            for b in range(N):
                U += wt * reach * (V * p2 - t2)
                if b == N - 1 or not cont[b]:
                    break
                reach *= 1 - p2
        best = max(best, U)
    from routegame.hetero.bayes import bayes_lattice, bayes_respond

    lat = bayes_lattice(tab[:, :, None], w, V, 0.0, np.array([1.0, t2]), np.zeros(2), 1.0, N)
    got = bayes_respond(lat, 2, 0.0, V, 0.0)
    assert got.user_utility == pytest.approx(best, rel=1e-12)


@settings(max_examples=15)
@given(st.integers(0, 2**31 - 1))
def test_bayes_user_beats_stationary_user(seed):
    rng = np.random.default_rng(seed)
    tab = rng.uniform(0.02, 0.98, (3, 2))
    V = float(rng.uniform(2, 15))
    t = np.sort(rng.uniform(0.5, 6, 2))
    pol = Policy(int(rng.integers(1, 3)), float(rng.uniform()))
    stat = HeteroGame(tab, V, 1.0, t, [1, 2]).best_response(pol)
    bay = HeteroGame(tab, V, 1.0, t, [1, 2], user="bayes").best_response(pol)
    assert bay.user_utility >= stat.user_utility - 1e-9 * max(1.0, abs(stat.user_utility))
    assert bay.truncation_bound <= 1e-6


# ------------------------------------------------------------------------------------------
# 7. tables, quadrature, batch lines


def test_task_table_validation_and_compression():
    tab = TaskTable.from_rows([[0.2, 0.9], [0.2, 0.9], [0.4, 0.0]], weight=[1, 1, 2])
    comp = tab.compressed()
    assert comp.num_tasks == 2
    np.testing.assert_allclose(comp.mean(), tab.mean())
    with pytest.raises(ValueError, match="weight"):
        TaskTable.from_rows([[0.2, 0.9]], weight=[0.0])
    with pytest.raises(ValueError, match=r"success_prob: must be in \[0, 1\]"):
        TaskTable.from_rows([[0.2, 1.9]])
    sched = logit_shift([[0.5, 1.0]], [[0.0, np.log(3)], [0.0, 2.0]])
    assert sched[0, 0].tolist() == pytest.approx([0.5, 0.75])
    assert sched[0, 1].tolist() == [1.0, 1.0]


def test_beta_quadrature_against_monte_carlo():
    tab, err = beta_table([1.5, 4.0], [3.0, 1.5], nodes=16)
    assert err < 1e-3  # the stated error of the test function (pole at p = 1.05)
    g = HeteroGame(tab, 10, 5, [1, 4], [1, 3])
    exact = g.outcomes(Policy(1, 0.5), 0.3)
    rng = np.random.default_rng(0)
    n = 400_000
    p = np.stack([rng.beta(1.5, 3.0, n), rng.beta(4.0, 1.5, n)], axis=1)
    o = cf.outcomes(10, 5, [1, 4], [1, 3], p, 1, 0.5, 0.3)
    for name in ("success", "provider_cost"):
        x = getattr(o, name)
        assert abs(getattr(exact, name) - x.mean()) <= 4 * x.std() / np.sqrt(n)


def test_solve_record_keys_and_errors():
    base = {"id": 3, "task_value": 10, "penalty": 5, "latency": [1, 4], "cost": [1, 3]}
    out = solve_record(base | {"tasks": {"success_prob": [[0.3, 0.8]]}})
    want = cf.solve_arrays(10, 5, [1, 4], [1, 3], [0.3, 0.8])
    assert out["equilibrium"]["provider_cost"] == pytest.approx(float(want.provider_cost))
    for key in ("equilibrium", "equilibrium_weak", "user_preferred", "misalignment_gap",
                "throttling", "iid", "net_value"):
        assert key in out
    assert out["iid"]["equilibrium"]["provider_cost"] == pytest.approx(
        out["equilibrium"]["provider_cost"])
    bad = {
        "tasks.success_prob": [{"success_prob": [[0.3, 0.8], [0.1]]},
                               {"success_prob": [[0.3, 1.8]]}, {"success_prob": []}],
        "tasks.weight": [{"success_prob": [[0.3, 0.8]], "weight": [-1]},
                         {"success_prob": [[0.3, 0.8], [0.2, 0.2]], "weight": [0, 0]}],
    }
    for field, cases in bad.items():
        for tasks in cases:
            err = solve_record(base | {"tasks": tasks})
            assert err["id"] == 3
            assert err["error"]["field"] == field, (tasks, err)
    assert solve_record(base | {"tasks": {"success_prob": [[0.3, 0.8]]},
                                "user": "psychic"})["error"]["field"] == "user"
    out = solve_record(base | {"tasks": {"success_prob": [[0.9, 0.95], [0.05, 0.6]]},
                               "user": "bayes"})
    assert out["equilibrium"]["truncation_bound"] <= 1e-6


# ------------------------------------------------------------------------------------------
# 8. populations and (V, P) maps


def test_population_against_brute_force():
    tab = np.array([[0.9, 0.95], [0.05, 0.6], [0.4, 0.7]])
    w = np.full(3, 1 / 3)
    t, c, P = np.array([1.0, 4.0]), np.array([1.0, 3.0]), 5.0
    types = [(10.0, 1.0, 0.5), (4.0, 1.0, 0.3), (10.0, 3.0, 0.2)]
    g = HeteroGame(TaskTable.from_rows(tab, w), 10.0, P, t, c)
    out = g.population(types, s_grid=11)
    rr = np.linspace(0, 1, 4001)
    best = np.inf
    for route, svals in ((2, [0.0]), (1, np.linspace(0, 1, 11))):
        for s in svals:
            total = 0.0
            for V, lam, m in types:
                S = Lt = C = 0.0
                for (p1, p2), wt in zip(tab, w, strict=True):
                    o = cf.outcomes(V, P, t, c, [p1, p2], route, s, 1 - rr)
                    S = S + wt * o.success
                    Lt = Lt + wt * o.latency
                    C = C + wt * o.cost
                U = V * S - lam * Lt
                J = C + P * (1 - S)
                k = np.flatnonzero(U.max() - 1e-12 * max(1, abs(U.max())) <= U)
                total += m * float(J[k].min())
            best = min(best, total)
    assert out["provider_cost"] == pytest.approx(best, rel=2e-3)
    assert 0.0 <= out["share_leaving"] <= 1.0
    for row in out["types"]:
        assert row["leaves"] == (row["abandon"][0] >= 1 - 1e-9)


def test_policy_map_agrees_with_equilibria():
    tab = np.array([[0.9, 0.95], [0.05, 0.6], [0.4, 0.7]])
    g = HeteroGame(tab, 10.0, 5.0, [1.0, 4.0], [1.0, 3.0])
    Vs, Ps = np.array([4.0, 10.0]), np.array([0.5, 5.0, 20.0])
    m = g.policy_map(Vs, Ps, s_grid=41)
    for i, V in enumerate(Vs):
        for j, P in enumerate(Ps):
            eq = HeteroGame(tab, V, P, [1.0, 4.0], [1.0, 3.0]).equilibrium()
            assert eq.provider_cost <= m["provider_cost"][i, j] + 1e-9 * max(1, eq.provider_cost)
            assert m["provider_cost"][i, j] <= eq.provider_cost * (1 + 2e-3) + 1e-12


def test_best_response_near_a_diverging_chain():
    # an unsolvable task makes U fall to -inf as r -> 1: the maximum sits just below 1
    g = HeteroGame([[0.0, 0.0], [0.3, 0.1]], 1e4, 1e3, [1, 4], [1, 3])
    br = g.best_response(Policy(1, 0.0))
    rr = 1 - np.geomspace(1e-7, 1, 40001)
    U = np.array([g.outcomes(Policy(1, 0.0), 1 - r).user_utility for r in rr])
    assert br.user_utility >= U.max() - 1e-9 * abs(U.max())
    assert br.abandon == pytest.approx(1 - rr[np.argmax(U)], abs=1e-5)


@settings(max_examples=10)
@given(st.integers(0, 2**31 - 1))
def test_k_model_one_row_equals_general_engine(seed):
    from routegame.general import stationary_best_response
    from routegame.hetero.kmodel import k_model_best_response
    from routegame.params import GameParams

    rng = np.random.default_rng(seed)
    K = 3
    p = rng.uniform(0.05, 0.95, K)
    t = rng.uniform(0.5, 6, K)
    c = rng.uniform(0.1, 3, K)
    V, P = float(rng.uniform(2, 15)), float(rng.uniform(0, 5))
    pi = rng.dirichlet(np.ones(K))
    R = rng.dirichlet(np.ones(K), size=K)
    got = k_model_best_response(TaskTable.from_rows([p]), V, P, t, c, pi, R)
    want = stationary_best_response(GameParams.from_lists(V, P, t, c, p), pi, R)
    assert got["user_utility"] == pytest.approx(want.user_utility,
                                                abs=1e-9 * max(1, abs(want.user_utility)))
