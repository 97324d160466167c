"""Tests of routegame.scenarios: the shipped TOML files, the registry and user configs.

The calibrated scenarios are checked against a recomputation from the shipped CSV done here,
with the csv module and the formulas of docs/data.md, independently of routegame.calibrate.
"""

from __future__ import annotations

import csv
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routegame.errors import DataFormatError, ParameterError
from routegame.params import GameParams, ModelSpec
from routegame.scenarios import (
    Scenario,
    ScenarioInfo,
    list_scenarios,
    load_config,
    load_scenario,
    scenario_from_dict,
)

#: Which leaderboard rows each calibrated scenario is made of (model 1 first).
AIDER_SCENARIOS: dict[str, list[str]] = {
    "aider-claude-3.7-sonnet": [
        "claude-3-7-sonnet-20250219 (no thinking)",
        "claude-3-7-sonnet-20250219 (32k thinking tokens)",
    ],
    "aider-gemini-2.5-flash": [
        "gemini-2.5-flash-preview-05-20 (no think)",
        "gemini-2.5-flash-preview-05-20 (24k think)",
    ],
    "aider-deepseek-v3.2-exp": ["DeepSeek-V3.2-Exp (Chat)", "DeepSeek-V3.2-Exp (Reasoner)"],
    "aider-openai-3-tier": ["gpt-4.1-mini", "gpt-4.1", "o3"],
}
SHIPPED = ["default", *AIDER_SCENARIOS]


def csv_lines() -> dict[str, tuple[int, dict[str, str]]]:
    """model -> (line number, row) of the shipped CSV, the header being line 1."""
    path = resources.files("routegame").joinpath("data", "aider_polyglot_leaderboard.csv")
    out: dict[str, tuple[int, dict[str, str]]] = {}
    with Path(str(path)).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            out.setdefault(row["model"], (reader.line_num, row))
    return out


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# --- the registry -----------------------------------------------------------------------------


def test_list_scenarios() -> None:
    infos = list_scenarios()
    assert all(isinstance(i, ScenarioInfo) for i in infos)
    names = [i.name for i in infos]
    assert names == sorted(names)
    assert set(SHIPPED) <= set(names)
    by_name = {i.name: i for i in infos}
    assert by_name["default"].num_models == 2
    assert by_name["aider-openai-3-tier"].num_models == 3
    assert all(i.description for i in infos)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_is_complete(name: str) -> None:
    s = load_scenario(name)
    assert isinstance(s, Scenario)
    assert s.name == name
    assert s.path is not None
    assert s.path.name == f"{name}.toml"
    assert s.version >= 1
    assert s.description
    assert "\n" not in s.description
    assert set(s.units) == {"latency", "cost"}
    # every number has a source; V and P are marked as assumptions
    for key in ("task_value", "penalty"):
        assert "assumption" in s.sources[key].lower()
    for k in range(1, s.params.num_models + 1):
        for field in ("latency", "cost", "success_prob"):
            assert s.sources[f"models[{k}].{field}"].strip()
    # the file validates and survives a round trip through the writer
    assert GameParams.from_dict(s.params.to_dict()) == s.params
    assert scenario_from_dict(tomllib.loads(s.to_toml())) == s
    # the paper's ordering: slower, costlier and better along the list
    for field in ("latency", "cost", "success_prob"):
        values = getattr(s.params, field).tolist()
        assert values == sorted(values)
        assert len(set(values)) == len(values)


def test_scenario_is_frozen() -> None:
    s = load_scenario("default")
    with pytest.raises(AttributeError):
        s.name = "x"  # type: ignore[misc]
    assert load_scenario("default") == s
    assert hash(s) == hash(load_scenario("default"))


def test_default_scenario_numbers() -> None:
    s = load_scenario("default")
    p = s.params
    assert (p.task_value, p.penalty) == (10.0, 5.0)
    assert p.latency.tolist() == [3.0, 6.0]
    assert p.cost.tolist() == [1.0, 4.0]
    assert p.success_prob.tolist() == [0.25, 0.75]
    assert all("not calibrated" in v for v in s.sources.values())
    assert "not calibrated" in s.description


