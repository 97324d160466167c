# ruff: noqa: RUF009  (attrs fields with metadata are built by a helper, not dataclass defaults)
"""The one result type of a solved routing game, array-first, for every engine.

:class:`GameResult` holds arrays of the broadcast game shape (0-d for one game): the Stackelberg
equilibrium (strong and weak tie-breaking, with ``attained``), the user-preferred policy with its
provider cost, the misalignment gap, the price of alignment J_pref - J*, the throttling verdict,
the cascade thresholds, the regime and the net values. Each field carries metadata (unit and
description) and, for the flat views, a column name; from these come

* :meth:`GameResult.to_json_dict`: the ``--json`` / ``--batch`` answer of one game,
* :meth:`GameResult.columns`: the columns of ``solve --table``,
* :meth:`GameResult.data_vars` / :meth:`GameResult.to_xarray`: the variables of a sweep.

Two families of answers share the type: the paper's two-model game (``kind="two-model"``: a
policy is (route, cascade s)) and the K-model game (``kind="k-model"``: a policy is
{"start": pi, "cascade": R}, R the K x K cascade matrix).

Numbers are kept honest at the boundary: probabilities are clipped into [0, 1] (a rounding
excess such as 1.0000000000000002 is not a probability), and every float written to JSON or a
table is rounded to :data:`SIGNIFICANT_DIGITS` significant digits, so that the same quantity
computed by two formulas prints the same (-0.5, not -0.4999999999999999).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import attrs
import numpy as np

from routegame._types import BoolArray, FloatArray, IntArray

__all__ = [
    "REGIMES",
    "SIGNIFICANT_DIGITS",
    "UNITS",
    "GameResult",
    "Outcome",
    "PolicyResult",
    "Response",
    "ThrottleResult",
    "round_sig",
]

#: Regime names by code: the first word describes M1, the second M2.
REGIMES: tuple[str, ...] = (
    "value-value",
    "latency-latency",
    "latency-value",
    "value-latency",
    "knife-edge",
)

#: Significant digits of every number written out (JSON, tables); doubles carry 15.95.
SIGNIFICANT_DIGITS = 15

Kind = Literal["two-model", "k-model"]


def round_sig(x: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """Round to ``digits`` significant digits (arrays or scalars; NaN and inf pass through).

    Examples
    --------
    >>> round_sig(-0.4999999999999999), round_sig(0.1 + 0.2)
    (-0.5, 0.3)
    >>> [float(v) for v in round_sig(np.array([0.33333333333333304, 6.500000000000001, 2e20 / 3]))]
    [0.333333333333333, 6.5, 6.66666666666667e+19]
    """
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return float(f"{v:.{digits}g}") if math.isfinite(v) else v
    a = np.asarray(x)
    if a.dtype.kind != "f":
        return x
    fused = sys.modules.get("routegame.closed_form._compiled")  # loaded by a large solve
    if fused is not None and a.dtype == np.float64:
        from routegame import _jit

        if _jit.use_compiled(a.size):  # the same steps, fused (large tables)
            return fused.round_sig(a, digits)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mag = np.floor(np.log10(np.abs(a)))
        exp = np.where(np.isfinite(mag), digits - 1 - mag, 0.0)
        # One exact power of ten (10**k is exact for |k| <= 22) and one correctly rounded
        # division or product give the double nearest the rounded decimal, as ``f"{v:.15g}"``
        # does (up to ties decided on the scaled value); the rare values further out
        # (|x| < 1e-8 or > 1e36) are formatted one by one.
        k = np.clip(np.abs(exp), 0, 22)
        p = 10.0 ** k
        out = np.where(exp >= 0, np.round(a * p) / p, np.round(a / p) * p)
    far = (np.abs(exp) > 22) & np.isfinite(a) & (a != 0)
    if far.any():
        out[far] = [float(f"{v:.{digits}g}") for v in a[far]]
    return np.where(np.isfinite(out) & (a != 0), out, a)


def round_json(x: Any) -> Any:
    """A JSON-ready copy of ``x``: every number as :func:`_json_number` makes it (floats rounded
    by :func:`round_sig`, NaN and inf as None, numpy scalars as Python ones).

    Dictionaries, lists and tuples are walked recursively; other values pass through. This is
    the last step before any JSON answer is printed, so blocks built outside
    :meth:`GameResult.to_json_dict` (certificates, the all-policies block, the real-data
    comparison) are rounded like the rest.

    Examples
    --------
    >>> round_json({"gap": 0.006260182769068479, "x": [float("nan"), 1], "id": "a"})
    {'gap': 0.00626018276906848, 'x': [None, 1], 'id': 'a'}
    """
    if isinstance(x, dict):
        return {k: round_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [round_json(v) for v in x]
    if isinstance(x, (int, float, np.generic)):
        return _json_number(x)
    return x


#: Units of the metadata: ``"latency"`` and ``"cost"`` (replaced by a scenario's units where one
#: is known), ``"probability"``, and ``"1"`` (dimensionless: codes, flags, counts).
UNITS: tuple[str, ...] = ("latency", "cost", "probability", "1")


def _meta(unit: str, description: str, *, forms: tuple[str, ...] = ("two-model", "k-model"),
          column: str | None = None, default: Any = attrs.NOTHING, dtype: str = "float64") -> Any:
    """A field with its unit, description, the JSON forms it appears in, its column name and
    the dtype of its flat variable (sweeps store it so)."""
    md = {"unit": unit, "description": description, "forms": forms, "column": column,
          "dtype": dtype}
    if default is attrs.NOTHING:
        return attrs.field(metadata=md)
    return attrs.field(metadata=md, default=default)


def _prob(x: Any) -> Any:
    """x as float64 clipped into [0, 1]; an array already inside (no NaN) is kept, not copied."""
    if x is None:
        return None
    a = np.asarray(x, dtype=np.float64)
    if a.size and a.min() >= 0.0 and a.max() <= 1.0:  # NaN fails both tests
        return a
    return np.clip(a, 0.0, 1.0)


def _json_number(x: Any) -> Any:
    """A JSON-ready Python value (NaN/inf -> None, numpy -> Python, floats rounded)."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return round_sig(v) if math.isfinite(v) else None
    if isinstance(x, str):
        return x
    a = np.asarray(x)
    if a.ndim == 0:
        return _json_number(a.item())
    return [_json_number(v) for v in a]


