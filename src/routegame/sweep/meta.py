"""Metadata of a sweep: the fingerprint a resumed store must match, units and attributes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
from routegame.sweep.grid import _AXIS_INFO, DERIVED, PARAMETERS, _Plan
from routegame.sweep.kernel import VARIABLES

__all__ = ['sweep_fingerprint']


_REFERENCE = (
    'R. Mahmood, "Routing, Cascades, and User Choice for LLMs", ICLR 2026, arXiv 2602.09902'
)

_FORMAT = 1

def _grid_summary(grid: np.ndarray) -> dict[str, Any]:
    digest = hashlib.sha256(np.ascontiguousarray(grid, dtype="<f8").tobytes()).hexdigest()
    return {
        "num": int(grid.size),
        "first": float(grid[0]),
        "last": float(grid[-1]),
        "sha256": digest[:16],
    }

def _fingerprint(plan: _Plan) -> dict[str, Any]:
    import routegame

    return {
        "format": _FORMAT,
        "routegame_version": routegame.__version__,
        "tie_break": plan.kernel.tie_break,
        "base": dict(zip(PARAMETERS, plan.kernel.base, strict=True)),
        "dims": list(plan.dims),
        "grids": {d: _grid_summary(plan.grids[d]) for d in plan.dims},
    }

def sweep_fingerprint(ds: xr.Dataset) -> dict[str, Any]:
    """The identity of the sweep that produced ``ds`` (what a resumed store must match).

    Keys: ``format``, ``routegame_version``, ``tie_break``, ``base`` (the eight parameters),
    ``dims`` and ``grids`` (per axis: ``num``, ``first``, ``last`` and a hash of the values).

    Examples
    --------
    >>> from routegame import GameParams
    >>> from routegame.sweep import sweep
    >>> g = GameParams.two_model(10, 4, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    >>> fp = sweep_fingerprint(sweep(g, penalty=[0, 5, 10]))
    >>> fp["dims"], fp["grids"]["penalty"]["num"], fp["base"]["cost_2"]
    (['penalty'], 3, 4.0)
    """
    raw = ds.attrs.get("routegame_sweep")
    if not isinstance(raw, str):
        raise ParameterError("ds", "is not a routegame sweep (no routegame_sweep attribute)")
    return _parse_fingerprint(raw, "ds")

def _describe_grid(g: Mapping[str, Any]) -> str:
    return f"{g.get('num')} points {g.get('first'):g} to {g.get('last'):g}"

def _mismatch(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> str | None:
    """What differs between two fingerprints (None when they describe the same sweep)."""
    if stored.get("format") != wanted["format"]:
        return f"store format {stored.get('format')} (this routegame writes {wanted['format']})"
    if stored.get("dims") != wanted["dims"]:
        have = ", ".join(stored.get("dims") or [])
        return f"swept axes differ (store: {have}; requested: {', '.join(wanted['dims'])})"
    for d in wanted["dims"]:
        s, w = stored.get("grids", {}).get(d, {}), wanted["grids"][d]
        if s != w:
            if s.get("num") == w["num"] and s.get("first") == w["first"] and s.get(
                "last"
            ) == w["last"]:
                return f"grid {d} differs (same size and ends, different values)"
            return f"grid {d} differs (store: {_describe_grid(s)}; requested: {_describe_grid(w)})"
    for name in PARAMETERS:
        s_val, w_val = stored.get("base", {}).get(name), wanted["base"][name]
        if s_val != w_val:
            return f"base {name} differs (store: {s_val}; requested: {w_val})"
    if stored.get("tie_break") != wanted["tie_break"]:
        return (
            f"tie_break differs (store: {stored.get('tie_break')}; "
            f"requested: {wanted['tie_break']})"
        )
    if stored.get("routegame_version") != wanted["routegame_version"]:
        return (
            f"written by routegame {stored.get('routegame_version')}, "
            f"this is {wanted['routegame_version']}"
        )
    return None

def _unit(kind: str, units: Mapping[str, str]) -> str:
    if kind == "latency":
        return units.get("latency", "latency unit")
    if kind == "cost":
        return units.get("cost", "cost unit")
    return kind

def _var_attrs(name: str, units: Mapping[str, str]) -> dict[str, Any]:
    from routegame.closed_form import REGIMES

    _, kind, long_name = VARIABLES[name]
    out: dict[str, Any] = {"long_name": long_name, "units": _unit(kind, units)}
    if name == "regime":
        out["flag_values"] = np.arange(len(REGIMES), dtype=np.int8)
        out["flag_meanings"] = " ".join(REGIMES)
    elif name in ("route", "pref_route"):
        out["flag_values"] = np.array([1, 2], dtype=np.int8)
        out["flag_meanings"] = "M1 M2"
    return out

def _dataset_attrs(plan: _Plan) -> dict[str, Any]:
    import routegame

    fp = _fingerprint(plan)
    attrs_: dict[str, Any] = {
        "title": "routegame parameter sweep of the two-model routing game",
        "source": f"routegame {routegame.__version__}: closed-form solver (solve_arrays)",
        "references": _REFERENCE,
        "routegame_version": routegame.__version__,
        "tie_break": plan.kernel.tie_break,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "scenario": plan.scenario,
        "model_names": json.dumps(list(plan.names)),
        "latency_unit": _unit("latency", plan.units),
        "cost_unit": _unit("cost", plan.units),
        "swept": " ".join(plan.dims),
    }
    for name, value in zip(PARAMETERS, plan.kernel.base, strict=True):
        attrs_[f"base_{name}"] = value
    derived = [f"{t} = {d} * {f}" for d, (t, f) in DERIVED.items() if d in plan.dims]
    if derived:
        attrs_["derived_axes"] = "; ".join(derived)
    attrs_["grids"] = json.dumps(fp["grids"])
    attrs_["routegame_sweep"] = json.dumps(fp, sort_keys=True)
    return attrs_

def _coords(plan: _Plan) -> dict[str, Any]:
    out = {}
    for d in plan.dims:
        kind, long_name = _AXIS_INFO[d]
        out[d] = (d, plan.grids[d], {"long_name": long_name, "units": _unit(kind, plan.units)})
    return out

def _assemble(plan: _Plan, data: Mapping[str, Any]) -> xr.Dataset:
    import xarray as xr

    variables = {
        name: (plan.dims, data[name], _var_attrs(name, plan.units)) for name in VARIABLES
    }
    return xr.Dataset(variables, coords=_coords(plan), attrs=_dataset_attrs(plan))

def _parse_fingerprint(raw: str, path: Path | str) -> dict[str, Any]:
    try:
        fp = json.loads(raw)
    except json.JSONDecodeError:
        raise ParameterError("store", f"{path} has a corrupt routegame_sweep attribute") from None
    if not isinstance(fp, dict):
        raise ParameterError("store", f"{path} has a corrupt routegame_sweep attribute")
    return fp

def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v
