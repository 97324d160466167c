"""One resolver of "a scenario, a config file or a name" -> a :class:`~routegame.scenarios.Scenario`.

Every command and function that takes a game goes through :func:`resolve_scenario`:

* a :class:`~routegame.params.GameParams` becomes an unnamed scenario (``name="custom"``);
* a :class:`~routegame.scenarios.Scenario` is returned as it is;
* a path (``str`` ending in ``.toml`` or an ``os.PathLike``) is read by
  :func:`~routegame.scenarios.load_config`, relative to ``relative_to`` when given;
* any other string is the name of a shipped scenario (:func:`~routegame.scenarios.load_scenario`);
* ``None`` is the ``default`` scenario.

Examples
--------
>>> resolve_scenario().name, resolve_scenario("aider-openai-3-tier").params.num_models
('default', 3)
>>> resolve_scenario(scenario="default", config="x.toml")
Traceback (most recent call last):
...
routegame.errors.ParameterError: --scenario: give one of --scenario and --config, not both
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routegame.errors import ParameterError
from routegame.params import GameParams

if TYPE_CHECKING:  # pragma: no cover
    from routegame.scenarios import Scenario

__all__ = ["resolve_scenario"]


def resolve_scenario(
    source: Any = None,
    *,
    scenario: str | None = None,
    config: str | os.PathLike[str] | None = None,
    relative_to: str | os.PathLike[str] | None = None,
    field: str = "base",
) -> Scenario:
    """The scenario named by ``source``, or by the ``--scenario`` / ``--config`` options.

    Parameters
    ----------
    source : GameParams, Scenario, str or path, optional
        See the module docstring. Not together with ``scenario``/``config``.
    scenario, config : optional
        The values of the command-line options (at most one of them).
    relative_to : path, optional
        Directory against which a relative ``.toml`` path is read (a sweep file's directory).
    field : str
        Named in the error when ``source`` has the wrong type.
    """
    from routegame.scenarios import Scenario, load_config, load_scenario

    if scenario is not None and config is not None:
        raise ParameterError("--scenario", "give one of --scenario and --config, not both")
    if source is None:
        source = Path(config) if config is not None else (scenario or "default")
    if isinstance(source, Scenario):
        return source
    if isinstance(source, GameParams):
        return Scenario(name="custom", version=1, description="", params=source)
    if isinstance(source, os.PathLike) or (isinstance(source, str) and source.endswith(".toml")):
        p = Path(source)
        if relative_to is not None and not p.is_absolute():
            p = Path(relative_to) / p
        return load_config(p)
    if isinstance(source, str):
        return load_scenario(source)
    raise ParameterError(
        field,
        "must be a GameParams, a Scenario, a scenario name or a scenario .toml file, "
        f"got {type(source).__name__}",
    )
