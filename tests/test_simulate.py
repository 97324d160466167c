"""Tests of the Monte Carlo simulator (routegame.simulate).

Every expected value comes from an independent route: the linear solve of the absorbing chain
(``routegame.markov.chain.chain_outcomes``), a direct series over attempts written out here, or
numerical integration over a Beta distribution with scipy. Seeds are fixed, so the tests are
deterministic; Monte Carlo agreement is checked within 4 standard errors (5 in the hypothesis
test, which checks many more numbers).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routegame.errors import ParameterError
from routegame.markov.chain import chain_outcomes
from routegame.params import GameParams
from routegame.simulate import (
    Comparison,
    ComparisonRow,
    Episodes,
    TaskDistribution,
    simulate,
    simulate_two_model,
)

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

PAPER = GameParams.two_model(
    task_value=10, penalty=5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8)
)


def policy(route: int, s: float) -> tuple[np.ndarray, np.ndarray]:
    """The paper's policy written out by hand (independent of any library helper)."""
    start = np.array([1.0, 0.0]) if route == 1 else np.array([0.0, 1.0])
    return start, np.array([[1.0 - s, s], [0.0, 1.0]])


def exact(params: GameParams, start: Any, cascade: Any, abandon: Any) -> Any:
    return chain_outcomes(
        params.task_value, params.penalty, params.latency, params.cost, params.success_prob,
        start, cascade, abandon,
    )


def assert_agrees(comparison: Comparison, z: float = 4.0) -> None:
    """Every |estimate - exact| <= z s.e. (plus float slack for zero-variance quantities)."""
    for row in comparison.rows:
        slack = 1e-9 * (1.0 + abs(row.exact))
        assert abs(row.estimate - row.exact) <= z * row.std_error + slack, str(comparison)


def random_policy(K: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    start = rng.dirichlet(np.ones(K))
    R = rng.dirichlet(np.ones(K), size=K)
    return start, R


GAMES_K2 = [
    # (id, params, start, cascade, abandon)
    ("paper-route1-cascade", PAPER, *policy(1, 0.35), 0.25),
    ("paper-route2", PAPER, *policy(2, 0.0), 0.4),
    ("paper-route1-no-cascade-q0", PAPER, *policy(1, 0.0), 0.0),
    ("paper-state-aware", PAPER, *policy(1, 0.6), np.array([0.7, 0.1])),
    (
        "latency-dominated",
        GameParams.two_model(2, 0, latency=(1, 3), cost=(0.5, 2), success_prob=(0.2, 0.6)),
        np.array([0.3, 0.7]),
        np.array([[0.2, 0.8], [0.5, 0.5]]),
        0.6,
    ),
]


def _k4_games() -> list[tuple[Any, ...]]:
    rng = np.random.default_rng(20260)
    out = []
    for j in range(2):
        params = GameParams.from_lists(
            task_value=float(rng.uniform(5, 20)),
            penalty=float(rng.uniform(0, 10)),
            latency=rng.uniform(0.5, 5, 4).tolist(),
            cost=rng.uniform(0, 3, 4).tolist(),
            success_prob=rng.uniform(0.15, 0.9, 4).tolist(),
        )
        start, R = random_policy(4, rng)
        q: Any = float(rng.uniform(0, 0.5)) if j == 0 else rng.uniform(0, 0.6, 4)
        out.append((f"K4-{j}", params, start, R, q))
    return out


GAMES = GAMES_K2 + _k4_games()


# --------------------------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------------------------


def _same(a: Episodes, b: Episodes) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("passes", "latency", "cost", "solved", "abandoned", "truncated", "task_value")
    )


def test_same_seed_same_episodes() -> None:
    start, R = policy(1, 0.5)
    a = simulate(PAPER, start, R, 0.2, 5000, rng=123)
    b = simulate(PAPER, start, R, 0.2, 5000, rng=123)
    assert _same(a, b)
    c = simulate(PAPER, start, R, 0.2, 5000, rng=np.random.default_rng(123))
    assert _same(a, c)
    d = simulate(PAPER, start, R, 0.2, 5000, rng=np.random.SeedSequence(123))
    assert _same(a, d)


def test_different_seeds_differ() -> None:
    start, R = policy(1, 0.5)
    a = simulate(PAPER, start, R, 0.2, 5000, rng=1)
    b = simulate(PAPER, start, R, 0.2, 5000, rng=2)
    assert not _same(a, b)


def test_generator_is_advanced_and_none_works() -> None:
    gen = np.random.default_rng(7)
    start, R = policy(1, 0.5)
    a = simulate(PAPER, start, R, 0.2, 2000, rng=gen)
    b = simulate(PAPER, start, R, 0.2, 2000, rng=gen)
    assert not _same(a, b)
    c = simulate(PAPER, start, R, 0.2, 2000, rng=None)
    assert c.n_episodes == 2000


def test_reproducible_with_every_extension() -> None:
    kw: dict[str, Any] = {
        "tasks": TaskDistribution.beta_mean([0.3, 0.8], 3.0),
        "task_value": lambda n, rng: rng.uniform(5, 15, n),
    }
    start, R = np.array([0.5, 0.5]), np.array([[0.5, 0.5], [0.2, 0.8]])
    a = simulate(PAPER, start, R, lambda V: np.where(V > 10, 0.1, 0.5), 3000, rng=5, **kw)
    b = simulate(PAPER, start, R, lambda V: np.where(V > 10, 0.1, 0.5), 3000, rng=5, **kw)
    assert _same(a, b)


# --------------------------------------------------------------------------------------------
# agreement with the exact chain
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "start", "cascade", "abandon"),
                         [g[1:] for g in GAMES], ids=[g[0] for g in GAMES])
def test_agrees_with_exact_chain(params: GameParams, start: Any, cascade: Any,
                                 abandon: Any) -> None:
    ep = simulate(params, start, cascade, abandon, 150_000, rng=2026)
    assert ep.truncated.sum() == 0
    comparison = ep.summary().compare(exact(params, start, cascade, abandon))
    assert len(comparison.rows) == 5 + params.num_models
    assert_agrees(comparison)


