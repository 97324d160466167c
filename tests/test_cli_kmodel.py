"""K-model lines of ``routegame solve --batch``: equilibrium, user choice, policy outcomes."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

import routegame as rg
from routegame.cli._app import app
from routegame.markov.chain import chain_outcomes

MODELS = [
    {"latency": 1, "cost": 1, "success_prob": 0.3},
    {"latency": 3, "cost": 2, "success_prob": 0.6},
    {"latency": 8, "cost": 5, "success_prob": 0.9},
]


def run_batch(lines: list[dict]) -> list[dict]:
    text = "\n".join(json.dumps(x) for x in lines) + "\n"
    res = CliRunner().invoke(app, ["solve", "--batch", "-"], input=text)
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines()]


def test_k_model_equilibrium_lines_for_both_users():
    base = {"task_value": 10, "penalty": 5, "models": MODELS}
    out = run_batch([{"id": "a", **base, "user": "stationary"}, {"id": "b", **base, "user": "state-aware"}])
    params = rg.GameParams.from_dict(base)
    for line, user in zip(out, ("stationary", "state-aware"), strict=True):
        eq = rg.GeneralGame(params, user=user).solve().to_dict()
        assert line["equilibrium"]["provider_cost"] == eq["equilibrium"]["provider_cost"]
        assert line["misalignment_gap"] == eq["misalignment_gap"]
        assert set(line) >= {"id", "equilibrium", "user_preferred", "misalignment_gap"}


def test_policy_line_gives_chain_outcomes():
    policy = {"start": [1, 0, 0], "cascade": [[0, 1, 0], [0, 0, 1], [0, 0, 1]]}
    out = run_batch([{"id": 7, "task_value": 10, "penalty": 5, "models": MODELS,
                      "policy": policy, "abandon": [0.1, 0.2, 0.3]}])[0]
    ref = chain_outcomes(10, 5, [1, 3, 8], [1, 2, 5], [0.3, 0.6, 0.9], policy["start"],
                         policy["cascade"], [0.1, 0.2, 0.3], per_model=True)
    assert out["id"] == 7
    assert np.isclose(out["outcome"]["success"], float(ref.success))
    assert np.allclose(out["outcome"]["passes"], ref.passes)


def test_bad_policy_line_is_an_error_object_and_others_still_answered():
    out = run_batch([
        {"id": 1, "task_value": 10, "penalty": 5, "models": MODELS,
         "policy": {"start": [1, 0], "cascade": [[1, 0], [0, 1]]}, "abandon": 0.1},
        {"id": 2, "task_value": 10, "penalty": 5, "models": MODELS, "user": "stationary"},
    ])
    assert out[0]["error"]["field"] == "policy.start"
    assert "equilibrium" in out[1]


def test_single_game_user_flag_uses_the_k_model_engine():
    res = CliRunner().invoke(app, ["solve", "--scenario", "default", "--user", "state-aware", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    params = rg.GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    ref = rg.GeneralGame(params, user="state-aware").solve().to_dict()
    assert out["equilibrium"]["provider_cost"] == ref["equilibrium"]["provider_cost"]
    bad = CliRunner().invoke(app, ["solve", "--scenario", "default", "--user", "bogus"])
    assert bad.exit_code == 2


def test_k_model_table_says_which_tie_break() -> None:
    # a K-model row was labelled just "equilibrium" under --tie-break weak
    for tb in ("strong", "weak"):
        res = CliRunner().invoke(app, ["solve", "--scenario", "aider-openai-3-tier",
                                       "--tie-break", tb], env={"COLUMNS": "160"})
        assert res.exit_code == 0, res.output
        assert f"equilibrium ({tb})" in res.stdout