@attrs.frozen(eq=False)
class PolicyResult:
    """A provider policy, the user's response to it and the outcomes (arrays of the game shape).

    For the two-model game ``cascade`` is the scalar s per game; for the K-model game it is the
    cascade matrix R (trailing axes (K, K)) and ``start`` the start distribution pi.
    """

    route: IntArray = _meta("1", "first model, 1-based (0 when the start distribution is mixed)",
                            dtype="int8")
    start: FloatArray | None = _meta(
        "probability", "start distribution pi over the K models", forms=("k-model",),
        default=None)
    cascade: FloatArray = _meta(
        "probability", "two-model: probability s that a re-prompt after an M1 failure goes to M2; "
        "K-model: cascade matrix R", default=None)
    abandon: FloatArray = _meta(
        "probability", "the user's abandon probability after a failure (q, or q_j per model)", default=None)
    provider_cost: FloatArray = _meta(
        "cost", "provider's expected cost J = C + P (1 - S)", default=None)
    user_utility: FloatArray = _meta(
        "latency", "user's expected utility U = V S - L", default=None)
    success: FloatArray | None = _meta(
        "probability", "probability that the task is solved, S", forms=("k-model",), default=None)
    attained: BoolArray | None = _meta(
        "1", "False where the value is an infimum that no policy attains (weak tie-breaking)",
        default=None, dtype="bool")
    kind: Any = _meta("", "'continue' (the user stays) or 'abandon' (one pass, then a threat)",
                      forms=("k-model",), default=None)
    continuation: FloatArray | None = _meta(
        "probability", "distribution of the re-prompt model (memoryless policies)", forms=("k-model",),
        default=None)
    indifferent: BoolArray | None = _meta(
        "1", "True where the user is indifferent at this policy", forms=("k-model",), default=None,
        dtype="bool")

    def __attrs_post_init__(self) -> None:
        for name in ("start", "cascade", "abandon", "success", "continuation"):
            object.__setattr__(self, name, _prob(getattr(self, name)))

    def to_json_dict(self, kind: Kind, *, with_attained: bool = True) -> dict[str, Any]:
        """The JSON object of this policy for one game (``kind`` selects the schema)."""
        out: dict[str, Any] = {}
        for f in attrs.fields(type(self)):
            v = getattr(self, f.name)
            if kind not in f.metadata["forms"] or v is None:
                continue
            if f.name == "attained" and not with_attained:
                continue
            if f.name == "route" and kind == "k-model" and int(np.asarray(v)) == 0:
                out["route"] = None
                continue
            out[f.name] = _json_number(v)
        return out