def test_two_model_helper_agrees_with_exact_chain() -> None:
    for route, s, q in [(1, 0.35, 0.25), (2, 0.9, 0.1), (1, 1.0, 0.0)]:
        ep = simulate_two_model(PAPER, route, s, q, 100_000, rng=route + 10)
        assert_agrees(ep.summary().compare(exact(PAPER, *policy(route, s), q)))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    K=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
    per_model=st.booleans(),
)
def test_agrees_with_exact_chain_random_games(K: int, seed: int, per_model: bool) -> None:
    rng = np.random.default_rng(seed)
    params = GameParams.from_lists(
        task_value=float(rng.uniform(1, 20)),
        penalty=float(rng.uniform(0, 10)),
        latency=rng.uniform(0.1, 5, K).tolist(),
        cost=rng.uniform(0, 3, K).tolist(),
        success_prob=rng.uniform(0.05, 0.95, K).tolist(),
    )
    start, R = random_policy(K, rng)
    q: Any = rng.uniform(0, 1, K) if per_model else float(rng.uniform(0, 1))
    ep = simulate(params, start, R, q, 20_000, rng=seed)
    assert not ep.truncated.any()
    assert_agrees(ep.summary().compare(exact(params, start, R, q)), z=5.0)


def test_episode_bookkeeping() -> None:
    start, R = np.array([0.2, 0.8]), np.array([[0.5, 0.5], [0.3, 0.7]])
    ep = simulate(PAPER, start, R, 0.3, 20_000, rng=0)
    one_hot = ep.solved.astype(int) + ep.abandoned.astype(int) + ep.truncated.astype(int)
    assert np.all(one_hot == 1)
    assert np.all(ep.passes.sum(axis=1) >= 1)
    np.testing.assert_allclose(ep.latency, ep.passes @ np.array([1.0, 4.0]))
    np.testing.assert_allclose(ep.cost, ep.passes @ np.array([1.0, 3.0]))
    np.testing.assert_allclose(ep.user_utility, 10.0 * ep.solved - ep.latency)
    np.testing.assert_allclose(ep.provider_cost, ep.cost + 5.0 * ~ep.solved)


def test_q_one_means_exactly_one_pass() -> None:
    ep = simulate_two_model(PAPER, 1, 0.7, 1.0, 1000, rng=0)
    assert np.all(ep.passes == np.array([1, 0]))
    assert np.all(ep.solved | ep.abandoned)


def test_state_aware_user_never_leaves_after_model_2() -> None:
    ep = simulate(PAPER, [0.5, 0.5], np.eye(2), [1.0, 0.0], 5000, rng=0)
    on_2 = ep.passes[:, 1] > 0
    assert on_2.any()
    assert not ep.abandoned[on_2].any()
    assert ep.solved[on_2].all()
    assert np.all(ep.passes[~on_2] == np.array([1, 0]))


# --------------------------------------------------------------------------------------------
# truncation
# --------------------------------------------------------------------------------------------


def test_truncated_kept_apart() -> None:
    ep = simulate_two_model(PAPER, 1, 0.0, 0.0, 20_000, rng=4, max_passes=1)
    assert np.all(ep.passes.sum(axis=1) == 1)
    assert not ep.abandoned.any()
    assert np.array_equal(ep.truncated, ~ep.solved)
    s = ep.summary()
    assert s.n_truncated == int(ep.truncated.sum())
    assert abs(s.success.mean - 0.3) <= 4 * s.success.std_error
    # truncated episodes count as unsolved for the provider
    np.testing.assert_allclose(ep.provider_cost[ep.truncated], 1.0 + 5.0)
    assert "truncated" in str(s.compare(exact(PAPER, *policy(1, 0.0), 0.0)))


def test_truncation_at_cap() -> None:
    ep = simulate_two_model(PAPER, 1, 0.0, 0.0, 5000, rng=4, max_passes=3)
    assert ep.passes.sum(axis=1).max() == 3
    assert np.all(ep.passes[ep.truncated].sum(axis=1) == 3)
    # P(truncated) = P(3 failures) = 0.7**3
    frac = ep.truncated.mean()
    assert abs(frac - 0.343) <= 4 * math.sqrt(0.343 * 0.657 / 5000)


# --------------------------------------------------------------------------------------------
# the run-length path (method="run") against the chain and against the pass-by-pass path
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["pass", "run"])
def test_same_seed_same_episodes_per_method(method: Literal["pass", "run"]) -> None:
    start, R = np.array([0.3, 0.7]), np.array([[0.6, 0.4], [0.3, 0.7]])
    q = np.random.default_rng(0).uniform(0, 0.5, (4000, 2))
    a = simulate(PAPER, start, R, q, 4000, rng=77, method=method)
    b = simulate(PAPER, start, R, q, 4000, rng=np.random.default_rng(77), method=method)
    assert _same(a, b)
    c = simulate(PAPER, start, R, q, 4000, rng=78, method=method)
    assert not _same(a, c)


def test_auto_picks_run_for_long_visits_and_pass_otherwise() -> None:
    start, R = policy(1, 0.5)
    # short visits (stay probabilities (0.7)(0.8)(0.5) = 0.28 and 0.16 < 1/2): passes
    auto = simulate(PAPER, start, R, 0.2, 3000, rng=5)
    assert _same(auto, simulate(PAPER, start, R, 0.2, 3000, rng=5, method="pass"))
    assert not _same(auto, simulate(PAPER, start, R, 0.2, 3000, rng=5, method="run"))
    # long visits on M1 (stay probability (0.7)(0.9)(1) = 0.63 >= 1/2): runs
    start0, R0 = policy(1, 0.0)
    long_auto = simulate(PAPER, start0, R0, 0.1, 3000, rng=5)
    assert _same(long_auto, simulate(PAPER, start0, R0, 0.1, 3000, rng=5, method="run"))
    assert _same(long_auto, simulate_two_model(PAPER, 1, 0.0, 0.1, 3000, rng=5, method="run"))
    # extensions always go pass by pass
    tasks = TaskDistribution.beta_mean([0.3, 0.8], 3.0)
    a = simulate(PAPER, start0, R0, 0.1, 3000, rng=5, tasks=tasks)
    b = simulate(PAPER, start0, R0, 0.1, 3000, rng=5, tasks=tasks, method="pass")
    assert _same(a, b)


