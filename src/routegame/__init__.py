"""routegame: exact solutions, sweeps and simulation of the LLM routing game with user choice.

The model is the leader-follower game of Mahmood, "Routing, Cascades, and User Choice for LLMs"
(ICLR 2026, arXiv 2602.09902): a provider routes a task to a standard model M1 or a reasoning
model M2 and may cascade after a failure; the user re-prompts or abandons.

Examples
--------
>>> import routegame as rg
>>> g = rg.TwoModelGame.from_values(task_value=10, penalty=20, latency=[4, 5], cost=[1, 4],
...                                 success_prob=[0.3, 0.8])
>>> g.solve()["equilibrium"]["route"]
1
>>> round(float(rg.solve(g.params).equilibrium.provider_cost), 4)
3.8824
"""

from typing import Any

from routegame.closed_form import (
    REGIMES,
    best_response,
    expected_passes,
    outcomes,
    regime_code,
    solve_arrays,
    thresholds,
)
from routegame.engines import ChainEngine, Engine, KModelEngine, TwoModelEngine, engine_for, solve
from routegame.errors import DataFormatError, NotSolvableError, ParameterError, RouteGameError
from routegame.game import Solution, TwoModelGame, solve_record
from routegame.general import GeneralGame, solve_general
from routegame.guideline import guideline
from routegame.model.params import BOUNDS, GameParams, ModelSpec
from routegame.model.results import GameResult, Outcome, PolicyResult, Response, ThrottleResult
from routegame.simulate import Episodes, SimulationSummary, TaskDistribution, simulate, simulate_two_model

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``routegame.sweep`` is imported on first use (it is callable: ``routegame.sweep(...)``)."""
    if name == "sweep":
        import importlib

        return importlib.import_module("routegame.sweep")
    raise AttributeError(f"module 'routegame' has no attribute {name!r}")


__all__ = [  # the groups are listed in tests/test_public_api.py and docs/architecture.md
    "BOUNDS",
    "REGIMES",
    "ChainEngine",
    "DataFormatError",
    "Engine",
    "Episodes",
    "GameParams",
    "GameResult",
    "GeneralGame",
    "KModelEngine",
    "ModelSpec",
    "NotSolvableError",
    "Outcome",
    "ParameterError",
    "PolicyResult",
    "Response",
    "RouteGameError",
    "SimulationSummary",
    "Solution",
    "TaskDistribution",
    "ThrottleResult",
    "TwoModelEngine",
    "TwoModelGame",
    "__version__",
    "best_response",
    "engine_for",
    "expected_passes",
    "guideline",
    "outcomes",
    "regime_code",
    "simulate",
    "simulate_two_model",
    "solve",
    "solve_arrays",
    "solve_general",
    "solve_record",
    "sweep",
    "thresholds",
]
