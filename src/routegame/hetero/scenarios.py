"""Heterogeneous scenarios: the shipped ``lcb-*`` task-table games and files of the same form.

A heterogeneous scenario is a TOML file with the fields of a two-model scenario (``name``,
``version``, ``description``, ``task_value``, ``penalty``, ``[[models]]`` with ``latency`` and
``cost``, ``[units]``) where a ``[tasks]`` table (``success_prob`` rows [p_1, p_2], optional
``weight``) replaces the models' ``success_prob``, and an optional ``user``. ``routegame
calibrate --out`` writes them; four calibrated pairs ship in ``routegame/scenarios/hetero``
(kept out of the registry of i.i.d. scenarios, whose readers expect one success probability per
model).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from routegame.errors import DataFormatError, ParameterError
from routegame.hetero.engine import HeteroGame
from routegame.hetero.tasks import TaskTable

__all__ = ["HeteroScenario", "is_hetero_config", "is_hetero_scenario", "list_hetero_scenarios",
           "load_hetero"]


@attrs.frozen
class HeteroScenario:
    """A loaded heterogeneous scenario: the game and its header."""

    name: str
    version: int
    description: str
    game: HeteroGame
    units: dict[str, str]
    model_names: tuple[str, str]
    sources: dict[str, str] = attrs.field(factory=dict)
    path: str | None = None


def _folder() -> Any:
    return resources.files("routegame.scenarios").joinpath("hetero")


def _names() -> list[str]:
    return sorted(x.name[:-5] for x in _folder().iterdir() if x.name.endswith(".toml"))


def is_hetero_scenario(name: Any) -> bool:
    """Whether ``name`` is a shipped heterogeneous scenario.

    Examples
    --------
    >>> is_hetero_scenario("lcb-gpt-4o-mini-vs-o3-mini"), is_hetero_scenario("default")
    (True, False)
    """
    return isinstance(name, str) and name in _names()


def is_hetero_config(path: Any) -> bool:
    """Whether the TOML file at ``path`` has a ``[tasks]`` table (False if unreadable)."""
    import tomllib

    try:
        return "tasks" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError):
        return False


def _parse(text: str, label: str, path: str | None = None) -> HeteroScenario:
    import tomllib

    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFormatError(label, f"not valid TOML: {exc}") from None
    for key in ("task_value", "penalty", "models", "tasks"):
        if key not in d:
            raise ParameterError(key, f"missing in the heterogeneous scenario {label}")
    models, tasks = d["models"], d["tasks"]
    if not isinstance(models, list) or len(models) != 2 or not all(
            isinstance(m, dict) and "latency" in m and "cost" in m for m in models):
        raise ParameterError("models", "must be two [[models]] tables with latency and cost")
    if not isinstance(tasks, dict) or "success_prob" not in tasks:
        raise ParameterError("tasks.success_prob", "missing: rows [p_1, p_2], one per task")
    table = TaskTable.from_rows(tasks["success_prob"], tasks.get("weight"),
                                field="tasks.success_prob")
    game = HeteroGame(table, d["task_value"], d["penalty"], [m["latency"] for m in models],
                      [m["cost"] for m in models], user=d.get("user", "stationary"))
    names = tuple(str(m.get("name", f"M{k + 1}")) for k, m in enumerate(models))
    src = d.get("sources", {})
    return HeteroScenario(str(d.get("name", label)), int(d.get("version", 1)),
                          str(d.get("description", "")), game, dict(d.get("units", {})),
                          (names[0], names[1]),
                          {str(k): str(v) for k, v in src.items()} if isinstance(src, dict) else {},
                          path)


def load_hetero(name_or_path: str) -> HeteroScenario:
    """A shipped heterogeneous scenario by name, or a heterogeneous scenario file.

    Examples
    --------
    >>> sc = load_hetero("lcb-gpt-4o-mini-vs-o3-mini")
    >>> sc.game.tasks.num_models, sc.units["cost"], sc.model_names[1]
    (2, 'USD', 'O3-Mini-2025-01-31 (Med)')
    """
    if is_hetero_scenario(name_or_path):
        text = _folder().joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
        return _parse(text, name_or_path)
    p = Path(name_or_path)
    if not p.is_file():
        raise ParameterError("scenario", f"unknown heterogeneous scenario {name_or_path!r}; "
                             f"known: {', '.join(_names())}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError("config", f"cannot read {p}: {exc}") from None
    return _parse(text, str(p), str(p))


def list_hetero_scenarios() -> list[dict[str, Any]]:
    """Name, version, description and number of tasks of every shipped heterogeneous scenario.

    Examples
    --------
    >>> [s["name"] for s in list_hetero_scenarios()][:1]
    ['lcb-claude-35-sonnet-vs-claude-37-thinking']
    """
    out = []
    for name in _names():
        sc = load_hetero(name)
        out.append({"name": name, "version": sc.version, "num_models": 2,
                    "description": sc.description, "num_tasks": sc.game.tasks.num_tasks,
                    "heterogeneous": True})
    return out
