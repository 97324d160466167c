"""Validation of a parsed scenario document (TOML or a dict) into a :class:`Scenario`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routegame.errors import ParameterError
from routegame.params import GameParams
from routegame.scenarios.model import (
    _GAME_KEYS,
    _MODEL_KEYS,
    _NAME_RE,
    _TOP_KEYS,
    _UNIT_KEYS,
    Scenario,
    check_num_models,
)

__all__ = ["scenario_from_dict"]


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
    models_given = game.get("models", game.get("latency"))
    if isinstance(models_given, list) and len(models_given) > 1:
        check_num_models(len(models_given), "models" if "models" in game else "latency", _where(label))
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
