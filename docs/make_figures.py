"""Render every figure of ``docs/figures`` from the code (run from the repository root).

Usage::

    .venv/bin/python docs/make_figures.py [--out docs/figures] [--n 200] [--formats png,svg]

Each figure is written atomically (a temporary file renamed into place). The SVG and PDF files
are reproducible byte for byte (no dates, fixed ids); PNG files may differ in their metadata
between matplotlib versions. ``docs/figures.md`` shows the PNG files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from routegame import GameParams
from routegame.plot import (
    best_response_curves,
    decision_guideline,
    misalignment_map,
    policy_map,
    regime_map,
    save_figure,
    throttling_map,
)
from routegame.scenarios import load_scenario, scenario_from_dict

# The theory page's value-latency counterexample (docs/theory.md, section 3): a cascade up to
# s_low is the provider's unique optimum.
VALUE_LATENCY = {
    "name": "value-latency-example",
    "description": "docs/theory.md section 3: threshold cascade at s_low",
    "task_value": 10.0, "penalty": 5.0, "latency": [1.0, 10.0], "cost": [1.0, 2.0],
    "success_prob": [0.3, 0.8],
}


def figures(n: int) -> list[tuple[str, Callable[[], Any]]]:
    """(file stem, figure factory) for every figure of the docs."""
    default = load_scenario("default")
    vl = scenario_from_dict(VALUE_LATENCY)
    assert isinstance(vl.params, GameParams)
    # the default game with a cheap churn (P = 2 < min c/p = 4): where does throttling pay?
    low_penalty = attrs.evolve(default, name="default, P = 2",
                               params=default.params.replace(penalty=2.0))
    return [
        ("decision-guideline", lambda: decision_guideline(default)),
        ("regime-map", lambda: regime_map(default, n=n)),
        ("best-response-curves", lambda: best_response_curves(default)),
        ("policy-map-cost-penalty",
         lambda: policy_map(default, x="cost_ratio", y="penalty", n=n)),
        ("policy-map-value-latency",
         lambda: policy_map(default, x="task_value", y="latency_ratio", n=n)),
        ("policy-map-vl-example",
         lambda: policy_map(vl, x="cost_ratio", y="penalty", n=n)),
        ("misalignment-map", lambda: misalignment_map(default, n=n)),
        ("throttling-map", lambda: throttling_map(default, n=n)),
        ("throttling-map-latencies",
         lambda: throttling_map(low_penalty, x="latency_1", y="latency_2", n=n)),
    ]


def _write(fig: Any, path: Path, fmt: str) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        save_figure(fig, name, fmt=fmt)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Render the figures; return the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "figures"))
    ap.add_argument("--n", type=int, default=200, help="grid points per axis of the maps")
    ap.add_argument("--formats", default="png,svg", help="comma-separated: png, svg, pdf")
    ap.add_argument("--only", default=None, help="comma-separated file stems to render")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    only = set(args.only.split(",")) if args.only else None
    for stem, make in figures(args.n):
        if only is not None and stem not in only:
            continue
        t0 = time.perf_counter()
        fig = make()
        for fmt in formats:
            _write(fig, out / f"{stem}.{fmt}", fmt)
        print(f"{stem}: {', '.join(formats)} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
