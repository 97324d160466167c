"""What the page shows, as plain data, and its encoding in the URL's query string.

A :class:`ViewState` holds what is typed in every field (as text: a bad value stays in its field
with its message), the model names, the tie-breaking convention, the user of the K-model engine,
the two axes of the policy map and the units. The query string encodes all of it::

    ?V=10&P=5&t=3,6&c=1,4&p=0.25,0.75&names=standard,reasoning&tie=strong&x=penalty&y=cost_2

so a link reopens the same view. Unknown keys are ignored; a malformed list gives a game whose
fields show what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

import attrs

from routegame.params import TWO_MODEL_FIELDS, GameParams

__all__ = ["ViewState", "query_from_state", "state_from_game", "state_from_query"]

_LIST_KEYS = {"t": "latency", "c": "cost", "p": "success_prob"}


def _fmt(x: float) -> str:
    """Shortest text that reads back as the same float."""
    return repr(float(x)).removesuffix(".0") if float(x).is_integer() else repr(float(x))


@attrs.frozen
class ViewState:
    """The page's inputs.

    Attributes
    ----------
    values : dict
        (field, model) -> text; model is None for ``task_value`` and ``penalty``, else 1..K.
    names : tuple of str
        Model names ('' for none).
    tie_break, user : str
        ``strong``/``weak``; ``stationary``/``state-aware`` (K-model engine only).
    x_axis, y_axis : str
        Fields of the policy map's axes (see :data:`routegame.params.TWO_MODEL_FIELDS`).
    units : dict
        ``latency`` and ``cost`` units.
    scenario : str
        The scenario the game came from ('' if typed).
    """

    values: dict[tuple[str, int | None], str]
    names: tuple[str, ...] = ()
    tie_break: str = "strong"
    user: str = "stationary"
    x_axis: str = "penalty"
    y_axis: str = "cost_2"
    units: dict[str, str] = attrs.field(factory=dict)
    scenario: str = ""

    @property
    def num_models(self) -> int:
        """K."""
        return max((m for (_, m) in self.values if m is not None), default=0)


def state_from_game(
    game: GameParams, units: Mapping[str, str] | None = None, scenario: str = "", **kwargs: Any
) -> ViewState:
    """The view of a validated game (fields filled with its numbers).

    Examples
    --------
    >>> g = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])
    >>> state_from_game(g).values[("success_prob", 1)]
    '0.25'
    """
    values: dict[tuple[str, int | None], str] = {
        ("task_value", None): _fmt(game.task_value),
        ("penalty", None): _fmt(game.penalty),
    }
    for k, m in enumerate(game.models, start=1):
        values["latency", k] = _fmt(m.latency)
        values["cost", k] = _fmt(m.cost)
        values["success_prob", k] = _fmt(m.success_prob)
    names = tuple(m.name or "" for m in game.models)
    return ViewState(values=values, names=names, units=dict(units or {}), scenario=scenario, **kwargs)


def query_from_state(state: ViewState) -> str:
    """The query string (with the leading ``?``) that encodes ``state``."""
    k = state.num_models
    q: dict[str, str] = {
        "V": state.values.get(("task_value", None), ""),
        "P": state.values.get(("penalty", None), ""),
    }
    for key, field in _LIST_KEYS.items():
        q[key] = ",".join(state.values.get((field, j), "") for j in range(1, k + 1))
    if any(state.names):
        q["names"] = ",".join(n.replace(",", " ") for n in state.names)
    q["tie"] = state.tie_break
    if k > 2:
        q["user"] = state.user
    q["x"], q["y"] = state.x_axis, state.y_axis
    for unit in ("latency", "cost"):
        if unit in state.units:
            q[f"unit_{unit}"] = state.units[unit]
    if state.scenario:
        q["scenario"] = state.scenario
    return "?" + urlencode(q)


def state_from_query(query: str, default: ViewState | None = None) -> ViewState:
    """Decode a query string; keys it does not give are taken from ``default`` (if any).

    Returns ``default`` when the query names no game (no ``V``). Raises nothing: a field whose
    text is bad keeps the text, and the page shows its message.
    """
    qs = parse_qs(query.lstrip("?"), keep_blank_values=True)

    def one(key: str, fallback: str) -> str:
        return qs[key][-1].strip() if key in qs else fallback

    if "V" not in qs and default is not None:
        return default
    lists = {field: one(key, "").split(",") for key, field in _LIST_KEYS.items()}
    k = max(2, *(len(v) for v in lists.values()))
    values: dict[tuple[str, int | None], str] = {
        ("task_value", None): one("V", ""),
        ("penalty", None): one("P", ""),
    }
    for field, items in lists.items():
        for j in range(1, k + 1):
            values[field, j] = items[j - 1].strip() if j <= len(items) else ""
    names = one("names", "").split(",") if "names" in qs else []
    names = [n.strip() for n in names][:k] + [""] * max(0, k - len(names))
    tie = one("tie", "strong")
    user = one("user", "stationary")
    x, y = one("x", "penalty"), one("y", "cost_2")
    if x not in TWO_MODEL_FIELDS or y not in TWO_MODEL_FIELDS or x == y:
        x, y = "penalty", "cost_2"
    units = {u: one(f"unit_{u}", "") for u in ("latency", "cost") if f"unit_{u}" in qs}
    return ViewState(
        values=values,
        names=tuple(names),
        tie_break=tie if tie in ("strong", "weak") else "strong",
        user=user if user in ("stationary", "state-aware") else "stationary",
        x_axis=x,
        y_axis=y,
        units=units,
        scenario=one("scenario", ""),
    )
