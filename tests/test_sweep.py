"""Tests of routegame.sweep and ``routegame sweep``.

The reference for every value of a sweep is an independent point solve of the same game
(``TwoModelGame(...).solve()``, one game at a time, and ``TwoModelGame.outcomes`` for the
success probability), never the sweep itself.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("dask")
zarr = pytest.importorskip("zarr")

import routegame  # noqa: E402
from routegame import GameParams, ParameterError, TwoModelGame  # noqa: E402
from routegame.sweep import (  # noqa: E402
    AXES,
    PARAMETERS,
    VARIABLES,
    load_sweep_file,
    sweep,
    sweep_fingerprint,
    sweep_to_file,
    write_table,
)

BASE = GameParams.two_model(10.0, 4.0, latency=[1.0, 5.0], cost=[1.0, 4.0],
                            success_prob=[0.3, 0.75])


# ---------------------------------------------------------------------------------------------
# helpers


def _point_game(ds: Any, point: dict[str, float]) -> TwoModelGame:
    """The game at one grid point, rebuilt from the base parameters in ds.attrs."""
    v = {name: float(ds.attrs[f"base_{name}"]) for name in PARAMETERS}
    v.update({k: float(x) for k, x in point.items() if k in PARAMETERS})
    if "cost_ratio" in point:
        v["cost_2"] = float(point["cost_ratio"]) * v["cost_1"]
    if "latency_ratio" in point:
        v["latency_2"] = float(point["latency_ratio"]) * v["latency_1"]
    return TwoModelGame.from_values(
        v["task_value"], v["penalty"], [v["latency_1"], v["latency_2"]],
        [v["cost_1"], v["cost_2"]], [v["success_prob_1"], v["success_prob_2"]],
    )


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def _assert_point(ds: Any, point: dict[str, float], tie_break: str) -> None:
    game = _point_game(ds, point)
    sol = game.solve(tie_break=tie_break).to_dict()
    eq = sol["equilibrium"] if tie_break == "strong" else sol["equilibrium_weak"]
    got = {name: ds[name].sel(point).item() for name in VARIABLES}
    where = f"at {point} ({tie_break})"
    assert got["route"] == eq["route"], where
    assert got["pref_route"] == sol["user_preferred"]["route"], where
    assert routegame.REGIMES[got["regime"]] == sol["regime"], where
    assert got["throttling_pays"] == sol["throttling"]["pays"], where
    assert got["weak_attained"] == sol["equilibrium_weak"]["attained"], where
    success = game.outcomes(eq["route"], eq["cascade"], eq["abandon"])["success"]
    expected = {
        "cascade": eq["cascade"],
        "abandon": eq["abandon"],
        "provider_cost": eq["provider_cost"],
        "user_utility": eq["user_utility"],
        "success": success,
        "s0": _nan(sol["thresholds"]["s0"]),
        "s_low": _nan(sol["thresholds"]["s_low"]),
        "s_high": _nan(sol["thresholds"]["s_high"]),
        "net_value_1": sol["net_value"][0],
        "net_value_2": sol["net_value"][1],
        "pref_cascade": sol["user_preferred"]["cascade"],
        "pref_user_utility": sol["user_preferred"]["user_utility"],
        "misalignment_gap": sol["misalignment_gap"],
        "pref_provider_cost": sol["user_preferred"]["provider_cost"],
        "price_of_alignment": sol["price_of_alignment"],
        "throttling_gain": eq["provider_cost"] - sol["throttling"]["provider_cost"],
        "weak_provider_cost": sol["equilibrium_weak"]["provider_cost"],
    }
    for name, want in expected.items():
        np.testing.assert_allclose(got[name], want, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{name} {where}")


def _random_points(ds: Any, rng: np.random.Generator, n: int) -> list[dict[str, float]]:
    out = []
    for _ in range(n):
        out.append({d: float(rng.choice(ds[d].values)) for d in ds.dims})
    return out


def _values_equal(a: Any, b: Any) -> None:
    """Same dims, coords and variables, bit for bit (NaN == NaN); attrs not compared."""
    assert list(a.dims) == list(b.dims)
    for d in a.dims:
        np.testing.assert_array_equal(a[d].values, b[d].values)
    assert set(a.data_vars) == set(b.data_vars) == set(VARIABLES)
    for name in VARIABLES:
        x, y = np.asarray(a[name].values), np.asarray(b[name].values)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


# ---------------------------------------------------------------------------------------------
# values


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sweep_equals_point_solves(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # wide random grids so that every regime (and the cascade band) is visited
    grids = {
        "task_value": np.sort(rng.uniform(1.0, 30.0, 4)),
        "penalty": np.concatenate([[0.0], np.sort(rng.uniform(0.1, 60.0, 4))]),
        "success_prob_1": np.sort(rng.uniform(0.05, 0.5, 3)),
        "latency_ratio": np.sort(rng.uniform(1.0, 8.0, 3)),
        "cost_ratio": np.sort(rng.uniform(0.5, 10.0, 3)),
    }
    base = BASE.replace(success_prob=[0.3, float(rng.uniform(0.55, 0.95))])
    ds = sweep(base, **grids)
    assert dict(ds.sizes) == {k: len(v) for k, v in grids.items()}
    assert list(ds.dims) == list(grids)
    for point in _random_points(ds, rng, 30):
        _assert_point(ds, point, "strong")
    regimes = set(np.unique(ds.regime.values).tolist())
    assert len(regimes) >= 3, regimes


def test_sweep_every_parameter_axis_and_weak_ties() -> None:
    rng = np.random.default_rng(7)
    grids = {
        "task_value": [6.0, 14.0],
        "penalty": [0.5, 25.0],
        "latency_1": [1.0, 3.0],
        "latency_2": [4.0, 7.0],
        "cost_1": [0.5, 1.5],
        "cost_2": [2.0, 6.0],
        "success_prob_1": [0.2, 0.4],
        "success_prob_2": [0.6, 0.9],
    }
    for tie_break in ("strong", "weak"):
        ds = sweep(BASE, tie_break=tie_break, **grids)
        assert ds.attrs["tie_break"] == tie_break
        for point in _random_points(ds, rng, 20):
            _assert_point(ds, point, tie_break)


def test_sweep_equals_one_array_call_whatever_the_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slabs of BATCH games (here tiny, so slabs cut every dimension) change no value."""
    grid = {"penalty": np.linspace(0.0, 40.0, 5), "cost_ratio": np.linspace(0.5, 9.0, 11),
            "task_value": np.linspace(2.0, 30.0, 13)}
    P, R, V = np.meshgrid(*grid.values(), indexing="ij")
    n = P.size
    sol = routegame.solve_arrays(
        V.reshape(-1), P.reshape(-1), np.broadcast_to(BASE.latency, (n, 2)),
        np.stack([np.full(n, BASE.cost[0]), R.reshape(-1) * BASE.cost[0]], axis=-1),
        np.broadcast_to(BASE.success_prob, (n, 2)),
    )
    module = sys.modules["routegame.sweep"]
    for batch in (7, 13, 1 << 16):
        monkeypatch.setattr(module, "BATCH", batch)
        ds = sweep(BASE, **grid)
        for name in ("route", "cascade", "abandon", "provider_cost", "s_low", "s_high",
                     "misalignment_gap", "weak_provider_cost", "weak_attained"):
            np.testing.assert_array_equal(ds[name].values.reshape(-1), getattr(sol, name),
                                          err_msg=f"{name}, BATCH={batch}")
        np.testing.assert_array_equal(ds.throttling_gain.values.reshape(-1),
                                      sol.provider_cost - sol.throttle_provider_cost)


