"""The compiled simulator (``routegame.simulate._compiled``) against the numpy path and exact values.

1. Draw for draw: on random games (K = 2..5), policies (point-mass and random starts, random,
   deterministic and sticky cascades), users (one q, one per model, one per episode), success
   models (i.i.d., attempt schedules, per-task tables with and without per-task schedules, a
   task table moved by a logit-shift schedule, Beta tasks), caps that truncate, and chunk sizes
   that split the episodes, the compiled loops give **the same episodes** as the numpy loops for
   a seed (passes, outcomes, latency and cost bit for bit, the same number of uniforms, and the
   generator left in the same state), for ``method="pass"`` and ``method="run"``.
2. Exactness: the compiled path agrees within 4 standard errors with the two-model closed
   forms (``routegame.closed_form``), the absorbing-chain oracle (``routegame.markov``) and the
   exact heterogeneous chain over task tables with attempt schedules (``routegame.hetero``).
3. Dispatch: below ``_jit.min_size()`` episodes nothing imports numba (``routegame simulate
   --episodes 1000`` in a fresh interpreter); streamed blocks give the same summary on one or
   two threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routegame import _jit
from routegame import closed_form as cf
from routegame.hetero.chain import chain_sums
from routegame.markov.chain import chain_outcomes
from routegame.params import GameParams
from routegame.simulate import TaskDistribution, simulate, simulate_summary
from routegame.simulate.kernels import _run, _run_visits


def test_numba_is_installed() -> None:
    """The dev extras install numba: without it every comparison below would compare the numpy
    path with itself."""
    assert _jit.available()

PAPER = GameParams.two_model(10, 5, latency=(1, 4), cost=(1, 3), success_prob=(0.3, 0.8))


def _same_run(a: Any, b: Any) -> None:
    for name in ("passes", "latency", "cost", "solved", "abandoned", "truncated"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.draws == b.draws


def _both(func: Any, seed: int) -> tuple[Any, Any]:
    """``func(gen)`` on the compiled and the numpy path, with the generators' next uniforms."""
    out = []
    for flag in (True, False):
        gen = np.random.default_rng(seed)
        with _jit.forced(flag):
            res = func(gen)
        out.append((res, gen.random(3)))
    (a, ga), (b, gb) = out
    assert np.array_equal(ga, gb), "the generators end in different states"
    return a, b


# --------------------------------------------------------------------------------------------
# 1. draw for draw against the numpy path


@st.composite
def _cases(draw: Any) -> dict[str, Any]:
    K = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    edge = draw(st.sampled_from(["none", "zero", "one", "tiny"]))
    p = rng.uniform(0.01, 0.99, K)
    if edge == "zero":
        p[rng.integers(K)] = 0.0
    elif edge == "one":
        p[rng.integers(K)] = 1.0
    elif edge == "tiny":
        p[rng.integers(K)] = 1e-300
    start_kind = draw(st.sampled_from(["point", "random"]))
    start = (np.eye(K)[rng.integers(K)] if start_kind == "point" else rng.dirichlet(np.ones(K)))
    r_kind = draw(st.sampled_from(["random", "deterministic", "sticky", "sparse"]))
    if r_kind == "random":
        R = rng.dirichlet(np.ones(K), size=K)
    elif r_kind == "deterministic":
        R = np.eye(K)[rng.integers(K, size=K)]
    elif r_kind == "sticky":
        R = 0.95 * np.eye(K) + 0.05 * rng.dirichlet(np.ones(K), size=K)
    else:
        R = rng.dirichlet(np.ones(K), size=K) * (rng.random((K, K)) < 0.5)
        R[R.sum(axis=1) == 0, 0] = 1.0
    R = R / R.sum(axis=1, keepdims=True)
    n = draw(st.integers(1, 3000))
    q_kind = draw(st.sampled_from(["scalar", "model", "episode1", "episodeK", "zero"]))
    q = {"scalar": rng.uniform(0, 1), "model": rng.uniform(0, 1, K),
         "episode1": rng.uniform(0, 1, (n, 1)), "episodeK": rng.uniform(0, 1, (n, K)),
         "zero": 0.0}[q_kind]
    return {"K": K, "seed": seed, "p": p, "start": start, "R": R, "n": n, "q": q,
            "max_passes": draw(st.sampled_from([1, 3, 50, 500])),
            "chunk": draw(st.sampled_from([1, 7, 256, 65_536])),
            "success": draw(st.sampled_from(["iid", "schedule", "table", "table3", "shift"])),
            "A": draw(st.integers(1, 4))}


