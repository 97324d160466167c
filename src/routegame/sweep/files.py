"""Sweep files (TOML): :func:`load_sweep_file` reads one into the arguments of :func:`~routegame.sweep.sweep`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from routegame.errors import ParameterError
from routegame.params import GameParams

if TYPE_CHECKING:  # pragma: no cover
    pass
from routegame.sweep.grid import AXES, PARAMETERS, linear_or_log_grid

__all__ = ['load_sweep_file']


_FILE_KEYS = ("scenario", "description", "tie_break", "chunks", "base", "grid")

_BASE_KEYS = ("task_value", "penalty", "latency", "cost", "success_prob", "names", "models")

def _grid_entry(name: str, value: Any, label: str) -> Any:
    where = f" (in {label})"
    if isinstance(value, Mapping):
        allowed = ("start", "stop", "num", "log")
        extra = [k for k in value if k not in allowed]
        if extra:
            raise ParameterError(
                f"grid.{name}.{extra[0]}", f"unknown key; allowed: {', '.join(allowed)}{where}"
            )
        for key in ("start", "stop", "num"):
            if key not in value:
                raise ParameterError(f"grid.{name}", f"missing {key} (start, stop, num){where}")
            v = value[key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ParameterError(f"grid.{name}.{key}", f"must be a number, got {v!r}{where}")
        num = value["num"]
        if not isinstance(num, int) or num < 1:
            raise ParameterError(
                f"grid.{name}.num", f"must be an integer >= 1, got {num!r}{where}"
            )
        log = value.get("log", False)
        if not isinstance(log, bool):
            raise ParameterError(f"grid.{name}.log", f"must be true or false, got {log!r}{where}")
        return linear_or_log_grid(name, value["start"], value["stop"], num, log)
    if isinstance(value, list):
        bad = [v for v in value if isinstance(v, bool) or not isinstance(v, int | float)]
        if bad:
            raise ParameterError(
                f"grid.{name}", f"must be a list of numbers, got {bad[0]!r}{where}"
            )
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    raise ParameterError(
        f"grid.{name}",
        f"must be a list of numbers or {{start, stop, num}}, got {value!r}{where}",
    )

def load_sweep_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    r"""Read a TOML sweep file into the arguments of :func:`sweep` / :func:`sweep_to_file`.

    Schema::

        scenario = "default"       # a shipped scenario, or a scenario .toml (relative path)
        tie_break = "strong"       # optional
        chunks = 50                # optional: int, or a table {penalty = 50}
        [base]                     # optional: a whole game, or overrides of the scenario
        penalty = 4.0              #   task_value, penalty, latency_1 ... success_prob_2,
        cost = [1.0, 4.0]          #   or the lists latency, cost, success_prob
        [grid]                     # one entry per swept axis, in dimension order
        penalty = {start = 0, stop = 50, num = 101}   # optional: log = true
        cost_ratio = [1, 2, 4, 8]

    Returns
    -------
    dict
        ``base`` (a Scenario or GameParams), ``grid`` (dict), ``chunks`` and ``tie_break``
        (None when not given).

    Raises
    ------
    DataFormatError
        The file is not TOML (the message gives the line and column).
    ParameterError
        A key is unknown or a value out of range (the message names it and the file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = f.write_text('scenario = "default"\n[base]\npenalty = 2\n'
    ...                  '[grid]\npenalty = {start = 0, stop = 10, num = 3}\n')
    >>> spec = load_sweep_file(f)
    >>> spec["base"].params.penalty, spec["grid"]["penalty"].tolist()
    (2.0, [0.0, 5.0, 10.0])
    >>> _ = f.write_text("[grid]\npenalty = [0 1]\n")
    >>> load_sweep_file(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.DataFormatError: ...s.toml: invalid TOML: ... (at line 2, column 14)
    """
    from routegame.io import read_toml, resolve_scenario

    p = Path(path)
    label = str(p)
    where = f" (in {label})"
    data = read_toml(p)
    unknown = [k for k in data if k not in _FILE_KEYS]
    if unknown:
        raise ParameterError(unknown[0], f"unknown key; allowed: {', '.join(_FILE_KEYS)}{where}")
    base: Any = None
    scenario = data.get("scenario")
    if scenario is not None:
        if not isinstance(scenario, str):
            raise ParameterError("scenario", f"must be a name or a .toml path{where}")
        base = resolve_scenario(scenario, relative_to=p.parent, field="scenario")
    table = data.get("base")
    if table is not None:
        if not isinstance(table, Mapping):
            raise ParameterError("base", f"must be a table{where}")
        base = _base_from_table(table, base, label)
    grid_table = data.get("grid")
    if not isinstance(grid_table, Mapping) or not grid_table:
        raise ParameterError("grid", f"missing: give a [grid] table with at least one axis{where}")
    grid = {}
    for name, value in grid_table.items():
        if name not in AXES:
            raise ParameterError(
                f"grid.{name}", f"unknown sweep axis; allowed: {', '.join(AXES)}{where}"
            )
        grid[name] = _grid_entry(name, value, label)
    chunks = data.get("chunks")
    if chunks is not None and not (
        (isinstance(chunks, int) and not isinstance(chunks, bool)) or isinstance(chunks, Mapping)
    ):
        raise ParameterError("chunks", f"must be an integer or a table, got {chunks!r}{where}")
    tie_break = data.get("tie_break")
    if tie_break is not None and tie_break not in ("strong", "weak"):
        raise ParameterError("tie_break", f"must be 'strong' or 'weak', got {tie_break!r}{where}")
    return {
        "base": base if base is not None else resolve_scenario(),
        "grid": grid,
        "chunks": dict(chunks) if isinstance(chunks, Mapping) else chunks,
        "tie_break": tie_break,
    }

def _base_from_table(table: Mapping[str, Any], start: Any, label: str) -> Any:
    """Apply a ``[base]`` table to a scenario (overrides) or build a whole game from it."""
    where = f" (in {label})"
    allowed = _BASE_KEYS + PARAMETERS
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ParameterError(
            f"base.{unknown[0]}", f"unknown key; allowed: {', '.join(allowed)}{where}"
        )
    whole = {k: v for k, v in table.items() if k in _BASE_KEYS}
    flat = {k: v for k, v in table.items() if k in PARAMETERS}
    try:
        if start is None:
            for field in ("latency", "cost", "success_prob"):
                pair = (f"{field}_1", f"{field}_2")
                if field not in whole and all(k in flat for k in pair):
                    whole[field] = [flat.pop(k) for k in pair]
            params = GameParams.from_dict(
                {**whole, **{k: flat.pop(k) for k in ("task_value", "penalty") if k in flat}}
            )
        else:
            params = start.params
            if "models" in whole or "names" in whole:
                raise ParameterError(
                    "base", f"models and names cannot override a scenario{where}"
                )
            params = params.replace(**whole)
        lists = {
            "latency": list(params.latency),
            "cost": list(params.cost),
            "success_prob": list(params.success_prob),
        }
        changes: dict[str, Any] = {}
        for name, value in flat.items():
            if name in ("task_value", "penalty"):
                changes[name] = value
            else:
                field, k = name.rsplit("_", 1)
                lists[field][int(k) - 1] = value
                changes[field] = lists[field]
        params = params.replace(**changes) if changes else params
    except ParameterError as exc:
        if exc.reason.endswith(where):
            raise
        raise ParameterError(f"base.{exc.field}", f"{exc.reason}{where}") from None
    if params.num_models != 2:
        raise ParameterError("base", f"a sweep needs a two-model game{where}")
    if start is None:
        return params
    return attrs.evolve(start, params=params)
