"""Named, versioned game scenarios (TOML files shipped beside this module) and user configs.

A scenario is a :class:`~routegame.params.GameParams` plus where every number comes from. The
shipped scenarios are the ``*.toml`` files in this package; the registry key is the file's
``name`` field, which must equal the file name without ``.toml``. A user's own file with the
same schema is read with :func:`load_config`.

Schema (every key but the game's numbers is optional in a user's file)::

    name = "aider-claude-3.7-sonnet"   # registry key; default: the file name
    version = 1                        # integer >= 1; default 1
    description = "one line"
    task_value = 120.0                 # V, in the latency unit
    penalty = 0.5                      # P, in the cost unit
    [units]                            # optional: latency = "s", cost = "USD"
    latency = "s"
    cost = "USD"
    [[models]]                         # K >= 2 tables, model 1 first ...
    name = "standard"                  # optional
    latency = 16.1
    cost = 0.045
    success_prob = 0.244
    [sources]                          # optional: field -> where the number comes from
    task_value = "assumption: ..."
    "models[1].latency" = "file line ...: formula"

Instead of the ``[[models]]`` tables, the flat form gives per-model lists ``latency = [t1, t2]``,
``cost = [c1, c2]``, ``success_prob = [p1, p2]`` and optionally ``names = ["a", "b"]``.

Examples
--------
>>> [s.name for s in list_scenarios()][:2]
['aider-claude-3.7-sonnet', 'aider-deepseek-v3.2-exp']
>>> s = load_scenario("default")
>>> s.params.num_models, s.params.task_value
(2, 10.0)
>>> load_scenario("nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
routegame.errors.ParameterError: scenario: unknown scenario 'nope'; known: aider-claude-3.7-...
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import attrs

from routegame.errors import DataFormatError, ParameterError
from routegame.params import GameParams

__all__ = [
    "Scenario",
    "ScenarioInfo",
    "list_scenarios",
    "load_config",
    "load_scenario",
    "scenario_from_dict",
]

_TOP_KEYS = (
    "name",
    "version",
    "description",
    "task_value",
    "penalty",
    "units",
    "models",
    "latency",
    "cost",
    "success_prob",
    "names",
    "sources",
)
_GAME_KEYS = ("task_value", "penalty", "models", "latency", "cost", "success_prob", "names")
_MODEL_KEYS = ("name", "latency", "cost", "success_prob")
_UNIT_KEYS = ("latency", "cost")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


@attrs.frozen
class ScenarioInfo:
    """One line of :func:`list_scenarios`: registry key, description and number of models."""

    name: str
    description: str
    num_models: int
    version: int = 1
    path: Path | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Scenario:
    """A game with its provenance.

    Attributes
    ----------
    name : str
        Registry key (letters, digits, ``.``, ``_``, ``-``).
    version : int
        Bumped whenever a shipped scenario's numbers change.
    description : str
        One line.
    params : GameParams
        The game: V, P and the K models.
    sources : dict of str to str
        Where each number comes from, keyed by field (``task_value``, ``penalty``,
        ``models[k].latency`` ... with k starting at 1); assumptions say so.
    units : dict of str to str
        Units of ``latency`` (hence of V) and of ``cost`` (hence of P), e.g. ``s`` and ``USD``.
    path : pathlib.Path or None
        File the scenario was read from.

    Examples
    --------
    >>> s = load_scenario("default")
    >>> s.params.success_prob
    array([0.25, 0.75])
    >>> scenario_from_dict(s.to_dict()) == s
    True
    """

    name: str
    version: int
    description: str
    params: GameParams
    sources: dict[str, str] = attrs.field(factory=dict, hash=False)
    units: dict[str, str] = attrs.field(factory=dict, hash=False)
    path: Path | None = attrs.field(default=None, eq=False)

    def info(self) -> ScenarioInfo:
        """The registry line of this scenario."""
        return ScenarioInfo(
            self.name, self.description, self.params.num_models, self.version, self.path
        )

    def to_dict(self) -> dict[str, Any]:
        """The TOML schema as a dict (``[[models]]`` form); see :func:`scenario_from_dict`."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "task_value": self.params.task_value,
            "penalty": self.params.penalty,
        }
        if self.units:
            out["units"] = dict(self.units)
        models = []
        for m in self.params.models:
            d: dict[str, Any] = {} if m.name is None else {"name": m.name}
            d.update(latency=m.latency, cost=m.cost, success_prob=m.success_prob)
            models.append(d)
        out["models"] = models
        if self.sources:
            out["sources"] = dict(self.sources)
        return out

    def to_toml(self, header: str | None = None) -> str:
        """The scenario as a TOML document (``header`` lines become ``#`` comments on top).

        Examples
        --------
        >>> s = load_scenario("default")
        >>> import tomllib
        >>> scenario_from_dict(tomllib.loads(s.to_toml())) == s
        True
        """
        d = self.to_dict()
        lines: list[str] = []
        if header:
            lines += [f"# {h}".rstrip() for h in header.splitlines()]
        lines += [f"{key} = {_toml_value(d[key])}" for key in _TOP_KEYS[:5]]
        tables = [("[units]", d.get("units"))]
        tables += [("[[models]]", m) for m in d["models"]]
        tables += [("[sources]", d.get("sources"))]
        for head, table in tables:
            if table is not None:
                lines += ["", head]
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        return "\n".join(lines) + "\n"