def _q_args(q: Any, n: int, K: int) -> tuple[Any, Any]:
    arr = np.asarray(q, dtype=float)
    if arr.ndim == 0:
        return np.full(K, float(arr)), None
    if arr.ndim == 1:
        return arr, None
    return None, np.ascontiguousarray(np.broadcast_to(arr, (n, K)))


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_pass_loop_same_episodes_as_numpy(case: dict[str, Any]) -> None:
    K, n, A = case["K"], case["n"], case["A"]
    rng = np.random.default_rng(case["seed"] + 1)
    schedule = tasks = None
    if case["success"] == "schedule":
        schedule = rng.uniform(0, 1, (K, A))
    elif case["success"] == "table":
        tasks = rng.uniform(0, 1, (n, K))
    elif case["success"] == "table3":
        tasks = rng.uniform(0, 1, (n, K, A))
    elif case["success"] == "shift":
        tasks = rng.uniform(0.01, 0.99, (n, K))
        tasks[0, 0] = 1.0  # a logit of +inf
        logit = rng.normal(0, 1.5, (K, A))
        schedule = logit - logit[:, :1]
    q_model, q_table = _q_args(case["q"], n, K)
    lat = rng.uniform(0.1, 5, K)
    cost = rng.uniform(0, 3, K)

    def run(gen: np.random.Generator) -> Any:
        return _run(n, case["start"], case["R"], case["p"], lat, cost, schedule, tasks, q_model,
                    q_table, case["max_passes"], gen, chunk_size=case["chunk"])

    a, b = _both(run, case["seed"])
    _same_run(a, b)


@settings(max_examples=100, deadline=None)
@given(_cases())
def test_visit_loop_same_episodes_as_numpy(case: dict[str, Any]) -> None:
    K, n = case["K"], case["n"]
    q_model, q_table = _q_args(case["q"], n, K)
    rng = np.random.default_rng(case["seed"] + 2)
    lat = rng.uniform(0.1, 5, K)
    cost = rng.uniform(0, 3, K)

    def run(gen: np.random.Generator) -> Any:
        return _run_visits(n, case["start"], case["R"], case["p"], lat, cost, q_model, q_table,
                           case["max_passes"], gen, chunk_size=case["chunk"])

    a, b = _both(run, case["seed"])
    _same_run(a, b)


@pytest.mark.parametrize(("method", "tasks"), [("pass", None), ("run", None), ("pass", "beta"),
                                               ("pass", "table3")])
def test_simulate_entry_point_same_episodes(method: str, tasks: str | None) -> None:
    """Through ``simulate`` (tasks and task values drawn before the loops, a callable user;
    ``method="run"`` refuses tasks, whose passes are not i.i.d.)."""
    dist = {None: None, "beta": TaskDistribution.beta_mean([0.3, 0.8], 3.0),
            "table3": TaskDistribution.empirical(
                [[[0.1, 0.3], [0.5, 0.7]], [[0.9, 0.9], [0.05, 0.2]]])}[tasks]

    def run(gen: np.random.Generator) -> Any:
        return simulate(PAPER, [0.5, 0.5], [[0.7, 0.3], [0.2, 0.8]],
                        lambda v: np.clip(0.05 * v / 10.0, 0, 1), 70_000, gen, method=method,
                        tasks=dist, task_value=lambda m, g: g.uniform(5, 15, m))

    a, b = _both(run, 11)
    for name in ("passes", "latency", "cost", "solved", "abandoned", "truncated", "task_value"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_dispatch_by_size() -> None:
    """Once the compiled loops are loaded, they run from ``min_size`` episodes on; before, only
    from ``LOAD_PAYS`` (loading numba costs more than the numpy loops save on fewer)."""
    from routegame.simulate import _compiled
    from routegame.simulate.kernels import LOAD_PAYS, compiled_by_size, compiled_pays

    assert compiled_pays(_jit.min_size())  # loaded above
    assert not compiled_pays(_jit.min_size() - 1)
    assert not compiled_by_size(LOAD_PAYS - 1)
    assert compiled_by_size(LOAD_PAYS)
    with _jit.forced(False):
        assert not compiled_pays(LOAD_PAYS)

    calls: list[int] = []
    original = _compiled.drive_pass

    def spy(*args: Any) -> Any:
        calls.append(args[1])
        return original(*args)

    _compiled.drive_pass = spy  # type: ignore[assignment]
    try:
        simulate(PAPER, [1, 0], [[0.5, 0.5], [0, 1]], 0.2, _jit.min_size(), 0, method="pass")
        simulate(PAPER, [1, 0], [[0.5, 0.5], [0, 1]], 0.2, _jit.min_size() - 1, 0, method="pass")
    finally:
        _compiled.drive_pass = original  # type: ignore[assignment]
    assert calls == [_jit.min_size()] if _jit.use_compiled(_jit.min_size()) else calls == []


# --------------------------------------------------------------------------------------------
# 2. the compiled path against the exact engines


def _within(est: Any, exact: float, name: str, k: float = 4.0) -> None:
    assert abs(est.mean - exact) <= k * est.std_error + 1e-12, (name, est.mean, exact,
                                                                 est.std_error)


@pytest.mark.parametrize("method", ["pass", "run"])
@pytest.mark.parametrize(("route", "s", "q"), [(1, 0.5, 0.2), (2, 0.0, 0.05), (1, 1.0, 0.6),
                                               (1, 0.0, 0.0)])
def test_closed_forms(method: str, route: int, s: float, q: float) -> None:
    from routegame.simulate import simulate_two_model

    exact = cf.outcomes(10, 5, [1, 4], [1, 3], [0.3, 0.8], route, s, q)
    with _jit.forced(True):
        summ = simulate_two_model(PAPER, route, s, q, 200_000, rng=route * 10 + 1,
                                  method=method).summary()
    for name in ("success", "latency", "cost", "user_utility", "provider_cost"):
        _within(getattr(summ, name), float(getattr(exact, name)), name)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["pass", "run"])