@attrs.frozen(eq=False)
class ThrottleResult:
    """Whether raising latencies lowers the provider's cost, the least throttle, the policy."""

    pays: BoolArray = _meta("1", "True where raising latencies strictly lowers the provider's "
                            "optimal cost", column="throttling_pays", dtype="bool")
    latency: FloatArray = _meta("latency", "the least throttled latencies (t̂_1, t̂_2)")
    policy: PolicyResult = _meta("", "the throttled optimum and the user's response")

    def to_json_dict(self) -> dict[str, Any]:
        """``{pays, latency, route, cascade, abandon, provider_cost, user_utility, attained}``."""
        return {"pays": _json_number(self.pays), "latency": _json_number(self.latency),
                **self.policy.to_json_dict("two-model")}


#: Flat names of the policy blocks in columns and data variables.
_PREFIX = {"equilibrium": "", "equilibrium_weak": "weak_", "user_preferred": "pref_",
           "throttling": "throttle_"}


@attrs.frozen(eq=False)
class GameResult:
    """A solved routing game (one or many at once): the one result type of every engine.

    Attributes hold arrays of the game shape (0-d for a single game); see the field metadata
    (``attrs.fields(GameResult).misalignment_gap.metadata``) for units and descriptions.

    Examples
    --------
    >>> import routegame as rg
    >>> res = rg.solve_arrays(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> int(res.equilibrium.route), round(float(res.equilibrium.cascade), 6)
    (1, 0.2)
    >>> d = res.to_json_dict()
    >>> d["equilibrium"]["provider_cost"], d["price_of_alignment"]
    (4.5, 0.833333333333333)
    >>> bool(res.columns()["throttling_pays"])
    False
    """

    kind: Kind = attrs.field()
    tie_break: str = attrs.field()
    user: str = attrs.field()
    net_value: FloatArray = _meta("latency", "net value of one pass xi_k = V p_k - t_k")
    equilibrium: PolicyResult = _meta("", "the provider's optimum under the requested tie-break")
    user_preferred: PolicyResult = _meta(
        "", "the policy the user likes best, with its provider cost")
    misalignment_gap: FloatArray = _meta(
        "latency", "U(user-preferred) - U(equilibrium) >= 0", column="misalignment_gap")
    price_of_alignment: FloatArray = _meta(
        "cost", "J(user-preferred) - J(equilibrium), >= 0 under strong ties: what serving "
        "the user's favourite costs the provider", column="price_of_alignment")
    equilibrium_weak: PolicyResult | None = _meta(
        "", "the optimum under weak tie-breaking (an infimum where not attained)", default=None)
    regime: Any = _meta(
        "1", "sign pattern of (xi_1, xi_2), an index into REGIMES", column="regime", default=None,
        dtype="int8")
    s0: Any = _meta(
        "probability", "cascade threshold s0 (xi_1 < 0 < xi_2), NaN elsewhere", column="s0", default=None)
    s_low: Any = _meta(
        "probability", "cascade threshold s_low (xi_1 > 0 > xi_2), NaN elsewhere", column="s_low",
        default=None)
    s_high: Any = _meta(
        "probability", "cascade threshold s_high (xi_1 > 0 > xi_2), NaN elsewhere", column="s_high",
        default=None)
    throttling: ThrottleResult | None = _meta("", "the throttling verdict", default=None)
    params: Any = attrs.field(default=None, kw_only=True)
    """The game, when one game was solved (the guideline sentence needs it)."""
    tasks: Any = attrs.field(default=None, kw_only=True)
    """The task table (:class:`routegame.hetero.TaskTable`) of a heterogeneous game, else None."""
    iid: GameResult | None = attrs.field(default=None, kw_only=True)
    """Heterogeneous games: the same answers for the i.i.d. game with the mean success
    probabilities (JSON key ``"iid"``), else None."""

    # -- views ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The game shape (``()`` for one game)."""
        return tuple(np.shape(self.misalignment_gap))

    @property
    def num_models(self) -> int:
        """K."""
        return int(np.shape(self.net_value)[-1])

    @property
    def regime_names(self) -> Any:
        """Regime names as a string array (two-model results)."""
        if self.regime is None:
            return None
        return np.asarray(REGIMES, dtype=object)[self.regime]

    def __getitem__(self, key: str) -> Any:
        """``result["equilibrium"]["route"]``: the JSON form, for one game."""
        return self.to_json_dict()[key]

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON answer of one game (the ``--json`` / ``--batch`` schema of the README).

        Two-model: ``net_value, regime, thresholds {s0, s_low, s_high}, equilibrium,
        equilibrium_weak, user_preferred, misalignment_gap, price_of_alignment, throttling``.
        K-model: ``equilibrium, user_preferred, misalignment_gap, price_of_alignment, user,
        tie_break`` with policies as ``{"start": [...], "cascade": [[...]]}``.
        """
        if self.shape != ():
            raise ValueError(f"to_json_dict needs a single game, this result has shape {self.shape}")
        if self.kind == "k-model":
            return {
                "equilibrium": {**self.equilibrium.to_json_dict("k-model"),
                                "user": self.user, "tie_break": self.tie_break},
                "user_preferred": {**self.user_preferred.to_json_dict("k-model"),
                                   "user": self.user, "tie_break": "strong"},
                "misalignment_gap": _json_number(self.misalignment_gap),
                "price_of_alignment": _json_number(self.price_of_alignment),
                "user": self.user,
                "tie_break": self.tie_break,
            }
        assert self.equilibrium_weak is not None
        out = {
            "net_value": _json_number(self.net_value),
            "regime": str(self.regime_names),
            "thresholds": {k: _json_number(getattr(self, k)) for k in ("s0", "s_low", "s_high")},
            "equilibrium": self.equilibrium.to_json_dict(
                "two-model", with_attained=self.tie_break == "weak"),
            "equilibrium_weak": self.equilibrium_weak.to_json_dict("two-model"),
            "user_preferred": self.user_preferred.to_json_dict("two-model", with_attained=False),
            "misalignment_gap": _json_number(self.misalignment_gap),
            "price_of_alignment": _json_number(self.price_of_alignment),
        }
        if self.throttling is not None:
            out["throttling"] = self.throttling.to_json_dict()
        if self.tasks is not None:  # a task table: the i.i.d. guideline does not apply
            out["user"] = self.user
            out["num_tasks"] = int(self.tasks.num_tasks)
            out["mean_success_prob"] = _json_number(self.tasks.mean())
            if self.iid is not None:
                out["iid"] = self.iid.to_json_dict()
            return out
        if self.params is not None:
            from routegame.guideline import guideline

            out["guideline"] = guideline(self)
            assumptions = self.params.standing_assumptions()
            if assumptions:
                out["assumptions_violated"] = assumptions
        return out

    def to_dict(self) -> dict[str, Any]:
        """Alias of :meth:`to_json_dict` (the ``Solution.to_dict`` of routegame 0.1)."""
        return self.to_json_dict()

    def _flat(self) -> Iterator[tuple[str, Any, Mapping[str, Any]]]:
        """(flat name, array, metadata) of every array in the result (two-model names)."""
        for name, (get, md) in _flat_spec(self.num_models).items():
            x = get(self)
            if x is not None:
                yield name, x, md

    @classmethod
    def from_flat(cls, arrays: Mapping[str, Any], *, tie_break: str) -> GameResult:
        """A two-model result from arrays named as its flat variables (the inverse of
        :meth:`data_vars`), with ``net_value`` given whole (last axis: the models) and the
        successes of the other blocks as ``weak_success``, ``pref_success``,
        ``throttle_success`` when known. The closed-form solver builds its result so.
        """
        pol_fields = [g.name for g in attrs.fields(PolicyResult)
                      if "two-model" in g.metadata["forms"] and g.name != "start"]

        def policy(block: str) -> PolicyResult:
            pre = _PREFIX[block]
            kw = {name: arrays[pre + name] for name in (*pol_fields, "success")
                  if pre + name in arrays}
            return PolicyResult(**kw)

        return cls(
            kind="two-model", tie_break=tie_break, user="stationary",
            net_value=arrays["net_value"],
            equilibrium=policy("equilibrium"),
            equilibrium_weak=policy("equilibrium_weak"),
            user_preferred=policy("user_preferred"),
            misalignment_gap=arrays["misalignment_gap"],
            price_of_alignment=arrays["price_of_alignment"],
            regime=arrays["regime"], s0=arrays["s0"], s_low=arrays["s_low"],
            s_high=arrays["s_high"],
            throttling=ThrottleResult(pays=arrays["throttling_pays"],
                                      latency=arrays["throttle_latency"],
                                      policy=policy("throttling")),
        )

    @classmethod
    def variables(cls, num_models: int = 2) -> dict[str, dict[str, str]]:
        """The flat variables of a two-model result: name -> ``{dtype, units, description}``.

        Every name, unit, dtype and description comes from the field metadata; this is what a
        sweep stores (a selection of it, :data:`routegame.sweep.VARIABLES`), what
        :meth:`data_vars` returns and what :meth:`columns` picks from.

        Examples
        --------
        >>> v = GameResult.variables()
        >>> v["route"]["dtype"], v["provider_cost"]["units"], v["pref_cascade"]["units"]
        ('int8', 'cost', 'probability')
        >>> v["throttling_gain"]["description"]
        "provider's cost saved by throttling: provider_cost - throttle_provider_cost (>= 0)"
        """
        return {name: {"dtype": md["dtype"], "units": md["unit"], "description": md["description"]}
                for name, (_, md) in _flat_spec(num_models).items()}

    #: Columns of ``solve --table`` (README), in order.
    TABLE_COLUMNS: ClassVar[tuple[str, ...]] = (
        "regime", "route", "cascade", "abandon", "provider_cost", "user_utility", "success",
        "misalignment_gap", "throttling_pays", "s0", "s_low", "s_high",
    )

    def columns(self, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Flat columns for a table (two-model results), named as in ``solve --table``.

        ``names`` picks other flat variables (see :meth:`data_vars`); floats are rounded to
        :data:`SIGNIFICANT_DIGITS` significant digits and probabilities lie in [0, 1].
        """
        want = names if names is not None else self.TABLE_COLUMNS
        flat = {name: x for name, x, _ in self._flat()}
        out: dict[str, Any] = {}
        for name in want:
            if name == "regime":
                out[name] = self.regime_names
            else:
                out[name] = round_sig(flat[name])
        return out

    def data_vars(self) -> dict[str, tuple[Any, dict[str, str]]]:
        """Every flat variable with its attributes ``{"units", "description"}``.

        Names (see :meth:`variables`): ``route, cascade, ..., success`` for the equilibrium,
        ``weak_*``, ``pref_*``, ``throttle_*``, ``throttling_pays``, ``throttling_gain``,
        ``net_value_k``, ``misalignment_gap``, ``price_of_alignment``, ``regime``, ``s0``,
        ``s_low``, ``s_high``.
        """
        return {name: (x, {"units": md["unit"], "description": md["description"]})
                for name, x, md in self._flat()}

    def to_xarray(self, dims: tuple[str, ...], coords: Mapping[str, Any] | None = None) -> Any:
        """An ``xarray.Dataset`` of :meth:`data_vars` over ``dims`` (needs xarray)."""
        import xarray as xr

        variables = {}
        for name, (x, attrs_) in self.data_vars().items():
            a = np.asarray(x)
            extra = tuple(f"{name}_axis{k}" for k in range(a.ndim - len(dims)))
            variables[name] = xr.Variable(dims + extra, a, attrs=attrs_)
        return xr.Dataset(variables, coords=coords)

    # -- compatibility with the flat two-model solution of routegame <= 0.1 ----------------------
    @property
    def success(self) -> Any:
        """S at the headline equilibrium."""
        return self.equilibrium.success

    @property
    def route(self) -> Any:
        """``equilibrium.route``."""
        return self.equilibrium.route

    @property
    def cascade(self) -> Any:
        """``equilibrium.cascade``."""
        return self.equilibrium.cascade

    @property
    def abandon(self) -> Any:
        """``equilibrium.abandon``."""
        return self.equilibrium.abandon

    @property
    def provider_cost(self) -> Any:
        """``equilibrium.provider_cost``."""
        return self.equilibrium.provider_cost

    @property
    def user_utility(self) -> Any:
        """``equilibrium.user_utility``."""
        return self.equilibrium.user_utility

    def _weak(self) -> PolicyResult:
        assert self.equilibrium_weak is not None
        return self.equilibrium_weak

    def _throttle(self) -> ThrottleResult:
        assert self.throttling is not None
        return self.throttling

    @property
    def weak_route(self) -> Any:
        """``equilibrium_weak.route``."""
        return self._weak().route

    @property
    def weak_cascade(self) -> Any:
        """``equilibrium_weak.cascade``."""
        return self._weak().cascade

    @property
    def weak_abandon(self) -> Any:
        """``equilibrium_weak.abandon``."""
        return self._weak().abandon

    @property
    def weak_provider_cost(self) -> Any:
        """``equilibrium_weak.provider_cost``."""
        return self._weak().provider_cost

    @property
    def weak_user_utility(self) -> Any:
        """``equilibrium_weak.user_utility``."""
        return self._weak().user_utility

    @property
    def weak_attained(self) -> Any:
        """``equilibrium_weak.attained``."""
        return self._weak().attained

    @property
    def pref_route(self) -> Any:
        """``user_preferred.route``."""
        return self.user_preferred.route

    @property
    def pref_cascade(self) -> Any:
        """``user_preferred.cascade``."""
        return self.user_preferred.cascade

    @property
    def pref_abandon(self) -> Any:
        """``user_preferred.abandon``."""
        return self.user_preferred.abandon

    @property
    def pref_user_utility(self) -> Any:
        """``user_preferred.user_utility``."""
        return self.user_preferred.user_utility

    @property
    def pref_provider_cost(self) -> Any:
        """``user_preferred.provider_cost``."""
        return self.user_preferred.provider_cost

    @property
    def throttle_pays(self) -> Any:
        """``throttling.pays`` (old name)."""
        return self._throttle().pays

    @property
    def throttling_pays(self) -> Any:
        """``throttling.pays``."""
        return self._throttle().pays

    @property
    def throttle_latency(self) -> Any:
        """``throttling.latency``."""
        return self._throttle().latency

    @property
    def throttle_route(self) -> Any:
        """``throttling.policy.route``."""
        return self._throttle().policy.route

    @property
    def throttle_cascade(self) -> Any:
        """``throttling.policy.cascade``."""
        return self._throttle().policy.cascade

    @property
    def throttle_abandon(self) -> Any:
        """``throttling.policy.abandon``."""
        return self._throttle().policy.abandon

    @property
    def throttle_provider_cost(self) -> Any:
        """``throttling.policy.provider_cost``."""
        return self._throttle().policy.provider_cost

    @property
    def throttle_user_utility(self) -> Any:
        """``throttling.policy.user_utility``."""
        return self._throttle().policy.user_utility

    @property
    def throttle_attained(self) -> Any:
        """``throttling.policy.attained``."""
        return self._throttle().policy.attained