@pytest.mark.parametrize(("params", "start", "cascade", "abandon"),
                         [g[1:] for g in GAMES], ids=[g[0] for g in GAMES])
def test_run_path_agrees_with_exact_chain(params: GameParams, start: Any, cascade: Any,
                                          abandon: Any) -> None:
    ep = simulate(params, start, cascade, abandon, 150_000, rng=4052, method="run")
    assert ep.truncated.sum() == 0
    one_hot = ep.solved.astype(int) + ep.abandoned.astype(int)
    assert np.all(one_hot == 1)
    np.testing.assert_allclose(ep.latency, ep.passes @ params.latency)
    np.testing.assert_allclose(ep.cost, ep.passes @ params.cost)
    assert_agrees(ep.summary().compare(exact(params, start, cascade, abandon)))


def _two_sample_z(x: np.ndarray, y: np.ndarray) -> float:
    """(mean x - mean y) / s.e. of the difference, for two independent samples (0 if both
    samples are constant and equal)."""
    se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    diff = float(x.mean() - y.mean())
    return 0.0 if se == 0.0 and diff == 0.0 else diff / se


def _paths_agree(params: GameParams, start: Any, R: Any, q: Any, n: int, seed: int,
                 **kw: Any) -> None:
    a = simulate(params, start, R, q, n, rng=seed, method="pass", **kw)
    b = simulate(params, start, R, q, n, rng=seed + 1, method="run", **kw)
    pairs = [("success", a.solved, b.solved), ("latency", a.latency, b.latency),
             ("cost", a.cost, b.cost), ("truncated", a.truncated, b.truncated)]
    pairs += [(f"passes[{k + 1}]", a.passes[:, k], b.passes[:, k])
              for k in range(params.num_models)]
    for name, x, y in pairs:
        z = _two_sample_z(x.astype(float), y.astype(float))
        assert abs(z) <= 4.0, (name, z)


@pytest.mark.parametrize(("params", "start", "cascade", "abandon"),
                         [g[1:] for g in GAMES], ids=[g[0] for g in GAMES])
def test_run_and_pass_paths_agree(params: GameParams, start: Any, cascade: Any,
                                  abandon: Any) -> None:
    _paths_agree(params, start, cascade, abandon, 100_000, 606)


def test_run_and_pass_paths_agree_sticky_and_per_episode() -> None:
    # long visits (R[j, j] near 1, small p), per-episode q, per-episode V through a callable
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.05, 0.2))
    start, R = np.array([0.5, 0.5]), np.array([[0.95, 0.05], [0.1, 0.9]])
    n = 60_000
    q = np.random.default_rng(1).uniform(0, 0.2, (n, 2))
    _paths_agree(params, start, R, q, n, 707)
    values = lambda m, rng: rng.uniform(5, 15, m)  # noqa: E731
    _paths_agree(params, start, R, lambda V: np.where(V > 10, 0.02, 0.1), n, 808,
                 task_value=values)
    # with a cap that binds for a sizeable fraction of the episodes
    _paths_agree(params, start, R, 0.01, n, 909, max_passes=12)


def test_run_path_per_episode_abandon_mixture() -> None:
    # half the episodes with q = (0.6, 0.1), half with q = 0: the mean is the mixture of chains
    start, R = policy(1, 0.4)
    n = 100_000
    q = np.zeros((n, 2))
    q[: n // 2] = [0.6, 0.1]
    ep = simulate(PAPER, start, R, q, n, rng=44, method="run")
    for half, qq in ((slice(0, n // 2), np.array([0.6, 0.1])), (slice(n // 2, n), 0.0)):
        sub = Episodes(ep.passes[half], ep.latency[half], ep.cost[half], ep.solved[half],
                       ep.abandoned[half], ep.truncated[half], ep.task_value[half],
                       ep.penalty[half])
        assert_agrees(sub.summary().compare(exact(PAPER, start, R, qq)))


@pytest.mark.parametrize("method", ["pass", "run"])
def test_truncation_geometric_tail_by_hand(method: Literal["pass", "run"]) -> None:
    # q = 0, re-prompt on the same model, p = 0.05, cap 10: truncated iff the first 10 passes
    # all fail, P = 0.95**10; a truncated episode has exactly 10 passes, the others
    # 1 + (number of failures before the success), at most 10
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.05, 0.5))
    n = 40_000
    ep = simulate(params, [1, 0], np.eye(2), 0.0, n, rng=31, method=method, max_passes=10)
    tail = 0.95**10
    assert abs(ep.truncated.mean() - tail) <= 4 * math.sqrt(tail * (1 - tail) / n)
    assert np.all(ep.passes[ep.truncated] == [10, 0])
    assert np.all(ep.solved == ~ep.truncated)
    assert ep.passes[~ep.truncated, 0].max() == 10  # a success on the last allowed pass counts
    # P(passes = m | not truncated) = 0.95**(m - 1) 0.05 / (1 - tail), m = 1..10
    m = np.arange(1, 11)
    expected = 0.95 ** (m - 1) * 0.05 / (1 - tail)
    counts = np.bincount(ep.passes[~ep.truncated, 0], minlength=11)[1:]
    n_ok = int((~ep.truncated).sum())
    se = np.sqrt(expected * (1 - expected) / n_ok)
    assert np.all(np.abs(counts / n_ok - expected) <= 4 * se)


@pytest.mark.parametrize("method", ["pass", "run"])
def test_truncation_across_models_by_hand(method: Literal["pass", "run"]) -> None:
    # q = 0, alternate M1, M2, M1, ... with p = (0.1, 0.2), cap 5: truncated iff passes 1..5
    # all fail, P = 0.9**3 * 0.8**2, with passes (3, 2); a cap of 4 ends on a move to M1,
    # P = 0.9**2 * 0.8**2 with passes (2, 2)
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.1, 0.2))
    R = np.array([[0.0, 1.0], [1.0, 0.0]])
    n = 40_000
    for cap, tail, split in ((5, 0.9**3 * 0.8**2, [3, 2]), (4, 0.9**2 * 0.8**2, [2, 2])):
        ep = simulate(params, [1, 0], R, 0.0, n, rng=cap, method=method, max_passes=cap)
        assert abs(ep.truncated.mean() - tail) <= 4 * math.sqrt(tail * (1 - tail) / n)
        assert np.all(ep.passes[ep.truncated] == split)
        assert np.all(ep.solved == ~ep.truncated)