def test_chain_oracle_k_models(seed: int, method: str) -> None:
    rng = np.random.default_rng(100 + seed)
    K = int(rng.integers(2, 6))
    params = GameParams.from_lists(12.0, 4.0, rng.uniform(0.5, 5, K).tolist(),
                                   rng.uniform(0, 3, K).tolist(), rng.uniform(0.05, 0.9, K).tolist())
    start = rng.dirichlet(np.ones(K))
    R = rng.dirichlet(np.ones(K), size=K)
    q = rng.uniform(0.02, 0.5, K) if seed % 2 else float(rng.uniform(0.02, 0.5))
    exact = chain_outcomes(params.task_value, params.penalty, params.latency, params.cost,
                           params.success_prob, start, R, q, per_model=seed % 2 == 1)
    with _jit.forced(True):
        summ = simulate(params, start, R, q, 150_000, rng=seed, method=method).summary()
    for name in ("success", "latency", "cost", "user_utility", "provider_cost"):
        _within(getattr(summ, name), float(getattr(exact, name)), name)
    for k in range(K):
        _within(summ.passes[k], float(exact.passes[k]), f"passes[{k}]")


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("seed", range(5))
def test_hetero_tables_with_schedules(seed: int) -> None:
    """Per-task tables, per-task schedules and logit-shift schedules against the exact
    weighted sum of per-task chains (``routegame.hetero.chain.chain_sums``)."""
    rng = np.random.default_rng(200 + seed)
    K = 2 if seed < 3 else int(rng.integers(3, 5))
    T, A = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    params = GameParams.from_lists(10.0, 5.0, rng.uniform(0.5, 4, K).tolist(),
                                   rng.uniform(0, 3, K).tolist(), [0.5] * K)
    start = rng.dirichlet(np.ones(K))
    R = rng.dirichlet(np.ones(K), size=K)
    q = rng.uniform(0.05, 0.4, K)
    kw: dict[str, Any] = {}
    if seed % 2:  # per-task schedules (T, K, A)
        table = rng.uniform(0.02, 0.95, (T, K, A))
        prob = table
        kw["tasks"] = TaskDistribution.empirical(table)
    else:  # a table moved by a schedule on the logit scale
        base = rng.uniform(0.02, 0.95, (T, K))
        sched = rng.uniform(0.05, 0.95, (K, A))
        logit = np.log(sched / (1 - sched))
        prob = _expit(np.log(base / (1 - base))[:, :, None] + (logit - logit[:, :1])[None])
        kw.update(tasks=TaskDistribution.empirical(base), success_schedule=sched)
    exact = chain_sums(prob, np.full(T, 1.0 / T), start[None], R[None], (1.0 - q)[None, :, None])
    with _jit.forced(True):
        summ = simulate(params, start, R, q, 150_000, rng=seed, **kw).summary()
    S = float(exact.success[0])
    _within(summ.success, S, "success")
    L = float(exact.passes[0] @ params.latency)
    C = float(exact.passes[0] @ params.cost)
    _within(summ.latency, L, "latency")
    _within(summ.provider_cost, C + params.penalty * (1 - S), "provider_cost")
    for k in range(K):
        _within(summ.passes[k], float(exact.passes[0, k]), f"passes[{k}]")


