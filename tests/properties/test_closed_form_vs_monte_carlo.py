"""Closed-form outcomes against Monte Carlo episodes (fixed seeds, standard-error bounds)."""

from __future__ import annotations

import pytest

import routegame as rg

GAMES = [
    # (V, P, t, c, p, route, cascade, abandon): one per regime, incl. the threshold cascade
    (10, 5, [3, 6], [1, 4], [0.25, 0.75], 1, 0.2, 0.0),
    (10, 5, [1, 9], [1, 2], [0.3, 0.8], 1, 0.6, 0.2639),
    (10, 1, [1, 4], [1, 3], [0.5, 0.8], 1, 1.0, 0.5),
    (10, 10, [4, 8.5], [1, 4], [0.3, 0.8], 2, 0.0, 0.3),
]


@pytest.mark.parametrize(("V", "P", "t", "c", "p", "route", "s", "q"), GAMES)
def test_closed_form_outcomes_within_four_standard_errors(V, P, t, c, p, route, s, q):
    params = rg.GameParams.two_model(V, P, t, c, p)
    exact = rg.outcomes(V, P, t, c, p, route, s, q)
    summary = rg.simulate_two_model(params, route, s, q, 200_000, rng=20261128).summary()
    for name in ("success", "latency", "cost", "user_utility", "provider_cost"):
        est = getattr(summary, name)
        z = (est.mean - float(getattr(exact, name))) / max(est.std_error, 1e-12)
        assert abs(z) < 4.0, (name, est, float(getattr(exact, name)))