def test_run_path_endless_visit_is_truncated() -> None:
    # p = 1e-300 for M1, q = 0, R[1, 1] = 1: a_1 rounds to 1, the visit never ends
    params = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(1e-300, 0.5))
    ep = simulate(params, [1, 0], np.eye(2), 0.0, 100, rng=0, method="run", max_passes=7)
    assert ep.truncated.all()
    assert np.all(ep.passes == [7, 0])


# --------------------------------------------------------------------------------------------
# extensions: attempt-dependent success
# --------------------------------------------------------------------------------------------


def test_constant_schedule_is_the_plain_simulator() -> None:
    start, R = policy(1, 0.4)
    sched = np.repeat(PAPER.success_prob[:, None], 3, axis=1)
    a = simulate(PAPER, start, R, 0.2, 50_000, rng=9, success_schedule=sched)
    b = simulate(PAPER, start, R, 0.2, 50_000, rng=9, method="pass")
    assert _same(a, b)  # same uniforms, same probabilities
    c = simulate(PAPER, start, R, 0.2, 100_000, rng=10, success_schedule=sched)
    assert_agrees(c.summary().compare(exact(PAPER, start, R, 0.2)))


def _series_success_and_passes(schedule: list[float], q: float) -> tuple[float, float]:
    """One model, re-prompt on the same model: sum over attempts a of P(reach a)·p_a."""
    success = passes = 0.0
    reach = 1.0
    for a in range(5000):
        p = schedule[min(a, len(schedule) - 1)]
        passes += reach
        success += reach * p
        reach *= (1.0 - p) * (1.0 - q)
    return success, passes


def test_rising_schedule_series() -> None:
    sched_1 = [0.2, 0.35, 0.5, 0.6]
    sched = np.array([sched_1, [0.5, 0.5, 0.5, 0.5]])
    q = 0.3
    ep = simulate(PAPER, [1, 0], np.eye(2), q, 150_000, rng=11, success_schedule=sched)
    s = ep.summary()
    S, N = _series_success_and_passes(sched_1, q)
    assert abs(s.success.mean - S) <= 4 * s.success.std_error
    assert abs(s.passes[0].mean - N) <= 4 * s.passes[0].std_error
    assert s.passes[1].mean == 0.0
    # a rising schedule beats a constant one at its first value
    S_flat, _ = _series_success_and_passes([0.2], q)
    assert s.success.mean > S_flat + 10 * s.success.std_error


def test_rising_schedule_first_pass_only_with_q_one() -> None:
    sched = np.array([[0.25, 0.9], [0.6, 0.95]])
    ep = simulate(PAPER, [1, 0], np.eye(2), 1.0, 50_000, rng=12, success_schedule=sched)
    s = ep.summary()
    assert abs(s.success.mean - 0.25) <= 4 * s.success.std_error
    assert np.all(ep.passes.sum(axis=1) == 1)


def test_schedule_counts_attempts_across_models() -> None:
    # the second pass (on M2 after a cascade) always succeeds: schedule column 2 is 1
    sched = np.array([[0.3, 1.0], [0.3, 1.0]])
    ep = simulate(PAPER, [1, 0], [[0, 1], [0, 1]], 0.0, 5000, rng=3, success_schedule=sched)
    assert ep.solved.all()
    assert ep.passes.sum(axis=1).max() == 2
    assert np.all(ep.passes[ep.passes[:, 1] > 0] == np.array([1, 1]))


# --------------------------------------------------------------------------------------------
# extensions: task difficulty
# --------------------------------------------------------------------------------------------


def _beta_expectation(f: Any, a: float, b: float) -> float:
    """E[f(X)] for X ~ Beta(a, b) by quadrature; the weight x^(a-1) (1-x)^(b-1) is exact."""
    from scipy import integrate, special

    val, _ = integrate.quad(f, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b - 1.0))
    return float(val / special.beta(a, b))


def test_beta_quadrature_known_moments() -> None:
    # E[X] = a / (a + b) and E[X^2] = a (a + 1) / ((a + b) (a + b + 1))
    assert _beta_expectation(lambda x: x, 0.8, 1.2) == pytest.approx(0.4, rel=1e-10)
    assert _beta_expectation(lambda x: x * x, 3.0, 2.0) == pytest.approx(0.4, rel=1e-10)