def test_knife_edge_and_single_point_grids() -> None:
    # xi_1 = V p_1 - t_1 = 0 at V = 10/3: the knife edge must not crash
    ds = sweep(BASE, task_value=[10 / 3, 4.0], penalty=[3.0])
    assert ds.sizes["penalty"] == 1
    for point in _random_points(ds, np.random.default_rng(0), 4):
        _assert_point(ds, point, "strong")


def test_variables_come_from_the_result_metadata() -> None:
    # issue 7: one schema; the sweep's names, dtypes, units and long names are GameResult's
    from routegame.model.results import UNITS, GameResult

    every = GameResult.variables()
    ds = sweep(BASE, penalty=[0.0, 5.0])
    assert list(ds.data_vars) == list(VARIABLES)
    assert {"pref_provider_cost", "price_of_alignment"} <= set(VARIABLES)  # issue 7 defect
    for name in VARIABLES:
        assert ds[name].dtype == np.dtype(every[name]["dtype"]), name
        assert ds[name].attrs["long_name"] == every[name]["description"], name
        assert every[name]["units"] in UNITS, name
    assert ds.route.dtype == np.int8
    assert ds.throttling_pays.dtype == bool


def test_metadata_units_and_provenance() -> None:
    ds = sweep("aider-claude-3.7-sonnet", penalty=[0.0, 1.0], cost_ratio=[1.5, 3.0])
    assert ds.provider_cost.attrs["units"] == "USD"
    assert ds.user_utility.attrs["units"] == "s"
    assert ds.cascade.attrs["units"] == "probability"
    assert ds.penalty.attrs["units"] == "USD"
    assert ds.cost_ratio.attrs["units"] == "1"
    for name in VARIABLES:
        assert {"units", "long_name"} <= set(ds[name].attrs), name
    flags = ds.regime.attrs
    assert list(flags["flag_values"]) == list(range(len(routegame.REGIMES)))
    assert flags["flag_meanings"].split() == list(routegame.REGIMES)
    attrs = ds.attrs
    assert attrs["routegame_version"] == routegame.__version__
    assert attrs["scenario"] == "aider-claude-3.7-sonnet"
    assert attrs["base_task_value"] == 120.0
    assert attrs["base_penalty"] == 0.5
    for name in PARAMETERS:
        assert f"base_{name}" in attrs
    assert "cost_2 = cost_ratio * cost_1" in attrs["derived_axes"]
    assert json.loads(attrs["grids"])["penalty"]["num"] == 2
    from datetime import datetime

    assert datetime.fromisoformat(attrs["created"]).tzinfo is not None
    fp = sweep_fingerprint(ds)
    assert fp["dims"] == ["penalty", "cost_ratio"]
    assert fp["tie_break"] == "strong"


