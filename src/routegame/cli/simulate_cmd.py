"""``routegame simulate``: Monte Carlo episodes of a scenario under a policy, next to the exact values.

The policy is the paper's (route i, cascade s): the first pass goes to model i, a re-prompt
after a failure of model 1 goes to model 2 with probability s, and every other model keeps the
task (for K > 2 the same policy embedded in the K-model game). The user abandons after a failed
pass with probability ``--abandon`` (one q, or one per model as a comma-separated list; the
user's best response is not computed here). The exact values come from the absorbing Markov
chain (``routegame.markov.chain.chain_outcomes``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from routegame.cli._app import app
from routegame.cli._common import check_output_path, handle_errors
from routegame.errors import ParameterError

__all__ = ["simulate_command"]

_SUFFIXES = (".csv", ".parquet", ".pq")
# simulate()'s parameter names -> this command's options, for error messages
_OPTION = {
    "n_episodes": "--episodes",
    "max_passes": "--max-passes",
    "confidence": "--confidence",
    "abandon": "--abandon",
    "rng": "--seed",
}


def _parse_abandon(text: str, num_models: int) -> float | list[float]:
    """``"0.2"`` -> 0.2; ``"0.5,0.1"`` -> one q per model (K entries)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ParameterError(
            "--abandon", f"must be a number in [0, 1] or {num_models} comma-separated numbers, "
            f"got {text!r}"
        ) from None
    if len(values) == 1:
        return values[0]
    if len(values) != num_models:
        raise ParameterError(
            "--abandon", f"must have 1 or {num_models} comma-separated values, got {len(values)}"
        )
    return values


def _fmt(x: float) -> str:
    return f"{x:.6g}"


@app.command("simulate")
@handle_errors
def simulate_command(
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Name of a shipped scenario.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="A scenario TOML file of your own.")
    ] = None,
    route: Annotated[int, typer.Option("--route", help="Model of the first pass (1-based).")] = 1,
    cascade: Annotated[
        float, typer.Option("--cascade", help="s: P(re-prompt after an M1 failure goes to M2).")
    ] = 0.0,
    abandon: Annotated[
        str,
        typer.Option("--abandon", help="q after a failure: one number, or one per model (a,b,..)."),
    ] = "0.0",
    episodes: Annotated[int, typer.Option("--episodes", help="Number of episodes.")] = 100_000,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (printed when not given).")
    ] = None,
    max_passes: Annotated[
        int, typer.Option("--max-passes", help="Cap on the passes of one episode.")
    ] = 10_000,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Level of the intervals.")
    ] = 0.95,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write one row per episode (.csv or .parquet)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
) -> None:
    """Simulate episodes and print estimate ± CI next to the exact Markov-chain value."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from routegame.markov.chain import chain_outcomes, two_model_policy
    from routegame.scenarios import load_config, load_scenario
    from routegame.simulate import simulate

    if (scenario is None) == (config is None):
        raise ParameterError("--scenario", "give exactly one of --scenario NAME or --config FILE")
    if out is not None:
        if out.suffix.lower() not in _SUFFIXES:
            raise ParameterError("--out", f"must end in .csv, .parquet or .pq, got {str(out)!r}")
        check_output_path(out, overwrite)
    if seed is not None and seed < 0:
        raise ParameterError("--seed", f"must be an integer >= 0, got {seed}")
    if scenario is not None:
        sc = load_scenario(scenario)
    else:
        assert config is not None
        sc = load_config(config)
    params = sc.params
    K = params.num_models
    if route < 1 or route > K:
        raise ParameterError("--route", f"must be an integer in 1..{K}, got {route}")
    q = _parse_abandon(abandon, K)
    try:
        start, R = two_model_policy(route, cascade, num_models=K)
    except ParameterError as exc:
        raise ParameterError(f"--{exc.field}", exc.reason) from None
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    try:
        ep = simulate(params, start, R, q, episodes, rng=seed, max_passes=max_passes)
        summary = ep.summary(confidence=confidence)
    except ParameterError as exc:
        raise ParameterError(_OPTION.get(exc.field, exc.field), exc.reason) from None
    exact: Any = chain_outcomes(params.task_value, params.penalty, params.latency, params.cost,
                                params.success_prob, start, R, q)
    comparison = summary.compare(exact)

    if out is not None:
        ep.to_table(out, overwrite=overwrite, field="--out")

    pct = f"{100 * confidence:g}%"
    table = Table(
        title=f"routegame simulate: {sc.name}, route {route}, cascade {cascade:g}, "
        f"abandon {abandon}",
        caption=(
            f"{summary.n_episodes:,} episodes, seed {seed}: {summary.n_solved:,} solved, "
            f"{summary.n_abandoned:,} abandoned, {summary.n_truncated:,} truncated"
            + (" (truncated episodes bias the estimates)" if summary.n_truncated else "")
        ),
    )
    table.add_column("quantity")
    table.add_column("estimate", justify="right")
    table.add_column(f"± {pct} CI", justify="right")
    table.add_column("exact", justify="right")
    table.add_column("z", justify="right")
    names = summary.model_names
    for (_, est), row in zip(summary.items(), comparison.rows, strict=True):
        label = row.quantity
        if label.startswith("passes["):
            k = int(label[7:-1])
            label = f"passes on {k} ({names[k - 1]})" if names else label
        table.add_row(label, _fmt(est.mean), _fmt(est.ci_high - est.mean), _fmt(row.exact),
                      f"{row.z_score:.2f}")
    console = Console()
    console.print(table)
    if out is not None:
        console.print(f"wrote {summary.n_episodes:,} episodes to {out}")
