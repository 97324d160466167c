"""HeteroEngine behind the engine protocol: conformance, one-row = closed form, mixtures = chains."""

from __future__ import annotations

import numpy as np
import pytest

import routegame as rg
from routegame.engines import ChainEngine, TwoModelEngine, engine_for
from routegame.engines.protocol import Engine
from routegame.hetero import HeteroEngine, TaskTable
from routegame.markov.chain import chain_outcomes
from routegame.testing import check_engine
from routegame.testing.conformance import default_games

G = rg.GameParams.two_model(10, 5, (1, 4), (1, 3), (0.5, 0.8))


def test_is_an_engine_and_is_chosen_for_a_task_table() -> None:
    eng = HeteroEngine()
    assert isinstance(eng, Engine)
    assert engine_for(G, tasks=[[0.2, 0.9], [0.6, 0.7]]).name == "hetero"
    assert engine_for(G, "bayes").name == "hetero"
    assert engine_for(G).name == "two-model"  # unchanged without a table
    res = rg.solve(G, tasks=[[0.9, 0.95], [0.05, 0.6]])
    assert isinstance(res, rg.GameResult)
    d = res.to_json_dict()
    for key in ("equilibrium", "equilibrium_weak", "user_preferred", "misalignment_gap",
                "price_of_alignment", "iid", "throttling", "net_value", "regime"):
        assert key in d
    for key in ("route", "cascade", "abandon", "provider_cost", "user_utility"):
        assert key in d["equilibrium"]
        assert key in d["iid"]["equilibrium"]
    assert d["num_tasks"] == 2
    assert d["mean_success_prob"] == [0.475, 0.775]
    assert "guideline" not in d  # the i.i.d. sentence does not describe a table
    assert d["misalignment_gap"] >= 0


@pytest.mark.parametrize("user", ["stationary", "state-aware"])
def test_one_row_table_passes_check_engine(user: str) -> None:
    assert check_engine(HeteroEngine(user=user), grid=51) > 0


def test_one_row_table_equals_the_closed_form() -> None:
    for g in default_games():
        want = TwoModelEngine().solve(g)
        got = HeteroEngine().solve(g)
        scale = g.task_value + float(np.sum(g.latency))
        Ja, Jb = float(got.equilibrium.provider_cost), float(want.equilibrium.provider_cost)
        assert abs(Ja - Jb) <= 1e-12 * max(abs(Jb), 1e-300) + 1e-12 * abs(g.penalty), g
        # U* is not unique where several policies cost J* (e.g. P = 0): compare the user's
        # optimum instead, and check that the engine's U* is the user's response's utility
        Ua, Ub = float(got.user_preferred.user_utility), float(want.user_preferred.user_utility)
        assert abs(Ua - Ub) <= 1e-9 * scale, (g, Ua, Ub)
        assert float(got.misalignment_gap) >= -1e-9 * scale
        assert got.iid is not None  # one row: the companion is the game itself
        assert float(got.iid.equilibrium.provider_cost) == float(got.equilibrium.provider_cost)


def _mixture_chain(g: rg.GameParams, table: TaskTable, st, R, q) -> tuple[np.ndarray, ...]:
    """Weighted sum over tasks of the Markov-chain oracle's outcomes (independent route)."""
    S = L = C = U = J = 0.0
    for w, row in zip(table.weight, table.prob[:, :, 0], strict=True):
        o = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, row, st, R, q,
                           per_model=np.ndim(q) == 2 or np.shape(q) == (2,))
        S, L, C = S + w * o.success, L + w * o.latency, C + w * o.cost
        U, J = U + w * o.user_utility, J + w * o.provider_cost
    return np.asarray(S), np.asarray(L), np.asarray(C), np.asarray(U), np.asarray(J)


