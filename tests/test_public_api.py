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
    "RouteGameError", "ParameterError", "DataFormatError", "NotSolvableError", "ResourceError",
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


#: The public surface of the subpackages (the layout of docs/architecture.md), written out.
SUBPACKAGES = {
    "routegame.errors": {"RouteGameError", "ParameterError", "DataFormatError", "ResourceError",
                         "NotSolvableError"},
    "routegame.io": {"ResourceError", "TEMP_MARK", "TableFormat", "atomic_write",
                     "check_output_path", "is_disk_full", "iter_jsonl", "open_lines",
                     "overwrite_hint", "parse_line", "read_table", "read_toml", "read_toml_text",
                     "remove_stale_temps", "resolve_scenario", "table_format", "write_files",
                     "write_stdout_line", "write_table"},
    "routegame.sweep": {"AXES", "BATCH", "PARAMETERS", "SWEEP_VARIABLES", "SweepReport",
                        "VARIABLES", "linear_or_log_grid", "load_sweep_file", "sweep",
                        "sweep_fingerprint", "sweep_to_file", "write_table"},
    "routegame.plot": {"AXES", "FIGURES", "POLICIES", "best_response_curves",
                       "decision_guideline", "misalignment_map", "policy_code", "policy_map",
                       "regime_map", "save_figure", "throttling_map"},
    "routegame.scenarios": {"MAX_MODELS", "Scenario", "ScenarioInfo", "check_num_models",
                            "list_scenarios", "load_config", "load_scenario",
                            "scenario_from_dict"},
    "routegame.present.wording": {"REGIME_SIGNS", "REGIME_TEXT", "fmt", "fmt_value",
                                  "policy_label", "policy_words", "response_words"},
    "routegame.engines": {"ChainEngine", "Engine", "KModelEngine", "TwoModelEngine",
                          "engine_for", "solve"},
    "routegame.testing": {"check_engine"},
}


def test_subpackage_surfaces_are_the_expected_names():
    import importlib

    for name, expected in SUBPACKAGES.items():
        mod = importlib.import_module(name)
        assert set(mod.__all__) == expected, name
        for attr in expected:
            assert getattr(mod, attr) is not None, f"{name}.{attr}"
    # one class, re-exported: the error of a missing resource lives in routegame.errors
    import routegame.errors
    import routegame.io

    assert routegame.io.ResourceError is routegame.errors.ResourceError is rg.ResourceError