def test_default_scenario_shows_the_effects() -> None:
    """Hand-computed: ξ = (-0.5, 1.5); s0 = 0.5 / (1.5/0.75 + 0.5) = 0.2; at (1, 0.2) the user
    stays, so J = C = (1 + 0.75·0.2·4/0.75) / (0.25 + 0.75·0.2) = 4.5; the user prefers route 2
    with U = 1.5/0.75 = 2 against U = ξ1 = -0.5 at the threshold: gap 2.5."""
    from routegame import TwoModelGame

    d = TwoModelGame(load_scenario("default").params).solve().to_dict()
    assert d["regime"] == "latency-value"
    assert d["thresholds"]["s0"] == pytest.approx(0.2)
    eq = d["equilibrium"]
    assert (eq["route"], eq["abandon"]) == (1, 0.0)
    assert eq["cascade"] == pytest.approx(0.2)
    assert eq["provider_cost"] == pytest.approx(4.5)
    assert d["user_preferred"]["route"] == 2
    assert d["misalignment_gap"] == pytest.approx(2.5)
    assert d["equilibrium_weak"]["attained"] is False

def test_default_scenario_throttling_claim() -> None:
    # issue 7: default.toml said throttling pays at lower penalties; at V = 10 it pays at no
    # penalty. By hand: the quit costs are c1 + P (1 - p1) = 1 + 0.75 P and c2 + P (1 - p2) =
    # 4 + 0.25 P, and J* = min(1 + 0.75 P, 4.5) (the user leaves after an M1 failure, or the
    # cascade at s0 = 0.2 costs 4.5), never above the cheaper quit cost. At V = 20 (xi1 = 2 > 0)
    # the user stays on M1 and J* = 4 (M1 only, c1 / p1), so quitting pays while 1 + 0.75 P < 4.
    import numpy as np

    from routegame import solve_arrays

    sc = load_scenario("default")
    g = sc.params
    assert "Throttling never pays" in (resources.files("routegame.scenarios") / "default.toml"
                                       ).read_text(encoding="utf-8")
    P = np.linspace(0, 50, 501)
    res = solve_arrays(g.task_value, P, g.latency, g.cost, g.success_prob)
    assert not np.asarray(res.throttling.pays).any()
    np.testing.assert_allclose(res.provider_cost, np.minimum(1 + 0.75 * P, 4.5), rtol=1e-12)
    res20 = solve_arrays(20.0, P, g.latency, g.cost, g.success_prob)
    np.testing.assert_array_equal(res20.throttling.pays, 1 + 0.75 * P < 4)


@pytest.mark.parametrize("name", list(AIDER_SCENARIOS))
def test_calibrated_scenario_matches_the_csv(name: str) -> None:
    s = load_scenario(name)
    lines = csv_lines()
    assert s.units == {"latency": "s", "cost": "USD"}
    assert s.params.names == AIDER_SCENARIOS[name]
    for k, model in enumerate(AIDER_SCENARIOS[name], start=1):
        line, row = lines[model]
        n = int(row["test_cases"])
        p = float(row["pass_rate_1"]) / 100
        expected = {
            "success_prob": p,
            "cost": float(row["total_cost"]) / (n * (2 - p)),
            "latency": float(row["seconds_per_case"]) / (2 - p),
        }
        spec = s.params.models[k - 1]
        for field, value in expected.items():
            # the files keep 6 significant digits
            assert getattr(spec, field) == pytest.approx(value, rel=5e-6), (name, model, field)
            src = s.sources[f"models[{k}].{field}"]
            assert f"line {line} " in src
            assert repr(model) in src
        assert f"models[{k}].retry_success_prob" in s.sources


def test_calibrated_scenarios_share_the_documented_assumptions() -> None:
    for name in AIDER_SCENARIOS:
        p = load_scenario(name).params
        assert (p.task_value, p.penalty) == (120.0, 0.5)


