"""The compiled (numba) kernels of the heterogeneous engine against the numpy path (the oracle).

Tolerances: the kernels evaluate the same per-task formulas in the same order as the numpy
path; only the order of the weighted sums over tasks differs (BLAS dot vs a sequential sum).
Every sum of S, n and A has non-negative terms, so they agree to 1e-12 relative. The slopes
U', U'' are sums of terms of both signs: they agree to 1e-12 of the sum of absolute values.
Where a chain can run for ever the kernels hand the call back to numpy: results are equal.
Whole searches (equilibria) agree to the search's own precision: the user's maximum is flat, so
the located response is determined to about 1e-8 and J to 1e-7 relative.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routegame import _jit
from routegame.hetero import HeteroEngine, HeteroGame, TaskTable
from routegame.hetero.bayes import bayes_lattice, bayes_respond, bayes_respond_many
from routegame.hetero.chain import stationary_slopes, two_model_sums
from routegame.hetero.tasks import logit_shift
from routegame.testing import check_engine

pytestmark = pytest.mark.skipif(not _jit.available(), reason="numba (the 'fast' extra) not installed")

RTOL = 1e-12

#: probabilities incl. exact 0 and 1 and values within 1e-12 of them
_p = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 1e-12, 1.0 - 1e-12, 0.5]))
#: continuation probabilities incl. the never-abandoning user (r = 1)
_r = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 1.0 - 1e-12]))


@st.composite
def tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A random task table (T, 2, A) with weights (some may be 0, not all)."""
    T = draw(st.integers(1, 12))
    A = draw(st.integers(1, 3))
    prob = np.array(draw(st.lists(_p, min_size=T * 2 * A, max_size=T * 2 * A))).reshape(T, 2, A)
    w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=T, max_size=T)))
    if w.sum() <= 0:
        w[0] = 1.0
    return prob, w / w.sum()


@st.composite
def policy_batches(draw: st.DrawFn, H: int | None = None) -> tuple[np.ndarray, ...]:
    """N policies (pi_1, s, u) and continuation tables (N, 2, H)."""
    N = draw(st.integers(1, 6))
    H = H or draw(st.integers(1, 3))
    start = np.array(draw(st.lists(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)),
                                   min_size=N, max_size=N)))
    s = np.array(draw(st.lists(_r, min_size=N, max_size=N)))
    u = (np.zeros(N) if draw(st.booleans())
         else np.array(draw(st.lists(_r, min_size=N, max_size=N))))
    cont = np.array(draw(st.lists(_r, min_size=N * 2 * H, max_size=N * 2 * H))).reshape(N, 2, H)
    return start, s, u, cont


def _both(fn, *args):  # type: ignore[no-untyped-def]
    with _jit.forced(False):
        ref = fn(*args)
    with _jit.forced(True):
        got = fn(*args)
    return ref, got


def _close(got: np.ndarray, ref: np.ndarray, rtol: float = RTOL) -> None:
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=rtol, atol=0.0)


@settings(max_examples=300, deadline=None)
@given(tables(), policy_batches(), st.booleans())
def test_chain_sums_compiled_equal_numpy(tab: tuple, pol: tuple, iid: bool) -> None:
    """Stationary, state-aware and hazard users (cont per model and failure count), schedules,
    a way back (u != 0), knife edges p in {0, 1} and never-abandoning users."""
    prob, w = tab
    start, s, u, cont = pol
    if iid:  # no schedules and one continuation per model: the paper/2x2 kernels
        prob, cont = prob[:, :, :1], cont[:, :, :1]
    ref, got = _both(two_model_sums, prob, w, start, s, u, cont)
    _close(got.success, ref.success)
    _close(got.passes, ref.passes)
    if ref.abandon is not None and got.abandon is not None:
        # A is only used where every pass count is finite (combine): compare there
        fin = np.isfinite(ref.passes).all(axis=1)
        _close(got.abandon[fin], ref.abandon[fin], 1e-12)


