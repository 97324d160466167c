"""Sweeps of a heterogeneous scenario (a task table): the same outputs as every other sweep.

``routegame sweep --scenario lcb-...`` (or ``--config`` of a file written by ``routegame
calibrate --out``) and :func:`routegame.sweep.sweep` with such a base come here (two small
hooks in :mod:`routegame.sweep.api`). The result is an ``xarray.Dataset`` with the variables of
every sweep (:data:`routegame.sweep.VARIABLES`, names, units and descriptions from
:class:`~routegame.GameResult`), written as ``.zarr``/``.nc`` or as a flat ``.parquet``/``.csv``
table exactly like the closed-form sweeps.

Axes: ``task_value``, ``penalty``, ``latency_1``, ``latency_2``, ``cost_1``, ``cost_2`` (the
success probabilities are the table's). Two methods:

* ``"map"``: :func:`routegame.hetero.provider.policy_map` for grids over (V, P) only, for the
  stationary and state-aware users (their response does not depend on P): per value of V one
  search over an s-grid of ``s_grid`` points (81: step 1/80) with the response jumps located,
  then every P at once. The equilibrium is the strong one at the **s-grid's precision** on
  smooth pieces (exact at jumps and route 2); the user-preferred policy is the exact search per
  V (it does not depend on P); the weak optimum is **not computed** (``weak_provider_cost`` NaN,
  ``weak_attained`` False).
* ``"exact"``: every grid point solved by :class:`~routegame.hetero.HeteroEngine` (the answers
  of ``routegame solve``: strong and weak optima, user-preferred policy, throttling), about
  0.5 s per point for a calibrated pair: for small grids, other axes, weak tie-breaking and
  the hazard and Bayes users.

``"auto"`` (the default) takes ``"map"`` when it applies (axes within (V, P), stationary or
state-aware user, strong tie-breaking), else ``"exact"``.

For the state-aware user ``abandon`` is q of the model of the first pass (q_1 on route 1, q_2
on route 2). ``success_prob_1``/``success_prob_2`` in the attributes and table columns are the
tables' mean success probabilities (``net_value`` and ``regime`` use them, as in ``solve``);
``s0``, ``s_low``, ``s_high`` are NaN (i.i.d. notions). Hetero sweeps run in memory: no
chunks, dask scheduler or resume.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from routegame.hetero.scenarios import HeteroScenario
    from routegame.sweep.api import SweepReport

__all__ = ["HETERO_AXES", "METHODS", "hetero_base", "hetero_sweep", "hetero_sweep_to_file",
           "refuse_options"]

#: Axes of a heterogeneous sweep (the success probabilities are the task table's).
HETERO_AXES: tuple[str, ...] = ("task_value", "penalty", "latency_1", "latency_2", "cost_1",
                                "cost_2")
#: Methods of :func:`hetero_sweep`.
METHODS: tuple[str, ...] = ("auto", "map", "exact")
#: Largest number of grid points of an ``"exact"`` sweep (about 0.5 s each).
MAX_EXACT = 20_000
#: Largest (V, P) map.
MAX_MAP = 4_000_000

_FIELD = {"task_value": "task_value", "penalty": "penalty", "latency_1": "latency",
          "latency_2": "latency", "cost_1": "cost", "cost_2": "cost"}


def hetero_base(base: Any) -> HeteroScenario | None:
    """The heterogeneous scenario of a sweep base (a shipped name, a calibrate TOML path or a
    loaded :class:`~routegame.hetero.scenarios.HeteroScenario`), else None.

    Examples
    --------
    >>> hetero_base("lcb-gpt-4o-vs-o4-mini").name, hetero_base("default")
    ('lcb-gpt-4o-vs-o4-mini', None)
    """
    from routegame.hetero.scenarios import (
        HeteroScenario,
        is_hetero_config,
        is_hetero_scenario,
        load_hetero,
    )

    if isinstance(base, HeteroScenario):
        return base
    if isinstance(base, (str, os.PathLike)):
        s = os.fspath(base)
        if is_hetero_scenario(s) or (s.lower().endswith(".toml") and is_hetero_config(s)):
            return load_hetero(s)
    return None


def refuse_options(**options: Any) -> None:
    """Refuse the options of the chunked closed-form sweeps that a heterogeneous sweep (in
    memory) does not take, naming the first one given."""
    for name, value in options.items():
        if value not in (None, False):
            raise ParameterError(name, "is not available for a heterogeneous scenario (its "
                                 "sweep runs in memory: no chunks, store, scheduler, lazy or "
                                 "resume)")


def _grids(grid: Mapping[str, Any]) -> dict[str, np.ndarray]:
    from routegame.params import check_scalar

    if not grid:
        raise ParameterError("grid", "give at least one axis: " + ", ".join(HETERO_AXES))
    out: dict[str, np.ndarray] = {}
    for name, values in grid.items():
        if name not in HETERO_AXES:
            why = (" (a heterogeneous scenario has a task table: its success probabilities "
                   "are not an axis)" if name.startswith("success_prob") else "")
            raise ParameterError(name, f"is not an axis of a heterogeneous sweep{why}; "
                                 f"allowed: {', '.join(HETERO_AXES)}")
        try:
            arr = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError):
            raise ParameterError(name, f"must be a list of numbers, got {values!r}") from None
        if arr.size < 1:
            raise ParameterError(name, "is empty; give at least one value")
        for v in arr:
            check_scalar(float(v), _FIELD[name], name)
        if np.unique(arr).size != arr.size:
            raise ParameterError(name, "has repeated values")
        out[name] = arr
    return out


def _choose(method: str, dims: tuple[str, ...], user: str, tie_break: str) -> str:
    if method not in METHODS:
        raise ParameterError("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    fits = set(dims) <= {"task_value", "penalty"} and user in ("stationary", "state-aware") and (
        tie_break == "strong")
    if method == "map" and not fits:
        raise ParameterError(
            "method", "map needs axes within task_value and penalty, a stationary or "
            "state-aware user and strong tie-breaking; use method exact")
    if method == "auto":
        return "map" if fits else "exact"
    return method


def hetero_sweep(
    base: Any, grid: Mapping[str, Any], *, tie_break: str = "strong", method: str = "auto",
    user: str | None = None, s_grid: int = 81,
) -> xr.Dataset:
    """Solve a heterogeneous scenario over a grid (see the module docstring).

    Parameters
    ----------
    base : str, path or HeteroScenario
        A shipped heterogeneous scenario (``"lcb-..."``), a calibrate TOML, or a loaded one.
    grid : mapping
        Axis -> 1-D values, axes in :data:`HETERO_AXES`; dimensions in the order given.
    tie_break : {"strong", "weak"}
    method : {"auto", "map", "exact"}
    user : str, optional
        Override the scenario's user (``stationary``, ``state-aware``, ``hazard``, ``bayes``).
    s_grid : int
        The s-grid of the ``"map"`` method.

    Returns
    -------
    xarray.Dataset
        The variables of every sweep over the swept dimensions; attrs as other sweeps plus
        ``method``, ``user``, ``num_tasks`` and ``tasks_sha256``.

    Examples
    --------
    >>> ds = hetero_sweep("lcb-gpt-4o-mini-vs-o3-mini", {"penalty": [0.01, 1.0]})
    >>> ds.attrs["method"], ds.route.values.tolist()
    ('map', [1, 2])
    """
    from routegame.hetero.engine import USERS
    from routegame.params import check_tie_break

    sc = hetero_base(base)
    if sc is None:
        raise ParameterError("base", f"is not a heterogeneous scenario: {base!r}")
    tb = check_tie_break(tie_break)
    g = sc.game
    u = g.user if user is None else user
    if u not in USERS:
        raise ParameterError("user", f"must be one of {', '.join(USERS)}, got {u!r}")
    grids = _grids(grid)
    dims = tuple(grids)
    shape = tuple(grids[d].size for d in dims)
    how = _choose(method, dims, u, tb)
    n = math.prod(shape)
    if how == "exact" and n > MAX_EXACT:
        raise ParameterError("grid", f"{n:,} points is too many for the exact method (at most "
                             f"{MAX_EXACT:,}, about 0.5 s each); use method map for (V, P) grids")
    if how == "map" and n > MAX_MAP:
        raise ParameterError("grid", f"{n:,} points is too many (at most {MAX_MAP:,})")
    data = _map(sc, grids, dims, u, s_grid) if how == "map" else _exact(sc, grids, dims, shape, u, tb)
    return _dataset(sc, grids, dims, data, u, tb, how, s_grid)


def _base_values(sc: HeteroScenario) -> dict[str, float]:
    g = sc.game
    m = g.tasks.mean()
    return {"task_value": float(g.task_value), "penalty": float(g.penalty),
            "latency_1": float(g.latency[0]), "latency_2": float(g.latency[1]),
            "cost_1": float(g.cost[0]), "cost_2": float(g.cost[1]),
            "success_prob_1": float(m[0]), "success_prob_2": float(m[1])}


def _exact(sc: HeteroScenario, grids: Mapping[str, np.ndarray], dims: tuple[str, ...],
           shape: tuple[int, ...], user: str, tie_break: str) -> dict[str, np.ndarray]:
    from routegame.hetero.protocol import HeteroEngine
    from routegame.model.params import GameParams
    from routegame.sweep.kernel import VARIABLES

    g = sc.game
    base = _base_values(sc)
    m = np.clip(g.tasks.mean(), 1e-12, 1.0 - 1e-12)
    eng = HeteroEngine(g.tasks, user, g.latency_weight, g.hazard, iid=False)
    out = {name: np.empty(shape, dtype=dtype) for name, (dtype, _, _) in VARIABLES.items()}
    for idx in np.ndindex(*shape):
        v = dict(base)
        for d, i in zip(dims, idx, strict=True):
            v[d] = float(grids[d][i])
        params = GameParams.two_model(v["task_value"], v["penalty"],
                                      (v["latency_1"], v["latency_2"]),
                                      (v["cost_1"], v["cost_2"]), (float(m[0]), float(m[1])))
        flat = eng.solve(params, tie_break).data_vars()  # type: ignore[arg-type]
        for name in VARIABLES:
            x = np.asarray(flat[name][0])
            if x.ndim:  # the state-aware user's (q_1, q_2): q of the first pass's model
                route = int(np.asarray(flat["route" if name == "abandon" else "pref_route"][0]))
                x = x[max(route, 1) - 1]
            out[name][idx] = x
    return out


def _map(sc: HeteroScenario, grids: Mapping[str, np.ndarray], dims: tuple[str, ...],
         user: str, s_grid: int) -> dict[str, np.ndarray]:
    from routegame.closed_form.user import regime_code
    from routegame.hetero.engine import HeteroGame
    from routegame.sweep.kernel import VARIABLES

    g = sc.game
    V = grids.get("task_value", np.array([float(g.task_value)]))
    P = grids.get("penalty", np.array([float(g.penalty)]))
    game = HeteroGame(g.tasks, float(V[0]), float(P[0]), g.latency, g.cost, user=user,
                      latency_weight=g.latency_weight, hazard=g.hazard)
    res = game.policy_map(V, P, s_grid)  # (nV, nP), strong
    nV, nP = V.size, P.size
    m = g.tasks.mean()
    out: dict[str, np.ndarray] = {}
    out["route"] = res["route"]
    out["cascade"] = np.where(res["route"] == 1, res["cascade"], 0.0)
    for k in ("abandon", "provider_cost", "user_utility", "success"):
        out[k] = res[k]
    pref = {k: np.zeros((nV, nP)) for k in ("route", "cascade", "U", "J")}
    xi = np.zeros((nV, 2))
    for i, v in enumerate(V):  # the user's optimum does not depend on P: one search per V
        gv = HeteroGame(g.tasks, float(v), 0.0, g.latency, g.cost, user=user,
                        latency_weight=g.latency_weight, hazard=g.hazard)
        up = gv.user_preferred()
        C0, S0 = up.provider_cost, up.success  # at P = 0, J = C
        pref["route"][i] = up.route
        pref["cascade"][i] = up.cascade
        pref["U"][i] = up.user_utility
        pref["J"][i] = C0 + P * (1.0 - S0)
        xi[i] = float(v) * m - g.latency
    one_pass = (g.cost[None, :] + P[:, None] * (1.0 - m[None, :])).min(axis=1)  # (nP,)
    J = out["provider_cost"]
    scale = np.maximum(1.0, np.abs(J))
    pays = one_pass[None, :] < J - 1e-12 * scale
    out.update(
        regime=np.broadcast_to(np.array([regime_code(a, b) for a, b in xi])[:, None],
                               (nV, nP)),
        s0=np.full((nV, nP), np.nan), s_low=np.full((nV, nP), np.nan),
        s_high=np.full((nV, nP), np.nan),
        net_value_1=np.broadcast_to(xi[:, :1], (nV, nP)),
        net_value_2=np.broadcast_to(xi[:, 1:], (nV, nP)),
        pref_route=pref["route"], pref_cascade=pref["cascade"], pref_user_utility=pref["U"],
        pref_provider_cost=pref["J"], misalignment_gap=pref["U"] - out["user_utility"],
        price_of_alignment=pref["J"] - J, throttling_pays=pays,
        throttling_gain=np.where(pays, J - one_pass[None, :], 0.0),
        weak_provider_cost=np.full((nV, nP), np.nan),
        weak_attained=np.zeros((nV, nP), dtype=bool),
    )
    # to the order of the swept dimensions (V, P, or P, V, or one of them)
    order = [d for d in ("task_value", "penalty") if d in dims]
    final = {}
    for name, (dtype, _, _) in VARIABLES.items():
        a = np.asarray(out[name])
        if "task_value" not in dims:
            a = a[0]
        if "penalty" not in dims:
            a = a[..., 0]
        if order != list(dims):
            a = a.T
        final[name] = np.ascontiguousarray(a).astype(dtype, copy=False)
    return final


def _dataset(sc: HeteroScenario, grids: Mapping[str, np.ndarray], dims: tuple[str, ...],
             data: Mapping[str, np.ndarray], user: str, tie_break: str, method: str,
             s_grid: int) -> xr.Dataset:
    import xarray as xr

    import routegame
    from routegame.sweep.grid import _AXIS_INFO, PARAMETERS
    from routegame.sweep.kernel import VARIABLES
    from routegame.sweep.meta import _FORMAT, _REFERENCE, _grid_summary, _unit, _var_attrs

    units = dict(sc.units)
    base = _base_values(sc)
    tasks = sc.game.tasks
    tsha = hashlib.sha256(np.ascontiguousarray(tasks.prob, "<f8").tobytes()
                          + np.ascontiguousarray(tasks.weight, "<f8").tobytes()).hexdigest()[:16]
    fp = {"format": _FORMAT, "routegame_version": routegame.__version__, "tie_break": tie_break,
          "base": {k: base[k] for k in PARAMETERS}, "dims": list(dims),
          "grids": {d: _grid_summary(grids[d]) for d in dims},
          "hetero": {"scenario": sc.name, "tasks_sha256": tsha, "user": user, "method": method}}
    attrs_: dict[str, Any] = {
        "title": "routegame parameter sweep of the heterogeneous two-model game (task table)",
        "source": f"routegame {routegame.__version__}: heterogeneous engine "
                  f"(routegame.hetero, method {method})",
        "references": _REFERENCE,
        "routegame_version": routegame.__version__,
        "tie_break": tie_break,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "scenario": sc.name,
        "model_names": json.dumps(list(sc.model_names)),
        "latency_unit": _unit("latency", units),
        "cost_unit": _unit("cost", units),
        "swept": " ".join(dims),
        "method": method,
        "user": user,
        "num_tasks": int(tasks.num_tasks),
        "tasks_sha256": tsha,
        "precision": (f"map: s-grid step 1/{s_grid - 1} on smooth pieces (exact at jumps); "
                      "weak optimum not computed") if method == "map" else
                     "exact: the answers of routegame solve at every point",
        "note": "success_prob_1/2 are the task table's mean success probabilities",
    }
    for name in PARAMETERS:
        attrs_[f"base_{name}"] = base[name]
    attrs_["grids"] = json.dumps(fp["grids"])
    attrs_["routegame_sweep"] = json.dumps(fp, sort_keys=True)
    coords = {d: (d, grids[d], {"long_name": _AXIS_INFO[d][1],
                                "units": _unit(_AXIS_INFO[d][0], units)}) for d in dims}
    variables = {name: (dims, np.asarray(data[name]), _var_attrs(name, units))
                 for name in VARIABLES}
    return xr.Dataset(variables, coords=coords, attrs=attrs_)


def hetero_sweep_to_file(
    base: Any, out: str | os.PathLike[str], grid: Mapping[str, Any], *,
    tie_break: str = "strong", method: str = "auto", user: str | None = None,
    overwrite: bool = False,
) -> SweepReport:
    """Run :func:`hetero_sweep` into ``.zarr``, ``.nc``, ``.parquet`` or ``.csv`` (atomically;
    an existing output is refused unless ``overwrite``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "h.csv"
    >>> r = hetero_sweep_to_file("lcb-gpt-4o-vs-o4-mini", out, {"penalty": [0.01, 0.1]})
    >>> r.points, out.exists()
    (2, True)
    """
    from routegame.sweep.api import SweepReport
    from routegame.sweep.store import _netcdf_engine, write_table

    start = time.perf_counter()
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".zarr", ".nc", ".parquet", ".csv"):
        raise ParameterError("out", f"must end in .zarr, .nc, .parquet, .csv, got {str(path)!r}")
    if not path.parent.exists():
        raise ParameterError("out", f"directory {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise ParameterError("out", f"{path} exists; pass overwrite=True to replace it")
    ds = hetero_sweep(base, grid, tie_break=tie_break, method=method, user=user)
    tmp = path.with_name(f".{path.name}.partial")
    _remove(tmp)
    try:
        if suffix in (".csv", ".parquet"):
            write_table(ds, path, overwrite=True)
        else:
            if suffix == ".zarr":
                ds.to_zarr(tmp, mode="w", consolidated=False)
            else:
                engine: Any = _netcdf_engine()
                ds.to_netcdf(tmp, engine=engine)
            _remove(path)
            os.replace(tmp, path)
    finally:
        _remove(tmp)
    shape = tuple(int(ds.sizes[d]) for d in ds.dims)
    return SweepReport(path, tuple(str(d) for d in ds.dims), shape, 1, 1,
                       time.perf_counter() - start)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif p.exists() or p.is_symlink():
        p.unlink()