@pytest.mark.parametrize("name", list(AIDER_SCENARIOS))
def test_calibrated_scenario_is_what_the_generator_writes(name: str) -> None:
    """The files are exactly routegame.calibrate.aider_scenario's output (rounding included)."""
    from routegame.calibrate import aider_scenario

    shipped = load_scenario(name)
    fresh = aider_scenario(AIDER_SCENARIOS[name], 120.0, 0.5, name=name,
                           description=shipped.description,
                           task_value_source=shipped.sources["task_value"],
                           penalty_source=shipped.sources["penalty"])
    assert fresh == shipped


# --- errors -------------------------------------------------------------------------------------


def test_unknown_scenario() -> None:
    known = ", ".join(i.name for i in list_scenarios())
    with pytest.raises(ParameterError) as exc:
        load_scenario("x")
    assert one_line(exc).startswith(f"scenario: unknown scenario 'x'; known: {known}; task tables")
    # the calibrated task-table scenarios are named too (an outside review missed them)
    assert "lcb-gpt-4o-mini-vs-o3-mini" in one_line(exc)
    assert exc.value.field == "scenario"
    with pytest.raises(ParameterError, match=r"^scenario: unknown scenario 3"):
        load_scenario(3)  # type: ignore[arg-type]


FLAT = "task_value = 10\npenalty = 4\nlatency = [1, 5]\ncost = [1, 4]\nsuccess_prob = [0.3, 0.75]\n"
TABLES = """
name = "mine"
version = 2
description = "two models"
task_value = 10
penalty = 4
[units]
latency = "min"
[[models]]
name = "fast"
latency = 1
cost = 1
success_prob = 0.3
[[models]]
latency = 5
cost = 4
success_prob = 0.75
[sources]
task_value = "a guess"
"""


