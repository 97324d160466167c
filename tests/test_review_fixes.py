"""Defects an outside new-user review found in this round's features, one test each."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

LCB = "lcb-gpt-4o-mini-vs-o3-mini"


def _run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "routegame", *args], input=stdin,
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def _significant(x: float) -> int:
    digits = re.sub(r"e.*$", "", repr(abs(x))).replace(".", "").lstrip("0")
    return len(digits)


def _floats(obj: object) -> list[float]:
    if isinstance(obj, float):
        return [obj]
    if isinstance(obj, dict):
        return [f for v in obj.values() for f in _floats(v)]
    if isinstance(obj, list):
        return [f for v in obj for f in _floats(v)]
    return []


def test_heterogeneous_json_is_rounded_to_15_significant_digits_everywhere() -> None:
    out = _run("solve", "--scenario", LCB, "--json", "--policies", "all")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert "all_policies" in d
    values = _floats(d)
    assert len(values) > 20
    assert max(_significant(v) for v in values) <= 15


@pytest.mark.parametrize(("flag", "value"), [("--user", "state-aware"), ("--policies", "all")])
@pytest.mark.parametrize("source", ["--batch", "--table"])
def test_single_game_options_are_refused_with_batch_and_table(
        tmp_path: Path, source: str, flag: str, value: str) -> None:
    src = tmp_path / ("in.jsonl" if source == "--batch" else "in.csv")
    src.write_text("task_value,penalty\n1,1\n")
    args = ["solve", source, str(src), flag, value]
    if source == "--table":
        args += ["--out", str(tmp_path / "out.csv")]
    out = _run(*args)
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"error: {flag}: cannot be combined with {source}")
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "out.csv").exists()


def test_batch_task_lines_say_they_are_two_model_and_policies_need_tasks() -> None:
    lines = [
        {"task_value": 10, "penalty": 5, "latency": [1, 2, 6], "cost": [1, 2, 5],
         "tasks": {"success_prob": [[0.3, 0.6, 0.9]]}},
        {"task_value": 10, "penalty": 5, "latency": [1, 4], "cost": [1, 3],
         "success_prob": [0.5, 0.8], "policies": "all"},
    ]
    out = _run("solve", "--batch", "-", stdin="\n".join(json.dumps(x) for x in lines) + "\n")
    assert out.returncode == 0, out.stderr
    a, b = (json.loads(x) for x in out.stdout.splitlines())
    assert a["error"]["field"] == "tasks"
    assert "two-model game" in a["error"]["message"]
    assert "got 3 models" in a["error"]["message"]
    assert b["error"]["field"] == "policies"
    assert 'only in a task-table line (with "tasks")' in b["error"]["message"]


def test_hazard_user_without_hazard_probabilities_is_refused() -> None:
    out = _run("solve", "--scenario", LCB, "--user", "hazard")
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: --user: hazard needs the abandon probability")


def test_piped_heterogeneous_table_shows_every_digit() -> None:
    """At 80 columns (a pipe) numbers are never cut with an ellipsis."""
    out = _run("solve", "--scenario", LCB, "--user", "state-aware")
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
    d = json.loads(_run("solve", "--scenario", LCB, "--user", "state-aware", "--json").stdout)
    j = f"{d['equilibrium']['provider_cost']:.6g}"
    gap = f"{d['equilibrium']['response_gap']:.6g}"
    assert j in out.stdout
    assert gap in out.stdout