# ---------------------------------------------------------------------------------------------
# numpy, dask, distributed and stores give the same values


GRID = {"penalty": np.linspace(0.0, 30.0, 13), "cost_ratio": np.linspace(1.0, 8.0, 7),
        "task_value": [5.0, 10.0, 20.0]}


@pytest.fixture(scope="module")
def reference() -> Any:
    return sweep(BASE, **GRID)


def test_dask_equals_numpy(reference: Any) -> None:
    lazy = sweep(BASE, chunks={"penalty": 4, "cost_ratio": 3}, lazy=True, **GRID)
    assert lazy.route.chunks == ((4, 4, 4, 1), (3, 3, 1), (3,))
    _values_equal(reference, lazy.compute())
    _values_equal(reference, sweep(BASE, chunks=5, scheduler="synchronous", **GRID))


def test_store_zarr_equals_numpy(reference: Any, tmp_path: Path) -> None:
    z = sweep(BASE, chunks=5, store=tmp_path / "s.zarr", **GRID)
    assert z.route.chunks == ((5, 5, 3), (5, 2), (3,))
    _values_equal(reference, z.load())
    assert z.attrs["routegame_sweep"] == reference.attrs["routegame_sweep"]
    assert z.regime.attrs["flag_meanings"] == reference.regime.attrs["flag_meanings"]
    record = zarr.open_array(str(tmp_path / "s.zarr" / "_sweep" / "chunk_run"), mode="r")
    assert record.shape == (3, 2, 1)
    assert (record[...] == 1).all()


