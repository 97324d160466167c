"""Fuzz test of the ``solve --batch`` contract: every line gets exactly one answer.

Lines are valid game records, records with one field broken (wrong type, out of range, huge
integers, NaN, deep nesting, unknown fields), K-model records, task-table records (valid and
broken) and random text. The contract:
one JSON object per line (a blank line: an error with field "line"),
in order, each with ``id`` and ``line``; an answer has
``equilibrium``, an error has ``error: {field, message}`` with a one-line message starting with
the field; nothing is an internal error.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routegame.cli.solve_cmd import _answer_lines

GOOD = {"task_value": 10, "penalty": 5, "latency": [3, 6], "cost": [1, 4],
        "success_prob": [0.25, 0.75]}

_bad_values = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5), st.just([]), st.just({}),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just([1]), st.just([1, 2, 3]), st.just([[1, 2]]), st.just([0.5, "x"]),
)


@st.composite
def records(draw: Any) -> str:
    kind = draw(st.sampled_from(["good", "broken", "kmodel", "text", "huge", "deep", "tasks",
                                 "badtasks"]))
    rid = draw(st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none()))
    if kind == "text":
        return draw(st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s))
    if kind == "huge":
        digits = draw(st.sampled_from([400, 4301, 6000]))
        return '{"id": 1, "task_value": ' + "9" * digits + ', "penalty": 1}'
    if kind == "deep":
        n = draw(st.sampled_from([50, 5000]))
        return "[" * n + "]" * n
    rec: dict[str, Any] = {"id": rid, **GOOD}
    if kind in ("tasks", "badtasks"):  # a task table (the heterogeneous engine)
        del rec["success_prob"]
        rows = draw(st.lists(st.lists(st.floats(0, 1), min_size=2, max_size=2), min_size=1,
                             max_size=3))
        rec["tasks"] = {"success_prob": rows}
        if draw(st.booleans()):
            rec["tasks"]["weight"] = [1.0] * len(rows)
        if draw(st.booleans()):
            rec["user"] = draw(st.sampled_from(["stationary", "state-aware", "bayes"]))
        if kind == "badtasks":
            where = draw(st.sampled_from(["tasks", "success_prob", "weight", "row"]))
            bad = draw(_bad_values)
            if where == "tasks":
                rec["tasks"] = bad
            elif where == "row":
                rec["tasks"]["success_prob"] = [*rows, bad]
            else:
                rec["tasks"][where] = bad
        return json.dumps(rec, allow_nan=True)
    if kind == "broken":
        key = draw(st.sampled_from([*GOOD, "queries", "user", "models", "nonsense"]))
        rec[key] = draw(_bad_values)
    if kind == "kmodel":
        rec["user"] = draw(st.sampled_from(["stationary", "state-aware"]))
    return json.dumps(rec, allow_nan=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=6))
def test_every_line_gets_one_well_formed_answer(lines: list[str]) -> None:
    raw = [x.encode("utf-8", "surrogatepass") for x in lines]
    answers = list(_answer_lines(raw, "strong"))
    expected = list(range(1, len(lines) + 1))
    assert [a["line"] for a, _ in answers] == expected
    for answer, internal in answers:
        assert not internal, answer
        assert "id" in answer
        json.dumps(answer, allow_nan=False)  # JSON-ready, no NaN
        if "error" in answer:
            err = answer["error"]
            assert set(answer) == {"id", "line", "error"}
            assert "\n" not in err["message"]
            assert "internal" not in err["message"]
            if err["field"]:
                assert err["message"].startswith(err["field"] + ": ")
        else:
            assert "equilibrium" in answer
