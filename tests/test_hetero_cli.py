"""The command line on task tables: solve --batch lines, heterogeneous scenarios and configs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

os.environ.setdefault("COLUMNS", "200")

from typer.testing import CliRunner

import routegame as rg
from routegame.cli._app import app
from routegame.hetero import HeteroEngine, TaskTable
from routegame.hetero.scenarios import list_hetero_scenarios, load_hetero

runner = CliRunner()
BASE = {"task_value": 10, "penalty": 5, "latency": [1, 4], "cost": [1, 3]}
ROWS = [[0.9, 0.95], [0.05, 0.6], [0.0, 1.0]]


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def batch(*records: dict[str, Any]) -> list[dict[str, Any]]:
    r = run("solve", "--batch", "-", input="\n".join(json.dumps(x) for x in records) + "\n")
    assert r.exit_code in (0, 1), r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.mark.parametrize("user", ["stationary", "state-aware", "bayes"])
def test_batch_task_line_has_the_two_model_keys_and_iid(user: str) -> None:
    (out,) = batch({"id": "a", **BASE, "tasks": {"success_prob": ROWS, "weight": [2, 1, 1]},
                    "user": user})
    assert out["id"] == "a"
    assert "error" not in out
    for key in ("equilibrium", "equilibrium_weak", "user_preferred", "misalignment_gap",
                "price_of_alignment", "iid", "net_value", "regime"):
        assert key in out, key
    for part in (out["equilibrium"], out["user_preferred"], out["iid"]["equilibrium"]):
        for key in ("route", "cascade", "abandon", "provider_cost", "user_utility"):
            assert key in part
    assert out["user"] == user
    # the answer equals the library's, and "iid" is the game of the mean probabilities
    g = rg.GameParams.two_model(10, 5, (1, 4), (1, 3), (0.5, 0.5))
    table = TaskTable.from_rows(ROWS, [2, 1, 1])
    lib = rg.solve(g, engine=HeteroEngine(table, user)).to_json_dict()
    certs = ("response_gap", "truncation_bound")
    assert {k: v for k, v in out["equilibrium"].items() if k not in certs} == lib["equilibrium"]
    # every policy block carries its certificate
    for block in (out, out["iid"]):
        for part in ("equilibrium", "equilibrium_weak", "user_preferred"):
            assert block[part]["response_gap"] >= 0.0
            assert block[part]["truncation_bound"] >= 0.0
            if user != "bayes":
                assert block[part]["truncation_bound"] == 0.0
    m = table.mean()
    assert out["mean_success_prob"] == pytest.approx(m.tolist(), rel=1e-14)
    iid = rg.solve(g, engine=HeteroEngine(TaskTable.iid(list(m)), user)).to_json_dict()
    assert {k: v for k, v in out["iid"]["equilibrium"].items() if k not in certs} == (
        iid["equilibrium"])


def test_batch_equal_weights_by_default_and_one_row_equals_the_paper() -> None:
    a, b = batch({"id": 1, **BASE, "tasks": {"success_prob": ROWS}},
                 {"id": 2, **BASE, "tasks": {"success_prob": ROWS, "weight": [5, 5, 5]}})
    assert a["equilibrium"] == b["equilibrium"]
    (one,) = batch({"id": 3, **BASE, "tasks": {"success_prob": [[0.3, 0.8]]}})
    paper = rg.solve_arrays(10, 5, [1, 4], [1, 3], [0.3, 0.8])
    assert one["equilibrium"]["route"] == int(paper.route)
    assert one["equilibrium"]["provider_cost"] == pytest.approx(float(paper.provider_cost),
                                                                rel=1e-12)
    assert one["iid"]["equilibrium"] == one["equilibrium"]


@pytest.mark.parametrize(("tasks", "field"), [
    ({"success_prob": [[0.3, 0.8], [0.1]]}, "tasks.success_prob"),          # ragged
    ({"success_prob": [[0.3, 1.5]]}, "tasks.success_prob"),                 # p > 1
    ({"success_prob": [[-0.1, 0.5]]}, "tasks.success_prob"),                # p < 0
    ({"success_prob": [[0.3, 0.8]], "weight": [-1]}, "tasks.weight"),       # negative
    ({"success_prob": [[0.3, 0.8], [0.2, 0.2]], "weight": [0, 0]}, "tasks.weight"),  # all zero
    ({"success_prob": [[0.3, 0.8]], "weight": [1, 2]}, "tasks.weight"),     # wrong length
    ({"weight": [1]}, "tasks"),                                             # no rows
])
def test_batch_bad_table_is_an_error_naming_the_field(tasks: Any, field: str) -> None:
    (out,) = batch({"id": 9, **BASE, "tasks": tasks})
    assert out["id"] == 9
    assert out["error"]["field"] == field, out
    assert out["error"]["message"].startswith(field + ": ")


def test_solve_heterogeneous_scenario_shows_data_beside_iid() -> None:
    name = "lcb-gpt-4o-mini-vs-o3-mini"
    r = run("solve", "--scenario", name)
    assert r.exit_code == 0, r.stderr
    assert "i.i.d." in r.stdout
    assert "data" in r.stdout
    assert "following the i.i.d." in r.stdout
    r = run("solve", "--scenario", name, "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    sc = load_hetero(name)
    assert d["num_tasks"] == sc.game.tasks.num_tasks
    want = sc.game.solve("strong")
    assert d["equilibrium"]["provider_cost"] == pytest.approx(want.equilibrium.provider_cost,
                                                              rel=1e-12)
    f = d["follow_iid"]
    assert f["provider_cost"] >= d["equilibrium"]["provider_cost"] * (1 - 1e-12)
    assert (f["route"], f["cascade"]) == (d["iid"]["equilibrium"]["route"],
                                          d["iid"]["equilibrium"]["cascade"])
    # game flags override the scenario's values; --success-prob is refused (a table)
    r = run("solve", "--scenario", name, "--penalty", "1", "--json")
    assert r.exit_code == 0, r.stderr
    g1 = attrs.evolve(sc.game, penalty=1.0)
    assert json.loads(r.stdout)["equilibrium"]["provider_cost"] == pytest.approx(
        g1.solve("strong").equilibrium.provider_cost, rel=1e-12)
    r = run("solve", "--scenario", name, "--success-prob", "0.2", "0.4")
    assert r.exit_code == 2
    assert "--success-prob" in r.stderr
    assert "Traceback" not in r.stderr


def test_solve_config_written_by_calibrate(tmp_path: Path) -> None:
    out = tmp_path / "pair.toml"
    r = run("calibrate", "--pair", "gpt-4o-mini/o3-mini", "--task-value", "60", "--penalty",
            "0.1", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    r = run("solve", "--config", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    g = load_hetero(str(out)).game
    assert g.task_value == 60.0
    assert d["equilibrium"]["provider_cost"] == pytest.approx(
        g.solve("strong").equilibrium.provider_cost, rel=1e-12)
    assert "iid" in d


def test_scenarios_lists_heterogeneous_ones_marked() -> None:
    r = run("scenarios")
    assert r.exit_code == 0, r.stderr
    for h in list_hetero_scenarios():
        assert h["name"] + " *" in r.stdout
    assert "heterogeneous" in r.stdout
    items = json.loads(run("scenarios", "--json").stdout)
    het = [x for x in items if x.get("heterogeneous")]
    assert {x["name"] for x in het} == {h["name"] for h in list_hetero_scenarios()}
    assert all(x["num_tasks"] > 1 for x in het)


def test_library_facade_picks_the_hetero_engine_for_a_table() -> None:
    g = rg.GameParams.two_model(10, 5, (1, 4), (1, 3), (0.5, 0.5))
    res = rg.solve(g, tasks={"success_prob": ROWS})
    assert res.iid is not None
    assert res.tasks is not None
    assert np.isclose(float(res.equilibrium.provider_cost),
                      HeteroEngine(ROWS).solve(g).equilibrium.provider_cost)