def test_distributed_equals_numpy(reference: Any, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    # no skip: a cluster that cannot start is a failure (tests/test_cluster.py runs real processes)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=":0")  # any free port
    with cluster, distributed.Client(cluster) as client:
        _values_equal(reference, sweep(BASE, chunks=6, scheduler=client, **GRID))
        store = sweep(BASE, chunks=6, scheduler=cluster.scheduler_address,
                      store=tmp_path / "d.zarr", **GRID)
        _values_equal(reference, store.load())


def test_tables_flatten_one_row_per_point(reference: Any, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    csv = write_table(reference, tmp_path / "s.csv")
    chunked = sweep(BASE, chunks={"penalty": 5}, store=tmp_path / "s.zarr", **GRID)
    pq = write_table(chunked, tmp_path / "s.parquet")
    n = math.prod(reference.sizes.values())
    for table in (pd.read_csv(csv), pd.read_parquet(pq)):
        assert len(table) == n
        assert list(table.columns[:8]) == list(PARAMETERS)
        assert {"cost_ratio", *VARIABLES} <= set(table.columns)
        np.testing.assert_array_equal(table["cost_2"], table["cost_ratio"] * 1.0)
        for k in (0, 17, n - 1):
            row = table.iloc[k]
            point = {d: row[d] for d in reference.dims}
            sel = reference.sel(point)
            for name in ("route", "provider_cost", "misalignment_gap", "throttling_gain"):
                np.testing.assert_allclose(row[name], sel[name].item(), rtol=1e-14)  # 15 digits
            assert row["regime"] == routegame.REGIMES[sel.regime.item()]
    import pyarrow.parquet as pyarrow_parquet

    meta = pyarrow_parquet.read_schema(pq).metadata[b"routegame"]
    assert json.loads(meta)["tie_break"] == "strong"
    with pytest.raises(ParameterError, match="exists"):
        write_table(reference, csv)


def test_progress_bar(reference: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _values_equal(reference, sweep(BASE, chunks=5, progress=True, **GRID))
    assert "sweep" in capsys.readouterr().err
    store = sweep(BASE, chunks=5, progress=True, store=tmp_path / "p.zarr", **GRID)
    assert "6/6" in capsys.readouterr().err
    _values_equal(reference, store.load())
    sweep(BASE, chunks=5, progress=False, **GRID)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------
# resume after a kill


_SWEEP_IN_SUBPROCESS = """
import time
import numpy as np
import routegame.sweep.store as store
from routegame.sweep import sweep
_chunk_task = store._chunk_task
def slow(*args):  # slow every chunk down so the test can kill the run in the middle
    out = _chunk_task(*args)
    time.sleep(0.3)
    return out
store._chunk_task = slow
sweep("default", penalty=np.linspace(0, 30, 12), cost_ratio=np.linspace(1, 8, 5),
      chunks={{"penalty": 1}}, store={store!r})
"""


def _done_chunks(store: Path) -> np.ndarray | None:
    try:
        return np.asarray(zarr.open_array(str(store / "_sweep" / "chunk_run"), mode="r")[...])
    except Exception:  # not created yet
        return None


def test_resume_after_kill(tmp_path: Path) -> None:
    store = tmp_path / "k.zarr"
    proc = subprocess.Popen([sys.executable, "-c", _SWEEP_IN_SUBPROCESS.format(store=str(store))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            run = _done_chunks(store)
            if run is not None and (run > 0).sum() >= 3:
                break
            if proc.poll() is not None:
                pytest.fail(f"sweep subprocess ended early: {proc.stderr.read().decode()}")
            time.sleep(0.05)
        else:
            pytest.fail("no chunk was written within 60 s")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    before = _done_chunks(store)
    assert before is not None
    n_before = int((before > 0).sum())
    assert 3 <= n_before < before.size, "the kill must interrupt the sweep"

    grid = {"penalty": np.linspace(0, 30, 12), "cost_ratio": np.linspace(1, 8, 5)}
    report = sweep_to_file("default", store, grid=grid, chunks=1000, resume=True)
    after = _done_chunks(store)
    assert after is not None
    # the finished chunks were kept (still marked by run 1), only the others were solved (run 2)
    assert report.chunks_total == before.size
    assert report.chunks_solved == before.size - n_before
    np.testing.assert_array_equal(after[before > 0], 1)
    np.testing.assert_array_equal(after[before == 0], 2)
    resumed = xr.open_zarr(str(store), consolidated=False)
    _values_equal(sweep("default", **grid), resumed.load())
    # rerunning the complete sweep solves nothing
    assert sweep_to_file("default", store, grid=grid, resume=True).chunks_solved == 0


# ---------------------------------------------------------------------------------------------
# refusing a store of another sweep


def test_store_of_a_different_sweep_is_refused(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.zarr"
    grid = {"penalty": [0.0, 5.0, 10.0]}
    sweep(BASE, store=store, **grid)
    cases = [
        (BASE, {"penalty": [0.0, 5.0, 11.0]}, "strong", "grid penalty differs"),
        (BASE, {"penalty": [0.0, 10.0]}, "strong", "store: 3 points 0 to 10; requested: 2"),
        (BASE, {"task_value": [1.0]}, "strong", "swept axes differ"),
        (BASE.replace(penalty=1.0), grid, "strong", "base penalty differs"),
        (BASE, grid, "weak", "tie_break differs"),
    ]
    for base, other_grid, tie_break, message in cases:
        with pytest.raises(ParameterError, match=message) as exc:
            sweep(base, store=store, tie_break=tie_break, **other_grid)
        assert "\n" not in str(exc.value)
    version = routegame.__version__
    monkeypatch.setattr(routegame, "__version__", "99.0")
    with pytest.raises(ParameterError, match=f"written by routegame {version}, this is 99.0"):
        sweep(BASE, store=store, **grid)
    monkeypatch.undo()
    # the refused attempts did not touch the store
    assert sweep_to_file(BASE, store, grid=grid, resume=True).chunks_solved == 0
    # overwrite replaces it; a directory that is not a Zarr store is never deleted
    sweep(BASE, store=store, overwrite=True, penalty=[1.0])
    other = tmp_path / "data.zarr"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(ParameterError, match="not a Zarr store"):
        sweep(BASE, store=other, overwrite=True, penalty=[1.0])
    assert (other / "keep.txt").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"colour": [1.0]}, "colour: unknown sweep axis; allowed: task_value, penalty"),
        ({"penalty": []}, "penalty: grid is empty"),
        ({"penalty": ["a", "b"]}, "penalty: grid must be a 1-D list of numbers"),
        ({"penalty": "1,2"}, "penalty: grid must be a 1-D list of numbers"),
        ({"penalty": [[1.0, 2.0]]}, "penalty: grid must be 1-D"),
        ({"penalty": [True, False]}, "penalty: grid must be a 1-D list of numbers"),
        ({"penalty": [1.0, 1.0]}, "penalty: grid values must not repeat"),
        ({"penalty": [-1.0]}, "penalty: grid values must be >= 0"),
        ({"success_prob_2": [0.5, 1.0]}, r"success_prob_2: grid values must be in \(0, 1\)"),
        ({"cost_ratio": [2.0], "cost_2": [1.0]}, "cost_ratio: cannot be swept together with"),
        ({"penalty": [1.0], "chunks": 0}, "chunks.penalty: must be a positive integer"),
        ({"penalty": [1.0], "chunks": {"x": 2}}, "chunks: unknown dimension 'x'"),
        ({"penalty": [1.0], "scheduler": "nope"}, "scheduler: must be a dask.distributed"),
        ({"penalty": [1.0], "tie_break": "medium"}, "tie_break: must be 'strong' or 'weak'"),
        ({"penalty": [1.0], "lazy": True}, "lazy: needs chunks="),
        ({"penalty": [1.0], "store": "x.h5"}, "store: must end in .zarr or .nc"),
        ({}, "grid: give at least one axis"),
    ],
)
def test_bad_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message) as exc:
        sweep(BASE, **kwargs)
    assert "\n" not in str(exc.value)


def test_bad_base() -> None:
    with pytest.raises(ParameterError, match="two-model game, got 3 models"):
        sweep("aider-openai-3-tier", penalty=[1.0])
    with pytest.raises(ParameterError, match="unknown scenario 'nope'"):
        sweep("nope", penalty=[1.0])
    with pytest.raises(ParameterError, match="base: must be a GameParams"):
        sweep(3, penalty=[1.0])
    assert set(AXES) >= set(PARAMETERS)


# ---------------------------------------------------------------------------------------------
# the sweep file and the command line


def _cli() -> Any:
    from typer.testing import CliRunner

    import routegame.cli.sweep_cmd  # noqa: F401  (registers the command)
    from routegame.cli._app import app

    return app, CliRunner()


def test_sweep_file(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        'scenario = "default"\ntie_break = "weak"\nchunks = {penalty = 2}\n'
        "[base]\ncost_1 = 0.5\nlatency = [1.0, 6.0]\n"
        "[grid]\npenalty = {start = 0, stop = 10, num = 5}\n"
        "cost_ratio = {start = 1, stop = 100, num = 3, log = true}\nsuccess_prob_2 = 0.8\n"
    )
    spec = load_sweep_file(f)
    assert spec["tie_break"] == "weak"
    assert spec["chunks"] == {"penalty": 2}
    params = spec["base"].params
    assert params.cost.tolist() == [0.5, 4.0]
    assert params.latency.tolist() == [1.0, 6.0]
    assert spec["base"].units["latency"] == "time unit"
    np.testing.assert_allclose(spec["grid"]["cost_ratio"], [1.0, 10.0, 100.0])
    assert list(spec["grid"]) == ["penalty", "cost_ratio", "success_prob_2"]
    # a whole game in [base], no scenario
    f.write_text("[base]\ntask_value = 10\npenalty = 1\nlatency_1 = 1\nlatency_2 = 2\n"
                 "cost_1 = 1\ncost_2 = 2\nsuccess_prob_1 = 0.3\nsuccess_prob_2 = 0.6\n"
                 "[grid]\npenalty = [1, 2]\n")
    assert load_sweep_file(f)["base"].success_prob.tolist() == [0.3, 0.6]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[grid]\npenalty = [0 1]\n", r"invalid TOML: .*\(at line 2, column"),
        ("[grid]\npenalty = [0, 1\n", r"invalid TOML: .*\(at end of document, line 2\)"),
        ("[grid\npenalty = [0, 1]\n", "invalid TOML: .*line 1"),
        ('scenario = "default"\ncolour = 1\n[grid]\npenalty = [1]\n', "colour: unknown key"),
        ("[grid]\ncolour = [1]\n", "grid.colour: unknown sweep axis"),
        ("[grid]\npenalty = {start = 0, stop = 1}\n", "grid.penalty: missing num"),
        ("[grid]\npenalty = {start = 0, stop = 1, num = 0}\n", "grid.penalty.num: must be an"),
        ('[grid]\npenalty = ["a"]\n', "grid.penalty: must be a list of numbers"),
        ('scenario = "default"\n[base]\npenalty = -1\n[grid]\ncost_1 = [1]\n',
         "base.penalty: must be >= 0"),
        ("[base]\npenalty = 1\n[grid]\ncost_1 = [1]\n", "base.task_value: missing"),
        ("[base]\nspeed = 1\n[grid]\ncost_1 = [1]\n", "base.speed: unknown key"),
        ('scenario = "default"\n', "grid: missing"),
    ],
)
def test_sweep_file_errors(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ParameterError, match=message) as exc:
        load_sweep_file(f)
    assert "\n" not in str(exc.value)
    assert "bad.toml" in str(exc.value)


