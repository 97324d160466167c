"""The vectorised candidate enumeration of the K-model solver against its loop oracle.

``routegame.general.provider._candidates_vectorised`` (and ``continuation_vertices``) enumerate
the O(K^3) candidate optima of the exact K-model Stackelberg solver with array operations; the
loop forms ``_candidates_reference`` / ``_continuation_vertices_reference`` are the previous
implementation, kept as the oracle (and used by ``_candidates`` for K <= ``LOOP_MAX_K``, where
they are not slower). The equilibrium comparison forces the vectorised form for every K.
Tolerance: none. Both evaluate the same formulas in the same
order, so every array (start, rho, J, U, strict, approachable) and the kinds must be bitwise
equal, and so must the whole :class:`Equilibrium` (strong and weak, both users). The optimum
itself is checked independently against the Markov-chain oracle
(:func:`routegame.testing.check_engine` with :class:`~routegame.engines.KModelEngine`).

Weak tie-breaking evaluates the user's responses to several candidates in one batched call
(``provider._weak_costs``); against one call each (``_weak_costs_reference``) the tolerance is
64 ulps (bitwise equal in every case seen).

No numba kernel is involved (profiling showed the cost was Python overhead, see
``benchmarks/bench_general.py``), so there is no ``_jit.forced`` switch to test here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routegame.engines import KModelEngine
from routegame.general import continuation_vertices, equilibrium, provider
from routegame.model.params import GameParams
from routegame.testing.conformance import check_engine
from routegame.testing.strategies import field

# ---------------------------------------------------------------------------------------------
# K-model games: typical windows, extreme magnitudes, knife edges (xi_k = 0, duplicate models)
# ---------------------------------------------------------------------------------------------


def _log(lo: float, hi: float, zero: bool = False) -> st.SearchStrategy[float]:
    body = st.floats(np.log10(lo), np.log10(hi)).map(lambda e: float(10.0**e))
    return st.one_of(st.just(0.0), body) if zero else body


@st.composite
def _prob_extreme(draw: Any) -> float:
    e = draw(st.floats(-12.0, np.log10(0.5)))
    return float(10.0**e) if draw(st.booleans()) else 1.0 - float(10.0**e)


@st.composite
def k_model_games(draw: Any, k_max: int = 7) -> GameParams:
    """K-model games (2 <= K <= k_max) in three flavours: typical, extreme, knife edge."""
    K = draw(st.integers(2, k_max))
    flavour = draw(st.sampled_from(["typical", "extreme", "knife"]))
    if flavour == "extreme":
        V = draw(_log(1e-6, 1e6))
        P = draw(_log(1e-6, 1e15, zero=True))
        t = [draw(_log(1e-6, 1e6)) for _ in range(K)]
        c = [draw(_log(1e-6, 1e15, zero=True)) for _ in range(K)]
        p = [draw(_prob_extreme()) for _ in range(K)]
    else:
        V = draw(field("task_value"))
        P = draw(field("penalty"))
        t = [draw(field("latency")) for _ in range(K)]
        c = [draw(field("cost")) for _ in range(K)]
        p = [draw(field("success_prob")) for _ in range(K)]
    if flavour == "knife":
        # xi_k = V p_k - t_k = 0 exactly for some models (t_k = fl(V p_k)), and duplicates
        for k in draw(st.sets(st.integers(0, K - 1), max_size=K)):
            if V * p[k] > 0.0:
                t[k] = V * p[k]
        if draw(st.booleans()):
            t[-1], c[-1], p[-1] = t[0], c[0], p[0]
    return GameParams.from_lists(V, P, t, c, p)


@contextlib.contextmanager
def _vectorised_candidates() -> Iterator[None]:
    """Run the solver on the vectorised enumeration for every K (also K <= LOOP_MAX_K)."""
    old = provider._candidates
    provider._candidates = provider._candidates_vectorised  # (_weak_costs: the batched form)
    try:
        yield
    finally:
        provider._candidates = old


# ---------------------------------------------------------------------------------------------
# bitwise against the loop oracle
# ---------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e15, 1e15, allow_nan=False), st.just(0.0),
                          st.sampled_from([1e-300, -1e-300, 5e-324, -5e-324])),
                min_size=1, max_size=9))
def test_vertices_bitwise(xi: list[float]) -> None:
    x = np.array(xi)
    got = continuation_vertices(x)
    want = provider._continuation_vertices_reference(x)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want, strict=True)
    # every vertex is a non-negative row with at most two non-zeros
    assert np.all(got >= 0.0)
    assert np.all((got > 0.0).sum(axis=1) <= 2)


@settings(max_examples=300, deadline=None)
@given(k_model_games(), st.sampled_from([1e-9, 1e-6, 0.0]))
def test_candidates_bitwise(g: GameParams, tol: float) -> None:
    with np.errstate(all="ignore"):
        got = provider._candidates_vectorised(g, tol)
        want = provider._candidates_reference(g, tol)
    assert got.keys() == want.keys()
    assert got["kind"] == want["kind"]
    for key in ("start", "rho", "J", "U", "strict", "approachable"):
        a, b = np.asarray(got[key]), np.asarray(want[key])
        assert a.shape == b.shape, key
        assert a.dtype == b.dtype, key
        np.testing.assert_array_equal(a, b, err_msg=key, strict=True)


@settings(max_examples=80, deadline=None)
@given(k_model_games(k_max=6), st.sampled_from(["stationary", "state-aware"]))
def test_weak_costs_batched(g: GameParams, user: str) -> None:
    """One batched best-response call = one call per policy, to 64 ulps (bitwise in practice)."""
    with np.errstate(all="ignore"):
        cand = provider._candidates_reference(g)
        idx = np.arange(cand["J"].size)[:16]
        args = (g, user, cand["start"][idx], cand["rho"][idx], 1e-9)
        try:
            got: Any = provider._weak_costs(*args)  # type: ignore[arg-type]
        except Exception as exc:
            got = type(exc)
        try:
            want: Any = provider._weak_costs_reference(*args)  # type: ignore[arg-type]
        except Exception as exc:
            want = type(exc)
    if isinstance(want, type) or isinstance(got, type):
        assert got == want
        return
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    fin = np.isfinite(want)
    np.testing.assert_array_equal(got[~fin], want[~fin])
    assert np.all(np.abs(got[fin] - want[fin]) <= 64 * np.spacing(np.abs(want[fin])))


@settings(max_examples=60, deadline=None)
@given(k_model_games(k_max=5), st.sampled_from(["stationary", "state-aware"]),
       st.sampled_from(["strong", "weak"]))
def test_equilibrium_same_as_reference(g: GameParams, user: str, tie_break: str) -> None:
    with np.errstate(all="ignore"):
        with _vectorised_candidates():
            try:
                got: Any = equilibrium(g, user, tie_break)  # type: ignore[arg-type]
            except Exception as exc:  # the oracle must then fail the same way
                got = type(exc)
        with provider._reference_loops():
            try:
                want: Any = equilibrium(g, user, tie_break)  # type: ignore[arg-type]
            except Exception as exc:
                want = type(exc)
    assert got == want


@pytest.mark.parametrize(("K", "vectorised"), [(2, False), (3, False), (4, True), (9, True)])
def test_dispatch_and_switches(K: int, vectorised: bool) -> None:
    """_candidates picks the form by K, and the context managers really swap it."""
    calls: list[str] = []
    ref, vec = provider._candidates_reference, provider._candidates_vectorised

    def spy_ref(params: GameParams, tol: float = 1e-9) -> dict[str, Any]:
        calls.append("loop")
        return ref(params, tol)

    def spy_vec(params: GameParams, tol: float = 1e-9) -> dict[str, Any]:
        calls.append("vec")
        return vec(params, tol)

    g = GameParams.from_lists(10, 6, [1, 5, 2, 4, 3, 6, 7, 1, 2][:K], [1, 0.5, 3, 1, 2, 1, 1, 1, 1][:K],
                              [0.3, 0.4, 0.8, 0.5, 0.6, 0.7, 0.9, 0.1, 0.2][:K])
    provider._candidates_reference, provider._candidates_vectorised = spy_ref, spy_vec
    try:
        equilibrium(g)
        assert calls == ["vec" if vectorised else "loop"]
        with provider._reference_loops():
            equilibrium(g)
        with _vectorised_candidates():
            equilibrium(g)
    finally:
        provider._candidates_reference, provider._candidates_vectorised = ref, vec
    assert calls[1:] == ["loop", "vec"]


def test_known_optimum() -> None:
    """The documented three-model optimum (docs/theory_kmodel.md), by hand: route 2, rho=(1/3, 2/3, 0)."""
    g = GameParams.from_lists(10, 6, [1, 5, 2], [1, 0.5, 3], [0.3, 0.4, 0.8])
    eq = equilibrium(g)
    assert eq.route == 2
    np.testing.assert_allclose(eq.continuation, [1 / 3, 2 / 3, 0.0], rtol=1e-12)
    # the user never abandons: J = c_2 + (1 - p_2) rho.c / rho.p = 0.5 + 0.6 (2/3) / (11/30)
    rho = np.array([1 / 3, 2 / 3, 0.0])
    want = 0.5 + 0.6 * (rho @ [1, 0.5, 3]) / (rho @ [0.3, 0.4, 0.8])
    assert abs(eq.provider_cost - want) <= 1e-12 * want


# ---------------------------------------------------------------------------------------------
# against the Markov-chain oracle
# ---------------------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(k_model_games(k_max=4).filter(lambda g: g.task_value * float(np.min(g.success_prob)) > 1e-3
                                     and float(np.max(g.cost)) < 1e6 and g.penalty < 1e6))
def test_check_engine_kmodel(g: GameParams) -> None:
    for user in ("stationary", "state-aware"):
        assert check_engine(KModelEngine(user), [g], grid=21) > 0
