"""The one result type: JSON schema, table columns and labelled arrays from its field metadata."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

import routegame as rg
from routegame.model.results import GameResult, PolicyResult, round_sig

GAME = rg.GameParams.two_model(10, 5, (3, 6), (1, 4), (0.25, 0.75))


def test_two_model_json_keeps_the_readme_schema_and_adds_two_keys() -> None:
    d = rg.solve(GAME).to_json_dict()
    assert list(d) == ["net_value", "regime", "thresholds", "equilibrium", "equilibrium_weak",
                       "user_preferred", "misalignment_gap", "price_of_alignment", "throttling",
                       "guideline"]
    assert set(d["equilibrium"]) == {"route", "cascade", "abandon", "provider_cost",
                                     "user_utility"}
    assert set(d["equilibrium_weak"]) == {*d["equilibrium"], "attained"}
    assert set(d["user_preferred"]) == {"route", "cascade", "abandon", "user_utility",
                                        "provider_cost"}
    assert set(d["throttling"]) == {"pays", "latency", "route", "cascade", "abandon",
                                    "provider_cost", "user_utility", "attained"}
    assert isinstance(d["equilibrium"]["cascade"], float)


def test_k_model_json_writes_policies_as_start_and_cascade_matrix() -> None:
    d = rg.solve(GAME, user="stationary").to_json_dict()
    for key in ("equilibrium", "user_preferred"):
        assert np.shape(d[key]["start"]) == (2,)
        assert np.shape(d[key]["cascade"]) == (2, 2)
    assert "price_of_alignment" in d


def test_weak_headline_marks_attained_in_the_equilibrium_and_throttling_alike() -> None:
    d = rg.solve(GAME, tie_break="weak").to_json_dict()
    assert d["equilibrium"]["attained"] is False
    assert d["throttling"]["pays"] is False
    assert d["throttling"]["attained"] is False


def test_every_data_var_has_units_and_a_description_from_the_metadata() -> None:
    res = rg.solve_arrays(10, np.linspace(0, 20, 11), [3, 6], [1, 4], [0.25, 0.75])
    dv = res.data_vars()
    for name in ("route", "cascade", "weak_attained", "pref_provider_cost", "throttling_pays",
                 "price_of_alignment", "net_value_1", "s0", "success"):
        x, attrs_ = dv[name]
        assert np.shape(x)[:1] == (11,)
        assert set(attrs_) == {"units", "description"}
        assert attrs_["description"]
    md = attrs.fields(GameResult).misalignment_gap.metadata
    assert dv["misalignment_gap"][1] == {"units": md["unit"], "description": md["description"]}
    ds = res.to_xarray(("penalty",), coords={"penalty": np.linspace(0, 20, 11)})
    assert ds["pref_provider_cost"].dims == ("penalty",)
    assert ds["throttle_latency"].dims[0] == "penalty"


def test_table_columns_are_the_readme_columns_rounded_and_in_range() -> None:
    res = rg.solve_arrays(10, np.linspace(0, 50, 51), [3, 6], [1, 4], [0.25, 0.75])
    cols = res.columns()
    assert list(cols) == ["regime", "route", "cascade", "abandon", "provider_cost",
                          "user_utility", "success", "misalignment_gap", "throttling_pays", "s0",
                          "s_low", "s_high"]
    assert np.all((cols["success"] >= 0) & (cols["success"] <= 1))
    assert np.all(cols["user_utility"] == -0.5)


def test_probabilities_are_clipped_and_numbers_rounded() -> None:
    pol = PolicyResult(route=np.asarray(1), cascade=np.asarray(1.0000000000000002),
                       abandon=np.asarray(-1e-17), provider_cost=np.asarray(1.0),
                       user_utility=np.asarray(-0.4999999999999999))
    assert float(pol.cascade) == 1.0
    assert float(pol.abandon) == 0.0
    assert pol.to_json_dict("two-model")["user_utility"] == -0.5
    assert round_sig(np.array([1e-300, -0.1 + 0.2, np.inf, np.nan])).tolist()[:2] == [1e-300, 0.1]


def test_single_game_json_only() -> None:
    res = rg.solve_arrays(10, [1, 2], [3, 6], [1, 4], [0.25, 0.75])
    with pytest.raises(ValueError, match="single game"):
        res.to_json_dict()


def test_policy_probabilities_clipped_only_where_needed() -> None:
    """Probability fields are clipped into [0, 1] (rounding spill-over), NaN kept; an array
    already inside is kept as given (no copy per field of a large result)."""
    inside = np.array([0.0, 0.25, 1.0])
    pol = PolicyResult(route=np.array([1, 1, 1]), cascade=inside,
                       abandon=np.array([-1e-17, 0.5, 1.0 + 2e-16]),
                       success=np.array([np.nan, 0.5, 0.75]))
    assert pol.cascade is inside
    np.testing.assert_array_equal(pol.abandon, [0.0, 0.5, 1.0])
    assert np.isnan(pol.success[0])
    assert pol.success[1:].tolist() == [0.5, 0.75]
    assert PolicyResult(route=1, cascade=0.3, abandon=1.5).abandon == 1.0
