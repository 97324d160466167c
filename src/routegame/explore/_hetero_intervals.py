"""Bootstrap intervals of the shipped calibrated scenarios: the loader of
``routegame/data/hetero_intervals.json`` (generated: do not edit the JSON by hand).

The file is written by ``python -m routegame.explore._hetero`` (40 replicates, seed 0; see
:func:`routegame.explore._hetero.bootstrap_both`): one record per scenario name with the
bootstrap draws and the percentile intervals of J*, U* and the gap, data and i.i.d.
``INTERVALS`` is read on first use (``from routegame.explore._hetero_intervals import
INTERVALS`` still works) and cached.

Examples
--------
>>> from routegame.explore._hetero_intervals import load_intervals
>>> rec = load_intervals()["lcb-gpt-4o-vs-o4-mini"]
>>> rec["replicates"], len(rec["data"]["J"])
(40, 3)
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

__all__ = ["DATA_FILE", "load_intervals"]

#: the JSON file in the package's data folder
DATA_FILE = "hetero_intervals.json"


@functools.cache
def load_intervals() -> dict[str, Any]:
    """The intervals by scenario name (read once from the package data)."""
    text = files("routegame.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def __getattr__(name: str) -> Any:
    if name == "INTERVALS":
        return load_intervals()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
