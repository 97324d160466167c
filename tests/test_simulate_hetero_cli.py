"""``routegame simulate`` on heterogeneous scenarios (task tables, schedules, weights).

Every comparison is against the heterogeneous engine's exact outcomes (``routegame.hetero``,
a weighted sum of per-task chains), printed by the command itself as the ``exact`` column and
recomputed here: the command's z-scores stay within 4, on shipped scenarios and on a config file
with weighted tasks and per-task attempt schedules.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from routegame.cli._app import app
from routegame.hetero import HeteroGame, Policy, TaskTable
from routegame.simulate import TaskDistribution

runner = CliRunner()

_CONFIG = """name = "two-tasks"
version = 1
description = "weighted tasks with per-task schedules"
task_value = 10.0
penalty = 5.0
user = "state-aware"

[[models]]
name = "small"
latency = 1.0
cost = 1.0

[[models]]
name = "large"
latency = 4.0
cost = 3.0

[tasks]
success_prob = [[[0.1, 0.3], [0.5, 0.8]], [[0.7, 0.7], [0.9, 0.95]], [[0.02, 0.05], [0.3, 0.6]]]
weight = [1, 2, 3]
"""


def _rows(output: str) -> dict[str, tuple[float, float, float]]:
    """quantity -> (estimate, exact, z) from the printed table."""
    out = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) == 5 and re.match(r"^[a-z_]+$", cells[0]):
            out[cells[0]] = (float(cells[1]), float(cells[3]), float(cells[4]))
    return out


def _z_ok(output: str) -> dict[str, tuple[float, float, float]]:
    rows = _rows(output)
    assert {"success", "latency", "cost", "user_utility", "provider_cost"} <= set(rows), output
    for name, (_, _, z) in rows.items():
        assert abs(z) <= 4.0, (name, output)
    return rows


@pytest.mark.parametrize("args", [
    [],  # the equilibrium policy and the user's best response
    ["--route", "1", "--cascade", "0.5", "--abandon", "0.1,0.3"],
    ["--policy", '{"start": [0.3, 0.7], "cascade": [[0.6, 0.4], [0.2, 0.8]]}', "--abandon",
     "0.2"],
])
def test_shipped_scenario_against_exact(args: list[str]) -> None:
    res = runner.invoke(app, ["simulate", "--scenario", "lcb-gpt-4o-mini-vs-o3-mini",
                              "--episodes", "60000", "--seed", "3", "--no-progress", *args],
                        terminal_width=200)
    assert res.exit_code == 0, res.output
    rows = _z_ok(res.output)
    if "--abandon" in args and "--cascade" in args:  # the exact column is the engine's
        from routegame.hetero.scenarios import load_hetero

        g = load_hetero("lcb-gpt-4o-mini-vs-o3-mini").game
        exact = g.outcomes(Policy(1, 0.5), (0.1, 0.3))
        assert rows["success"][1] == pytest.approx(exact.success, rel=1e-5)


def test_config_with_weights_and_schedules(tmp_path: Path) -> None:
    cfg = tmp_path / "tasks.toml"
    cfg.write_text(_CONFIG, encoding="utf-8")
    res = runner.invoke(app, ["simulate", "--config", str(cfg), "--episodes", "80000",
                              "--seed", "1", "--route", "1", "--cascade", "0.4", "--abandon",
                              "0.15,0.05", "--no-progress"], terminal_width=200)
    assert res.exit_code == 0, res.output
    rows = _z_ok(res.output)
    assert "3 tasks, schedules of 2 attempts" in res.output.replace("\n", " ")
    # the exact column, recomputed by hand from the per-task chains of the table
    prob = np.array([[[0.1, 0.3], [0.5, 0.8]], [[0.7, 0.7], [0.9, 0.95]],
                     [[0.02, 0.05], [0.3, 0.6]]])
    w = np.array([1.0, 2.0, 3.0]) / 6.0
    g = HeteroGame(TaskTable.from_rows(prob, w), 10, 5, [1, 4], [1, 3])
    exact = g.outcomes(Policy(1, 0.4), (0.15, 0.05))
    assert rows["provider_cost"][1] == pytest.approx(exact.provider_cost, rel=1e-5)
    # equilibrium of the scenario's (state-aware) user
    res = runner.invoke(app, ["simulate", "--config", str(cfg), "--episodes", "40000",
                              "--seed", "2", "--no-progress"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "state-aware user" in res.output
    _z_ok(res.output)


def test_weighted_sampling_frequencies() -> None:
    dist = TaskDistribution.empirical([[0.1, 0.2], [0.5, 0.6], [0.9, 0.95]], weight=[0, 1, 3])
    rows = dist.sample(40_000, rng=0)
    freq = np.array([(rows[:, 0] == p).mean() for p in (0.1, 0.5, 0.9)])
    assert freq[0] == 0.0
    assert abs(freq[1] - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 40_000)


@pytest.mark.parametrize(("args", "message"), [
    (["--success-prob", "0.3", "0.4"], "--success-prob: a heterogeneous scenario has a task table"),
    (["--user", "bayes"],
     "--user: --abandon best simulates the 'stationary' or 'state-aware' user; got 'bayes'"),
    (["--user", "nobody"], "--user: must be 'stationary' or 'state-aware'"),
    (["--abandon", "0.1,0.2,0.3"], "--abandon: must have 1 or 2 comma-separated values"),
    (["--policy", '{"start": [1, 0]}'], "--policy: must be"),
])
def test_errors_one_line(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["simulate", "--scenario", "lcb-gpt-4o-mini-vs-o3-mini",
                              "--episodes", "100", "--seed", "1", *args])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_weights_checked() -> None:
    from routegame.errors import ParameterError

    with pytest.raises(ParameterError, match=r"tasks\.weight"):
        TaskDistribution.empirical([[0.1, 0.2]], weight=[0.0])
    with pytest.raises(ParameterError, match=r"tasks\.weight"):
        TaskDistribution.empirical([[0.1, 0.2]], weight=[1.0, 2.0])