def test_beta_tasks_same_first_pass_lower_later() -> None:
    mean, kappa, q = 0.4, 2.0, 0.25
    a, b = mean * kappa, (1 - mean) * kappa
    tasks = TaskDistribution.beta_mean([mean, 0.5], kappa)
    assert tasks.a is not None
    assert tasks.b is not None
    np.testing.assert_allclose(tasks.a, np.array([a, 1.0]))
    np.testing.assert_allclose(tasks.b, np.array([b, 1.0]))
    # first pass: success = E[p] = mean
    ep1 = simulate(PAPER, [1, 0], np.eye(2), 1.0, 100_000, rng=21, tasks=tasks)
    s1 = ep1.summary()
    assert abs(s1.success.mean - mean) <= 4 * s1.success.std_error
    # with re-prompts on the same model and fixed q:
    # S = E[p / (q + (1 - q) p)] and E[passes] = E[1 / (q + (1 - q) p)]
    ep = simulate(PAPER, [1, 0], np.eye(2), q, 150_000, rng=22, tasks=tasks)
    s = ep.summary()
    S_beta = _beta_expectation(lambda x: x / (q + (1 - q) * x), a, b)
    N_beta = _beta_expectation(lambda x: 1.0 / (q + (1 - q) * x), a, b)
    assert abs(s.success.mean - S_beta) <= 4 * s.success.std_error
    assert abs(s.passes[0].mean - N_beta) <= 4 * s.passes[0].std_error
    # i.i.d. passes of the same mean succeed more often (Jensen: the map is concave)
    S_iid = mean / (q + (1 - q) * mean)
    assert S_beta < S_iid - 0.05
    assert s.success.mean < S_iid - 10 * s.success.std_error


def test_empirical_tasks_match_mixture_of_chains() -> None:
    table = np.array([[0.1, 0.3], [0.5, 0.9], [0.2, 0.8], [0.7, 0.75]])
    start, R = np.array([0.6, 0.4]), np.array([[0.5, 0.5], [0.1, 0.9]])
    q = np.array([0.3, 0.2])
    # (seed 31 gave z = -4.005 on passes[1]; over seeds 0..19 the z-scores of this game have
    # mean ~0 and s.d. ~1, so that was a 4-sigma draw, not a bias)
    ep = simulate(PAPER, start, R, q, 150_000, rng=32, tasks=TaskDistribution.empirical(table))
    per_task = chain_outcomes(PAPER.task_value, PAPER.penalty, PAPER.latency, PAPER.cost,
                              table, start, R, q)
    mixture = {name: getattr(per_task, name).mean(axis=0) for name in
               ("success", "latency", "cost", "user_utility", "provider_cost", "passes")}
    assert_agrees(ep.summary().compare(mixture))


def test_one_row_table_is_the_plain_simulator() -> None:
    # a table whose rows are all p is a fixed p: same uniforms, same thresholds, same episodes
    start, R = np.array([0.6, 0.4]), np.array([[0.5, 0.5], [0.1, 0.9]])
    tasks = TaskDistribution.empirical([PAPER.success_prob, PAPER.success_prob])
    a = simulate(PAPER, start, R, [0.3, 0.2], 20_000, rng=8, tasks=tasks)
    b = simulate(PAPER, start, R, [0.3, 0.2], 20_000, rng=8, method="pass")
    assert not _same(a, b)  # the table draw consumes uniforms first ...
    gen = np.random.default_rng(8)
    tasks.sample(20_000, gen)  # ... so skip them to line the streams up
    c = simulate(PAPER, start, R, [0.3, 0.2], 20_000, rng=gen, method="pass")
    assert _same(a, c)


def test_task_distribution_mean_and_sample() -> None:
    d = TaskDistribution.beta([2.0, 5.0], [6.0, 5.0])
    np.testing.assert_allclose(d.mean(), [0.25, 0.5])
    x = d.sample(40_000, rng=0)
    assert x.shape == (40_000, 2)
    np.testing.assert_allclose(x.mean(axis=0), [0.25, 0.5], atol=0.01)
    e = TaskDistribution.empirical([[0.2, 0.4], [0.6, 0.8]])
    y = e.sample(1000, rng=0)
    assert {tuple(r) for r in y} <= {(0.2, 0.4), (0.6, 0.8)}


# --------------------------------------------------------------------------------------------
# extensions: a population of users
# --------------------------------------------------------------------------------------------


def test_population_of_users_matches_mixture() -> None:
    # two kinds of users, drawn at random: V = 4 (leaves after any failure) or V = 20 (stays)
    start, R = policy(1, 0.5)

    def sampler(n: int, rng: np.random.Generator) -> np.ndarray:
        return np.where(rng.random(n) < 0.3, 4.0, 20.0)

    ep = simulate(PAPER, start, R, lambda V: np.where(V < 10, 1.0, 0.0), 150_000, rng=41,
                  task_value=sampler)
    assert set(np.unique(ep.task_value)) == {4.0, 20.0}
    low, high = (chain_outcomes(V, 5, PAPER.latency, PAPER.cost, PAPER.success_prob, start, R, q)
                 for V, q in ((4.0, 1.0), (20.0, 0.0)))
    mixture = {name: 0.3 * getattr(low, name) + 0.7 * getattr(high, name) for name in
               ("success", "latency", "cost", "user_utility", "provider_cost", "passes")}
    assert_agrees(ep.summary().compare(mixture))


def test_per_episode_abandon_table() -> None:
    n = 60_000
    q = np.where(np.arange(n) % 2 == 0, 0.0, 1.0)[:, None]
    V = np.where(np.arange(n) % 2 == 0, 12.0, 6.0)
    start, R = policy(2, 0.0)
    ep = simulate(PAPER, start, R, q, n, rng=42, task_value=V)
    assert ep.solved[::2].all()
    assert np.all(ep.passes[1::2].sum(axis=1) == 1)
    np.testing.assert_array_equal(ep.task_value, V)
    # (n, K) per episode and per model
    qk = np.broadcast_to(np.array([[1.0, 0.0]]), (n, 2))
    ep2 = simulate(PAPER, [0.5, 0.5], np.eye(2), qk, n, rng=43)
    assert not ep2.abandoned[ep2.passes[:, 1] > 0].any()


# --------------------------------------------------------------------------------------------
# summary and comparison
# --------------------------------------------------------------------------------------------


