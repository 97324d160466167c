"""Tests of routegame.calibrate: estimators from the Aider polyglot leaderboard.

Expected values are typed in from the CSV (or recomputed here with the csv module), never
produced by the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routegame.calibrate import (
    AIDER_COLUMNS,
    AIDER_FILE,
    LIVECODEBENCH_FILE,
    CalibratedModel,
    aider_game,
    aider_model,
    aider_pair,
    aider_scenario,
    livecodebench_tasks,
    load_aider,
)
from routegame.errors import DataFormatError, ParameterError
from routegame.params import GameParams

#: sha256 of the shipped copy, as stated in src/routegame/data/README.md.
AIDER_SHA256 = "06f3b805a4a8743217f45d8a922f224c3edfb49e02a78e620480068736589083"


def shipped_csv() -> Path:
    return Path(str(resources.files("routegame").joinpath("data", AIDER_FILE)))


def csv_rows() -> list[dict[str, str]]:
    with shipped_csv().open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# --- the data file ------------------------------------------------------------------------


def test_shipped_file_is_the_documented_copy() -> None:
    assert hashlib.sha256(shipped_csv().read_bytes()).hexdigest() == AIDER_SHA256
    readme = shipped_csv().with_name("README.md").read_text(encoding="utf-8")
    assert AIDER_SHA256 in readme
    assert (shipped_csv().parent / "NOTICE").is_file()


def test_shipped_file_is_internally_consistent() -> None:
    rows = csv_rows()
    assert len(rows) == 69
    for r in rows:
        n, total = int(r["test_cases"]), int(r["total_tests"])
        assert 0 < n <= total == 225
        # the rates are the counts over the exercises run, rounded to one decimal; for 5 of the
        # 6 rows with n < 225, pass_rate_2 is over all 225 exercises instead, and o1's 139/225
        # = 61.78 % is printed as 61.7 (docs/data.md)
        assert abs(100 * int(r["pass_num_1"]) / n - float(r["pass_rate_1"])) <= 0.05 + 1e-9
        k2, r2 = int(r["pass_num_2"]), float(r["pass_rate_2"])
        assert min(abs(100 * k2 / n - r2), abs(100 * k2 / total - r2)) <= 0.1
        assert float(r["pass_rate_1"]) <= r2


# --- estimators: known answers ------------------------------------------------------------


def test_known_row_claude_37_no_thinking() -> None:
    # line 25: test_cases 225, pass_rate_1 24.4, pass_rate_2 60.4, seconds_per_case 28.3,
    # total_cost 17.7191 (typed in from the CSV)
    m = aider_model("claude-3-7-sonnet-20250219 (no thinking)")
    assert isinstance(m, CalibratedModel)
    assert m.name == "claude-3-7-sonnet-20250219 (no thinking)"
    assert m.success_prob == pytest.approx(0.244, abs=1e-15)
    assert m.retry_success_prob == pytest.approx(36.0 / 75.6, rel=1e-12)
    assert m.cost == pytest.approx(17.7191 / (225 * 1.756), rel=1e-12)
    assert m.latency == pytest.approx(28.3 / 1.756, rel=1e-12)
    assert "line 25" in m.source
    assert AIDER_FILE in m.source
    assert "seconds_per_case" in m.field_sources["latency"]
    assert "28.3/(2 - 0.244)" in m.field_sources["latency"]
    assert "17.7191/(225*(2 - 0.244))" in m.field_sources["cost"]


def test_known_row_with_fewer_test_cases() -> None:
    # line 21, o3-mini (high): test_cases 224, pass_rate_1 21.0, pass_rate_2 60.4,
    # seconds_per_case 124.6, total_cost 18.1584
    m = aider_model("o3-mini (high)")
    assert m.success_prob == pytest.approx(0.21)
    assert m.retry_success_prob == pytest.approx(39.4 / 79.0)
    assert m.cost == pytest.approx(18.1584 / (224 * 1.79))
    assert m.latency == pytest.approx(124.6 / 1.79)


def test_every_usable_row_matches_the_formula() -> None:
    usable = 0
    for k, r in enumerate(csv_rows()):
        cost = float(r["total_cost"]) if r["total_cost"] else math.nan
        if not cost > 0:
            with pytest.raises(ParameterError) as exc:
                aider_model(k)
            assert exc.value.field == "total_cost"
            one_line(exc)
            continue
        usable += 1
        p = float(r["pass_rate_1"]) / 100
        m = aider_model(k)
        assert m.name == r["model"]
        assert m.success_prob == pytest.approx(p, rel=1e-12)
        assert m.cost == pytest.approx(cost / (int(r["test_cases"]) * (2 - p)), rel=1e-12)
        assert m.latency == pytest.approx(float(r["seconds_per_case"]) / (2 - p), rel=1e-12)
        # a retry sees the test output: on this leaderboard it always helps
        assert m.retry_success_prob > 0
        spec = m.to_model_spec()
        assert (spec.latency, spec.cost, spec.success_prob) == (m.latency, m.cost, m.success_prob)
    assert usable == 51


def test_retry_is_more_successful_than_first_attempt() -> None:
    """The documented caveat: passes are not i.i.d. (feedback retries), on all 51 usable rows."""
    usable = [aider_model(k) for k, r in enumerate(csv_rows()) if float(r["total_cost"] or 0) > 0]
    assert len(usable) == 51
    assert all(m.retry_success_prob > m.success_prob for m in usable)


# --- row selection --------------------------------------------------------------------------


def test_select_by_substring_index_mapping_and_series() -> None:
    by_name = aider_model("gpt-4.1-mini")
    assert aider_model("GPT-4.1-MINI") == by_name  # unique case-insensitive substring
    assert aider_model(40) == by_name  # 0-based row index
    row = csv_rows()[40]
    from_mapping = aider_model(row)
    assert from_mapping.cost == by_name.cost
    assert from_mapping.source.startswith("given row")
    series = load_aider().iloc[40]
    assert aider_model(series).latency == pytest.approx(by_name.latency, rel=1e-12)


def test_exact_name_wins_over_substring() -> None:
    # "o3" is a substring of several names but the exact name of one row
    assert aider_model("o3").name == "o3"


def test_ambiguous_and_unknown_names() -> None:
    with pytest.raises(ParameterError) as exc:
        aider_model("claude-3-7-sonnet")
    msg = one_line(exc)
    assert exc.value.field == "model"
    assert "line 25" in msg
    assert "line 26" in msg
    with pytest.raises(ParameterError) as exc:
        aider_model("gpt-4.2-mini")
    msg = one_line(exc)
    assert msg.startswith("model: no row with model 'gpt-4.2-mini'")
    assert "'gpt-4.1-mini'" in msg  # close match offered
    with pytest.raises(ParameterError, match=r"^model: row 69 out of range"):
        aider_model(69)
    with pytest.raises(ParameterError, match=r"^model: must be a model name"):
        aider_model(True)
    with pytest.raises(ParameterError, match=r"^model: must be a model name"):
        aider_model(3.5)


# --- validation ----------------------------------------------------------------------------


def test_zero_and_blank_cost() -> None:
    with pytest.raises(ParameterError) as exc:
        aider_model("Gemini 2.0 Pro exp-02-05")
    assert one_line(exc).startswith("total_cost: is 0 for aider_polyglot_leaderboard.csv line 2")
    with pytest.raises(ParameterError) as exc:
        aider_model("qwen-max-2025-01-25")
    assert one_line(exc).startswith("total_cost: is blank for")


def _write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_missing_column(tmp_path: Path) -> None:
    cols = [c for c in AIDER_COLUMNS if c != "seconds_per_case"]
    f = _write_csv(tmp_path / "lb.csv", csv_rows()[:3], cols)
    with pytest.raises(DataFormatError) as exc:
        aider_model(0, path=f)
    assert exc.value.field == "seconds_per_case"
    assert str(f) in one_line(exc)
    with pytest.raises(DataFormatError, match=r"^seconds_per_case: column missing"):
        load_aider(f)
    row = {k: v for k, v in csv_rows()[2].items() if k != "total_cost"}
    with pytest.raises(DataFormatError, match=r"^total_cost: missing from the given row"):
        aider_model(row)


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("pass_rate_1", "0", r"^pass_rate_1: must be in \(0, 100\)"),
        ("pass_rate_1", "100", r"^pass_rate_1: must be in \(0, 100\)"),
        ("pass_rate_2", "10", r"^pass_rate_2: must be in \[pass_rate_1, 100\]"),
        ("seconds_per_case", "0", r"^seconds_per_case: must be > 0"),
        ("seconds_per_case", "", r"^seconds_per_case: is blank"),
        ("total_cost", "-1", r"^total_cost: must be > 0"),
        ("test_cases", "0", r"^test_cases: must be a positive integer"),
        ("test_cases", "22.5", r"^test_cases: must be a positive integer"),
        ("pass_rate_1", "abc", r"^pass_rate_1: must be a number, got 'abc'"),
        ("pass_rate_1", "inf", r"^pass_rate_1: must be finite"),
    ],
)
def test_bad_values_name_the_field(tmp_path: Path, field: str, value: str, pattern: str) -> None:
    row = dict(csv_rows()[2])  # claude-3-5-sonnet, a usable row
    row[field] = value
    with pytest.raises(ParameterError, match=pattern) as exc:
        aider_model(row)
    one_line(exc)
    f = _write_csv(tmp_path / "lb.csv", [row], list(row))
    with pytest.raises(ParameterError, match=pattern) as exc:
        aider_model(0, path=f)
    assert f"{f} line 2" in one_line(exc)


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"^path: cannot read"):
        aider_model("x", path=tmp_path / "nope.csv")
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"\xff\xfe\x00model")
    with pytest.raises(DataFormatError, match="not a UTF-8 text file"):
        aider_model("x", path=bad)


def test_user_csv_is_used(tmp_path: Path) -> None:
    rows = [dict(csv_rows()[2]), dict(csv_rows()[3])]
    rows[0]["total_cost"] = "45"  # 225 exercises, p = 0.222 -> 45 / (225 * 1.778)
    f = _write_csv(tmp_path / "lb.csv", rows, list(rows[0]))
    m = aider_model(rows[0]["model"], path=f)
    assert m.cost == pytest.approx(45 / (225 * 1.778))
    assert f"{f} line 2" in m.source
    s = aider_scenario([0, 1], 100, 1, name="mine", description="d", task_value_source="a",
                       penalty_source="b", path=f)
    assert s.sources["data"].startswith(f"{f} = a leaderboard file given by the user")
    assert f"{f} line 3" in s.sources["models[2].cost"]


# --- games and scenarios --------------------------------------------------------------------


def test_load_aider_dataframe() -> None:
    df = load_aider()
    assert len(df) == 69
    assert set(AIDER_COLUMNS) <= set(df.columns)


def test_aider_pair_and_game() -> None:
    g = aider_pair("DeepSeek-V3.2-Exp (Chat)", "DeepSeek-V3.2-Exp (Reasoner)", 120, 0.5)
    assert isinstance(g, GameParams)
    assert g.names == ["DeepSeek-V3.2-Exp (Chat)", "DeepSeek-V3.2-Exp (Reasoner)"]
    assert g.success_prob.tolist() == pytest.approx([0.387, 0.396])
    assert g.latency.tolist() == pytest.approx([104.0 / 1.613, 291.2 / 1.604])
    assert g.cost.tolist() == pytest.approx([0.8756 / (225 * 1.613), 1.3045 / (225 * 1.604)])
    assert (g.task_value, g.penalty) == (120.0, 0.5)
    g3 = aider_game(["gpt-4.1-mini", "gpt-4.1", "o3"], 60, 0)
    assert g3.num_models == 3
    with pytest.raises(ParameterError, match=r"^models: need a list of at least 2"):
        aider_game(["gpt-4.1"], 60, 0)
    with pytest.raises(ParameterError, match=r"^models: need a list of at least 2"):
        aider_game("gpt-4.1", 60, 0)
    with pytest.raises(ParameterError, match=r"^task_value: must be > 0"):
        aider_pair("gpt-4.1", "o3", -1, 0.5)


def test_aider_scenario_sources_cover_every_number() -> None:
    s = aider_scenario(
        ["gpt-4.1", "o3"], 120, 0.5, name="t", description="d",
        task_value_source="assumption: V", penalty_source="assumption: P", round_digits=None,
    )
    assert s.params.latency.tolist() == [aider_model("gpt-4.1").latency, aider_model("o3").latency]
    for key in ("task_value", "penalty", "data"):
        assert s.sources[key]
    for k in (1, 2):
        for field in ("latency", "cost", "success_prob", "retry_success_prob"):
            assert f"models[{k}].{field}" in s.sources
    assert "rounded" not in s.sources["models[1].cost"]
    s6 = aider_scenario(
        ["gpt-4.1", "o3"], 120, 0.5, name="t", description="d",
        task_value_source="a", penalty_source="b",
    )
    assert s6.params.cost[1] == float(f"{aider_model('o3').cost:.6g}")
    assert "rounded to 6 significant digits" in s6.sources["models[2].cost"]
    with pytest.raises(ParameterError, match=r"^name: must be letters"):
        aider_scenario(["gpt-4.1", "o3"], 1, 1, name="a b", description="d",
                       task_value_source="a", penalty_source="b")
    with pytest.raises(ParameterError, match=r"^round_digits:"):
        aider_scenario(["gpt-4.1", "o3"], 1, 1, name="t", description="d",
                       task_value_source="a", penalty_source="b", round_digits=0)


# --- LiveCodeBench per-problem table ----------------------------------------------------------

# The original LiveCodeBench file ships (gzipped, byte for byte) beside the extract, so the
# extract is checked against its source on every machine, CI included.
LCB_JSON_GZ = "livecodebench_performances_generation_2025-04-22.json.gz"
LCB_MODELS = [
    "GPT-4O-mini-2024-07-18", "GPT-4O-2024-08-06", "DeepSeek-V3", "Claude-3.5-Sonnet-20241022",
    "O3-Mini-2025-01-31 (Med)", "O4-Mini (High)", "Claude-3.7-Sonnet (Thinking)",
    "Gemini-2.5-Flash-Preview",
]


def test_livecodebench_table_is_a_faithful_reduction() -> None:
    import datetime
    import gzip
    import json

    raw = resources.files("routegame.data").joinpath(LCB_JSON_GZ).read_bytes()
    perf = json.loads(gzip.decompress(raw).decode("utf-8"))["performances"]
    want = {(r["question_id"], r["model"]): r for r in perf}
    path = shipped_csv().with_name(LIVECODEBENCH_FILE)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["question_id", "platform", "difficulty", "contest_date",
                                     *LCB_MODELS]
        rows = list(reader)
    assert len(rows) == len({q for q, _ in want}) == 1055
    for r in rows:
        for m in LCB_MODELS:
            src = want[(r["question_id"], m)]
            assert float(r[m]) == src["pass@1"]
            assert (r["platform"], r["difficulty"]) == (src["platform"], src["difficulty"])
            day = datetime.datetime.fromtimestamp(src["date"] / 1000, datetime.UTC).date()
            assert r["contest_date"] == day.isoformat()


def test_livecodebench_known_means() -> None:
    # means of pass@1 over the problems, computed from the original JSON with pandas
    t = livecodebench_tasks(["Claude-3.5-Sonnet-20241022", "Claude-3.7-Sonnet (Thinking)"])
    assert t.num_tasks == 1055
    assert t.mean() == pytest.approx([0.4874, 0.6351], abs=1e-4)
    assert t.num_samples == (10, 1)
    hard = livecodebench_tasks(["GPT-4O-2024-08-06", "O4-Mini (High)"], difficulty="hard")
    assert hard.num_tasks == 350
    assert set(hard.difficulty) == {"hard"}
    assert hard.mean() == pytest.approx([0.0446, 0.6286], abs=1e-4)
    assert "CC BY-SA 4.0" in hard.source
    # single-sample columns are 0/1 outcomes; ten-sample columns multiples of 0.1
    assert set(np.unique(hard.success_prob[:, 1])) <= {0.0, 1.0}
    assert np.allclose(hard.success_prob[:, 0] * 10, np.round(hard.success_prob[:, 0] * 10))


def test_livecodebench_filters_and_shrinkage() -> None:
    models = ["DeepSeek-V3", "O3-Mini-2025-01-31 (Med)"]
    raw = livecodebench_tasks(models, since="2025-01-01", platform=["atcoder", "leetcode"])
    assert min(raw.contest_date) >= "2025-01-01"
    assert set(raw.platform) <= {"atcoder", "leetcode"}
    shrunk = livecodebench_tasks(
        models, since="2025-01-01", platform=["atcoder", "leetcode"], prior_weight=2.0
    )
    assert shrunk.question_id == raw.question_id
    # shrinkage toward the column mean keeps the mean and moves entries into (0, 1)
    assert shrunk.mean() == pytest.approx(raw.mean(), rel=1e-12)
    pbar = raw.mean()
    expected = (raw.success_prob * np.array([10, 1]) + 2.0 * pbar) / (np.array([10, 1]) + 2.0)
    assert np.allclose(shrunk.success_prob, expected)
    assert np.all((shrunk.success_prob > 0) & (shrunk.success_prob < 1))


def test_livecodebench_task_distribution() -> None:
    t = livecodebench_tasks(["GPT-4O-mini-2024-07-18", "Gemini-2.5-Flash-Preview"])
    dist = t.to_task_distribution()
    assert dist.mean() == pytest.approx(t.mean())
    assert dist.sample(5, rng=1).shape == (5, 2)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"models": ["DeepSeek-V3", "o1"]}, r"^models: unknown model 'o1'; known: GPT-4O-mini"),
        ({"models": []}, r"^models: must be a non-empty list"),
        ({"models": "DeepSeek-V3"}, r"^models: must be a non-empty list"),
        ({"models": ["DeepSeek-V3"], "difficulty": "extreme"},
         r"^difficulty: unknown value 'extreme'; known: easy, hard, medium"),
        ({"models": ["DeepSeek-V3"], "platform": ["kaggle"]}, r"^platform: unknown value"),
        ({"models": ["DeepSeek-V3"], "since": "May 2024"}, r"^since: must be an ISO date"),
        ({"models": ["DeepSeek-V3"], "since": "2030-01-01"}, r"^since: the filters keep no"),
        ({"models": ["DeepSeek-V3"], "prior_weight": -1}, r"^prior_weight: must be >= 0"),
        ({"models": ["DeepSeek-V3"], "prior_weight": math.inf}, r"^prior_weight: must be >= 0"),
    ],
)
def test_livecodebench_errors(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern) as exc:
        livecodebench_tasks(**kwargs)
    one_line(exc)
