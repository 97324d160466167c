"""Tests of the K-model absorbing-chain solver (routegame.markov.chain).

The chain's outcomes are checked against a tiny Monte Carlo simulator written here (one pass
at a time, obviously following the model's rules), against hand-computed single-model values,
and against invariants that hold for any valid input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routegame.errors import ParameterError
from routegame.markov.chain import ChainOutcomes, chain_outcomes, two_model_policy

# --------------------------------------------------------------------------------------------
# A tiny simulator: the model's rules, one pass at a time, for many episodes at once.
# --------------------------------------------------------------------------------------------


def simulate(
    latency: Any,
    cost: Any,
    success_prob: Any,
    start: Any,
    cascade: Any,
    abandon_k: Any,
    n: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Per-episode totals: solved (0/1), latency, cost, passes per model, where it ended."""
    t, c, p = (np.asarray(x, dtype=float) for x in (latency, cost, success_prob))
    R, q = np.asarray(cascade, dtype=float), np.asarray(abandon_k, dtype=float)
    K = t.size
    model = rng.choice(K, size=n, p=np.asarray(start, dtype=float))
    alive = np.ones(n, dtype=bool)
    solved = np.zeros(n)
    lat = np.zeros(n)
    cst = np.zeros(n)
    passes = np.zeros((n, K))
    solved_by = np.zeros((n, K))
    abandoned_after = np.zeros((n, K))
    for _ in range(100_000):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        m = model[idx]
        lat[idx] += t[m]
        cst[idx] += c[m]
        passes[idx, m] += 1
        success = rng.random(idx.size) < p[m]
        solved[idx[success]] = 1.0
        solved_by[idx[success], m[success]] = 1.0
        alive[idx[success]] = False
        fail_idx, fail_m = idx[~success], m[~success]
        quits = rng.random(fail_idx.size) < q[fail_m]
        abandoned_after[fail_idx[quits], fail_m[quits]] = 1.0
        alive[fail_idx[quits]] = False
        go_on, go_m = fail_idx[~quits], fail_m[~quits]
        # next model from row R[j] of the cascade matrix (inverse-CDF sampling)
        u = rng.random(go_on.size)
        cdf = np.cumsum(R[go_m], axis=1)
        model[go_on] = np.minimum((u[:, None] > cdf).sum(axis=1), K - 1)
    else:  # pragma: no cover - the test parameters end long before
        raise AssertionError("simulation did not end")
    return {
        "success": solved,
        "latency": lat,
        "cost": cst,
        "passes": passes,
        "solved_by": solved_by,
        "abandoned_after": abandoned_after,
    }


def assert_agrees(sample: np.ndarray, exact: np.ndarray, name: str) -> None:
    """The sample mean is within 4 standard errors (plus rounding slack) of the exact value."""
    mean = sample.mean(axis=0)
    se = sample.std(axis=0, ddof=1) / np.sqrt(sample.shape[0])
    bad = np.abs(mean - exact) > 4 * se + 1e-12
    assert not np.any(bad), f"{name}: simulated {mean} ± {se}, chain {exact}"


GAME_K2: dict[str, Any] = {
    "task_value": 10.0,
    "penalty": 3.0,
    "latency": [1.0, 4.0],
    "cost": [1.0, 3.0],
    "success_prob": [0.3, 0.7],
}


@pytest.mark.parametrize(
    ("start", "cascade", "abandon"),
    [
        ([1, 0], [[0.6, 0.4], [0, 1]], 0.25),  # the paper's policy (1, 0.4), stationary user
        ([0, 1], [[1, 0], [0, 1]], 0.1),  # route 2
        ([0.5, 0.5], [[0.2, 0.8], [0.5, 0.5]], [0.3, 0.6]),  # general chain, state-aware user
        ([1, 0], [[1, 0], [0, 1]], 0.0),  # never abandons
    ],
)
def test_two_models_match_monte_carlo(start: Any, cascade: Any, abandon: Any) -> None:
    out = chain_outcomes(**GAME_K2, start=start, cascade=cascade, abandon=abandon)
    q_k = np.broadcast_to(np.asarray(abandon, dtype=float), (2,))
    sim = simulate(GAME_K2["latency"], GAME_K2["cost"], GAME_K2["success_prob"], start,
                   cascade, q_k, 40_000, np.random.default_rng(20260209))
    for name in ("success", "latency", "cost", "passes", "solved_by", "abandoned_after"):
        assert_agrees(sim[name], getattr(out, name), name)
    V, P = GAME_K2["task_value"], GAME_K2["penalty"]
    assert_agrees(V * sim["success"] - sim["latency"], out.user_utility, "user_utility")
    assert_agrees(sim["cost"] + P * (1 - sim["success"]), out.provider_cost, "provider_cost")


