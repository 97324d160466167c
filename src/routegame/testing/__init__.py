"""Testing helpers for routegame and for code built on it.

* :func:`check_engine`: the conformance checker every engine passes (no extra dependency);
* :mod:`routegame.testing.strategies`: hypothesis strategies (needs the ``dev`` extra).
"""

from routegame.testing.conformance import check_engine

__all__ = ["check_engine"]
