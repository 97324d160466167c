"""``routegame explore``: a local web app to move the game's parameters and watch the answer move.

Needs the ``explore`` extra (Dash; its scripts, styles and plotly.js are served by the app
itself, nothing from the network). Imported lazily: ``import routegame`` does not import Dash.

* :func:`create_app` builds the Dash application for a starting game.
* :func:`serve` runs it on ``127.0.0.1`` (loopback only unless another host is asked for) until
  Ctrl-C.
* :mod:`routegame.explore._model` is the one adapter between the page and the solvers (it reads
  the typed :class:`~routegame.model.results.GameResult` of :func:`routegame.solve`);
  :mod:`routegame.explore._hetero` adds, for a calibrated heterogeneous scenario, the real-data
  equilibrium of :mod:`routegame.hetero` beside the i.i.d. one, with bootstrap intervals.

Examples
--------
>>> from routegame.explore import state_from_query, query_from_state
>>> st = state_from_query("?V=10&P=5&t=3,6&c=1,4&p=0.25,0.75")
>>> st.values[("latency", 2)], st.tie_break
('6', 'strong')
>>> state_from_query(query_from_state(st)) == st
True
"""

from __future__ import annotations

from typing import Any

from routegame.explore._state import ViewState, query_from_state, state_from_game, state_from_query

__all__ = ["ViewState", "create_app", "query_from_state", "serve", "state_from_game", "state_from_query"]


def create_app(initial: ViewState | None = None) -> Any:
    """The Dash app (see :func:`routegame.explore.app.create_app`)."""
    from routegame.explore.app import create_app as _create

    return _create(initial)


def serve(
    initial: ViewState | None = None, host: str = "127.0.0.1", port: int = 8050, open_browser: bool = False
) -> None:
    """Serve the explorer until Ctrl-C (see :func:`routegame.explore.server.serve`)."""
    from routegame.explore.server import serve as _serve

    _serve(initial, host=host, port=port, open_browser=open_browser)