def test_four_models_match_monte_carlo() -> None:
    latency = [0.5, 1.0, 3.0, 8.0]
    cost = [0.2, 1.0, 2.5, 6.0]
    p = [0.2, 0.35, 0.6, 0.85]
    start = [0.4, 0.3, 0.2, 0.1]
    R = [
        [0.5, 0.3, 0.2, 0.0],
        [0.0, 0.4, 0.4, 0.2],
        [0.1, 0.0, 0.5, 0.4],
        [0.0, 0.0, 0.0, 1.0],
    ]
    q = [0.1, 0.2, 0.05, 0.3]
    out = chain_outcomes(12.0, 2.0, latency, cost, p, start, R, q)
    sim = simulate(latency, cost, p, start, R, q, 40_000, np.random.default_rng(7))
    for name in ("success", "latency", "cost", "passes", "solved_by", "abandoned_after"):
        assert_agrees(sim[name], getattr(out, name), name)


def test_single_model_by_hand() -> None:
    # one model, p = 0.5, q = 0.5: a pass happens with prob. 1, then 0.25, 0.25^2, ...
    out = chain_outcomes(10, 2, [2.0], [1.0], [0.5], [1.0], [[1.0]], 0.5)
    assert out.passes[0] == pytest.approx(4 / 3)
    assert out.success == pytest.approx(2 / 3)
    assert out.latency == pytest.approx(8 / 3)
    assert out.cost == pytest.approx(4 / 3)
    assert out.user_utility == pytest.approx(10 * 2 / 3 - 8 / 3)
    assert out.provider_cost == pytest.approx(4 / 3 + 2 / 3)


def test_never_abandoning_user_always_succeeds() -> None:
    start, R = two_model_policy(1, 0.3)
    out = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=0.0)
    assert out.success == pytest.approx(1.0, abs=1e-14)
    assert np.allclose(out.abandoned_after, 0.0)


def test_abandon_at_once_means_one_pass() -> None:
    start, R = two_model_policy(2, 0.7)
    out = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=1.0)
    assert np.allclose(out.passes, [0.0, 1.0])
    assert out.success == pytest.approx(0.7)
    assert out.latency == pytest.approx(4.0)


def test_equal_per_model_abandon_is_stationary() -> None:
    start, R = two_model_policy(1, 0.4)
    a = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=0.3)
    b = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=[0.3, 0.3])
    for name in ("success", "latency", "cost", "passes"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-14)


def test_batches_equal_one_by_one() -> None:
    s = np.linspace(0, 1, 5)[:, None]
    q = np.linspace(0, 1, 3)[None, :]
    routes = np.array([1, 2])[:, None, None]
    start, R = two_model_policy(routes, s)  # (2, 5, 1, 2), (2, 5, 1, 2, 2)
    out = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=q, per_model=False)
    assert out.success.shape == (2, 5, 3)
    assert out.passes.shape == (2, 5, 3, 2)
    for i in range(2):
        for j in range(5):
            for k in range(3):
                st1, R1 = two_model_policy(int(routes[i, 0, 0]), float(s[j, 0]))
                one = chain_outcomes(**GAME_K2, start=st1, cascade=R1, abandon=float(q[0, k]))
                assert out.user_utility[i, j, k] == pytest.approx(float(one.user_utility))
                assert out.provider_cost[i, j, k] == pytest.approx(float(one.provider_cost))


