"""The compiled two-model kernel (closed_form._compiled) against its numpy oracle and the chain.

Every output of :func:`routegame.solve_arrays` must be the same on the compiled path
(``_jit.forced(True)``) and on the numpy path (``_jit.forced(False)``): bit for bit (NaN where
NaN), for random games, knife edges (ξ_i = 0, exact ties of costs and probabilities), and
extreme magnitudes (p in [1e-12, 1 - 1e-12], P and c up to 1e15, V and t in 1e-6..1e6).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import routegame as rg
from routegame import _jit
from routegame.markov.chain import chain_outcomes
from routegame.testing.strategies import extreme_two_model_games, game_arrays, two_model_games

pytestmark = pytest.mark.skipif(not _jit.available(), reason="numba (the 'fast' extra) missing")

_REGIMES = ("value-value", "latency-latency", "latency-value", "value-latency")
_GAMES = st.one_of(
    two_model_games(),
    two_model_games(knife_edge=True),
    two_model_games(standing=True),
    *(two_model_games(regime=r) for r in _REGIMES),
    extreme_two_model_games(),
)




def _both(arrays: dict[str, np.ndarray], tie_break: str) -> tuple[rg.GameResult, rg.GameResult]:
    with _jit.forced(False):
        ref = rg.solve_arrays(**arrays, tie_break=tie_break)
    with _jit.forced(True):
        got = rg.solve_arrays(**arrays, tie_break=tie_break)
    return ref, got


def _assert_identical(ref: rg.GameResult, got: rg.GameResult) -> None:
    want, have = ref.data_vars(), got.data_vars()
    assert want.keys() == have.keys()
    for name, (a, _) in want.items():
        x, y = np.asarray(a), np.asarray(have[name][0])
        assert x.dtype == y.dtype, name
        assert x.shape == y.shape, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (name, x, y)
    assert np.array_equal(np.asarray(ref.equilibrium.attained), np.asarray(got.equilibrium.attained))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_GAMES, min_size=1, max_size=24), st.sampled_from(["strong", "weak"]))
def test_compiled_equals_numpy_bitwise_on_hypothesis_games(games: list[rg.GameParams],
                                                           tie_break: str) -> None:
    _assert_identical(*_both(game_arrays(games), tie_break))


@pytest.mark.parametrize("tie_break", ["strong", "weak"])
def test_compiled_equals_numpy_on_a_grid_of_exact_ties(tie_break: str) -> None:
    """A product grid: equal costs, equal probabilities, ξ_i = 0, P = 0 and P = 1e15, s0 ties."""
    rows = []
    for V, P, t1, t2, c1, c2, p1, p2 in itertools.product(
        (1.0, 10.0), (0.0, 5.0, 1e15), (0.5, 2.5, 3.0), (2.5, 6.0, 7.5), (0.0, 1.0, 4.0),
        (1.0, 4.0), (0.25, 0.5), (0.25, 0.75),
    ):
        rows.append((V, P, t1, t2, c1, c2, p1, p2))
    a = np.array(rows)
    arrays = {"task_value": a[:, 0], "penalty": a[:, 1], "latency": a[:, 2:4],
              "cost": a[:, 4:6], "success_prob": a[:, 6:8]}
    ref, got = _both(arrays, tie_break)
    assert np.any(np.asarray(ref.regime) == 4)  # knife edges are part of the grid
    _assert_identical(ref, got)


def test_large_array_dispatches_to_the_compiled_kernel_and_matches() -> None:
    rng = np.random.default_rng(7)
    n = _jit.min_size() + 123
    arrays = {
        "task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
        "latency": rng.uniform(0.1, 10, (n, 2)), "cost": rng.uniform(0, 10, (n, 2)),
        "success_prob": rng.uniform(0.02, 0.98, (n, 2)),
    }
    assert _jit.use_compiled(n) == (_jit.available() and os.environ.get("ROUTEGAME_JIT") != "0")
    ref, got = _both(arrays, "strong")
    _assert_identical(ref, got)
    default = rg.solve_arrays(**arrays)  # the dispatcher's own choice
    _assert_identical(ref, default)


def test_broadcast_shapes_survive_the_compiled_path() -> None:
    arrays = {"task_value": np.linspace(1, 30, 7)[:, None], "penalty": np.linspace(0, 50, 5),
              "latency": [1.0, 6.0], "cost": [1.0, 4.0], "success_prob": [0.3, 0.8]}
    ref, got = _both(arrays, "weak")
    assert np.shape(got.route) == (7, 5)
    _assert_identical(ref, got)


@pytest.mark.parametrize("threads", [1, 2])
def test_thread_count_does_not_change_the_result(threads: int) -> None:
    from routegame.closed_form import _compiled

    rng = np.random.default_rng(3)
    n = 3 * _compiled._MIN_PER_THREAD + 77  # split into slices when threads > 1
    arrays = {
        "task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
        "latency": rng.uniform(0.1, 10, (n, 2)), "cost": rng.uniform(0, 10, (n, 2)),
        "success_prob": rng.uniform(0.02, 0.98, (n, 2)),
    }
    before = _compiled.set_threads(None)
    try:
        _compiled.set_threads(min(threads, before))
        ref, got = _both(arrays, "strong")
    finally:
        _compiled.set_threads(before)
    _assert_identical(ref, got)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(extreme_two_model_games(), two_model_games(regime="value-latency")),
                min_size=1, max_size=6))
def test_compiled_equilibrium_against_the_markov_chain(games: list[rg.GameParams]) -> None:
    """J* of the compiled path is the chain's J of the reported policy and response."""
    arrays = game_arrays(games)
    with _jit.forced(True):
        res = rg.solve_arrays(**arrays)
    for k, g in enumerate(games):
        route, s, q = int(res.route[k]), float(res.cascade[k]), float(res.abandon[k])
        start, R = rg.markov.two_model_policy(route, s)
        out = chain_outcomes(g.task_value, g.penalty, g.latency, g.cost, g.success_prob, start,
                             R, q)
        J = float(res.provider_cost[k])
        mag = float(out.cost + g.penalty * (1 - out.success)) + 1e-300
        assert abs(float(out.provider_cost) - J) <= 1e-6 * mag
        assert 0.0 <= float(res.success[k]) <= 1.0


