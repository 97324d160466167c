"""Scenario files: a user's config (:func:`load_config`) and the shipped registry."""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs

from routegame.errors import DataFormatError, ParameterError
from routegame.scenarios.model import _NAME_RE, Scenario, ScenarioInfo
from routegame.scenarios.parse import _where, scenario_from_dict

__all__ = ["list_scenarios", "load_config", "load_scenario"]

_PACKAGE = "routegame.scenarios"


def load_config(path: str | os.PathLike[str]) -> Scenario:
    """Read a user's scenario file (the schema of the module docstring).

    ``name`` defaults to the file name without extension, ``version`` to 1, ``sources`` and
    ``units`` to empty tables.

    Raises
    ------
    ParameterError
        The file cannot be read, or a field is missing or out of range (named in the message).
    DataFormatError
        The file is not valid TOML (the message gives the file, line and column).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = f.write_text("task_value = 10\\npenalty = 4\\nlatency = [1, 5]\\n"
    ...                  "cost = [1, 4]\\nsuccess_prob = [0.3, 0.75]\\n")
    >>> load_config(f).name
    'mine'
    >>> _ = f.write_text("task_value = 10\\npenalty = \\n")
    >>> load_config(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.DataFormatError: ...mine.toml: invalid TOML: ... (at line 2, column 11)
    """
    from routegame.io.toml import read_toml

    p = Path(path)
    label = str(p)
    data = read_toml(p)
    stem = p.stem if _NAME_RE.match(p.stem) else None
    scenario = scenario_from_dict(data, label=label, default_name=stem)
    return attrs.evolve(scenario, path=p)


# ---------------------------------------------------------------------------------------------
# registry


def _shipped() -> dict[str, Traversable]:
    folder = resources.files(_PACKAGE)
    files = [f for f in folder.iterdir() if f.is_file() and f.name.endswith(".toml")]
    return {f.name[: -len(".toml")]: f for f in sorted(files, key=lambda f: f.name)}


def _load_shipped(key: str, file: Traversable) -> Scenario:
    label = f"routegame/scenarios/{file.name}"
    from routegame.io.toml import read_toml_text

    data = read_toml_text(file.read_text(encoding="utf-8"), label)
    scenario = scenario_from_dict(data, label=label, default_name=key)
    if scenario.name != key:
        raise DataFormatError(
            "name", f"is {scenario.name!r} but the file is {file.name}{_where(label)}"
        )
    return attrs.evolve(scenario, path=Path(str(file)))


def list_scenarios() -> list[ScenarioInfo]:
    """The shipped scenarios, sorted by name.

    Examples
    --------
    >>> {s.name: s.num_models for s in list_scenarios()}["aider-openai-3-tier"]
    3
    """
    return [_load_shipped(key, f).info() for key, f in _shipped().items()]


def load_scenario(name: str) -> Scenario:
    """A shipped scenario by its registry key (see :func:`list_scenarios`).

    Raises
    ------
    ParameterError
        ``scenario: unknown scenario 'x'; known: a, b, c``.

    Examples
    --------
    >>> s = load_scenario("aider-claude-3.7-sonnet")
    >>> s.units, s.params.names[0]
    ({'latency': 's', 'cost': 'USD'}, 'claude-3-7-sonnet-20250219 (no thinking)')
    """
    files = _shipped()
    if not isinstance(name, str) or name not in files:
        from routegame.hetero.scenarios import list_hetero_scenarios

        tables = [h["name"] for h in list_hetero_scenarios()]
        raise ParameterError("scenario", f"unknown scenario {name!r}; known: {', '.join(files)}; "
                             f"task tables (solve, report, sweep, simulate, plot policy-map): "
                             f"{', '.join(tables)}")
    return _load_shipped(name, files[name])
