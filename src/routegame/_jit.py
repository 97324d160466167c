"""When to use the compiled (numba) kernels: one switch for the whole package.

The maths of every kernel lives once, in the pure numpy functions of its package
(``closed_form``, ``simulate``, ``hetero``); a compiled kernel is a fused loop over the same
formulas, tested against that numpy path (which stays as the oracle) and the Markov-chain
oracle. Compiled code is used only when

* numba is installed (the ``fast`` extra, part of ``all`` and ``dev``),
* it is not switched off (environment variable ``ROUTEGAME_JIT=0``), and
* the work is large enough to pay for loading the compiled code (``size >= min_size()``;
  default :data:`MIN_SIZE`, environment variable ``ROUTEGAME_JIT_MIN_SIZE``).

So a single ``routegame solve`` or ``make run`` never imports numba, and a large array, table,
sweep or simulation does. Kernels are compiled with ``cache=True``: the first large call of a
fresh install compiles (seconds), later processes load the cached machine code.

Examples
--------
>>> from routegame import _jit
>>> _jit.use_compiled(1)
False
>>> with _jit.forced(False):
...     _jit.use_compiled(10**9)
False
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from functools import cache

__all__ = ["MIN_SIZE", "available", "forced", "min_size", "use_compiled"]

#: Default number of elements (games, episodes, task rows x evaluations) from which the
#: compiled kernels are used.
MIN_SIZE = 20_000

_FORCE: list[bool | None] = [None]


@cache
def available() -> bool:
    """Whether numba can be imported (without importing it).

    Returns
    -------
    bool
        True when the ``numba`` package is installed.
    """
    return importlib.util.find_spec("numba") is not None


def _env_off() -> bool:
    return os.environ.get("ROUTEGAME_JIT", "1").strip().lower() in {"0", "off", "false", "no"}


def min_size() -> int:
    """The size from which compiled kernels are used (``ROUTEGAME_JIT_MIN_SIZE`` or :data:`MIN_SIZE`).

    Returns
    -------
    int
        A non-negative threshold.
    """
    raw = os.environ.get("ROUTEGAME_JIT_MIN_SIZE")
    if raw is None:
        return MIN_SIZE
    try:
        return max(0, int(raw))
    except ValueError:
        return MIN_SIZE


def use_compiled(size: int) -> bool:
    """Whether work of ``size`` elements should run on the compiled kernels.

    Parameters
    ----------
    size : int
        Number of elements the kernel would process.

    Returns
    -------
    bool
        True when numba is available, not switched off, and ``size >= min_size()``;
        inside :func:`forced` the forced value (if numba is available).
    """
    forced_value = _FORCE[0]
    if forced_value is not None:
        return forced_value and available()
    if _env_off() or not available():
        return False
    return size >= min_size()


@contextlib.contextmanager
def forced(value: bool) -> Iterator[None]:
    """Force the compiled path on (``True``) or off (``False``) inside a ``with`` block.

    Used by the tests, which run every compiled kernel against its numpy oracle on small
    inputs, and by benchmarks measuring both paths in one run.

    Parameters
    ----------
    value : bool
        Use the compiled kernels (if numba is installed) or never.
    """
    old = _FORCE[0]
    _FORCE[0] = value
    try:
        yield
    finally:
        _FORCE[0] = old