#: The headline of each policy block in the descriptions of the flat variables.
_AT = {"equilibrium": "at the equilibrium", "equilibrium_weak": "at the weak-tie-break "
       "equilibrium", "user_preferred": "at the user-preferred policy",
       "throttling": "at the throttled optimum"}


def _md(md: Mapping[str, Any], description: str | None = None) -> dict[str, Any]:
    return {**md, "description": description if description is not None else md["description"]}


def _two_model_text(description: str) -> str:
    """The two-model part of a description written for both forms ("two-model: ...; K-model: ...")."""
    if description.startswith("two-model: "):
        return description.removeprefix("two-model: ").split("; K-model: ")[0]
    return description


def _policy_getter(block: str, name: str) -> Any:
    def get(r: GameResult) -> Any:
        pol = getattr(r, block)
        if isinstance(pol, ThrottleResult):
            pol = pol.policy
        return None if pol is None else getattr(pol, name)
    return get


def _flat_spec(num_models: int) -> dict[str, tuple[Any, Mapping[str, Any]]]:
    """Flat name -> (getter, metadata) of every two-model flat variable, from the fields.

    A policy block's fields get its prefix (``weak_``, ``pref_``, ``throttle_``; none for the
    equilibrium) and its headline in the description; ``success`` is the equilibrium's only.
    """
    out: dict[str, tuple[Any, Mapping[str, Any]]] = {}
    pol_fields = [g for g in attrs.fields(PolicyResult)
                  if "two-model" in g.metadata["forms"] and g.name != "start"]
    success_md = attrs.fields(PolicyResult).success.metadata
    throttle = attrs.fields(ThrottleResult)
    for f in attrs.fields(GameResult):
        if f.name in ("kind", "tie_break", "user", "params", "tasks", "iid"):
            continue
        if f.name in _PREFIX:
            if f.name == "throttling":
                out["throttling_pays"] = (lambda r: None if r.throttling is None
                                          else r.throttling.pays, throttle.pays.metadata)
                out["throttle_latency"] = (lambda r: None if r.throttling is None
                                           else r.throttling.latency, throttle.latency.metadata)
            for g in pol_fields:
                if f.name == "user_preferred" and g.name == "attained":
                    continue  # the user's favourite is always attained
                out[_PREFIX[f.name] + g.name] = (
                    _policy_getter(f.name, g.name),
                    _md(g.metadata, f"{_two_model_text(g.metadata['description'])}, "
                                    f"{_AT[f.name]}"))
            if f.name == "equilibrium":
                out["success"] = (_policy_getter(f.name, "success"),
                                  _md(success_md, f"{success_md['description']}, {_AT[f.name]}"))
            if f.name == "throttling":
                out["throttling_gain"] = (
                    lambda r: None if r.throttling is None
                    else r.equilibrium.provider_cost - r.throttling.policy.provider_cost,
                    _md(attrs.fields(PolicyResult).provider_cost.metadata,
                        "provider's cost saved by throttling: provider_cost - "
                        "throttle_provider_cost (>= 0)"))
            continue
        if f.name == "net_value":
            for k in range(num_models):
                out[f"net_value_{k + 1}"] = (
                    lambda r, k=k: np.asarray(r.net_value)[..., k],
                    _md(f.metadata, f"net value of one pass of model {k + 1}, "
                                    f"xi_{k + 1} = V p_{k + 1} - t_{k + 1}"))
            continue
        out[f.name] = (lambda r, name=f.name: getattr(r, name), f.metadata)
    return out


@attrs.frozen
class Outcome:
    """Expected outcomes of one policy against one response (any engine), plain floats.

    ``passes`` are the expected passes on each model (1..K).
    """

    success: float = _meta("probability", "probability that the task is solved, S")
    latency: float = _meta("latency", "expected total waiting time L")
    cost: float = _meta("cost", "expected compute cost C")
    user_utility: float = _meta("latency", "U = V S - L")
    provider_cost: float = _meta("cost", "J = C + P (1 - S)")
    passes: tuple[float, ...] = _meta("1", "expected passes on each model")

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready (rounded) dictionary."""
        return {f.name: _json_number(getattr(self, f.name)) for f in attrs.fields(type(self))}


@attrs.frozen
class Response:
    """The user's best response to one policy (any engine).

    ``abandon`` is q (stationary user) or a tuple of q_j (state-aware user).
    """

    abandon: float | tuple[float, ...] = _meta("probability", "abandon probability after a failure")
    user_utility: float = _meta("latency", "U at the best response")
    provider_cost: float = _meta("cost", "J at the chosen response")
    indifferent: bool = _meta("1", "True where several responses give the maximal utility",
                              dtype="bool")