def test_summary_intervals() -> None:
    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 10_000, rng=0)
    s95, s99 = ep.summary(), ep.summary(confidence=0.99)
    for (_, e95), (_, e99) in zip(s95.items(), s99.items(), strict=True):
        assert e95.ci_low <= e95.mean <= e95.ci_high
        assert e99.ci_high - e99.ci_low > e95.ci_high - e95.ci_low
        np.testing.assert_allclose(e95.ci_high - e95.mean, 1.959964 * e95.std_error, rtol=1e-5)
    x = ep.latency
    np.testing.assert_allclose(s95.latency.std_error, x.std(ddof=1) / math.sqrt(x.size))
    assert s95.n_solved + s95.n_abandoned + s95.n_truncated == 10_000
    assert [name for name, _ in s95.items()][-2:] == ["passes[1]", "passes[2]"]


def test_comparison_zero_variance_and_errors() -> None:
    ep = simulate_two_model(PAPER, 1, 0.0, 1.0, 100, rng=0)
    comp = ep.summary().compare(exact(PAPER, *policy(1, 0.0), 1.0))
    by_name = {r.quantity: r for r in comp.rows}
    assert by_name["passes[1]"].std_error == 0.0
    assert by_name["passes[1]"].z_score == 0.0
    assert math.isinf(ep.summary().compare(
        {"success": 0.3, "latency": 1, "cost": 1, "user_utility": 2, "provider_cost": 4.5,
         "passes": [1.5, 0.0]}).rows[5].z_score)
    with pytest.raises(ParameterError, match=r"^exact: missing"):
        ep.summary().compare({"success": 0.3})
    with pytest.raises(ParameterError, match=r"^exact: passes"):
        ep.summary().compare({"success": 0.3, "latency": 1, "cost": 1, "user_utility": 2,
                              "provider_cost": 4.5, "passes": [1.0]})
    assert Comparison((ComparisonRow("x", 1.0, 0.5, 0.0, 2.0),)).within(2.0)


def test_comparison_to_pandas() -> None:
    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 2000, rng=0)
    df = ep.summary().compare(exact(PAPER, *policy(1, 0.5), 0.2)).to_pandas()
    assert list(df.columns) == ["estimate", "std_error", "exact", "z_score"]
    assert "user_utility" in df.index


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_to_table_round_trip(tmp_path: Path, suffix: str) -> None:
    import pandas as pd

    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 500, rng=0)
    path = tmp_path / f"episodes{suffix}"
    assert ep.to_table(path) == path
    df = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert len(df) == 500
    np.testing.assert_array_equal(df["passes_1"].to_numpy(), ep.passes[:, 0])
    np.testing.assert_allclose(df["user_utility"].to_numpy(), ep.user_utility)
    np.testing.assert_array_equal(df["solved"].to_numpy(), ep.solved)
    with pytest.raises(ParameterError, match=r"^path: .* exists"):
        ep.to_table(path)
    ep.to_table(path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_to_table_leaves_nothing_on_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import routegame.io.tables as tables
    from routegame.io import ResourceError

    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 100, rng=0)

    def boom(data: Any, path: Any, *args: Any) -> None:
        Path(path).write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tables, "_write", boom)
    with pytest.raises(ResourceError, match=r"^path: no space left on device while writing"):
        ep.to_table(tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_to_table_bad_paths(tmp_path: Path) -> None:
    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 10, rng=0)
    with pytest.raises(ParameterError, match=r"^path: must end in"):
        ep.to_table(tmp_path / "x.txt")
    with pytest.raises(ParameterError, match=r"^path: directory"):
        ep.to_table(tmp_path / "missing" / "x.csv")


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

S2, R2 = policy(1, 0.5)

BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("negative-episodes", {"n_episodes": -5}, "n_episodes"),
    ("zero-episodes", {"n_episodes": 0}, "n_episodes"),
    ("float-episodes", {"n_episodes": 10.0}, "n_episodes"),
    ("bool-episodes", {"n_episodes": True}, "n_episodes"),
    ("abandon-above-1", {"abandon": 1.5}, "abandon"),
    ("abandon-negative", {"abandon": -0.1}, "abandon"),
    ("abandon-nan", {"abandon": float("nan")}, "abandon"),
    ("abandon-vector-out-of-range", {"abandon": [0.2, 1.2]}, "abandon"),
    ("abandon-wrong-length", {"abandon": [0.2, 0.3, 0.4]}, "abandon"),
    ("abandon-per-episode-1d", {"abandon": np.full(10, 0.2)}, "abandon"),
    ("abandon-wrong-2d", {"abandon": np.full((10, 3), 0.2)}, "abandon"),
    ("abandon-callable-shape", {"abandon": lambda V: np.zeros(3)}, "abandon"),
    ("abandon-callable-range", {"abandon": lambda V: V}, "abandon"),
    ("start-shape", {"start": [1.0, 0.0, 0.0]}, "start"),
    ("start-sum", {"start": [0.5, 0.4]}, "start"),
    ("start-negative", {"start": [1.5, -0.5]}, "start"),
    ("cascade-shape", {"cascade": [[1.0, 0.0]]}, "cascade"),
    ("cascade-rows", {"cascade": [[0.5, 0.4], [0.0, 1.0]]}, "cascade"),
    ("cascade-text", {"cascade": "x"}, "cascade"),
    ("max-passes", {"max_passes": 0}, "max_passes"),
    ("schedule-shape", {"success_schedule": [0.3, 0.8]}, "success_schedule"),
    ("schedule-rows", {"success_schedule": [[0.3], [0.8], [0.5]]}, "success_schedule"),
    ("schedule-range", {"success_schedule": [[0.3, 1.3], [0.8, 0.8]]}, "success_schedule"),
    ("schedule-and-task-schedules", {"success_schedule": [[0.3], [0.8]], "tasks":
     TaskDistribution.empirical([[[0.3, 0.4], [0.5, 0.6]]])}, "success_schedule"),
    ("schedule-0-with-tasks", {"success_schedule": [[0.0], [0.8]],
                               "tasks": TaskDistribution.beta([1, 1], [1, 1])}, "success_schedule"),
    ("tasks-K", {"tasks": TaskDistribution.beta([1, 1, 1], [1, 1, 1])}, "tasks"),
    ("tasks-type", {"tasks": [[0.3, 0.8]]}, "tasks"),
    ("task-value-negative", {"task_value": -1.0}, "task_value"),
    ("task-value-shape", {"task_value": np.ones(3)}, "task_value"),
    ("task-value-sampler-shape", {"task_value": lambda n, rng: np.ones(n + 1)}, "task_value"),
    ("rng", {"rng": "seed"}, "rng"),
    ("params", {"params": {"task_value": 1}}, "params"),
    ("method-unknown", {"method": "fast"}, "method"),
    ("method-run-schedule", {"method": "run", "success_schedule": [[0.3], [0.8]]}, "method"),
    ("method-run-tasks", {"method": "run", "tasks": TaskDistribution.empirical([[0.3, 0.8]])},
     "method"),
]