def _toml_str(s: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY_RE.match(key) else _toml_str(key)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


# ---------------------------------------------------------------------------------------------
# parsing and validation


def _where(label: str) -> str:
    return f" (in {label})"


def scenario_from_dict(
    data: Mapping[str, Any], *, label: str = "<dict>", default_name: str | None = None
) -> Scenario:
    """Validate a parsed TOML document (or an equivalent dict) and build a :class:`Scenario`.

    Parameters
    ----------
    data : mapping
        The schema of the module docstring.
    label : str
        Where the data came from, appended to error messages (a file name).
    default_name : str, optional
        Name to use when ``data`` has none (e.g. the file name); ``"custom"`` if not given.

    Raises
    ------
    ParameterError
        One line naming the field at fault, e.g. ``models[2].success_prob: must be in (0, 1),
        got 1.5 (in my.toml)``.

    Examples
    --------
    >>> s = scenario_from_dict({"task_value": 10, "penalty": 4, "latency": [1, 5],
    ...                         "cost": [1, 4], "success_prob": [0.3, 0.75]})
    >>> s.name, s.params.cost
    ('custom', array([1., 4.]))
    >>> scenario_from_dict({"task_value": 10, "penalty": 4, "latency": [1, 5], "cost": [1, 4],
    ...                     "success_prob": [0.3, 1.2]}, label="my.toml")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: success_prob[2]: must be in (0, 1), got 1.2 (in my.toml)
    """
    if not isinstance(data, Mapping):
        raise ParameterError(
            "scenario", f"must be a table of fields, got {type(data).__name__}{_where(label)}"
        )
    unknown = [k for k in data if k not in _TOP_KEYS]
    if unknown:
        raise ParameterError(
            str(unknown[0]), f"unknown field; allowed: {', '.join(_TOP_KEYS)}{_where(label)}"
        )

    name = data.get("name", default_name if default_name is not None else "custom")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ParameterError(
            "name",
            "must be letters, digits, '.', '_' or '-', starting with a letter or digit, "
            f"got {name!r}{_where(label)}",
        )
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ParameterError("version", f"must be an integer >= 1, got {version!r}{_where(label)}")
    description = data.get("description", "")
    if not isinstance(description, str) or "\n" in description:
        raise ParameterError(
            "description", f"must be a one-line string, got {description!r}{_where(label)}"
        )

    units = data.get("units", {})
    if not isinstance(units, Mapping):
        raise ParameterError("units", f"must be a table, got {units!r}{_where(label)}")
    for k, v in units.items():
        if k not in _UNIT_KEYS:
            raise ParameterError(
                f"units.{k}", f"unknown unit; allowed: {', '.join(_UNIT_KEYS)}{_where(label)}"
            )
        if not isinstance(v, str):
            raise ParameterError(f"units.{k}", f"must be a string, got {v!r}{_where(label)}")

    sources = data.get("sources", {})
    if not isinstance(sources, Mapping):
        raise ParameterError(
            "sources", f"must be a table of strings, got {sources!r}{_where(label)}"
        )
    for k, v in sources.items():
        if not isinstance(v, str):
            raise ParameterError(f"sources.{k}", f"must be a string, got {v!r}{_where(label)}")

    game = {k: data[k] for k in _GAME_KEYS if k in data}
    flat = [k for k in ("latency", "cost", "success_prob", "names") if k in game]
    if "models" in game and flat:
        raise ParameterError(
            "models",
            f"give either [[models]] tables or the lists {', '.join(flat)}, not both"
            + _where(label),
        )
    models = game.get("models")
    for k, m in enumerate(models if isinstance(models, list) else [], start=1):
        if not isinstance(m, Mapping):
            continue  # GameParams.from_dict reports it
        if "name" in m and not isinstance(m["name"], str):
            raise ParameterError(
                f"models[{k}].name", f"must be a string, got {m['name']!r}{_where(label)}"
            )
        extra = [x for x in m if x not in _MODEL_KEYS]
        if extra:
            raise ParameterError(
                f"models[{k}].{extra[0]}",
                f"unknown field; allowed: {', '.join(_MODEL_KEYS)}{_where(label)}",
            )
    if "names" in game:
        names = game["names"]
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise ParameterError(
                "names", f"must be a list of strings, got {names!r}{_where(label)}"
            )
        want = len(game["latency"]) if isinstance(game.get("latency"), list) else len(names)
        if len(names) != want:
            raise ParameterError(
                "names",
                f"must have {want} entries (one per model), got {len(names)}{_where(label)}",
            )
    try:
        params = GameParams.from_dict(game)
    except ParameterError as exc:
        raise type(exc)(exc.field, f"{exc.reason}{_where(label)}") from None

    return Scenario(
        name=name,
        version=version,
        description=description,
        params=params,
        sources=dict(sources),
        units=dict(units),
        path=None,
    )


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFormatError(label, f"invalid TOML: {exc}") from None


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
    p = Path(path)
    label = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ParameterError(label, "no such file") from None
    except IsADirectoryError:
        raise ParameterError(label, "is a directory, not a TOML file") from None
    except OSError as exc:
        raise ParameterError(label, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataFormatError(label, "not a UTF-8 text file") from None
    data = _parse_toml(text, label)
    stem = p.stem if _NAME_RE.match(p.stem) else None
    scenario = scenario_from_dict(data, label=label, default_name=stem)
    return attrs.evolve(scenario, path=p)


# ---------------------------------------------------------------------------------------------
# registry


def _shipped() -> dict[str, Traversable]:
    folder = resources.files(__name__)
    files = [f for f in folder.iterdir() if f.is_file() and f.name.endswith(".toml")]
    return {f.name[: -len(".toml")]: f for f in sorted(files, key=lambda f: f.name)}


def _load_shipped(key: str, file: Traversable) -> Scenario:
    label = f"routegame/scenarios/{file.name}"
    data = _parse_toml(file.read_text(encoding="utf-8"), label)
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
        raise ParameterError("scenario", f"unknown scenario {name!r}; known: {', '.join(files)}")
    return _load_shipped(name, files[name])