def write(tmp_path: Path, text: str, name: str = "game.toml") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_load_config_flat_and_tables(tmp_path: Path) -> None:
    flat = load_config(write(tmp_path, FLAT, "flat-game.toml"))
    assert flat.name == "flat-game"
    assert flat.version == 1
    assert flat.sources == {}
    assert flat.units == {}
    assert flat.path == tmp_path / "flat-game.toml"
    tables = load_config(write(tmp_path, TABLES))
    assert tables.name == "mine"
    assert tables.version == 2
    assert tables.units == {"latency": "min"}
    assert tables.sources == {"task_value": "a guess"}
    assert tables.params.names == ["fast", "M2"]
    assert tables.params.models == (
        ModelSpec(1, 1, 0.3, name="fast"),
        ModelSpec(5, 4, 0.75),
    )
    assert flat.params.replace(models=tables.params.models) == tables.params
    named = load_config(write(tmp_path, FLAT + 'names = ["a", "b"]\n'))
    assert named.params.names == ["a", "b"]
    # a file name that is not a valid key falls back to "custom"
    assert load_config(write(tmp_path, FLAT, "my game.toml")).name == "custom"
    # a shipped file is a valid config too
    s = load_scenario("aider-openai-3-tier")
    assert s.path is not None
    assert load_config(s.path) == s


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path, "task_value = 10\npenalty = \nlatency = [1, 5]\n")
    with pytest.raises(DataFormatError) as exc:
        load_config(f)
    msg = one_line(exc)
    assert msg.startswith(f"{f}: invalid TOML: ")
    assert "line 2" in msg


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("penalty = 4\nlatency = [1, 5]\ncost = [1, 4]\nsuccess_prob = [0.3, 0.7]\n",
         "task_value", "missing"),
        (FLAT.replace("penalty = 4\n", ""), "penalty", "missing"),
        (FLAT.replace("cost = [1, 4]\n", ""), "cost", "missing"),
        (FLAT.replace("0.75", "1.5"), "success_prob[2]", "must be in (0, 1), got 1.5"),
        (FLAT.replace("[1, 5]", "[1, -5]"), "latency[2]", "must be > 0"),
        (FLAT.replace("[1, 5]", "[1, 5, 7]"), "cost", "must have 3 entries"),
        (FLAT.replace("task_value = 10", 'task_value = "ten"'), "task_value", "must be a number"),
        (FLAT.replace("penalty = 4", "penalty = -1"), "penalty", "must be >= 0"),
        (FLAT + "colour = 3\n", "colour", "unknown field"),
        (FLAT + "version = 0\n", "version", "must be an integer >= 1"),
        (FLAT + 'version = "1"\n', "version", "must be an integer >= 1"),
        (FLAT + 'name = "a b"\n', "name", "must be letters"),
        (FLAT + 'description = """a\nb"""\n', "description", "one-line"),
        (FLAT + 'names = ["a"]\n', "names", "must have 2 entries"),
        (FLAT + "names = [1, 2]\n", "names", "must be a list of strings"),
        (FLAT + "[units]\nlatency = 3\n", "units.latency", "must be a string"),
        (FLAT + '[units]\nvalue = "s"\n', "units.value", "unknown unit"),
        (FLAT + "[sources]\ncost = 3\n", "sources.cost", "must be a string"),
        (FLAT + '[[models]]\nlatency = 1\ncost = 1\nsuccess_prob = 0.5\n', "models", "not both"),
        (TABLES.replace("success_prob = 0.75", "success_prob = 0"), "models[2].success_prob",
         "must be in (0, 1), got 0"),
        (TABLES.replace("cost = 4\n", ""), "models[2].cost", "missing"),
        (TABLES.replace('name = "fast"', "name = 1"), "models[1].name", "must be a string"),
        (TABLES.replace('name = "fast"', "speed = 1"), "models[1].speed", "unknown field"),
        (TABLES.split("[[models]]")[0] + "[[models]]\nlatency = 1\ncost = 1\nsuccess_prob = 0.5\n",
         "models", "need at least 2 models"),
    ],
)
def test_invalid_fields_are_named(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    f = write(tmp_path, text)
    with pytest.raises(ParameterError) as exc:
        load_config(f)
    msg = one_line(exc)
    assert exc.value.field == field, msg
    assert fragment in msg
    assert msg.endswith(f"(in {f})")


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="no such file") as exc:
        load_config(tmp_path / "nope.toml")
    assert exc.value.field == str(tmp_path / "nope.toml")
    with pytest.raises(ParameterError, match="is a directory"):
        load_config(tmp_path)
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe = 1")
    with pytest.raises(DataFormatError, match="not a UTF-8 text file"):
        load_config(bad)


def test_scenario_from_dict_rejects_non_tables() -> None:
    with pytest.raises(ParameterError, match=r"^scenario: must be a table"):
        scenario_from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"^units: must be a table"):
        scenario_from_dict({"units": "s"})
    with pytest.raises(ParameterError, match=r"^sources: must be a table"):
        scenario_from_dict({"sources": ["a"]})


# --- writer round trip ---------------------------------------------------------------------------

finite = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
probs = st.floats(min_value=1e-6, max_value=1 - 1e-6)
texts = st.text(max_size=20)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    k = draw(st.integers(2, 4))
    models = [
        ModelSpec(draw(finite), draw(finite), draw(probs), name=draw(st.none() | texts))
        for _ in range(k)
    ]
    params = GameParams(task_value=draw(finite), penalty=draw(finite), models=tuple(models))
    name = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True))
    description = draw(texts.filter(lambda s: "\n" not in s))
    sources = draw(st.dictionaries(texts, texts, max_size=4))
    units = draw(st.dictionaries(st.sampled_from(["latency", "cost"]), texts))
    return Scenario(name, draw(st.integers(1, 99)), description, params, sources, units)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_to_toml_round_trip(s: Scenario) -> None:
    data: dict[str, Any] = tomllib.loads(s.to_toml(header="generated\nby a test"))
    assert scenario_from_dict(data) == s  # floats compare exactly: repr round-trips