def test_a_single_solve_does_not_import_numba() -> None:
    """One game, and a report's plane of 201 x 201 games: below the first-call size."""
    code = ("import sys, numpy as np, routegame as rg; "
            "rg.solve_arrays(10, 20, [4, 5], [1, 4], [0.3, 0.8]); "
            "rg.solve(rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))); "
            "rg.solve_arrays(np.linspace(1, 30, 201)[:, None], np.linspace(0, 50, 201), [4, 5], "
            "[1, 4], [0.3, 0.8]).columns(); "
            "print('numba' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "ROUTEGAME_JIT_MIN_SIZE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_first_call_size_and_prepare() -> None:
    from routegame.closed_form import provider

    with _jit.forced(False):
        assert not provider.use_compiled(10**9)
        assert not provider.prepare_compiled(10**9)
    with _jit.forced(True):
        assert provider.use_compiled(1)
        assert provider.prepare_compiled(1)
    assert "routegame.closed_form._compiled" in sys.modules


def test_round_sig_fused_equals_numpy_bitwise() -> None:
    from routegame.closed_form import _compiled
    from routegame.model import results

    rng = np.random.default_rng(11)
    powers = 10.0 ** np.arange(-320, 308).astype(float)
    a = np.concatenate([
        rng.uniform(-1, 1, 20_000) * 10.0 ** rng.integers(-320, 308, 20_000),
        rng.standard_normal(20_000), powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf),
        rng.integers(-10**9, 10**9, 5_000) / 2.0,
        [0.0, -0.0, np.nan, np.inf, -np.inf, 0.5, 2.5, -2.5, 5e-324, 1.7976931348623157e308,
         -0.4999999999999999, 0.1 + 0.2, 6.500000000000001, 2e20 / 3],
    ])
    with _jit.forced(False):
        want = results.round_sig(a)
    got = _compiled.round_sig(a, 15)
    assert np.array_equal(want, got, equal_nan=True)
    assert np.array_equal(np.signbit(want), np.signbit(got))
    with _jit.forced(True):  # the dispatcher inside round_sig (module loaded)
        assert np.array_equal(results.round_sig(a), want, equal_nan=True)


def test_table_and_sweep_equal_on_both_paths() -> None:
    import pandas as pd

    from routegame import tabular
    from routegame.sweep import sweep

    rng = np.random.default_rng(5)
    n = 3000
    df = pd.DataFrame({
        "task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
        "latency_1": rng.uniform(0.1, 10, n), "latency_2": rng.uniform(0.1, 10, n),
        "cost_1": rng.uniform(0, 10, n), "cost_2": rng.uniform(0, 10, n),
        "success_prob_1": rng.uniform(0.02, 0.98, n), "success_prob_2": rng.uniform(0.02, 0.98, n),
    })
    with _jit.forced(False):
        want = tabular.solve_table(df)
    with _jit.forced(True):
        got = tabular.solve_table(df)
    pd.testing.assert_frame_equal(want, got, check_exact=True)
    from routegame.scenarios import load_scenario

    base = load_scenario("default")
    grid = {"penalty": np.linspace(0, 60, 17), "task_value": np.linspace(1, 40, 13)}
    with _jit.forced(False):
        ds0 = sweep(base, progress=False, **grid)
    with _jit.forced(True):
        ds1 = sweep(base, progress=False, **grid)
    for name in ds0.data_vars:
        assert np.array_equal(ds0[name].values, ds1[name].values, equal_nan=True), name


def test_table_in_blocks_equals_one_pass_and_reports_file_rows(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--table`` solves and writes blocks (pipelined); the file equals the one-pass table and a
    bad cell in a late block is reported with its row in the file, leaving no output."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from typer.testing import CliRunner

    from routegame import tabular
    from routegame.cli import solve_cmd
    from routegame.cli._app import app

    monkeypatch.setattr(solve_cmd, "_TABLE_BLOCK", 7)
    rng = np.random.default_rng(9)
    n = 50
    cols = {
        "task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
        "latency_1": rng.uniform(0.1, 10, n), "latency_2": rng.uniform(0.1, 10, n),
        "cost_1": rng.uniform(0, 10, n), "cost_2": rng.uniform(0, 10, n),
        "success_prob_1": rng.uniform(0.02, 0.98, n),
        "success_prob_2": rng.uniform(0.02, 0.98, n),
    }
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(pa.table(cols), src)
    runner = CliRunner()
    res = runner.invoke(app, ["solve", "--table", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pq.read_table(out)
    assert pq.ParquetFile(out).num_row_groups == -(-n // 7)
    assert got.equals(tabular.solve_table(pa.table(cols)))
    cols["success_prob_2"][43] = 1.5
    bad_src, bad_out = tmp_path / "bad.parquet", tmp_path / "bad_out.parquet"
    pq.write_table(pa.table(cols), bad_src)
    res = runner.invoke(app, ["solve", "--table", str(bad_src), "--out", str(bad_out)])
    assert res.exit_code == 2
    assert "success_prob_2" in res.output
    assert "row 44" in res.output
    assert not bad_out.exists()
