"""The provider's optimum over all policies on task tables (routegame.hetero.allpolicies).

Oracles: the exact K-model engine over all policies (one-row tables are the i.i.d. game), dense
brute-force grids of policies, the K-model chain (chain_sums) against the two-model kernel, and
the paper-class search (the answer is never worse).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import routegame as rg
from routegame.cli._app import app
from routegame.engines.kmodel import KModelEngine
from routegame.errors import NotSolvableError, ParameterError
from routegame.hetero import HeteroEngine, HeteroGame, TaskTable
from routegame.hetero.allpolicies import (
    _policies,
    _split,
    k_model_responder,
    search_all_policies,
    simplex_lattice,
    two_model_responder,
)
from routegame.hetero.kmodel import k_model_best_response, k_model_optimum, k_model_outcomes
from routegame.hetero.provider import respond

ROWS = [[0.9, 0.95], [0.05, 0.6], [0.4, 0.2]]


def _random_game(seed: int, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.1, 0.9, K), rng.uniform(1, 6, K), rng.uniform(0.5, 4, K), 10.0,
            float(rng.uniform(0, 10)))


def test_simplex_lattice_counts_and_sums() -> None:
    for K, m in ((2, 8), (3, 2), (3, 4), (4, 2)):
        pts = simplex_lattice(K, m)
        from math import comb

        assert pts.shape == (comb(m + K - 1, K - 1), K)
        np.testing.assert_allclose(pts.sum(axis=1), 1.0, rtol=0, atol=1e-15)
        assert np.all(pts >= 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_row_table_equals_the_exact_k_model_engine_two_models(seed: int) -> None:
    """The i.i.d. game over all policies is solved exactly by the K-model engine."""
    p, t, c, V, P = _random_game(seed, 2)
    par = rg.GameParams.two_model(V, P, tuple(t), tuple(c), tuple(p))
    exact = float(KModelEngine("stationary").solve(par).equilibrium.provider_cost)
    res = HeteroEngine(policies="all").solve(par)
    assert res.kind == "k-model"
    assert float(res.equilibrium.provider_cost) == pytest.approx(exact, rel=1e-6)
    # never worse than the paper class
    paper = float(rg.solve(par, engine=HeteroEngine()).equilibrium.provider_cost)
    assert float(res.equilibrium.provider_cost) <= paper + 1e-12 * max(1.0, paper)
    assert res.iid is not None  # the exact K-model answer for the mean probabilities
    assert float(res.iid.equilibrium.provider_cost) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 3])
def test_one_row_table_equals_the_exact_k_model_engine_three_models(seed: int) -> None:
    p, t, c, V, P = _random_game(seed, 3)
    par = rg.GameParams.from_lists(V, P, list(t), list(c), list(p))
    exact = float(KModelEngine("stationary").solve(par).equilibrium.provider_cost)
    best = k_model_optimum(TaskTable.iid(list(p)), V, P, t, c)
    assert best["provider_cost"] == pytest.approx(exact, rel=1e-6)


@pytest.mark.parametrize("tie_break", ["strong", "weak"])
def test_two_model_search_beats_a_dense_brute_force_grid(tie_break: str) -> None:
    """Not worse than the best of a 13^3 grid of policies (step 1/12, off the 1/8 lattice),
    nor than the paper class; the reported outcomes are exact (chain oracle)."""
    g = HeteroGame(TaskTable.from_rows(ROWS, [2, 1, 1]), 10, 5, [1, 4], [1, 3])
    ctx = g.ctx
    best, paper, _ = search_all_policies(ctx, tie_break)
    J = float(best.point.provider_cost[0])
    assert float(paper.provider_cost[0]) + 1e-12 >= J
    ax = np.linspace(0, 1, 13)
    P1, S, U = (a.ravel() for a in np.meshgrid(ax, ax, ax, indexing="ij"))
    grid = respond(ctx, P1, S, U, tie_break, certify=False)
    assert float(np.min(grid.provider_cost)) + 1e-9 * max(1.0, abs(J)) >= J
    # chain oracle: the K-model chain at the reported policy and response
    e = best.point
    out = k_model_outcomes(g.tasks, 10, 5, [1, 4], [1, 3], e.start[0], e.cascade[0],
                           float(e.abandon[0, 0]))
    assert out["provider_cost"] == pytest.approx(J, rel=1e-10, abs=1e-12)
    assert out["user_utility"] == pytest.approx(float(e.user_utility[0]), rel=1e-10, abs=1e-12)
    assert out["success"] == pytest.approx(float(e.success[0]), rel=1e-10, abs=1e-12)
    assert 0.0 <= float(e.gap[0]) < 1e-2  # certified response


def test_k_model_chain_search_equals_the_two_model_search() -> None:
    """The K-model responder (chain_sums) and the two-model kernel find the same optimum."""
    tab = TaskTable.from_rows(ROWS, [2, 1, 1])
    g = HeteroGame(tab, 10, 5, [1, 4], [1, 3])
    best, _, _ = search_all_policies(g.ctx)
    k = k_model_optimum(tab, 10, 5, [1, 4], [1, 3])
    assert k["provider_cost"] == pytest.approx(float(best.point.provider_cost[0]), rel=1e-7)
    # the two responders agree on a batch of random policies (same user, same kernel maths)
    rng = np.random.default_rng(5)
    X = _policies(2, 4)[rng.choice(125, 20, replace=False)]
    a = two_model_responder(g.ctx)(*_split(X), True)
    b = k_model_responder(tab.prob, tab.weight, 10, 5, np.array([1.0, 4]), np.array([1.0, 3]))(
        *_split(X), True)
    np.testing.assert_allclose(a.user_utility, b.user_utility, rtol=1e-9, atol=1e-12)


def test_three_model_search_beats_a_brute_force_sample() -> None:
    tab = TaskTable.from_rows([[0.3, 0.6, 0.9], [0.1, 0.2, 0.5], [0.05, 0.7, 0.2]], [2, 1, 1])
    t, c = np.array([1.0, 2, 6]), np.array([1.0, 2, 5])
    best = k_model_optimum(tab, 10, 5, t, c)
    assert best["lattice"] == 2
    assert best["attained"]
    np.testing.assert_allclose(np.sum(best["cascade"], axis=1), 1.0, atol=1e-12)
    X = _policies(3, 4)
    X = X[np.random.default_rng(0).choice(X.shape[0], 2500, replace=False)]
    e = k_model_responder(tab.prob, tab.weight, 10, 5, t, c)(*_split(X), False)
    J = best["provider_cost"]
    assert float(np.min(e.provider_cost)) + 1e-9 * max(1.0, J) >= J
    # static routes (with the user's best response) are candidates too
    for k in range(3):
        st = k_model_best_response(tab, 10, 5, t, c, np.eye(3)[k], np.eye(3))
        assert st["provider_cost"] + 1e-9 >= J
    # the reported outcomes are those of the chain at the reported response
    out = k_model_outcomes(tab, 10, 5, t, c, best["start"], best["cascade"], best["abandon"])
    assert out["provider_cost"] == pytest.approx(J, rel=1e-12)


def test_users_state_aware_hazard_and_bayes() -> None:
    tab = TaskTable.from_rows(ROWS, [2, 1, 1])
    sa = HeteroGame(tab, 10, 5, [1, 4], [1, 3], user="state-aware")
    sol = sa.solve(policies="all")
    assert sol.paper_class is not None
    assert sol.equilibrium.provider_cost <= sol.paper_class["provider_cost"] + 1e-12
    assert sol.equilibrium.start1 is not None
    hz = HeteroGame(tab, 10, 5, [1, 4], [1, 3], user="hazard", hazard=(0.2, 0.5))
    assert hz.equilibrium(policies="all").provider_cost <= hz.equilibrium().provider_cost + 1e-12
    bayes = HeteroGame(tab, 10, 5, [1, 4], [1, 3], user="bayes")
    with pytest.raises(NotSolvableError, match="paper"):
        bayes.solve(policies="all")
    with pytest.raises(ParameterError, match="policies"):
        bayes.solve(policies="every")  # type: ignore[arg-type]
    with pytest.raises(NotSolvableError):
        k_model_optimum(TaskTable.from_rows([[0.3, 0.5, 0.7]]), 10, 5, [1, 2, 3], [1, 2, 3],
                        user="state-aware")


def test_user_preferred_over_all_policies_is_at_least_the_equilibrium_utility() -> None:
    g = HeteroGame(TaskTable.from_rows(ROWS, [2, 1, 1]), 10, 5, [1, 4], [1, 3])
    sol = g.solve(policies="all")
    assert sol.misalignment_gap >= -1e-9
    paper = g.solve()
    assert sol.user_preferred.user_utility >= paper.user_preferred.user_utility - 1e-9


def _cli(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


def test_cli_batch_line_policies_all_and_errors() -> None:
    base = {"task_value": 10, "penalty": 5, "latency": [1, 4], "cost": [1, 3],
            "tasks": {"success_prob": ROWS, "weight": [2, 1, 1]}}
    lines = [json.dumps({"id": 1, **base, "policies": "all"}),
             json.dumps({"id": 2, **base, "policies": "every"}),
             json.dumps({"id": 3, **base, "policies": "all", "user": "bayes"})]
    r = _cli("solve", "--batch", "-", stdin="\n".join(lines) + "\n")
    assert r.exit_code == 0, r.stderr
    a, b, c = (json.loads(x) for x in r.stdout.splitlines())
    assert c["error"]["field"] == "policies"
    assert "Bayes" in c["error"]["message"]
    allp = a["all_policies"]
    for key in ("equilibrium", "equilibrium_weak", "user_preferred"):
        p = allp[key]
        assert len(p["start"]) == 2
        assert len(p["cascade"]) == 2
        assert p["response_gap"] >= 0
    assert allp["equilibrium"]["provider_cost"] <= a["equilibrium"]["provider_cost"] + 1e-12
    assert allp["saving"] == pytest.approx(
        a["equilibrium"]["provider_cost"] - allp["equilibrium"]["provider_cost"], abs=1e-12)
    assert b["error"]["field"] == "policies"


def test_cli_solve_policies_all_on_a_scenario_and_refusal_elsewhere() -> None:
    r = _cli("solve", "--scenario", "lcb-gpt-4o-vs-o4-mini", "--policies", "all", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["all_policies"]["equilibrium"]["provider_cost"] <= (
        d["equilibrium"]["provider_cost"] + 1e-12)
    r = _cli("solve", "--scenario", "default", "--policies", "all")
    assert r.exit_code == 2
    assert "--policies" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = _cli("solve", "--scenario", "lcb-gpt-4o-vs-o4-mini", "--policies", "all", "--user",
             "bayes")
    assert r.exit_code == 2
    assert "--policies" in r.stderr
    r = _cli("solve", "--scenario", "lcb-gpt-4o-vs-o4-mini", "--policies", "most")
    assert r.exit_code == 2
    assert "--policies" in r.stderr
    assert "Traceback" not in r.stderr