@pytest.mark.parametrize(("changes", "field"), [b[1:] for b in BAD_INPUTS],
                         ids=[b[0] for b in BAD_INPUTS])
def test_bad_input(changes: dict[str, Any], field: str) -> None:
    kw: dict[str, Any] = {"params": PAPER, "start": S2, "cascade": R2, "abandon": 0.2,
                          "n_episodes": 10, "rng": 0}
    kw.update(changes)
    with pytest.raises(ParameterError, match=rf"^{field}(\.\w+)?: "):
        simulate(**kw)


@pytest.mark.parametrize(
    ("args", "field"),
    [((3, 0.5), "route"), ((True, 0.5), "route"), ((1, 1.5), "cascade"), ((1, -0.1), "cascade")],
)
def test_bad_two_model_input(args: tuple[Any, Any], field: str) -> None:
    with pytest.raises(ParameterError, match=rf"^{field}: "):
        simulate_two_model(PAPER, *args, 0.2, 10, rng=0)


def test_bad_two_model_game() -> None:
    g3 = GameParams.from_lists(10, 5, [1, 2, 3], [1, 2, 3], [0.3, 0.5, 0.7])
    with pytest.raises(ParameterError, match=r"^params: must have 2 models"):
        simulate_two_model(g3, 1, 0.5, 0.2, 10)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: TaskDistribution.beta([1, -1], [1, 1]), "tasks.a"),
        (lambda: TaskDistribution.beta([1, 1], [1, 1, 1]), "tasks.b"),
        (lambda: TaskDistribution.beta_mean([0.5, 1.0], 2.0), "tasks.mean"),
        (lambda: TaskDistribution.beta_mean([0.5, 0.5], 0.0), "tasks.concentration"),
        (lambda: TaskDistribution.beta_mean([0.5, 0.5], [1.0, 2.0, 3.0]), "tasks.concentration"),
        (lambda: TaskDistribution.empirical([0.5, 0.5]), "tasks.table"),
        (lambda: TaskDistribution.empirical([[0.5, 1.5]]), "tasks.table"),
    ],
)
def test_bad_task_distribution(build: Any, field: str) -> None:
    with pytest.raises(ParameterError, match=rf"^{field}: "):
        build()


def test_bad_confidence() -> None:
    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 10, rng=0)
    for bad in (0.0, 1.0, 1.5, "0.9"):
        with pytest.raises(ParameterError, match=r"^confidence: "):
            ep.summary(confidence=bad)  # type: ignore[arg-type]


def test_episodes_shape_check() -> None:
    z = np.zeros(3)
    b = np.zeros(3, dtype=bool)
    with pytest.raises(ParameterError, match=r"^latency: "):
        Episodes(np.zeros((3, 2), dtype=np.int64), np.zeros(2), z, b, b, b, z, z)


def test_to_table_file_mode_like_open(tmp_path: Path) -> None:
    ep = simulate_two_model(PAPER, 1, 0.5, 0.2, 10, rng=0)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    ep.to_table(tmp_path / "ep.csv")
    assert (tmp_path / "ep.csv").stat().st_mode == plain.stat().st_mode


def test_comparison_zero_variance_rounding() -> None:
    ep = simulate_two_model(PAPER, 1, 0.0, 0.0, 200, rng=0)  # q = 0: every episode solved
    exact_values = {"success": 1.0 - 1e-16, "latency": 1, "cost": 1, "user_utility": 2,
                    "provider_cost": 4.5, "passes": [1.5, 0.0]}
    row = ep.summary().compare(exact_values).rows[0]
    assert row.std_error == 0.0
    assert row.z_score == 0.0


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def _cli() -> Any:
    try:
        from routegame.cli._app import app
    except ImportError as exc:  # the lead's other command modules may not exist yet
        pytest.skip(f"routegame.cli._app cannot be imported: {exc}")
    from typer.testing import CliRunner

    import routegame.cli.simulate_cmd  # noqa: F401  (registers the command)

    return app, CliRunner()