def test_batched_games() -> None:
    V = np.array([5.0, 10.0, 20.0])
    latency = np.array([[1.0, 2.0], [1.0, 4.0], [2.0, 3.0]])
    out = chain_outcomes(V, 1.0, latency, [1.0, 2.0], [0.4, 0.6], [1, 0], [[0.5, 0.5], [0, 1]],
                         abandon=0.2)
    assert out.success.shape == (3,)
    for g in range(3):
        one = chain_outcomes(V[g], 1.0, latency[g], [1.0, 2.0], [0.4, 0.6], [1, 0],
                             [[0.5, 0.5], [0, 1]], abandon=0.2)
        assert out.user_utility[g] == pytest.approx(float(one.user_utility))


def test_per_model_flag_disambiguates() -> None:
    start, R = two_model_policy(1, 0.5)
    # a batch of two stationary users, q = 0 and q = 1 (last axis of length K = 2)
    out = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=[0.0, 1.0], per_model=False)
    assert out.success.shape == (2,)
    assert out.success[0] == pytest.approx(1.0)
    assert out.success[1] == pytest.approx(0.3)
    # the same list read as one state-aware user
    aware = chain_outcomes(**GAME_K2, start=start, cascade=R, abandon=[0.0, 1.0])
    assert aware.success.shape == ()


# --------------------------------------------------------------------------------------------
# Invariants over random valid inputs
# --------------------------------------------------------------------------------------------


