"""The abandon rules accepted by ``HeteroGame.outcomes`` and ``HeteroEngine.outcomes``: one
parser (``hetero.provider.abandon_continuation``). Expected values written by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import routegame as rg
from routegame.errors import ParameterError
from routegame.hetero import HeteroEngine, HeteroGame, Policy, TaskTable
from routegame.hetero.provider import abandon_continuation


def test_continuation_tables() -> None:
    np.testing.assert_array_equal(abandon_continuation(0.25), [[[0.75], [0.75]]])
    np.testing.assert_array_equal(abandon_continuation((0.25, 1.0)), [[[0.75], [0.0]]])
    np.testing.assert_array_equal(abandon_continuation([0.0, 0.5]), [[[1.0], [0.5]]])
    np.testing.assert_array_equal(abandon_continuation({"hazard": [0.25, 0.5, 1.0]}, hazard=True),
                                  [[[0.75, 0.5, 0.0], [0.75, 0.5, 0.0]]])
    assert abandon_continuation(0.5).shape == (1, 2, 1)
    assert abandon_continuation({"hazard": [0.5, 0.5]}, hazard=True).flags.writeable


@pytest.mark.parametrize(("rule", "hazard", "message"), [
    (1.5, False, r"^abandon: must be in \[0, 1\], got 1.5$"),
    (-0.1, False, r"^abandon: must be in \[0, 1\], got -0.1$"),
    (math.nan, False, r"^abandon: must be in \[0, 1\], got nan$"),
    ((0.2, 1.2), False, r"^abandon: must be in \[0, 1\], got \(0.2, 1.2\)$"),
    ((0.1, 0.2, 0.3), False, r"^abandon: must be q or \(q_1, q_2\), got \(0.1, 0.2, 0.3\)$"),
    ({"hazard": []}, True, r"^hazard: must be a non-empty list$"),
    ({"hazard": 0.5}, True, r"^hazard: must be a non-empty list$"),
    ({"hazard": [0.5, 2.0]}, True, r"^abandon: must be in \[0, 1\], got \{'hazard': \[0.5, 2.0\]\}$"),
])
def test_rules_refused(rule: object, hazard: bool, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        abandon_continuation(rule, hazard=hazard)


def test_hazard_form_only_where_asked() -> None:
    with pytest.raises(TypeError):  # as before: the protocol's outcomes take q or (q_1, q_2)
        abandon_continuation({"hazard": [0.5]})


# One task, p = 0.5 on both models, start on M1 and never cascade (route 1, s = 0): with
# abandon probability 0.5 after a failure, passes on M1 = 1 / (1 - 0.5 * 0.5) = 4/3 and
# success = 0.5 * 4/3 = 2/3, whatever q_2 is (M2 is never used).
@pytest.mark.parametrize("rule", [0.5, (0.5, 0.9), {"hazard": [0.5]}, {"hazard": [0.5, 0.5]}])
def test_game_outcomes_by_rule(rule: object) -> None:
    g = HeteroGame([[0.5, 0.5]], 10.0, 5.0, [1.0, 4.0], [1.0, 3.0])
    o = g.outcomes(Policy(1, 0.0), rule)
    assert abs(o.success - 2 / 3) <= 1e-15
    assert abs(o.passes[0] - 4 / 3) <= 1e-15
    assert o.passes[1] == 0.0


@pytest.mark.parametrize("rule", [0.5, (0.5, 0.9)])
def test_engine_outcomes_by_rule(rule: object) -> None:
    g = rg.GameParams.two_model(10.0, 5.0, (1.0, 4.0), (1.0, 3.0), (0.5, 0.5))
    eng = HeteroEngine(TaskTable.from_rows(np.array([[0.5, 0.5]]), np.array([1.0])))
    o = eng.outcomes(g, np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0]]), rule)
    assert abs(o.success - 2 / 3) <= 1e-15
    assert abs(o.passes[0] - 4 / 3) <= 1e-15


def test_engine_and_game_refuse_alike() -> None:
    g = HeteroGame([[0.5, 0.5]], 10.0, 5.0, [1.0, 4.0], [1.0, 3.0])
    with pytest.raises(ParameterError, match=r"^abandon: must be in \[0, 1\], got 2$"):
        g.outcomes(Policy(1, 0.0), 2)
    with pytest.raises(ParameterError, match=r"^hazard: must be a non-empty list$"):
        g.outcomes(Policy(1, 0.0), {"hazard": []})
    params = rg.GameParams.two_model(10.0, 5.0, (1.0, 4.0), (1.0, 3.0), (0.5, 0.5))
    eng = HeteroEngine(TaskTable.from_rows(np.array([[0.5, 0.5]]), np.array([1.0])))
    start, R = np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ParameterError, match=r"^abandon: must be in \[0, 1\], got 2$"):
        eng.outcomes(params, start, R, 2)
    with pytest.raises(ParameterError, match=r"^abandon: must be q or \(q_1, q_2\)"):
        eng.outcomes(params, start, R, [0.1, 0.2, 0.3])