def test_cli_simulate_table_and_output(tmp_path: Path) -> None:
    app, runner = _cli()
    out = tmp_path / "ep.csv"
    args = ["simulate", "--scenario", "default", "--route", "1", "--cascade", "0.5",
            "--abandon", "0.2", "--episodes", "20000", "--seed", "3", "--out", str(out)]
    res = runner.invoke(app, args, env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "user_utility" in res.output
    assert "seed 3" in res.output
    assert out.exists()
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "--overwrite" in again.output
    res = runner.invoke(app, [*args, "--overwrite", "--abandon", "0.1,0.3"])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--abandon", "2"], "--abandon: must be in [0, 1]"),
        (["--abandon", "0.1,0.2,0.3"], "--abandon: must have 1 or 2"),
        (["--route", "3"], "--route: must be an integer in 1..2"),
        (["--cascade", "1.5"], "--cascade: must be in [0, 1]"),
        (["--episodes", "0"], "--episodes: must be an integer >= 1"),
        (["--out", "x.txt"], "--out: must end in"),
    ],
)
def test_cli_simulate_bad_input(extra: list[str], message: str) -> None:
    app, runner = _cli()
    res = runner.invoke(app, ["simulate", "--scenario", "default", *extra])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_cli_simulate_needs_one_source(tmp_path: Path) -> None:
    app, runner = _cli()
    res = runner.invoke(app, ["simulate", "--episodes", "2000", "--seed", "1"],
                        env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output  # no source: the default scenario, as every command
    assert "simulate: default, route 1, cascade 0" in res.output
    cfg = tmp_path / "mine.toml"
    cfg.write_text("task_value = 10\npenalty = 4\nlatency = [1, 5]\ncost = [1, 4]\n"
                   "success_prob = [0.3, 0.75]\n")
    res = runner.invoke(app, ["simulate", "--config", str(cfg), "--episodes", "1000",
                              "--seed", "1", "--abandon", "1"], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "1,000 episodes" in res.output


# --------------------------------------------------------------------------------------------
# heterogeneity together with feedback schedules
# --------------------------------------------------------------------------------------------


def _exact_per_task_schedule(table: np.ndarray, weights: np.ndarray, start: np.ndarray,
                             R: np.ndarray, q: float, lat: np.ndarray, horizon: int = 400
                             ) -> tuple[float, float]:
    """(S, L) by the forward recursion x_{a+1} = x_a diag((1 - p(a))(1 - q)) R, per task,
    written here independently of the simulator (the tail beyond ``horizon`` is negligible)."""
    S = L = 0.0
    for w, sched in zip(weights, table, strict=True):
        x = start.astype(float)
        for a in range(horizon):
            p = sched[:, min(a, sched.shape[1] - 1)]
            S += w * float(x @ p)
            L += w * float(x @ lat)
            x = (x * (1 - p) * (1 - q)) @ R
    return S, L


def test_tasks_with_per_task_schedules_match_the_exact_recursion() -> None:
    table = np.array([[[0.1, 0.3], [0.5, 0.6]], [[0.6, 0.2], [0.9, 0.95]]])  # (m, K, A)
    g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    start, R = np.array([0.7, 0.3]), np.array([[0.6, 0.4], [0.2, 0.8]])
    ep = simulate(g, start, R, 0.1, 200_000, rng=5, tasks=TaskDistribution.empirical(table))
    s = ep.summary()
    S, L = _exact_per_task_schedule(table, np.array([0.5, 0.5]), start, R, 0.1, g.latency)
    assert abs(s.success.mean - S) < 4 * s.success.std_error
    assert abs(s.latency.mean - L) < 4 * s.latency.std_error


def test_tasks_with_a_schedule_is_a_logit_shift() -> None:
    # two tasks; the schedule raises the second pass by the odds ratio of 0.6/0.3
    g = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))
    rows = np.array([[0.2, 0.5], [0.4, 0.9]])
    sched = np.array([[0.3, 0.6], [0.8, 0.8]])
    shift = np.log(0.6 / 0.4) - np.log(0.3 / 0.7)
    per_task = np.empty((2, 2, 2))
    for t in range(2):
        per_task[t, :, 0] = rows[t]
        odds = rows[t, 0] / (1 - rows[t, 0]) * np.exp(shift)
        per_task[t, :, 1] = [odds / (1 + odds), rows[t, 1]]
    start, R = np.array([1.0, 0.0]), np.array([[0.5, 0.5], [0.0, 1.0]])
    a = simulate(g, start, R, 0.2, 100_000, rng=2, tasks=TaskDistribution.empirical(rows),
                 success_schedule=sched).summary()
    S, _ = _exact_per_task_schedule(per_task, np.array([0.5, 0.5]), start, R, 0.2, g.latency)
    assert abs(a.success.mean - S) < 4 * a.success.std_error


def test_cli_simulate_k_model_policy_and_best_response() -> None:
    from routegame.general import stationary_best_response
    from routegame.scenarios import load_scenario

    app, runner = _cli()
    policy = '{"start": [0.5, 0.5, 0], "cascade": [[0, 0.5, 0.5], [0, 0, 1], [0, 0, 1]]}'
    res = runner.invoke(app, ["simulate", "--scenario", "aider-openai-3-tier", "--policy", policy,
                              "--episodes", "50000", "--seed", "2"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    g = load_scenario("aider-openai-3-tier").params
    q = stationary_best_response(g, [0.5, 0.5, 0], [[0, 0.5, 0.5], [0, 0, 1], [0, 0, 1]]).abandon
    assert f"abandon {q!r} (best response)".replace("abandon ", "abandon ") in " ".join(
        res.output.split())
    zs = [float(line.split()[-2]) for line in res.output.splitlines()
          if line.count("│") == 6 and line.split()[-2].lstrip("-").replace(".", "").isdigit()]
    assert len(zs) == 8
    assert max(abs(z) for z in zs) < 4.5
    res = runner.invoke(app, ["simulate", "--policy", '{"start": [1]}'])
    assert res.exit_code == 2
    assert "--policy: must be" in res.output


def test_streamed_summary_is_independent_of_the_scheduler_and_bounded() -> None:
    import tracemalloc

    from routegame.simulate import simulate_summary

    args = (PAPER, [1.0, 0.0], [[0.5, 0.5], [0.0, 1.0]], 0.2)
    a = simulate_summary(*args, 300_000, rng=4, block=50_000)
    b = simulate_summary(*args, 300_000, rng=4, block=50_000, scheduler="threads")
    assert a == b
    tracemalloc.start()
    simulate_summary(*args, 1_000_000, rng=4, block=50_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40e6  # one block, not 10^6 episodes (those alone take > 50 MB)
