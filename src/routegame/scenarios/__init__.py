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

from routegame.scenarios.files import list_scenarios, load_config, load_scenario
from routegame.scenarios.model import MAX_MODELS, Scenario, ScenarioInfo, check_num_models
from routegame.scenarios.parse import scenario_from_dict

__all__ = [
    "MAX_MODELS",
    "Scenario",
    "ScenarioInfo",
    "check_num_models",
    "list_scenarios",
    "load_config",
    "load_scenario",
    "scenario_from_dict",
]