# --------------------------------------------------------------------------------------------
# 3. dispatch, import and threads


def _importtime(episodes: int, env_extra: dict[str, str]) -> str:
    env = {**os.environ, **env_extra}
    env.pop("ROUTEGAME_JIT", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from routegame.cli import main; main()",
         "simulate", "--route", "1",
         "--cascade", "0.5", "--abandon", "0.2", "--episodes", str(episodes), "--seed", "1",
         "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )
    return proc.stderr


def test_default_simulate_does_not_import_numba() -> None:
    """``routegame simulate`` with its default 100 000 episodes (above ``min_size``, below
    ``LOAD_PAYS``) stays on the numpy loops and never imports numba."""
    small = _importtime(1000, {"ROUTEGAME_JIT_MIN_SIZE": "20000"})
    assert "numba" not in small
    default = _importtime(100_000, {"ROUTEGAME_JIT_MIN_SIZE": "20000"})
    assert "numba" not in default
    forced = _importtime(1000, {"ROUTEGAME_JIT_MIN_SIZE": "0"})  # the check can see numba
    assert "numba" in forced


def test_streamed_blocks_same_on_one_and_two_threads() -> None:
    """The compiled stream gives the same summary on one and two threads, and the numpy
    path's summary up to the rounding of its sums (the episodes are the same)."""
    args = (PAPER, [0.5, 0.5], [[0.5, 0.5], [0.3, 0.7]], [0.2, 0.1], 90_000)
    with _jit.forced(True):
        one = simulate_summary(*args, rng=3, block=30_000)
        two = simulate_summary(*args, rng=3, block=30_000, scheduler="threads")
    with _jit.forced(False):
        ref = simulate_summary(*args, rng=3, block=30_000)
    assert one == two
    assert (one.n_solved, one.n_abandoned, one.n_truncated) == (
        ref.n_solved, ref.n_abandoned, ref.n_truncated)
    for (name, a), (_, b) in zip(one.items(), ref.items(), strict=True):
        assert a.mean == pytest.approx(b.mean, rel=1e-12, abs=1e-14), name
        assert a.std_error == pytest.approx(b.std_error, rel=1e-9), name


@settings(max_examples=40, deadline=None)
@given(_cases())
def test_block_moments_match_numpy(case: dict[str, Any]) -> None:
    """The fused moments of a block against ``_Moments.of`` on the numpy path (rounding only)."""
    from routegame.simulate.stream import _Moments

    K, n = case["K"], case["n"]
    rng = np.random.default_rng(case["seed"])
    params = GameParams.from_lists(float(rng.uniform(1, 100)), float(rng.uniform(0, 50)),
                                   rng.uniform(0.1, 5, K).tolist(), rng.uniform(0, 3, K).tolist(),
                                   np.clip(case["p"], 0.01, 0.99).tolist())
    ep = simulate(params, case["start"], case["R"], case["q"], n, rng=rng,
                  max_passes=case["max_passes"], task_value=lambda m, g: g.uniform(1, 20, m))
    fused = _Moments.of(ep, compiled=True)
    ref = _Moments.of(ep)
    assert (fused.n, fused.solved, fused.abandoned, fused.truncated) == (
        ref.n, ref.solved, ref.abandoned, ref.truncated)
    scale = np.abs(ref.mean) + np.sqrt(ref.m2 / n)
    assert np.all(np.abs(fused.mean - ref.mean) <= 1e-12 * scale + 1e-300)
    assert np.allclose(fused.m2, ref.m2, rtol=1e-10, atol=1e-12 * n * scale.max() ** 2)


@pytest.mark.parametrize("bit_generator", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_every_bit_generator_same_stream(bit_generator: str) -> None:
    """numba's ``Generator.random`` calls the bit generator's own ``next_double``, for every
    bit generator numpy ships (not only the default PCG64)."""
    cls = getattr(np.random, bit_generator)

    def run(method: Any) -> Any:
        def go(_: np.random.Generator) -> Any:
            gen = np.random.Generator(cls(7))
            ep = simulate(PAPER, [0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 0.05, 5000, gen,
                          method=method)
            return ep, gen.random()
        return go

    for method in ("pass", "run"):
        (a, ua), (b, ub) = _both(run(method), 0)
        assert np.array_equal(a.passes, b.passes)
        assert np.array_equal(a.solved, b.solved)
        assert ua == ub


@settings(max_examples=60, deadline=None)
@given(_cases(), st.sampled_from(["pass", "run", "table3", "beta"]))
def test_in_loop_reduction_matches_numpy_block(case: dict[str, Any], kind: str) -> None:
    """A streamed block reduced inside the compiled loop (no per-episode arrays) against the
    numpy path's episodes reduced by ``_Moments.of``: the same counts, moments to rounding."""
    from routegame.simulate.stream import _moments_of_block

    K, n = case["K"], case["n"]
    rng = np.random.default_rng(case["seed"])
    params = GameParams.from_lists(float(rng.uniform(1, 100)), float(rng.uniform(0, 50)),
                                   rng.uniform(0.1, 5, K).tolist(), rng.uniform(0, 3, K).tolist(),
                                   np.clip(case["p"], 0.01, 0.99).tolist())
    q = case["q"] if np.ndim(case["q"]) < 2 else float(np.mean(case["q"]))
    kwargs: dict[str, Any] = {"max_passes": case["max_passes"]}
    if kind in ("pass", "run"):
        kwargs["method"] = kind
    elif kind == "table3":
        kwargs["tasks"] = TaskDistribution.empirical(rng.uniform(0, 1, (5, K, 2)),
                                                     weight=rng.uniform(0, 1, 5))
    else:
        kwargs.update(tasks=TaskDistribution.beta_mean(np.clip(case["p"], 0.01, 0.99), 2.0),
                      task_value=lambda m, g: g.uniform(1, 20, m))
    seed = np.random.SeedSequence(case["seed"])
    args = (params, case["start"], case["R"], q, kwargs)
    fused = _moments_of_block(args, n, seed, compiled=True)
    ref = _moments_of_block(args, n, seed, compiled=False)
    assert (fused.n, fused.solved, fused.abandoned, fused.truncated) == (
        ref.n, ref.solved, ref.abandoned, ref.truncated)
    scale = np.abs(ref.mean) + np.sqrt(ref.m2 / n)
    assert np.all(np.abs(fused.mean - ref.mean) <= 1e-12 * scale + 1e-300)
    assert np.allclose(fused.m2, ref.m2, rtol=1e-10, atol=1e-12 * n * scale.max() ** 2)


def test_in_loop_reduction_over_many_chunks() -> None:
    """Chunks of 65,536 episodes merged in order (Chan et al.) against one numpy block."""
    from routegame.simulate.stream import _moments_of_block

    args = (PAPER, [0.5, 0.5], [[0.5, 0.5], [0.3, 0.7]], [0.2, 0.1], {})
    seed = np.random.SeedSequence(9)
    fused = _moments_of_block(args, 200_003, seed, compiled=True)
    with _jit.forced(False):
        ref = _moments_of_block(args, 200_003, seed, compiled=False)
    assert (fused.n, fused.solved, fused.abandoned) == (ref.n, ref.solved, ref.abandoned)
    np.testing.assert_allclose(fused.mean, ref.mean, rtol=1e-13)
    np.testing.assert_allclose(fused.m2, ref.m2, rtol=1e-11)


# --------------------------------------------------------------------------------------------
# 4. the inline PCG64 and the two-model loop on packed episodes


@pytest.mark.parametrize("bit_generator", ["PCG64", "MT19937"])
def test_inline_uniforms_are_numpys(bit_generator: str) -> None:
    """The kernels' uniforms (numpy's PCG64 stepped inline, other bit generators through
    ``next_double``) are ``Generator.random``'s, bit for bit, from many states (every rotation
    of the output appears), and leave the generator in the same state."""
    from routegame.simulate._compiled import uniforms

    cls = getattr(np.random, bit_generator)
    for seed in range(5):
        a = np.random.Generator(cls(seed))
        b = np.random.Generator(cls(seed))
        if seed % 2 and bit_generator == "PCG64":  # far from the seeding
            for gen in (a, b):
                gen.bit_generator.advance(2**100 + seed)
        got = uniforms(a, 20_001)
        want = b.random(20_001)
        assert np.array_equal(got, want)
        assert np.array_equal(a.random(4), b.random(4))


@pytest.mark.parametrize("chunk", [1, 3, 1000, 65_536])
@pytest.mark.parametrize("max_passes", [1, 2, 7, 10_000, 2**20 + 3])
def test_two_model_loop_same_episodes(chunk: int, max_passes: int) -> None:
    """The paper's game on the two-model loop (packed episodes, outputs written once; above
    2^20 - 1 passes the general loop): the numpy path's episodes and generator state, for
    chunk sizes that split the episodes unevenly and caps that truncate."""
    n = 3 * chunk + 11 if chunk < 65_536 else 140_001
    R = np.array([[0.5, 0.5], [0.0, 1.0]])

    def go(gen: np.random.Generator) -> Any:
        return _run(n, np.array([1.0, 0.0]), R, PAPER.success_prob, PAPER.latency, PAPER.cost,
                    None, None, np.full(2, 0.2), None, max_passes, gen, chunk)

    a, b = _both(go, 11)
    _same_run(a, b)
    if max_passes <= 2:
        assert a.truncated.any()
    if max_passes >= 10_000:
        assert not a.truncated.any()


def test_two_model_thresholds_at_the_uniform_drawn() -> None:
    """Knife edges of the two-model loop's integer comparisons (m < ceil(p · 2^53) for
    u = m · 2^-53 < p): p equal to the first episode's uniform and one ulp either side (below
    0.5, where p · 2^53 is not an integer), the numpy path's episodes, and solved on the first
    pass exactly when u < p."""
    seed = next(s for s in range(100) if 0.25 <= np.random.default_rng(s).random() < 0.5)
    u0 = float(np.random.default_rng(seed).random())
    R = np.array([[0.5, 0.5], [0.0, 1.0]])
    for p0 in (u0, float(np.nextafter(u0, 1.0)), float(np.nextafter(u0, 0.0))):
        p = np.array([p0, 0.8])

        def go(gen: np.random.Generator, p: np.ndarray = p) -> Any:
            return _run(50, np.array([1.0, 0.0]), R, p, PAPER.latency, PAPER.cost, None, None,
                        np.array([0.0, 0.2]), None, 100, gen)

        a, b = _both(go, seed)
        _same_run(a, b)
        # q = 0 on model 1, so b = p: the first pass ends episode 0 exactly when u0 < p0
        assert bool(a.solved[0] and a.passes[0].sum() == 1) == (u0 < p0)


@pytest.mark.parametrize("method", ["pass", "run"])
def test_threads_sharing_one_generator_draw_different_uniforms(method: str) -> None:
    """The compiled loops hold the generator's lock while they draw (as ``gen.random()`` does):
    two threads simulating from one generator get different episodes, and the generator ends
    where 2 x the draws of one run leave it, whichever thread ran first."""
    import threading

    def run(gen: np.random.Generator) -> Any:
        return simulate(PAPER, [1.0, 0.0], [[0.5, 0.5], [0.0, 1.0]], [0.2, 0.2], 400_000, gen,
                        method=method)

    with _jit.forced(True):
        gen = np.random.default_rng(7)
        res: list[Any] = [None, None]

        def work(i: int) -> None:
            res[i] = run(gen)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        solo = np.random.default_rng(7)
        first = run(solo)
        second = run(solo)
    assert not np.array_equal(res[0].passes, res[1].passes)
    got = sorted([res[0].passes.tobytes(), res[1].passes.tobytes()])
    assert got == sorted([first.passes.tobytes(), second.passes.tobytes()])
    assert gen.bit_generator.state == solo.bit_generator.state


def test_generator_state_given_back_when_interrupted_after_the_kernel() -> None:
    """``_drawing`` gives back the state the kernel wrote, even when the caller is interrupted
    (Ctrl-C raises as soon as the kernel returns), and holds the lock meanwhile."""
    import threading

    from routegame.simulate import _compiled

    gen = np.random.default_rng(3)
    expected = np.random.default_rng(3)
    expected.random(5)
    held: list[bool] = []

    def draw_then_interrupt() -> None:
        with _compiled._drawing(gen) as (src, st, st_out):
            _compiled._fill(np.empty(5), src, st, st_out)
            t = threading.Thread(target=lambda: held.append(
                not gen.bit_generator.lock.acquire(blocking=False)))
            t.start()
            t.join()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        draw_then_interrupt()
    assert held == [True]
    assert gen.bit_generator.state == expected.bit_generator.state
    assert gen.random() == expected.random()
