"""Sweeps and plots of heterogeneous scenarios (routegame.sweep.hetero, hetero.figures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import routegame as rg
from routegame.cli._app import app
from routegame.errors import ParameterError
from routegame.hetero.figures import CLASSES, policy_classes
from routegame.hetero.protocol import HeteroEngine
from routegame.hetero.scenarios import load_hetero
from routegame.sweep import VARIABLES, sweep, sweep_to_file
from routegame.sweep.hetero import hetero_sweep

NAME = "lcb-gpt-4o-mini-vs-o3-mini"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _solve_at(V: float, P: float, tie_break: str = "strong", user: str | None = None) -> Any:
    g = load_hetero(NAME).game
    m = np.clip(g.tasks.mean(), 1e-12, 1 - 1e-12)
    params = rg.GameParams.two_model(V, P, tuple(g.latency), tuple(g.cost), tuple(m))
    return HeteroEngine(g.tasks, user or g.user, iid=False).solve(params, tie_break)


def test_map_sweep_has_every_variable_and_matches_solve() -> None:
    V, P = [30.0, 120.0], [0.01, 0.1, 1.0]
    ds = sweep(NAME, task_value=V, penalty=P)
    assert ds.attrs["method"] == "map"
    assert set(VARIABLES) <= set(ds.data_vars)
    assert ds.route.dims == ("task_value", "penalty")
    for i, v in enumerate(V):
        for j, p in enumerate(P):
            res = _solve_at(v, p)
            # the map is the paper class on an s-grid of 81 points (exact at jumps, route 2)
            J = float(res.equilibrium.provider_cost)
            Jm = float(ds.provider_cost[i, j])
            assert Jm + 1e-12 * max(1.0, J) >= J
            assert Jm <= J * (1 + 2e-2) + 1e-12
            assert float(ds.pref_user_utility[i, j]) == pytest.approx(
                float(res.user_preferred.user_utility), rel=1e-9)
            assert float(ds.pref_provider_cost[i, j]) == pytest.approx(
                float(res.user_preferred.provider_cost), rel=1e-9)
            assert float(ds.net_value_1[i, j]) == pytest.approx(float(res.net_value[0]))
            assert int(ds.regime[i, j]) == int(res.regime)
    assert bool(np.all(np.isnan(ds.weak_provider_cost.values)))  # not computed by the map
    assert bool(np.all(np.isnan(ds.s0.values)))


def test_exact_sweep_equals_solve_at_every_point_and_axis_order() -> None:
    ds = hetero_sweep(NAME, {"penalty": [0.01, 1.0], "cost_2": [0.02, 0.05]},
                      method="exact", tie_break="weak")
    assert ds.attrs["method"] == "exact"
    assert ds.route.dims == ("penalty", "cost_2")
    g = load_hetero(NAME).game
    m = np.clip(g.tasks.mean(), 1e-12, 1 - 1e-12)
    for i, p in enumerate([0.01, 1.0]):
        for j, c2 in enumerate([0.02, 0.05]):
            params = rg.GameParams.two_model(g.task_value, p, tuple(g.latency),
                                             (float(g.cost[0]), c2), tuple(m))
            res = HeteroEngine(g.tasks, g.user, iid=False).solve(params, "weak")
            assert float(ds.provider_cost[i, j]) == float(res.equilibrium.provider_cost)
            assert float(ds.weak_provider_cost[i, j]) == float(
                res.equilibrium_weak.provider_cost)
            assert int(ds.route[i, j]) == int(res.equilibrium.route)
    # map and exact agree on the route where the map applies; transposed axes give the same
    a = hetero_sweep(NAME, {"task_value": [60.0, 300.0], "penalty": [0.01, 1.0]})
    b = hetero_sweep(NAME, {"penalty": [0.01, 1.0], "task_value": [60.0, 300.0]})
    assert b.route.dims == ("penalty", "task_value")
    np.testing.assert_array_equal(a.provider_cost.values, b.provider_cost.values.T)
    c = hetero_sweep(NAME, {"task_value": [60.0, 300.0], "penalty": [0.01, 1.0]},
                     method="exact")
    np.testing.assert_array_equal(a.route.values, c.route.values)


def test_state_aware_abandon_is_that_of_the_first_model() -> None:
    from routegame.hetero import HeteroGame
    from routegame.hetero.scenarios import HeteroScenario

    g = HeteroGame([[0.9, 0.95], [0.05, 0.6], [0.4, 0.2]], 10, 5, [1, 4], [1, 3],
                   user="state-aware")
    sc = HeteroScenario("small", 1, "a small table", g, {}, ("a", "b"))
    ds = hetero_sweep(sc, {"penalty": [5.0]}, method="exact")  # ~10 s a point (2-D responses)
    for j, p in enumerate([5.0]):
        m = g.tasks.mean()
        params = rg.GameParams.two_model(10, p, (1, 4), (1, 3), tuple(m))
        res = HeteroEngine(g.tasks, "state-aware", iid=False).solve(params)
        route = int(res.equilibrium.route)
        assert float(ds.abandon[j]) == pytest.approx(
            float(np.asarray(res.equilibrium.abandon)[route - 1]))
    assert ds.attrs["user"] == "state-aware"
    assert hetero_sweep(sc, {"penalty": [0.5, 5.0]}, s_grid=11).attrs["method"] == "map"


def test_bad_sweeps_name_the_field() -> None:
    with pytest.raises(ParameterError, match="success_prob_1: is not an axis"):
        hetero_sweep(NAME, {"success_prob_1": [0.2]})
    with pytest.raises(ParameterError, match="penalty"):
        hetero_sweep(NAME, {"penalty": [-1.0]})
    with pytest.raises(ParameterError, match="repeated"):
        hetero_sweep(NAME, {"penalty": [0.1, 0.1]})
    with pytest.raises(ParameterError, match="method"):
        hetero_sweep(NAME, {"cost_1": [0.1]}, method="map")
    with pytest.raises(ParameterError, match="method"):
        hetero_sweep(NAME, {"penalty": [0.1]}, method="fast")
    with pytest.raises(ParameterError, match="user"):
        hetero_sweep(NAME, {"penalty": [0.1]}, user="robot")
    with pytest.raises(ParameterError, match="chunks"):
        sweep(NAME, penalty=[0.1], chunks=1)
    with pytest.raises(ParameterError, match="grid"):
        hetero_sweep(NAME, {})


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".nc", ".zarr"])
def test_sweep_to_every_output(suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"h{suffix}"
    r = sweep_to_file(NAME, out, grid={"penalty": [0.01, 1.0]})
    assert r.points == 2
    assert out.exists()
    if suffix in (".csv", ".parquet"):
        t = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        assert len(t) == 2
        assert t["route"].tolist() == [1, 2]
        assert {"task_value", "success_prob_1", *VARIABLES} <= set(t.columns)
    else:
        ds = xr.open_zarr(out, consolidated=False) if suffix == ".zarr" else xr.open_dataset(out)
        assert ds.route.values.tolist() == [1, 2]
        assert ds.attrs["scenario"] == NAME
        assert json.loads(ds.attrs["routegame_sweep"])["hetero"]["method"] == "map"
        ds.close()
    with pytest.raises(ParameterError, match="exists"):
        sweep_to_file(NAME, out, grid={"penalty": [0.01, 1.0]})


def test_cli_sweep_of_a_scenario_and_a_calibrate_file(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    r = run("sweep", "--scenario", NAME, "--grid", "task_value=60,120", "--grid",
            "penalty=0.01:1:3:log", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    assert "heterogeneous" in r.stdout
    assert len(pd.read_csv(out)) == 6
    cal = tmp_path / "cal.toml"
    from routegame.hetero.scenarios import _folder

    cal.write_text(_folder().joinpath(f"{NAME}.toml").read_text(encoding="utf-8"))
    out2 = tmp_path / "c.parquet"
    r = run("sweep", "--config", str(cal), "--grid", "penalty=0.01,1", "--penalty", "0.5",
            "--out", str(out2), "--method", "exact")
    assert r.exit_code == 0, r.stderr
    assert pd.read_parquet(out2)["route"].tolist() == [1, 2]
    for args, needle in (
            (("--grid", "success_prob_1=0.2"), "--grid success_prob_1"),
            (("--grid", "penalty=0.1", "--chunks", "2"), "--chunks"),
            (("--grid", "penalty=0.1", "--resume"), "--resume"),
            (("--grid", "penalty=0.1", "--success-prob", "0.2", "0.3"), "--success-prob"),
            (("--grid", "cost_1=0.1", "--method", "map"), "--method")):
        r = run("sweep", "--scenario", NAME, *args, "--out", str(tmp_path / "x.csv"))
        assert r.exit_code == 2, (args, r.stdout)
        assert needle in r.stderr
        assert "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    r = run("sweep", "--scenario", "default", "--grid", "penalty=0.1", "--method", "map",
            "--out", str(tmp_path / "y.csv"))
    assert r.exit_code == 2
    assert "--method" in r.stderr


def test_policy_classes_data_and_iid() -> None:
    data, iid = policy_classes(load_hetero(NAME), [120.0], [0.01, 0.1, 1.0])
    assert data.shape == (1, 3)
    assert [CLASSES[k] for k in iid[0]] == ["route 1, s = 0"] * 3
    res = _solve_at(120.0, 1.0)
    assert CLASSES[data[0, 2]] == ("route 2" if int(res.equilibrium.route) == 2 else
                                   CLASSES[data[0, 2]])


def test_cli_plot_policy_map_and_refusals(tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    r = run("plot", "policy-map", "--scenario", NAME, "--n", "6", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"
    for args, needle in ((("regime-map",), "KIND"), (("policy-map", "--x", "latency_1"), "--x"),
                         (("policy-map", "--tie-break", "weak"), "--tie-break"),
                         (("policy-map", "--penalty", "3"), "--penalty"),
                         (("policy-map", "--n", "2"), "--n")):
        r = run("plot", *args, "--scenario", NAME, "--out", str(tmp_path / "n.png"))
        assert r.exit_code == 2, (args, r.stdout)
        assert needle in r.stderr
        assert "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
