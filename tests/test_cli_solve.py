"""Tests of ``routegame solve`` and ``routegame scenarios``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("typer")
pytest.importorskip("rich")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

from typer.testing import CliRunner  # noqa: E402

from routegame import TwoModelGame, solve_arrays, solve_record  # noqa: E402
from routegame.cli._app import app  # noqa: E402
from routegame.cli._common import join_multi_args  # noqa: E402
from routegame.cli.solve_cmd import dispatch_record, is_k_model_record  # noqa: E402
from routegame.scenarios import list_scenarios, load_config, load_scenario  # noqa: E402
from routegame.tabular import INPUT_COLUMNS, OUTPUT_COLUMNS  # noqa: E402

runner = CliRunner()

# ξ = (10*0.3 - 4, 10*0.8 - 5) = (-1, 3): the latency-value regime, s0 = 1/(1 + 3/0.8) = 4/19
GAME = ["--task-value", "10", "--penalty", "20", "--latency", "4", "5", "--cost", "1", "4",
        "--success-prob", "0.3", "0.8"]
GAME_RECORD = {"task_value": 10, "penalty": 20, "latency": [4, 5], "cost": [1, 4],
               "success_prob": [0.3, 0.8]}


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def assert_one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, err


def game_dict() -> dict[str, Any]:
    g = TwoModelGame.from_values(10, 20, [4, 5], [1, 4], [0.3, 0.8])
    return g.solve().to_dict()


# ---------------------------------------------------------------------------------------------
# one game


def test_json_equals_solve_to_dict() -> None:
    r = run("solve", *GAME, "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {"id": None, **game_dict(), "responses": []}
    assert out["thresholds"]["s0"] == pytest.approx(4 / 19)
    # the same keys as a batch line's answer
    assert set(out) == set(solve_record({"id": None, **GAME_RECORD}))


def test_json_weak_tie_break() -> None:
    r = run("solve", *GAME, "--json", "--tie-break", "weak")
    assert r.exit_code == 0, r.stderr
    g = TwoModelGame.from_values(10, 20, [4, 5], [1, 4], [0.3, 0.8])
    out = json.loads(r.stdout)
    assert out == {"id": None, **g.solve("weak").to_dict(), "responses": []}
    assert out["equilibrium"]["attained"] is False  # the infimum at s -> s0 from above


def test_queries_add_best_responses() -> None:
    r = run("solve", *GAME, "--query", "1", "0.5", "--query", "2", "0", "--query", "1", "0",
            "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    g = TwoModelGame.from_values(10, 20, [4, 5], [1, 4], [0.3, 0.8])
    assert out["responses"] == [g.best_response(1, 0.5), g.best_response(2, 0.0),
                                g.best_response(1, 0.0)]
    # by hand: s = 0.5 > s0 and ξ2 > 0 -> stay; route 2 with ξ2 > 0 -> stay; s = 0 < s0 -> leave
    assert [x["abandon"] for x in out["responses"]] == [0.0, 0.0, 1.0]


def test_readable_output_has_every_part() -> None:
    r = run("solve", *GAME, "--query", "1", "0.5")
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    d = game_dict()
    for part in ("Parameters", "regime: latency-value", "s0 = 0.210526", "Policies",
                 "equilibrium (strong)", "equilibrium (weak) *", "user-preferred",
                 "misalignment gap: 4.75", "throttling pays: no", "Best responses",
                 "guideline:"):
        assert part in text, part
    assert " ".join(d["guideline"].split()[:6]) in " ".join(text.split())


def test_scenario_json_and_overrides() -> None:
    sc = load_scenario("default")
    r = run("solve", "--scenario", "default", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"id": None, **TwoModelGame(sc.params).solve().to_dict(),
                                    "responses": []}
    r = run("solve", "--scenario", "default", "--penalty", "0", "--latency", "2", "6", "--json")
    assert r.exit_code == 0, r.stderr
    want = TwoModelGame(sc.params.replace(penalty=0.0, latency=[2.0, 6.0])).solve().to_dict()
    assert json.loads(r.stdout) == {"id": None, **want, "responses": []}
    r = run("solve", "--scenario", "default")
    assert r.exit_code == 0
    assert "scenario default" in r.stdout
    assert "standard" in r.stdout


def test_config_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text("task_value = 10\npenalty = 20\nlatency = [4, 5]\ncost = [1, 4]\n"
                 "success_prob = [0.3, 0.8]\n")
    r = run("solve", "--config", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"id": None, **game_dict(), "responses": []}
    assert load_config(f).params.num_models == 2


def test_k_model_scenario_goes_to_the_general_solver() -> None:
    r = run("solve", "--scenario", "aider-openai-3-tier", "--json")
    if r.exit_code == 2:  # K-model games not wired yet: a clean one-line error
        assert_one_line_error(r, "models")
        return
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["id"] is None
    assert "equilibrium" in out


# ---------------------------------------------------------------------------------------------
# batch


def test_batch_bad_line_in_the_middle(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", **GAME_RECORD}),
        "",
        json.dumps({"id": "b", **GAME_RECORD, "success_prob": [0.3, 1.5]}),
        '{"id": "c", "task_value": ',
        "   ",
        json.dumps({"id": "d", **GAME_RECORD, "penalty": 1,
                    "queries": [{"route": 1, "cascade": 0.25}]}),
        json.dumps({"id": "e", **GAME_RECORD, "cost": "cheap"}),
        "[1, 2]",
        json.dumps({"id": "f", **GAME_RECORD}),
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(lines) + "\n")
    r = run("solve", "--batch", str(f))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    outs = [json.loads(x) for x in r.stdout.splitlines()]
    # one answer per input line: blank lines are answered by an error object (field "line")
    assert [o["id"] for o in outs] == ["a", None, "b", None, None, "d", "e", None, "f"]
    assert [o["line"] for o in outs] == list(range(1, 10))
    # successful answers carry their line too (issue 11), so duplicate ids can be matched
    assert outs[0] == {"line": 1, **solve_record({"id": "a", **GAME_RECORD})}
    assert outs[8] == {"line": 9, **solve_record({"id": "f", **GAME_RECORD})}
    assert outs[5] == {"line": 6, **solve_record(json.loads(lines[5]))}
    for blank in (outs[1], outs[4]):
        assert blank["error"]["field"] == "line"
        assert "blank" in blank["error"]["message"]
    outs = [o for o in outs if o["line"] not in (2, 5)]  # the checks below: non-blank lines
    assert outs[1]["error"]["field"] == "success_prob[2]"
    assert outs[1]["line"] == 3
    assert outs[2]["error"]["field"] == "json"
    assert outs[2]["line"] == 4
    assert "line 4" in outs[2]["error"]["message"]
    assert outs[4]["error"]["field"] == "cost"
    assert outs[5]["error"]["field"] == "line"
    for o in (outs[1], outs[2], outs[4], outs[5]):
        assert set(o) == {"id", "line", "error"}
        assert o["error"]["message"].startswith(o["error"]["field"] + ": ")


def test_batch_from_stdin_and_tie_break() -> None:
    text = json.dumps({"id": 1, **GAME_RECORD}) + "\n" + json.dumps({"id": 2, **GAME_RECORD})
    r = run("solve", "--batch", "-", "--tie-break", "weak", input=text)
    assert r.exit_code == 0, r.stderr
    outs = [json.loads(x) for x in r.stdout.splitlines()]
    assert outs == [{"line": k, **solve_record({"id": k, **GAME_RECORD}, "weak")} for k in (1, 2)]


def test_batch_nan_and_non_utf8(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_bytes(b'{"id": 1, "task_value": NaN, "penalty": 1, "latency": [1, 2], "cost": [1, 2],'
                  b' "success_prob": [0.2, 0.5]}\n\xff\xfe\n')
    r = run("solve", "--batch", str(f))
    assert r.exit_code == 0
    a, b = (json.loads(x) for x in r.stdout.splitlines())
    assert a["error"]["field"] == "task_value"
    assert "finite" in a["error"]["message"]
    assert b["error"]["field"] == "line"
    assert "UTF-8" in b["error"]["message"]


def test_batch_k_model_line_is_dispatched(tmp_path: Path) -> None:
    three = {"id": "k", "task_value": 10, "penalty": 6,
             "models": [{"latency": 1, "cost": 1, "success_prob": 0.3},
                        {"latency": 5, "cost": 0.5, "success_prob": 0.4},
                        {"latency": 2, "cost": 3, "success_prob": 0.8}]}
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps(three) + "\n" + json.dumps({"id": "two", **GAME_RECORD}) + "\n")
    r = run("solve", "--batch", str(f))
    assert r.exit_code == 0, r.stderr
    k, two = (json.loads(x) for x in r.stdout.splitlines())
    assert k["id"] == "k"
    assert "equilibrium" in k or k["error"]["field"] == "models"
    assert two == {"line": 2, **solve_record({"id": "two", **GAME_RECORD})}


def test_k_model_dispatch_rule() -> None:
    assert not is_k_model_record(GAME_RECORD)
    two = {"task_value": 1, "penalty": 1, "models": [{}, {}]}
    assert not is_k_model_record(two)
    assert is_k_model_record({**two, "user": "state-aware"})
    assert is_k_model_record({**GAME_RECORD, "policy": {}})
    assert is_k_model_record({**GAME_RECORD, "latency": [1, 2, 3], "cost": [1, 2, 3],
                              "success_prob": [0.1, 0.2, 0.3]})
    out = dispatch_record({"id": 9, **GAME_RECORD})
    assert out == solve_record({"id": 9, **GAME_RECORD})


def test_batch_missing_file_exits_2(tmp_path: Path) -> None:
    r = run("solve", "--batch", str(tmp_path / "none.jsonl"))
    assert_one_line_error(r, "--batch", "no such file")
    assert r.stdout == ""


def test_join_multi_args_for_query() -> None:
    # one joiner for the per-model game flags and solve's --query ROUTE CASCADE
    multi = ("--latency", "--query")
    assert join_multi_args(["--query", "1", "0.5", "--", "--query", "2", "0"], multi) == [
        "--query", "1 0.5", "--", "--query", "2", "0"]
    assert join_multi_args(["--query", "1"], multi) == ["--query", "1"]
    assert join_multi_args(["--query", "1", "0.5", "--latency", "3", "6"], multi) == [
        "--query", "1 0.5", "--latency", "3 6"]


def test_query_wrong_count_is_one_line() -> None:
    r = run("solve", "--scenario", "default", "--query", "1")
    assert_one_line_error(r, "--query", "takes ROUTE CASCADE")
    r = run("solve", "--scenario", "default", "--query")
    assert r.exit_code == 2


# ---------------------------------------------------------------------------------------------
# tables


def games_table(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {"id": [f"r{k}" for k in range(n)]}
    cols["task_value"] = rng.uniform(1, 20, n)
    cols["penalty"] = rng.uniform(0, 20, n)
    for c, lo, hi in (("latency", 0.2, 8), ("cost", 0, 5), ("success_prob", 0.02, 0.98)):
        cols[f"{c}_1"] = rng.uniform(lo, hi, n)
        cols[f"{c}_2"] = rng.uniform(lo, hi, n)
    return cols


@pytest.mark.parametrize(("src_suffix", "out_suffix"), [(".csv", ".csv"), (".parquet", ".parquet"),
                                                         (".csv", ".parquet")])
def test_table_round_trip(tmp_path: Path, src_suffix: str, out_suffix: str) -> None:
    cols = games_table(200, seed=11)
    src = tmp_path / f"games{src_suffix}"
    t = pa.table(cols)
    pcsv.write_csv(t, src) if src_suffix == ".csv" else pq.write_table(t, src)
    out = tmp_path / f"solved{out_suffix}"
    r = run("solve", "--table", str(src), "--out", str(out))
    assert r.exit_code == 0, r.stderr
    assert "200" in r.stdout
    back = pcsv.read_csv(out) if out_suffix == ".csv" else pq.read_table(out)
    assert back.column_names == ["id", *INPUT_COLUMNS, *OUTPUT_COLUMNS]
    assert back.column("id").to_pylist() == cols["id"]
    sol = solve_arrays(cols["task_value"], cols["penalty"],
                       np.stack([cols["latency_1"], cols["latency_2"]], -1),
                       np.stack([cols["cost_1"], cols["cost_2"]], -1),
                       np.stack([cols["success_prob_1"], cols["success_prob_2"]], -1))
    for name, want in sol.columns().items():
        got = back.column(name).to_numpy(zero_copy_only=False)
        if name == "regime":
            assert list(got) == list(want)
        else:
            np.testing.assert_array_equal(np.asarray(got, dtype=np.asarray(want).dtype), want,
                                          err_msg=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, out.name])


def test_table_refuses_existing_output_unless_overwrite(tmp_path: Path) -> None:
    src = tmp_path / "g.csv"
    pcsv.write_csv(pa.table(games_table(3, seed=1)), src)
    out = tmp_path / "o.csv"
    out.write_text("keep me")
    r = run("solve", "--table", str(src), "--out", str(out))
    assert_one_line_error(r, "--out", "exists", "--overwrite")
    assert out.read_text() == "keep me"
    r = run("solve", "--table", str(src), "--out", str(out), "--overwrite", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == 3
    assert pcsv.read_csv(out).num_rows == 3


HEADER = ",".join(INPUT_COLUMNS)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (f"{HEADER}\n10,20,4,5,1,4,0.3,0.8\n10,20,4,5,1,4,0.3,1.5\n",
         ["success_prob_2:", "(0, 1)", "row 2"]),
        (f"{HEADER}\n10,20,4,5,1,4,0.3,0.8\n10,20,4,five,1,4,0.3,0.8\n",
         ["latency_2:", "'five'", "row 2"]),
        ("task_value,penalty\n1,2\n", ["latency_1: missing column"]),
        (f"{HEADER}\n10,20,4,5\n", ["malformed CSV"]),
        (f"{HEADER}\n10,20,-4,5,1,4,0.3,0.8\n", ["latency_1:", "> 0", "row 1"]),
        (f"{HEADER}\n10,20,4,5,1,4,0.3,nan\n", ["success_prob_2:", "nan", "row 1"]),
    ],
)
def test_table_bad_input_leaves_no_file(tmp_path: Path, text: str, fragments: list[str]) -> None:
    src = tmp_path / "g.csv"
    src.write_text(text)
    out = tmp_path / "o.parquet"
    r = run("solve", "--table", str(src), "--out", str(out))
    assert_one_line_error(r, *fragments)
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]  # no output, no temporary file


def test_table_bad_parquet_leaves_no_file(tmp_path: Path) -> None:
    src = tmp_path / "g.parquet"
    src.write_text("not parquet")
    r = run("solve", "--table", str(src), "--out", str(tmp_path / "o.csv"))
    assert_one_line_error(r, "g.parquet", "Parquet")
    assert [p.name for p in tmp_path.iterdir()] == ["g.parquet"]


# ---------------------------------------------------------------------------------------------
# bad input everywhere: one line on stderr, exit 2


def _game(**changes: list[str]) -> list[str]:
    args = {"--task-value": ["10"], "--penalty": ["20"], "--latency": ["4", "5"],
            "--cost": ["1", "4"], "--success-prob": ["0.3", "0.8"]}
    for k, v in changes.items():
        args["--" + k.replace("_", "-")] = v
    return [x for k, v in args.items() for x in (k, *v)]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (_game(latency=["0", "5"]), ["latency[1]:", "> 0"]),
        (_game(latency=["4", "-5"]), ["latency[2]:", "> 0"]),
        (_game(task_value=["0"]), ["task_value:", "> 0"]),
        (_game(task_value=["-3"]), ["task_value:"]),
        (_game(penalty=["-1"]), ["penalty:", ">= 0"]),
        (_game(cost=["-1", "4"]), ["cost[1]:", ">= 0"]),
        (_game(success_prob=["0", "0.8"]), ["success_prob[1]:", "(0, 1)"]),
        (_game(success_prob=["0.3", "1"]), ["success_prob[2]:", "(0, 1)"]),
        (_game(success_prob=["0.3", "nan"]), ["success_prob[2]:", "nan"]),
        (_game(latency=["inf", "5"]), ["latency[1]:", "finite"]),
        (_game(cost=["1", "abc"]), ["cost[2]:", "'abc'"]),
        ([*_game(), "--query", "1", "1.5"], ["query[1].cascade:", "[0, 1]"]),
        ([*_game(), "--query", "1", "-0.1"], ["query[1].cascade:"]),
        ([*_game(), "--query", "3", "0"], ["query[1].route:", "1 or 2"]),
        ([*_game(), "--query", "1.5", "0"], ["query[1].route:", "1 or 2"]),
        ([*_game(), "--query", "1"], ["--query:", "ROUTE CASCADE"]),
        (["--task-value", "10", "--penalty", "1"], ["latency:", "missing"]),
        ([], ["source:", "--scenario"]),
        (["--scenario", "no-such"], ["scenario:", "unknown scenario"]),
        (["--scenario", "default", "--config", "x.toml"], ["source:", "exactly one"]),
        (["--scenario", "default", "--success-prob", "0.3", "2"], ["success_prob[2]:"]),
        (["--scenario", "aider-openai-3-tier", "--cost", "1", "2"], ["cost:", "takes 3 values"]),
        (["--batch", "x.jsonl", "--penalty", "1"], ["--penalty:", "--batch"]),
        (["--table", "x.csv"], ["--out:", "missing"]),
        (["--table", "x.csv", "--out", "y.xlsx"], ["--out:", ".csv"]),
        (["--out", "y.csv", *_game()], ["--out:", "--table"]),
        (["--table", "no-such.csv", "--out", "y.csv"], ["--table:", "no such file"]),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   args: list[str], fragments: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    r = run("solve", *args)
    assert_one_line_error(r, *fragments)
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("task_value = 10\npenalty = \n", ["invalid TOML", "line 2"]),
        ("task_value = 10\npenalty = 1\nlatency = [1, 2, 3]\ncost = [1, 2]\n"
         "success_prob = [0.2, 0.5]\n", ["cost:", "3 entries"]),
        ("task_value = 10\npenalty = 1\nlatency = [1, 2]\ncost = [1, 2]\n"
         "success_prob = [0.2, 1.5]\n", ["success_prob[2]:", "(0, 1)"]),
    ],
)
def test_bad_config(tmp_path: Path, content: str, fragments: list[str]) -> None:
    f = tmp_path / "c.toml"
    f.write_text(content)
    assert_one_line_error(run("solve", "--config", str(f)), *fragments)


def test_missing_config() -> None:
    assert_one_line_error(run("solve", "--config", "/no/such/file.toml"), "no such file")


def test_usage_errors_exit_2_without_traceback() -> None:
    for args in (["solve", "--tie-break", "medium"], ["solve", "--latency", "1"],
                 ["solve", "--bogus"], ["nosuchcommand"]):
        r = run(*args)
        assert r.exit_code == 2, args
        assert "Traceback" not in r.stderr + r.stdout


# ---------------------------------------------------------------------------------------------
# scenarios


def test_scenarios_json_and_table() -> None:
    r = run("scenarios", "--json")
    assert r.exit_code == 0, r.stderr
    items = json.loads(r.stdout)
    iid = list_scenarios()
    assert items[:len(iid)] == [{"name": s.name, "version": s.version,
                                 "num_models": s.num_models, "description": s.description}
                                for s in iid]
    assert all(x["heterogeneous"] for x in items[len(iid):])  # task tables (routegame.hetero)
    assert "default" in [x["name"] for x in items]
    r = run("scenarios")
    assert r.exit_code == 0
    for s in list_scenarios():
        assert s.name in r.stdout


# ---------------------------------------------------------------------------------------------
# the installed command, in a real process


def _routegame() -> list[str]:
    exe = Path(sys.executable).with_name("routegame")
    return [str(exe)] if exe.exists() else [sys.executable, "-c",
                                            "from routegame.cli import main; main()"]


def test_subprocess_bad_input_and_success(tmp_path: Path) -> None:
    bad = subprocess.run([*_routegame(), "solve", *_game(success_prob=["0.3", "1.5"])],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == "error: success_prob[2]: must be in (0, 1), got 1.5\n"
    ok = subprocess.run([*_routegame(), "solve", *_game(), "--json"],
                        capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"id": None, **game_dict(), "responses": []}


def test_subprocess_usage_error() -> None:
    r = subprocess.run([*_routegame(), "solve", "--latency", "1"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "--latency" in r.stderr


def test_python_dash_m_routegame_is_the_command_line() -> None:
    out = subprocess.run([sys.executable, "-m", "routegame", "--version"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("routegame ")