@settings(max_examples=300, deadline=None)
@given(tables(), policy_batches(H=1), st.floats(-50, 50), st.floats(-50, 50))
def test_slopes_compiled_equal_numpy(tab: tuple, pol: tuple, g1: float, g2: float) -> None:
    prob, w = tab
    start, s, u, cont = pol
    p1, p2 = prob[:, 0, 0], prob[:, 1, 0]
    G1, G2 = g1 * (1.0 - p1), g2 * p2 - 1.0  # per-task weights of both signs
    r = cont[:, 0, 0]
    ref, got = _both(stationary_slopes, p1, p2, w, G1, G2, start, s, u, r)
    scale, _ = stationary_slopes(p1, p2, w, np.abs(G1), np.abs(G2), start, s, u, r)
    scale2 = stationary_slopes(p1, p2, w, np.abs(G1), np.abs(G2), start, s, u, r)[1]
    for a, b, sc in ((got[0], ref[0], scale), (got[1], ref[1], scale2)):
        assert np.array_equal(np.isnan(a), np.isnan(b))
        assert np.array_equal(np.isinf(a), np.isinf(b))
        fin = np.isfinite(b)
        assert np.all(np.abs(a[fin] - b[fin]) <= RTOL * np.abs(sc[fin]) + 1e-300)


def test_slopes_scalar_policy_keeps_its_shape() -> None:
    p1, p2, w = np.array([0.2, 0.7]), np.array([0.9, 0.4]), np.array([0.5, 0.5])
    ref, got = _both(stationary_slopes, p1, p2, w, p1 - 0.3, p2 - 0.6, 1.0, 0.4, 0.0, 0.7)
    assert np.shape(got[0]) == np.shape(ref[0]) == (1,)
    assert abs(float(got[0][0]) - float(ref[0][0])) <= 1e-13


def test_diverging_chain_is_handed_back_to_numpy() -> None:
    """p = 0 on M2 and a user who never abandons: infinite passes, computed by numpy."""
    prob = np.array([[[0.0], [0.0]], [[0.5], [0.0]]])
    w = np.array([0.5, 0.5])
    start, s, u = np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.zeros(2)
    cont = np.ones((2, 2, 1))
    ref, got = _both(two_model_sums, prob, w, start, s, u, cont)
    assert np.isinf(ref.passes).any()
    assert np.array_equal(ref.passes, got.passes)
    assert np.array_equal(ref.success, got.success)


@settings(max_examples=40, deadline=None)
@given(tables(), st.floats(0.5, 100.0), st.floats(0.0, 50.0), st.sampled_from(["strong", "weak"]),
       st.integers(8, 40))
def test_bayes_lattice_compiled_equal_numpy(tab: tuple, V: float, P: float, tb: str,
                                            depth: int) -> None:
    prob, w = tab
    t, c = np.array([1.0, 3.0]), np.array([0.5, 2.0])
    ref, got = _both(bayes_lattice, prob, w, V, P, t, c, 1.0, depth, tb)
    for name in ("m2_succ", "m2_pass", "m2_tail"):
        _close(getattr(got, name), getattr(ref, name))
    # values of both signs: 1e-12 of the scale of their terms (V + t + c + P per unit mass)
    scale = V + 4.0 + 2.5 + P
    for name in ("m2_phi", "m2_psi"):
        assert np.all(np.abs(getattr(got, name) - getattr(ref, name)) <= 1e-12 * scale * depth)
    decided = np.abs(ref.m2_phi) > 1e-9 * scale  # decisions away from the indifference
    assert np.array_equal(got.m2_cont1[decided], ref.m2_cont1[decided])


@settings(max_examples=40, deadline=None)
@given(tables(), st.floats(0.5, 100.0), st.floats(0.0, 50.0), st.sampled_from(["strong", "weak"]),
       st.integers(8, 40), st.lists(st.tuples(st.sampled_from([1.0, 2.0]), _r), min_size=1,
                                    max_size=8))
def test_bayes_responses_compiled_equal_numpy_bitwise(tab: tuple, V: float, P: float, tb: str,
                                                      depth: int, pols: list) -> None:
    """The Bayes user's backward induction over failures (no sums over tasks): bitwise."""
    prob, w = tab
    lat = bayes_lattice(prob, w, V, P, np.array([1.0, 3.0]), np.array([0.5, 2.0]), 1.0, depth, tb)
    routes = np.array([r for r, _ in pols])
    s = np.array([x for _, x in pols])
    with _jit.forced(True):
        got = bayes_respond_many(lat, routes, s, V, P, tb)
    for k, (r, x) in enumerate(pols):
        ref = bayes_respond(lat, int(r), x, V, P, tb)
        for a, b in zip(got[k], ref, strict=True):
            np.testing.assert_array_equal(a, b)