def test_cli_writes_netcdf_and_parquet(tmp_path: Path, reference: Any) -> None:
    pd = pytest.importorskip("pandas")
    app, runner = _cli()
    f = tmp_path / "s.toml"
    f.write_text("[base]\ntask_value = 10\npenalty = 4\nlatency = [1, 5]\ncost = [1, 4]\n"
                 "success_prob = [0.3, 0.75]\n"
                 "[grid]\npenalty = {start = 0, stop = 30, num = 13}\n"
                 "cost_ratio = {start = 1, stop = 8, num = 7}\n")
    for name in ("s.nc", "s.parquet"):
        out = tmp_path / name
        res = runner.invoke(app, ["sweep", str(f), "--grid", "task_value=5,10,20",
                                  "--chunks", "5", "--no-progress", "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert f"wrote 273 games over penalty (13) x cost_ratio (7) x task_value (3) to {out}" \
            in res.stdout
    nc = xr.open_dataset(tmp_path / "s.nc", engine="h5netcdf" if _has_h5py() else "scipy")
    with nc:
        _values_equal(reference, nc[list(VARIABLES)].load())
        assert nc.regime.attrs["flag_meanings"] == reference.regime.attrs["flag_meanings"]
        assert nc.attrs["routegame_sweep"] == reference.attrs["routegame_sweep"]
    table = pd.read_parquet(tmp_path / "s.parquet")
    assert len(table) == 273
    # grid order; tables carry 15 significant digits like every other output
    np.testing.assert_allclose(table["provider_cost"], reference.provider_cost.values.reshape(-1),
                               rtol=1e-14)
    assert table["provider_cost"].map(lambda v: len(repr(float(v))) <= 18).all()
    # no partial stores are left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nc", "s.parquet", "s.toml"]
    # --resume of a finished output solves nothing
    for name in ("s.nc", "s.parquet"):
        res = runner.invoke(app, ["sweep", str(f), "--grid", "task_value=5,10,20", "--resume",
                                  "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        assert "already complete" in res.stdout


def _has_h5py() -> bool:
    import importlib.util

    return importlib.util.find_spec("h5py") is not None


def test_cli_resume_of_an_interrupted_table(tmp_path: Path) -> None:
    app, runner = _cli()
    out = tmp_path / "t.csv"
    grid = {"penalty": np.linspace(0, 10, 6)}
    # an interrupted run leaves its resumable store beside the output
    partial = tmp_path / ".t.csv.partial.zarr"
    sweep("default", store=partial, chunks=2, **grid)
    zarr.open_array(str(partial / "_sweep" / "chunk_run"), mode="r+")[1] = 0  # one chunk lost
    args = ["sweep", "--grid", "penalty=0:10:6", "--chunks", "2", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "pass --resume" in res.stderr
    res = runner.invoke(app, [*args, "--resume"])
    assert res.exit_code == 0, res.output
    assert "solved 1 of 3 chunks (resumed)" in res.stdout
    assert not partial.exists()
    assert out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "colour=1,2"], "--grid colour: unknown sweep axis; allowed: task_value"),
        (["--grid", "penalty="], "--grid penalty: grid is empty"),
        (["--grid", "penalty=a,b"], "--grid penalty: values must be numbers"),
        (["--grid", "penalty=0:1"], "--grid penalty: must be START:STOP:NUM"),
        (["--grid", "penalty=0:1:zero"], "--grid penalty: NUM must be an integer"),
        (["--grid", "penalty=-1,2"], "penalty: grid values must be >= 0"),
        (["--grid", "penalty"], "--grid: must be NAME=START:STOP:NUM"),
        ([], "--grid: missing"),
        (["--grid", "penalty=1,2", "--chunks", "x"], "--chunks: must be a positive integer"),
        (["--grid", "penalty=1,2", "--tie-break", "soft"], "--tie-break: must be 'strong'"),
        (["--grid", "penalty=1,2", "--scenario", "nope"], "scenario: unknown scenario 'nope'"),
        (["--grid", "penalty=1,2", "--scheduler", "nope"], "scheduler: must be a dask"),
    ],
)
def test_cli_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    app, runner = _cli()
    res = runner.invoke(app, ["sweep", *args, "--out", str(tmp_path / "o.zarr")])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in res.output
    assert not (tmp_path / "o.zarr").exists()


def test_cli_bad_files(tmp_path: Path) -> None:
    app, runner = _cli()
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "default"\n[grid]\npenalty = {start = 0, stop = 1 num = 3}\n')
    out = tmp_path / "o.zarr"

    def run(*args: str) -> str:
        res = runner.invoke(app, ["sweep", *args])
        assert res.exit_code == 2, res.output
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1, res.stderr
        return lines[0]

    assert "bad.toml: invalid TOML" in run(str(bad), "--out", str(out))
    assert "line 3" in run(str(bad), "--out", str(out))
    assert "no such file" in run(str(tmp_path / "none.toml"), "--out", str(out))
    assert "--out: missing" in run("--grid", "penalty=1,2")
    assert "out: must end in .zarr, .nc, .parquet, .csv" in run(
        "--grid", "penalty=1,2", "--out", str(tmp_path / "o.txt"))
    res = runner.invoke(app, ["sweep", "--grid", "penalty=1,2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    # existing output: refused unless --overwrite (or --resume of the same sweep)
    assert "exists; pass --overwrite" in run("--grid", "penalty=1,2", "--out", str(out))
    line = run("--grid", "penalty=1,3", "--resume", "--out", str(out))
    assert "holds a different sweep: grid penalty differs" in line
    assert "resume: cannot be combined with overwrite" in run(
        "--grid", "penalty=1,2", "--resume", "--overwrite", "--out", str(out))
    res = runner.invoke(app, ["sweep", "--grid", "penalty=1,3", "--overwrite", "--out", str(out)])
    assert res.exit_code == 0, res.output
    csv = tmp_path / "o.csv"
    csv.write_text("x\n")
    assert "finished CSV table" in run("--grid", "penalty=1,2", "--resume", "--out", str(csv))
