"""Validated, immutable parameters of a routing game.

Notation (``spec/model.md``): a game has K >= 2 models; model i has latency t_i > 0, compute
cost c_i >= 0 and per-pass success probability 0 < p_i < 1. The user values a solved task at
V > 0 (in latency units), the provider loses P >= 0 when the user abandons. The net value of
one pass of model i is xi_i = V p_i - t_i.

Bounds are written once, in :data:`BOUNDS`, and used by the validators, the array API, the CLI
and the hypothesis strategies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import attrs
import numpy as np

from routegame._types import FloatArray, TieBreak
from routegame.errors import ParameterError

__all__ = [
    "BOUNDS",
    "TWO_MODEL_FIELDS",
    "GameParams",
    "ModelSpec",
    "as_real_array",
    "broadcast_fields",
    "check_array",
    "check_game_arrays",
    "check_scalar",
    "check_tie_break",
    "describe_range",
]

#: Allowed range of every parameter: (low, high, low_inclusive, high_inclusive).
BOUNDS: dict[str, tuple[float, float, bool, bool]] = {
    "task_value": (0.0, math.inf, False, False),
    "penalty": (0.0, math.inf, True, False),
    "latency": (0.0, math.inf, False, False),
    "cost": (0.0, math.inf, True, False),
    "success_prob": (0.0, 1.0, False, False),
    "cascade": (0.0, 1.0, True, True),
    "abandon": (0.0, 1.0, True, True),
}


#: The eight scalar parameters of a two-model game, flattened (model numbers 1-based): the
#: column names of game tables and the axes of sweeps and maps.
TWO_MODEL_FIELDS: tuple[str, ...] = (
    "task_value",
    "penalty",
    "latency_1",
    "latency_2",
    "cost_1",
    "cost_2",
    "success_prob_1",
    "success_prob_2",
)


def describe_range(field: str) -> str:
    """Human-readable allowed range of ``field``, e.g. ``'in (0, 1)'`` or ``'>= 0'``.

    Examples
    --------
    >>> describe_range("success_prob")
    'in (0, 1)'
    >>> describe_range("penalty")
    '>= 0 and finite'
    """
    lo, hi, lo_in, hi_in = BOUNDS[field]
    if math.isinf(hi):
        return f"{'>=' if lo_in else '>'} {lo:g} and finite"
    return f"in {'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"


def _in_range(x: Any, field: str) -> Any:
    lo, hi, lo_in, hi_in = BOUNDS[field]
    ok_lo = (x >= lo) if lo_in else (x > lo)
    ok_hi = (x <= hi) if hi_in else (x < hi)
    return ok_lo & ok_hi & np.isfinite(x)


def check_scalar(value: Any, field: str, label: str | None = None) -> float:
    """Return ``value`` as a float, or raise :class:`ParameterError` naming ``field``.

    Examples
    --------
    >>> check_scalar(0.5, "success_prob")
    0.5
    >>> check_scalar(1.5, "success_prob")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: success_prob: must be in (0, 1), got 1.5
    """
    name = label or field
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise ParameterError(name, f"must be a number {describe_range(field)}, got {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an integer beyond the double range
        raise ParameterError(name, f"must be {describe_range(field)}, got an integer of "
                             f"{len(str(abs(int(value))))} digits") from None
    if not _in_range(x, field):
        raise ParameterError(name, f"must be {describe_range(field)}, got {x:g}")
    return x


def _reject_non_real(value: Any, name: str, field: str) -> None:
    """Refuse what numpy would silently turn into numbers: bools, None, strings, masked arrays."""
    if isinstance(value, np.ma.MaskedArray):
        raise ParameterError(name, f"must be numbers {describe_range(field)}, not a masked array")
    if isinstance(value, (bool, np.bool_, str, bytes, complex)) or value is None:
        raise ParameterError(name, f"must be numbers {describe_range(field)}, got {value!r}")
    if isinstance(value, (list, tuple)):
        for v in value:
            _reject_non_real(v, name, field)


def as_real_array(value: Any, field: str, label: str | None = None) -> FloatArray:
    """``value`` as a float64 array of real numbers (unchecked range), else a ParameterError.

    Bools, complex numbers, datetimes, strings, ``None``, masked and ragged arrays are refused
    (numpy would convert several of them silently), so the array API accepts exactly what the
    JSON and TOML readers accept.

    Examples
    --------
    >>> as_real_array([1, 2.5], "latency")
    array([1. , 2.5])
    >>> as_real_array([True, 1.0], "latency")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: latency: must be numbers > 0 and finite, got True
    """
    name = label or field
    _reject_non_real(value, name, field)
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be numbers {describe_range(field)} (a ragged array?)") from None
    if raw.dtype.kind not in "iuf":
        raise ParameterError(
            name, f"must be numbers {describe_range(field)}, got an array of dtype {raw.dtype}"
        )
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # pragma: no cover - integer overflow
        raise ParameterError(name, f"must be numbers {describe_range(field)}") from None


def check_array(value: Any, field: str, label: str | None = None) -> FloatArray:
    """Return ``value`` as a float64 array, or raise naming ``field`` and the first bad entry.

    Examples
    --------
    >>> check_array([0.2, 0.9], "success_prob")
    array([0.2, 0.9])
    >>> check_array([0.2, float("nan")], "success_prob")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: success_prob: must be in (0, 1), got nan (entry 2)
    """
    name = label or field
    arr = as_real_array(value, field, label)
    ok = _in_range(arr, field)
    if not np.all(ok):
        bad = np.argwhere(~np.asarray(ok))[0]
        where = f" (entry {', '.join(str(int(b) + 1) for b in bad)})" if arr.ndim else ""
        raise ParameterError(name, f"must be {describe_range(field)}, got {arr[tuple(bad)]:g}{where}")
    return arr


def broadcast_fields(*fields: tuple[str, tuple[int, ...]]) -> tuple[int, ...]:
    """The common shape of ``(name, shape)`` pairs, or a ParameterError naming the first misfit.

    Examples
    --------
    >>> broadcast_fields(("penalty", (3,)), ("task_value", ()))
    (3,)
    >>> broadcast_fields(("latency", (3,)), ("cost", (4,)))
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: cost: shape (4,) does not broadcast with (3,) of the fields before it
    """
    shape: tuple[int, ...] = ()
    for name, sh in fields:
        try:
            shape = np.broadcast_shapes(shape, sh)
        except ValueError:
            raise ParameterError(
                name, f"shape {sh} does not broadcast with {shape} of the fields before it"
            ) from None
    return shape


def check_game_arrays(
    task_value: Any,
    latency: Any,
    success_prob: Any,
    *,
    penalty: Any = None,
    cost: Any = None,
    num_models: int | None = None,
) -> dict[str, FloatArray]:
    """Validate the arrays of many games at once; the one check of every array API.

    Every field is checked against :data:`BOUNDS`; ``latency``, ``cost`` and ``success_prob``
    need a last axis of the same length K (``num_models`` if given, else K >= 1); the game
    shapes (``task_value``, ``penalty`` and the per-model arrays without their last axis) must
    broadcast. Errors name the field. Returns the float64 arrays by field name, plus ``shape``
    (the broadcast game shape, as an array) under ``"_shape"``.

    Examples
    --------
    >>> out = check_game_arrays(10, [[1, 4], [2, 4]], [0.3, 0.8], penalty=5, cost=[1, 3])
    >>> out["_shape"].tolist()
    [2]
    >>> check_game_arrays(10, [1, 4], [0.3, 0.8, 0.9])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: success_prob: must have K = 2 entries on its last axis (...)...
    """
    out = {"task_value": check_array(task_value, "task_value")}
    if penalty is not None:
        out["penalty"] = check_array(penalty, "penalty")
    per_model = [("latency", latency), ("cost", cost), ("success_prob", success_prob)]
    K = num_models
    for name, value in per_model:
        if value is None:
            continue
        a = check_array(value, name)
        if K is None:
            if a.ndim == 0 or a.shape[-1] < 1:
                raise ParameterError(name, f"must have shape (..., K), one entry per model, "
                                     f"got shape {a.shape}")
            K = a.shape[-1]
        elif a.ndim == 0 or a.shape[-1] != K:
            if num_models == 2:
                msg = "must have a last axis of length 2 (model 1, model 2)"
            else:
                msg = f"must have K = {K} entries on its last axis (one per model, as latency)"
            raise ParameterError(name, f"{msg}, got shape {a.shape}")
        out[name] = a
    shape = broadcast_fields(
        *((name, a.shape[:-1] if name in ("latency", "cost", "success_prob") else a.shape)
          for name, a in out.items()))
    out["_shape"] = np.array(shape, dtype=np.int64)
    return out


def check_tie_break(tie_break: Any, field: str = "tie_break") -> TieBreak:
    """Validate the name of a tie-breaking convention.

    Examples
    --------
    >>> check_tie_break("weak")
    'weak'
    >>> check_tie_break("fair")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: tie_break: must be 'strong' or 'weak', got 'fair'
    """
    if tie_break not in ("strong", "weak"):
        raise ParameterError(field, f"must be 'strong' or 'weak', got {tie_break!r}")
    return cast(TieBreak, tie_break)


def _validator(field: str) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check_scalar(value, field, attribute.name)

    return check


# Converters validate before converting, so that ``None`` or ``True`` give a ParameterError
# (named functions: mypy's attrs plugin reads their types).
def _task_value(value: Any) -> float:
    return check_scalar(value, "task_value")


def _penalty(value: Any) -> float:
    return check_scalar(value, "penalty")


def _latency(value: Any) -> float:
    return check_scalar(value, "latency")


def _cost(value: Any) -> float:
    return check_scalar(value, "cost")


def _success_prob(value: Any) -> float:
    return check_scalar(value, "success_prob")


@attrs.frozen
class ModelSpec:
    """One model (a route): latency t_i, cost c_i and success probability p_i of a pass.

    Examples
    --------
    >>> ModelSpec(latency=2.0, cost=1.0, success_prob=0.6, name="reasoning")
    ModelSpec(latency=2.0, cost=1.0, success_prob=0.6, name='reasoning')
    >>> ModelSpec(latency=-1.0, cost=1.0, success_prob=0.6)
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: latency: must be > 0 and finite, got -1
    """

    latency: float = attrs.field(converter=_latency)
    cost: float = attrs.field(converter=_cost)
    success_prob: float = attrs.field(converter=_success_prob)
    name: str | None = attrs.field(default=None, kw_only=True)

    def net_value(self, task_value: float) -> float:
        """xi = V p - t: the user's expected net value of one pass."""
        return task_value * self.success_prob - self.latency