@st.composite
def chains(draw: st.DrawFn) -> dict[str, Any]:
    K = draw(st.integers(1, 5))
    unit = st.floats(0.01, 0.99)
    pos = st.floats(0.01, 50.0)
    nonneg = st.floats(0.0, 50.0)
    weights = st.lists(st.floats(0.0, 1.0), min_size=K, max_size=K)

    def distribution(w: list[float]) -> np.ndarray:
        arr = np.asarray(w) + 1e-3
        return arr / arr.sum()

    per_model = draw(st.booleans())
    q = (
        draw(st.lists(st.floats(0.0, 1.0), min_size=K, max_size=K))
        if per_model
        else draw(st.floats(0.0, 1.0))
    )
    return {
        "task_value": draw(pos),
        "penalty": draw(nonneg),
        "latency": draw(st.lists(pos, min_size=K, max_size=K)),
        "cost": draw(st.lists(nonneg, min_size=K, max_size=K)),
        "success_prob": draw(st.lists(unit, min_size=K, max_size=K)),
        "start": distribution(draw(weights)),
        "cascade": np.stack([distribution(draw(weights)) for _ in range(K)]),
        "abandon": q,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_invariants(kw: dict[str, Any]) -> None:
    out = chain_outcomes(**kw)
    assert isinstance(out, ChainOutcomes)
    assert -1e-12 <= float(out.success) <= 1 + 1e-12
    assert np.all(out.passes >= np.asarray(kw["start"]) - 1e-12)  # the first pass happens
    assert np.all(out.solved_by >= -1e-15)
    assert np.all(out.abandoned_after >= -1e-15)
    # every task ends exactly once: solved on some model or abandoned after some failure
    total = out.solved_by.sum() + out.abandoned_after.sum()
    assert total == pytest.approx(1.0, abs=1e-9)
    assert out.solved_by.sum() == pytest.approx(float(out.success), abs=1e-12)
    assert float(out.user_utility) == pytest.approx(
        kw["task_value"] * float(out.success) - float(out.latency), rel=1e-12, abs=1e-9
    )
    assert float(out.provider_cost) == pytest.approx(
        float(out.cost) + kw["penalty"] * (1 - float(out.success)), rel=1e-12, abs=1e-9
    )
    # latency and cost are the passes priced per model
    assert float(out.latency) == pytest.approx(float(out.passes @ kw["latency"]), rel=1e-12)
    # a pass ends in success, abandonment or another pass: passes balance the flow
    p = np.asarray(kw["success_prob"])
    q = np.broadcast_to(np.asarray(kw["abandon"], dtype=float), p.shape)
    inflow = np.asarray(kw["start"]) + (out.passes * (1 - p) * (1 - q)) @ kw["cascade"]
    np.testing.assert_allclose(out.passes, inflow, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(chains(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_more_abandoning_never_more_passes(kw: dict[str, Any], q1: float, q2: float) -> None:
    lo, hi = min(q1, q2), max(q1, q2)
    kw = dict(kw, abandon=lo)
    a = chain_outcomes(**kw)
    b = chain_outcomes(**dict(kw, abandon=hi))
    assert np.all(b.passes <= a.passes + 1e-9 * (1 + a.passes))


# --------------------------------------------------------------------------------------------
# two_model_policy
# --------------------------------------------------------------------------------------------


def test_two_model_policy_values() -> None:
    start, R = two_model_policy(1, 0.3)
    np.testing.assert_array_equal(start, [1.0, 0.0])
    np.testing.assert_allclose(R, [[0.7, 0.3], [0.0, 1.0]])
    start, R = two_model_policy(2, 0.3)
    np.testing.assert_array_equal(start, [0.0, 1.0])


def test_two_model_policy_broadcasts() -> None:
    start, R = two_model_policy([[1], [2]], [0.0, 0.5, 1.0])
    assert start.shape == (2, 3, 2)
    assert R.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(R.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(start[1, 2], [0.0, 1.0])
    np.testing.assert_allclose(R[0, 1, 0], [0.5, 0.5])


def test_two_model_policy_in_larger_game() -> None:
    start, R = two_model_policy(3, 0.5, num_models=4)
    np.testing.assert_array_equal(start, [0, 0, 1, 0])
    np.testing.assert_allclose(R[0], [0.5, 0.5, 0, 0])
    np.testing.assert_allclose(R[1:], np.eye(4)[1:])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"route": 3, "cascade": 0.5}, "route"),
        ({"route": 1.5, "cascade": 0.5}, "route"),
        ({"route": 0, "cascade": 0.5}, "route"),
        ({"route": 1, "cascade": 1.5}, "cascade"),
        ({"route": 1, "cascade": float("nan")}, "cascade"),
        ({"route": 1, "cascade": 0.5, "num_models": 1}, "num_models"),
    ],
)
def test_two_model_policy_rejects(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ParameterError) as err:
        two_model_policy(**kwargs)
    assert err.value.field == field


# --------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------

GOOD: dict[str, Any] = dict(GAME_K2, start=[1, 0], cascade=[[0.5, 0.5], [0, 1]], abandon=0.2)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"task_value": 0.0}, "task_value", "> 0"),
        ({"penalty": -1.0}, "penalty", ">= 0"),
        ({"latency": [1.0, -4.0]}, "latency", "> 0"),
        ({"cost": [1.0, float("inf")]}, "cost", "finite"),
        ({"success_prob": [0.3, 1.0]}, "success_prob", "(0, 1)"),
        ({"success_prob": [0.0, 0.5]}, "success_prob", "(0, 1)"),
        ({"cost": [1.0, 2.0, 3.0]}, "cost", "K = 2"),
        ({"latency": 1.0}, "latency", "(..., K)"),
        ({"start": [0.5, 0.4]}, "start", "sum to 1"),
        ({"start": [1.2, -0.2]}, "start", "[0, 1]"),
        ({"start": [1, 0, 0]}, "start", "(..., 2)"),
        ({"cascade": [[0.5, 0.4], [0, 1]]}, "cascade", "rows must sum to 1"),
        ({"cascade": [[1.5, -0.5], [0, 1]]}, "cascade", "[0, 1]"),
        ({"cascade": [0.5, 0.5]}, "cascade", "(..., 2, 2)"),
        ({"abandon": 1.5}, "abandon", "[0, 1]"),
        ({"abandon": [0.1, float("nan")]}, "abandon", "[0, 1]"),
        ({"abandon": "often"}, "abandon", "numbers"),
        ({"latency": [[1.0, 2.0]] * 3, "cost": [[1.0, 2.0]] * 4}, "cost", "broadcast"),
    ],
)
def test_bad_inputs_name_the_field(change: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ParameterError) as err:
        chain_outcomes(**dict(GOOD, **change))
    assert err.value.field == field
    assert words in str(err.value)
    assert str(err.value).startswith(f"{field}: ")
    assert "\n" not in str(err.value)


def test_per_model_abandon_needs_k_entries() -> None:
    with pytest.raises(ParameterError, match="abandon"):
        chain_outcomes(**dict(GOOD, abandon=[0.1, 0.2, 0.3]), per_model=True)
