"""The :class:`Scenario` record (a game with its provenance) and its TOML form."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs

from routegame.errors import ParameterError
from routegame.params import GameParams

__all__ = ["MAX_MODELS", "Scenario", "ScenarioInfo", "check_num_models"]

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


#: Most models a game may have. The K-model engines enumerate policies over the models (the
#: stationary user's best response and the provider's optimum grow quickly with K); 64 models
#: are solved in seconds, more are refused before any work (a 3000-model file would otherwise
#: take gigabytes before failing).
MAX_MODELS = 64


def check_num_models(k: int, field: str = "models", where: str = "") -> int:
    """Refuse a game with fewer than 2 or more than :data:`MAX_MODELS` models.

    Examples
    --------
    >>> check_num_models(3000)
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: models: 3000 models; the engines serve 2 to 64 models
    """
    if not 2 <= k <= MAX_MODELS:
        raise ParameterError(field, f"{k} models; the engines serve 2 to {MAX_MODELS} models{where}")
    return k


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
    >>> from routegame.scenarios import load_scenario, scenario_from_dict
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
        >>> from routegame.scenarios import load_scenario, scenario_from_dict
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