@pytest.mark.parametrize("seed", range(4))
def test_random_table_against_per_task_chains_and_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    T = int(rng.integers(2, 7))
    rows = rng.uniform(0.02, 0.98, size=(T, 2))
    # solved (almost) always / never; the chain oracle takes p in (0, 1) only
    rows[rng.random(T) < 0.3] = rng.choice([1e-9, 1.0 - 1e-9], size=2)
    w = rng.uniform(0.1, 1.0, size=T)
    table = TaskTable.from_rows(rows, w)
    V = float(rng.uniform(2, 30))
    g = rg.GameParams.two_model(V, float(rng.uniform(0, 20)), tuple(rng.uniform(0.2, 6, 2)),
                                tuple(rng.uniform(0.1, 5, 2)), (0.5, 0.5))
    eng = HeteroEngine(table)
    # outcomes: weighted sum of per-task chains, any policy, stationary and per-model q
    for _ in range(5):
        a, s, u = rng.uniform(size=3)
        st, R = np.array([a, 1 - a]), np.array([[1 - s, s], [u, 1 - u]])
        for q in (float(rng.uniform()), (float(rng.uniform()), float(rng.uniform()))):
            got = eng.outcomes(g, st, R, q)
            want = _mixture_chain(g, table, st, R, np.asarray(q))
            scale = V + float(np.sum(g.latency)) + float(np.sum(g.cost)) + g.penalty
            for x, y in zip((got.success, got.latency, got.cost, got.user_utility,
                             got.provider_cost), want, strict=True):
                assert abs(x - float(y)) <= 1e-9 * scale
    # best responses: at least the maximum of a global grid over q
    qs = np.linspace(0.0, 1.0, 2001)
    for route, s in ((1, 0.0), (1, 0.37), (1, 1.0), (2, 0.0)):
        st = np.eye(2)[route - 1]
        R = np.array([[1 - s, s], [0.0, 1.0]])
        br = eng.best_response(g, st, R)
        U_grid = _mixture_chain(g, table, st, R, qs)[3]
        assert br.user_utility >= U_grid.max() - 1e-9 * (V + float(np.sum(g.latency)))
        check = _mixture_chain(g, table, st, R, np.asarray(br.abandon))
        assert abs(float(check[3]) - br.user_utility) <= 1e-9 * (V + float(np.sum(g.latency)))
    # the optimum: no policy of a brute-force grid over (route, s) is cheaper
    res = eng.solve(g)
    J_star = float(res.equilibrium.provider_cost)
    for route in (1, 2):
        for s in (np.linspace(0, 1, 201) if route == 1 else [0.0]):
            st = np.eye(2)[route - 1]
            R = np.array([[1 - s, s], [0.0, 1.0]])
            J = eng.best_response(g, st, R).provider_cost
            assert J_star <= J + 1e-9 * abs(J)
    # the user-preferred policy is at least as good for the user as the equilibrium
    assert float(res.misalignment_gap) >= -1e-12
    # the i.i.d. companion is the one-row game of the mean probabilities
    m = table.mean()
    iid = HeteroEngine(TaskTable.iid(list(m))).solve(g)
    assert res.iid is not None
    assert float(res.iid.equilibrium.provider_cost) == float(iid.equilibrium.provider_cost)


def test_state_aware_multi_row_best_response_against_all_stopping_rules() -> None:
    table = TaskTable.from_rows([[0.9, 0.95], [0.05, 0.6], [1e-9, 1 - 1e-9]], [2, 1, 1])
    eng = HeteroEngine(table, "state-aware")
    grid = np.linspace(0, 1, 101)
    qq = np.array(np.meshgrid(grid, grid, indexing="ij")).reshape(2, -1).T
    for s in (0.0, 0.5, 1.0):
        st, R = np.array([1.0, 0.0]), np.array([[1 - s, s], [0.0, 1.0]])
        br = eng.best_response(G, st, R)
        U = _mixture_chain(G, table, st, R, qq)[3]
        assert br.user_utility >= U.max() - 1e-9


def test_bayes_user_solves_through_the_protocol() -> None:
    res = rg.solve(G, user="bayes", tasks=[[0.9, 0.95], [0.05, 0.6]])
    assert res.user == "bayes"
    assert res.iid is not None
    assert float(res.misalignment_gap) >= -1e-12


def test_chain_engine_still_the_reference() -> None:
    # the check_engine oracle for one-row tables is the chain: sanity of the comparison itself
    br = ChainEngine().best_response(G, [1, 0], [[0, 1], [0, 1]])
    hb = HeteroEngine().best_response(G, [1, 0], [[0, 1], [0, 1]])
    assert abs(br.user_utility - hb.user_utility) <= 1e-6 * 10