def _check_models(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if len(value) < 2:
        raise ParameterError("models", f"need at least 2 models, got {len(value)}")


def _to_models(value: Iterable[Any]) -> tuple[ModelSpec, ...]:
    out = []
    for m in value:
        if isinstance(m, ModelSpec):
            out.append(m)
        elif isinstance(m, Mapping):
            out.append(ModelSpec(**m))
        else:
            raise ParameterError("models", f"each model must be a ModelSpec or a mapping, got {m!r}")
    return tuple(out)


@attrs.frozen
class GameParams:
    """Parameters of a routing game with K >= 2 models.

    Parameters
    ----------
    task_value : float
        V > 0, what a solved task is worth to the user, in latency units.
    penalty : float
        P >= 0, the provider's loss when the user abandons (churn).
    models : sequence of ModelSpec
        The K models; model 1 is the paper's standard model M1, model 2 the reasoning model M2.

    Examples
    --------
    >>> g = GameParams.two_model(task_value=10, penalty=5, latency=(1, 4), cost=(1, 3),
    ...                          success_prob=(0.3, 0.8))
    >>> g.net_value()
    array([2., 4.])
    >>> g.replace(penalty=0).penalty
    0.0
    """

    task_value: float = attrs.field(converter=_task_value)
    penalty: float = attrs.field(converter=_penalty)
    models: tuple[ModelSpec, ...] = attrs.field(converter=_to_models, validator=_check_models)

    @classmethod
    def two_model(
        cls,
        task_value: float,
        penalty: float,
        latency: Sequence[float],
        cost: Sequence[float],
        success_prob: Sequence[float],
    ) -> GameParams:
        """Build a two-model game from the paper's per-model pairs (t1, t2), (c1, c2), (p1, p2)."""
        return cls.from_lists(task_value, penalty, latency, cost, success_prob, num_models=2)

    @classmethod
    def from_lists(
        cls,
        task_value: float,
        penalty: float,
        latency: Sequence[float],
        cost: Sequence[float],
        success_prob: Sequence[float],
        names: Sequence[str | None] | None = None,
        num_models: int | None = None,
    ) -> GameParams:
        """Build a game from per-model lists of equal length (``num_models`` if given)."""
        lists = {"latency": latency, "cost": cost, "success_prob": success_prob}
        lengths = set()
        for field, v in lists.items():
            if isinstance(v, (str, bytes)) or not isinstance(v, Sequence | np.ndarray):
                raise ParameterError(field, f"must be a list of numbers, got {v!r}")
            lengths.add(len(v))
        want = num_models if num_models is not None else max(lengths)
        for field, v in lists.items():
            if len(v) != want:
                raise ParameterError(field, f"must have {want} entries (one per model), got {len(v)}")
        if want < 2:
            raise ParameterError("models", f"need at least 2 models, got {want}")
        for field, v in lists.items():
            for k, x in enumerate(v):
                check_scalar(x, field, f"{field}[{k + 1}]")
        names = list(names) if names is not None else [None] * want
        models = [
            ModelSpec(latency[k], cost[k], success_prob[k], name=names[k]) for k in range(want)
        ]
        return cls(task_value=task_value, penalty=penalty, models=tuple(models))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GameParams:
        """Build a game from the batch/TOML form: either per-model lists or a ``models`` list.

        Examples
        --------
        >>> GameParams.from_dict({"task_value": 10, "penalty": 5, "latency": [1, 4],
        ...     "cost": [1, 3], "success_prob": [0.3, 0.8]}).num_models
        2
        >>> GameParams.from_dict({"task_value": 10, "penalty": 5})
        Traceback (most recent call last):
        ...
        routegame.errors.ParameterError: latency: missing (give latency, cost and success_prob lists, or models)
        """
        for key in ("task_value", "penalty"):
            if key not in data:
                raise ParameterError(key, f"missing; must be a number {describe_range(key)}")
            check_scalar(data[key], key)
        if "models" in data:
            models = data["models"]
            if not isinstance(models, Sequence) or isinstance(models, (str, bytes)):
                raise ParameterError("models", "must be a list of {latency, cost, success_prob}")
            specs = []
            for k, m in enumerate(models):
                if not isinstance(m, Mapping):
                    raise ParameterError(f"models[{k + 1}]", "must be a table/object")
                for key in ("latency", "cost", "success_prob"):
                    if key not in m:
                        raise ParameterError(f"models[{k + 1}].{key}", "missing")
                    check_scalar(m[key], key, f"models[{k + 1}].{key}")
                unknown = set(m) - {"latency", "cost", "success_prob", "name"}
                if unknown:
                    raise ParameterError(f"models[{k + 1}]", f"unknown field(s) {sorted(unknown)}")
                specs.append(ModelSpec(m["latency"], m["cost"], m["success_prob"], name=m.get("name")))
            check_scalar(data["task_value"], "task_value")
            check_scalar(data["penalty"], "penalty")
            return cls(task_value=data["task_value"], penalty=data["penalty"], models=tuple(specs))
        for key in ("latency", "cost", "success_prob"):
            if key not in data:
                raise ParameterError(key, "missing (give latency, cost and success_prob lists, or models)")
        check_scalar(data["task_value"], "task_value")
        check_scalar(data["penalty"], "penalty")
        return cls.from_lists(
            data["task_value"], data["penalty"], data["latency"], data["cost"],
            data["success_prob"], names=data.get("names"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The batch-line form: ``task_value``, ``penalty`` and per-model lists."""
        out: dict[str, Any] = {
            "task_value": self.task_value,
            "penalty": self.penalty,
            "latency": self.latency.tolist(),
            "cost": self.cost.tolist(),
            "success_prob": self.success_prob.tolist(),
        }
        if any(m.name for m in self.models):
            out["names"] = [m.name for m in self.models]
        return out

    @property
    def num_models(self) -> int:
        """K, the number of models."""
        return len(self.models)

    @property
    def latency(self) -> FloatArray:
        """Latencies t_i as an array of shape (K,)."""
        return np.array([m.latency for m in self.models])

    @property
    def cost(self) -> FloatArray:
        """Costs c_i as an array of shape (K,)."""
        return np.array([m.cost for m in self.models])

    @property
    def success_prob(self) -> FloatArray:
        """Success probabilities p_i as an array of shape (K,)."""
        return np.array([m.success_prob for m in self.models])

    @property
    def names(self) -> list[str]:
        """Model names, ``M1``, ``M2``, ... where none was given."""
        return [m.name or f"M{k + 1}" for k, m in enumerate(self.models)]

    def net_value(self) -> FloatArray:
        """xi_i = V p_i - t_i for every model, shape (K,)."""
        return self.task_value * self.success_prob - self.latency

    def replace(self, **changes: Any) -> GameParams:
        """A copy with some fields changed (validated again).

        Besides ``task_value``, ``penalty`` and ``models``, the per-model lists ``latency``,
        ``cost`` and ``success_prob`` may be given.
        """
        lists = {k: changes.pop(k) for k in ("latency", "cost", "success_prob") if k in changes}
        new = attrs.evolve(self, **changes)
        if lists:
            d = new.to_dict()
            d.update({k: list(v) for k, v in lists.items()})
            new = GameParams.from_lists(
                d["task_value"], d["penalty"], d["latency"], d["cost"], d["success_prob"],
                names=[m.name for m in self.models], num_models=self.num_models,
            )
        return new

    def standing_assumptions(self) -> list[str]:
        """Which of the paper's standing assumptions (t1<t2, c1<c2, p1<p2) fail, for K = 2.

        Returns an empty list when all hold. The exact solver does not need them; some of the
        paper's statements (e.g. the Theorem 3 threshold rule) do.
        """
        if self.num_models != 2:
            return []
        t, c, p = self.latency, self.cost, self.success_prob
        out = []
        if not t[0] < t[1]:
            out.append("t1 < t2")
        if not c[0] < c[1]:
            out.append("c1 < c2")
        if not p[0] < p[1]:
            out.append("p1 < p2")
        return out