def _games() -> list[HeteroGame]:
    rng = np.random.default_rng(7)
    tab = rng.beta(0.5, 0.5, (200, 2)).clip(1e-3, 1 - 1e-3)
    sched = TaskTable(logit_shift(tab[:20], [[0.0, 0.8], [0.0, 0.5]]), np.full(20, 1 / 20))
    base = (10.0, 5.0, [1.0, 4.0], [1.0, 3.0])
    return [
        HeteroGame(tab, *base),
        HeteroGame(tab[:40], *base, user="state-aware"),
        HeteroGame(tab, *base, user="hazard", hazard=(0.1, 0.3, 0.5)),
        HeteroGame(tab, *base, user="bayes", depth=128),
        HeteroGame(sched, *base),
        HeteroGame(sched, *base, user="hazard", hazard=(0.2, 0.6)),
    ]


@pytest.mark.parametrize("k", range(6))
def test_equilibrium_compiled_equal_numpy(k: int) -> None:
    """Whole searches on the compiled path against the numpy path, every kind of user."""
    g = _games()[k]
    for tb in ("strong", "weak"):
        ref, got = _both(g.equilibrium, tb)
        J = abs(ref.provider_cost)
        assert got.route == ref.route
        assert abs(got.provider_cost - ref.provider_cost) <= 1e-7 * max(1.0, J), (ref, got)
        assert abs(got.user_utility - ref.user_utility) <= 1e-6 * g.task_value, (ref, got)
        assert abs(got.response_gap - ref.response_gap) <= 1e-6 * g.task_value + 0.1 * ref.response_gap
        assert got.response_gap >= 0.0


def test_best_response_certificate_on_the_compiled_path() -> None:
    """The certified gap bounds the utility of every response on a fine grid."""
    g = _games()[0]
    with _jit.forced(True):
        br = g.best_response((1, 0.37))
        grid = [g.outcomes((1, 0.37), q).user_utility for q in np.linspace(0.0, 1.0, 401)]
    assert max(grid) <= br.user_utility + br.response_gap + 1e-12 * g.task_value


def test_state_aware_certificate_on_the_compiled_path() -> None:
    """The certified gap of the 2-D search bounds every (q_1, q_2) of a 41 x 41 grid."""
    g = _games()[1]
    with _jit.forced(True):
        br = g.best_response((1, 0.37))
        qs = np.linspace(0.0, 1.0, 41)
        best = max(g.outcomes((1, 0.37), (a, b)).user_utility for a in qs for b in qs)
    assert br.response_gap >= 0.0
    assert best <= br.user_utility + br.response_gap + 1e-12 * g.task_value


@pytest.mark.parametrize("user", ["stationary", "state-aware"])
def test_check_engine_on_the_compiled_path(user: str) -> None:
    with _jit.forced(True):
        assert check_engine(HeteroEngine(user=user), grid=51) > 0


def _numba_imported(code: str, **env_extra: str) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTEGAME_JIT")} | env_extra
    out = subprocess.run([sys.executable, "-c", "import sys\n" + code +
                          "\nprint('numba' in sys.modules)\n"],
                         capture_output=True, text=True, env=env, check=True, timeout=300)
    return out.stdout.strip().splitlines()[-1] == "True"


def test_small_game_does_not_import_numba() -> None:
    code = ("from routegame.hetero import HeteroGame\n"
            "HeteroGame([[0.9, 0.95], [0.05, 0.6]], 10, 5, [1, 4], [1, 3]).solve()")
    assert not _numba_imported(code)


def test_one_solve_of_a_1000_task_table_stays_on_numpy_unless_asked() -> None:
    """Loading the kernels (about 0.8 s) costs more than they save on one 10^3-task search."""
    code = ("import numpy as np\nfrom routegame.hetero import HeteroGame\n"
            "tab = np.random.default_rng(0).beta(0.5, 0.5, (1000, 2))\n"
            "HeteroGame(tab, 10.0, 5.0, [1.0, 4.0], [1.0, 3.0]).equilibrium()")
    assert not _numba_imported(code)
    assert _numba_imported(code, ROUTEGAME_JIT_MIN_SIZE="20001")  # a threshold the user chose
    assert not _numba_imported(code, ROUTEGAME_JIT="0")
