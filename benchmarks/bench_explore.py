"""Interaction budget of ``routegame explore``: server time from a change to the updated view.

Run with ``python benchmarks/bench_explore.py`` (needs the ``explore`` extra). For a two-model
game at the default map resolution (61 x 61) it times, for a *new* game each time (the penalty
moves, so nothing is cached):

* ``callback``: the whole request the page sends after a change, through Dash and Flask
  (``POST /_dash-update-component`` with the Flask test client, no network): validation, the
  equilibrium, the best-response curve, the policy map, the sensitivity scan, the figures and
  Dash's JSON encoding of the response;
* its parts: ``analyse`` (the headline answer), ``curve``, ``map``, ``sensitivity``;
* ``bad value``: the same request with a refused field (nothing is solved);
* for a calibrated heterogeneous scenario (``lcb-gpt-4o-mini-vs-o3-mini``): the same request
  (its i.i.d. game), and the real-data vs i.i.d. panel, a callback of its own, for a new
  penalty each time (the hetero engine's exact equilibrium on the task table; not cached);
  and, once, the panel at the calibration (then cached, intervals shipped);

against the same-run baseline of one ``TwoModelGame.solve()`` call, and prints the ratios. The
budget is 150 ms for ``callback``; the script exits with status 1 if the median exceeds it.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs

import routegame as rg
from routegame.explore import _model as rgm
from routegame.explore import state_from_game
from routegame.explore.app import DEFAULT_MAP_N, _compute, create_app, hetero_outputs, update_request

BUDGET_MS = 150.0
REPEAT = 25


def _times(fn: Callable[[int], Any], repeat: int = REPEAT) -> list[float]:
    fn(-1)  # warm up
    out = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main() -> int:
    game = rg.GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    pen = [5.0 + 0.01 * (i + 2) for i in range(-1, REPEAT)]  # a new game for every call

    def g(i: int) -> rg.GameParams:
        return game.replace(penalty=pen[i + 1])

    app = create_app(state_from_game(game))
    client = app.server.test_client()
    base = state_from_game(game)

    def callback(i: int, text: str | None = None) -> None:
        _compute.cache_clear()
        values = dict(base.values)
        values["penalty", None] = text if text is not None else repr(pen[i + 1])
        resp = client.post(
            "/_dash-update-component", json=update_request(app, attrs.evolve(base, values=values))
        )
        assert resp.status_code == 200, resp.status_code

    rows = [
        ("baseline: TwoModelGame.solve()", _times(lambda i: rg.TwoModelGame(g(i)).solve())),
        ("callback (whole request)", _times(callback)),
        ("  analyse", _times(lambda i: rgm.analyse(g(i)))),
        ("  best-response curve", _times(lambda i: rgm.best_response_curve(g(i)))),
        (
            f"  policy map {DEFAULT_MAP_N}x{DEFAULT_MAP_N}",
            _times(lambda i: rgm.policy_map(g(i), "penalty", "cost_2")),
        ),
        ("  sensitivity (8 parameters)", _times(lambda i: rgm.sensitivity(g(i)))),
        ("bad value (refused at the field)", _times(lambda i: callback(i, "abc"))),
    ]
    # a calibrated heterogeneous scenario: the i.i.d. game in the fields, the panel beside it
    from routegame.explore import _hetero

    het = "lcb-gpt-4o-mini-vs-o3-mini"
    _hetero._view.cache_clear()
    t0 = time.perf_counter()
    _hetero.hetero_view(het)
    first_ms = (time.perf_counter() - t0) * 1e3
    hgame, hunits, _ = rgm.scenario_game(het)
    hbase = state_from_game(hgame, hunits, het)
    hpen = [hgame.penalty * (1 + 0.01 * (i + 2)) for i in range(-1, REPEAT)]

    def hcallback(i: int) -> None:
        _compute.cache_clear()
        values = dict(hbase.values)
        values["penalty", None] = repr(hpen[i + 1])
        resp = client.post(
            "/_dash-update-component", json=update_request(app, attrs.evolve(hbase, values=values))
        )
        assert resp.status_code == 200, resp.status_code

    def hpanel(i: int) -> None:
        values = dict(hbase.values)
        values["penalty", None] = repr(hpen[i + 1])
        out = hetero_outputs(attrs.evolve(hbase, values=values))
        assert out is not None
        assert out[1] == {"display": "block"}

    rows.append(("calibrated scenario: callback", _times(hcallback)))
    rows.append(("calibrated scenario: real-data panel", _times(hpanel, 10)))
    base_ms = statistics.median(rows[0][1])
    print(
        f"routegame explore: server time per change, two-model game, map {DEFAULT_MAP_N}x{DEFAULT_MAP_N}, "
        f"{REPEAT} changes each"
    )
    print(f"{'what':36s} {'median ms':>10s} {'p90 ms':>8s} {'x solve()':>10s}")
    for name, ts in rows:
        med = statistics.median(ts)
        p90 = sorted(ts)[int(0.9 * (len(ts) - 1))]
        print(f"{name:36s} {med:10.1f} {p90:8.1f} {med / base_ms:10.1f}")
    print(f"calibrated scenario: its panel at the calibration, first time (then cached): {first_ms:.0f} ms")
    cb = statistics.median(rows[1][1])
    ok = cb <= BUDGET_MS
    print(
        f"budget: callback median {cb:.1f} ms {'<=' if ok else '>'} {BUDGET_MS:.0f} ms"
        f" -> {'OK' if ok else 'OVER'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
