"""The rough edges of the new-user review: blank batch lines, --config of a missing file,
per-model lists of different lengths, calibrate --out without .toml. Each is one line naming
the flag or field, exit status 2 (or an error object in a batch), no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from routegame.cli._app import app
from routegame.cli.solve_cmd import _answer_lines

GOOD = {"task_value": 10, "penalty": 5, "latency": [3, 6], "cost": [1, 4],
        "success_prob": [0.25, 0.75]}


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=input)


def one_line_error(r: Any, *needles: str) -> None:
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_blank_batch_lines_are_answered_in_place() -> None:
    text = "\n".join([json.dumps({"id": 1, **GOOD}), "", "   ", json.dumps({"id": 2, **GOOD}),
                      "", ""]) + "\n"
    r = run("solve", "--batch", "-", input=text)
    assert r.exit_code == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6]  # answer k is line k
    assert "equilibrium" in out[0]
    assert "equilibrium" in out[3]
    for k in (1, 2, 4, 5):
        assert out[k]["error"]["field"] == "line"
        assert out[k]["error"]["message"].startswith(f"line: {k + 1} is blank")
        assert out[k]["id"] is None


def test_blank_lines_through_the_generator() -> None:
    answers = [a for a, _ in _answer_lines([b"", json.dumps(GOOD).encode(), b" \t"], "strong")]
    assert [a["line"] for a in answers] == [1, 2, 3]
    assert "error" in answers[0]
    assert "error" not in answers[1]
    assert "error" in answers[2]


@pytest.mark.parametrize("command", [["solve"], ["report", "--out", "rep"], ["simulate"],
                                     ["plot", "policy-map", "--out", "x.png"],
                                     ["sweep", "--grid", "penalty=0:1:3", "--out", "x.csv"]])
def test_config_of_a_missing_file_names_the_flag(command: list[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.toml")
    r = run(*command, "--config", missing)
    one_line_error(r, "--config", "no such file", "missing.toml")


def test_config_of_a_directory_names_the_flag(tmp_path: Path) -> None:
    one_line_error(run("solve", "--config", str(tmp_path)), "--config", "directory")


def test_batch_lists_of_different_lengths_name_the_odd_one() -> None:
    lines = [{"id": 1, **GOOD, "latency": [3, 6, 7]},
             {"id": 2, **GOOD, "latency": [3, 6, 7], "cost": [1, 4, 5]},
             {"id": 3, **GOOD, "models": None, "latency": [3, 6, 7], "cost": [1, 4, 5],
              "success_prob": [0.2, 0.5, 0.6], "user": "stationary"}]
    del lines[2]["models"]
    r = run("solve", "--batch", "-", input="\n".join(json.dumps(x) for x in lines) + "\n")
    a, b, c = (json.loads(x) for x in r.stdout.splitlines())
    assert a["error"]["field"] == "latency"
    assert a["error"]["message"] == (
        "latency: has 3 entries but cost and success_prob have 2; the per-model lists must "
        "have the same length (one entry per model)")
    assert b["error"]["field"] == "success_prob"
    assert "latency and cost have 3" in b["error"]["message"]
    assert "equilibrium" in c  # a consistent three-model line is answered


def test_flags_of_different_lengths_name_the_odd_one() -> None:
    r = run("solve", "--task-value", "10", "--penalty", "5", "--latency", "3", "6", "7",
            "--cost", "1", "4", "--success-prob", "0.2", "0.5")
    one_line_error(r, "--latency: has 3 entries but --cost and --success-prob have 2")


@pytest.mark.parametrize("name", ["x.txt", "x", "x.toml.bak", "x.json"])
def test_calibrate_out_must_be_toml(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    one_line_error(run("calibrate", "--out", str(out)), "--out", ".toml")
    assert not out.exists()
