"""The public surface: every name in routegame.__all__ resolves, and nothing heavy is imported."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import routegame as rg

#: The public API, grouped; written out here so that adding or losing a name fails a test.
EXPECTED = {
    # parameters, errors
    "GameParams", "ModelSpec", "BOUNDS",
    "RouteGameError", "ParameterError", "DataFormatError", "NotSolvableError",
    # one result type
    "GameResult", "PolicyResult", "ThrottleResult", "Outcome", "Response", "REGIMES",
    # solving: the library picks the engine
    "solve", "engine_for", "Engine", "TwoModelEngine", "KModelEngine", "ChainEngine",
    # facades and batch lines
    "TwoModelGame", "GeneralGame", "Solution", "solve_record", "solve_general", "guideline",
    # two-model closed forms over arrays
    "solve_arrays", "outcomes", "expected_passes", "best_response", "thresholds", "regime_code",
    # simulation and sweeps
    "simulate", "simulate_two_model", "Episodes", "SimulationSummary", "TaskDistribution",
    "sweep",
    "__version__",
}


def test_public_api_is_exactly_the_expected_names():
    assert set(rg.__all__) == EXPECTED
    assert len(rg.__all__) == len(set(rg.__all__))


def test_all_names_resolve():
    for name in EXPECTED:
        assert getattr(rg, name) is not None, name


def test_sweep_is_callable_from_the_package_and_module():
    from routegame.sweep import sweep

    a = rg.sweep("default", penalty=[1.0, 5.0], progress=False)
    b = sweep("default", penalty=[1.0, 5.0], progress=False)
    np.testing.assert_array_equal(a["provider_cost"].values, b["provider_cost"].values)


def test_import_does_not_pull_heavy_optional_dependencies():
    code = ("import sys, routegame; heavy = [m for m in ('matplotlib', 'xarray', 'dask', 'typer', "
            "'scipy.optimize', 'pandas') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