def test_paper_slopes_against_finite_differences_and_the_general_formula() -> None:
    from routegame.hetero.chain import _paper_slopes, combine, stationary_slopes, two_model_sums

    rng = np.random.default_rng(5)
    T, N = 40, 9
    p1, p2 = rng.uniform(0, 1, T), rng.uniform(0, 1, T)
    w = rng.uniform(size=T)
    w /= w.sum()
    V, t = 10.0, np.array([1.0, 4.0])
    g1, g2 = V * p1 - t[0], V * p2 - t[1]
    st, s, r = rng.choice([0.0, 1.0], N), rng.uniform(size=N), rng.uniform(0.05, 0.95, N)
    d1, d2 = _paper_slopes(p1, p2, w, g1, g2, st, s, r)
    # the general (u != 0) formula in the limit u -> 0
    e1, e2 = stationary_slopes(p1, p2, w, g1, g2, st, s, np.full(N, 1e-300), r)
    np.testing.assert_allclose(d1, e1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d2, e2, rtol=1e-12, atol=1e-12)
    # central differences of U(r) from the chain sums
    prob = np.stack([p1, p2], axis=1)[:, :, None]

    def util(x: np.ndarray) -> np.ndarray:
        cont = np.repeat(x[:, None, None], 2, axis=1)
        o = combine(two_model_sums(prob, w, st, s, np.zeros(N), cont), V, 0.0, t, np.zeros(2))
        return o.user_utility

    h = 1e-5
    np.testing.assert_allclose(d1, (util(r + h) - util(r - h)) / (2 * h), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(d2, (util(r + h) - 2 * util(r) + util(r - h)) / h**2, rtol=1e-3,
                               atol=1e-4)


def test_merging_identical_rows_changes_nothing() -> None:
    rows = [[0.2, 0.9], [0.2, 0.9], [0.0, 1.0], [0.7, 0.3], [0.2, 0.9], [0.0, 1.0]]
    g = rg.GameParams.two_model(10, 5, (1, 4), (1, 3), (0.5, 0.5))
    raw = HeteroEngine(rows).solve(g)
    merged = HeteroEngine(TaskTable.from_rows([[0.2, 0.9], [0.0, 1.0], [0.7, 0.3]],
                                              [3, 2, 1])).solve(g)
    for part in ("equilibrium", "user_preferred"):
        a, b = getattr(raw, part), getattr(merged, part)
        assert int(a.route) == int(b.route)
        assert float(a.cascade) == pytest.approx(float(b.cascade), abs=1e-12)
        assert float(a.provider_cost) == pytest.approx(float(b.provider_cost), rel=1e-13)
    assert raw.tasks.num_tasks == 6  # the result keeps the table as given


def test_solve_passes_the_policy_class_to_the_heterogeneous_engine() -> None:
    import routegame as rg
    from routegame.errors import ParameterError

    g = rg.GameParams.two_model(60, 0.1, (3, 30), (0.01, 0.2), (0.5, 0.8))
    rows = [[0.9, 0.95], [0.05, 0.6]]
    paper = rg.solve(g, tasks=rows)
    every = rg.solve(g, tasks=rows, policies="all")
    assert paper.kind == "two-model"
    assert every.kind == "k-model"
    # the paper class is one of the candidates of the search over all policies
    assert every["equilibrium"]["provider_cost"] <= paper["equilibrium"]["provider_cost"] + 1e-12
    with pytest.raises(ParameterError, match="policies"):
        rg.solve(g, policies="all")


def test_k_model_task_tables_are_solved_through_the_facade() -> None:
    import routegame as rg
    from routegame.errors import ParameterError
    from routegame.hetero.kengine import HeteroKModelEngine
    from routegame.hetero.kmodel import k_model_best_response

    g = rg.GameParams.from_lists(10, 5, [1, 2, 6], [1, 2, 5], [0.2, 0.4, 0.7])
    rows = [[0.3, 0.6, 0.9], [0.1, 0.2, 0.5]]
    assert isinstance(rg.engines.engine_for(g, tasks=rows), HeteroKModelEngine)
    res = rg.solve(g, tasks=rows)
    assert res.kind == "k-model"
    J = float(res.equilibrium.provider_cost)
    # no static route nor a lattice of chains 1 -> 2 -> 3 beats the reported optimum
    for k in range(3):
        static = k_model_best_response(res.tasks, 10, 5, [1, 2, 6], [1, 2, 5], np.eye(3)[k], np.eye(3))
        assert static["provider_cost"] + 1e-9 >= J
    for a in np.linspace(0, 1, 6):
        for b in np.linspace(0, 1, 6):
            R = np.array([[1 - a, a, 0.0], [0.0, 1 - b, b], [0.0, 0.0, 1.0]])
            r = k_model_best_response(res.tasks, 10, 5, [1, 2, 6], [1, 2, 5], [1, 0, 0], R)
            assert r["provider_cost"] + 1e-9 >= J
    # its reported outcome is the chain oracle's at the reported policy and response
    o = rg.engines.ChainEngine("stationary").outcomes(
        rg.GameParams.from_lists(10, 5, [1, 2, 6], [1, 2, 5], [0.3, 0.6, 0.9]),
        res.equilibrium.start, res.equilibrium.cascade, float(res.equilibrium.abandon))
    o2 = rg.engines.ChainEngine("stationary").outcomes(
        rg.GameParams.from_lists(10, 5, [1, 2, 6], [1, 2, 5], [0.1, 0.2, 0.5]),
        res.equilibrium.start, res.equilibrium.cascade, float(res.equilibrium.abandon))
    assert abs(J - (o.provider_cost + o2.provider_cost) / 2) <= 1e-9 * max(1.0, J)
    # the i.i.d. companion is the exact K-model engine at the mean probabilities
    assert res.iid is not None
    assert res.iid.kind == "k-model"
    with pytest.raises(ParameterError, match="user"):
        rg.solve(g, tasks=rows, user="state-aware")


def test_k_model_task_engine_passes_the_conformance_checks() -> None:
    import routegame as rg
    from routegame.hetero.kengine import HeteroKModelEngine
    from routegame.testing import check_engine

    games = [rg.GameParams.from_lists(10, 5, [1, 2, 6], [1, 2, 5], [0.2, 0.4, 0.7]),
             rg.GameParams.from_lists(30, 0.5, [2, 3, 20], [0.01, 0.02, 0.2], [0.3, 0.5, 0.9])]
    assert check_engine(HeteroKModelEngine(), games, grid=41) > 0
