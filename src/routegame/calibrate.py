"""Model parameters (t, c, p) estimated from public benchmark results.

The source is Aider's *polyglot* coding leaderboard (225 Exercism exercises in six languages;
a copy ships in ``routegame/data/aider_polyglot_leaderboard.csv``, see ``data/README.md``). In
that benchmark every exercise gets a first attempt; when its unit tests fail, the test output is
shown to the model and it gets exactly one more attempt. A leaderboard row reports, for ``n =
test_cases`` exercises, the percentage solved on the first attempt (``pass_rate_1``), the
cumulative percentage solved after at most two attempts (``pass_rate_2``), the mean wall-clock
seconds per exercise (``seconds_per_case``, both attempts together) and the USD cost of the whole
run (``total_cost``, both attempts together).

Estimators (one row, percentages r1 = ``pass_rate_1``, r2 = ``pass_rate_2``):

==========================  ========================================  ==========================
quantity                    estimate                                   meaning
==========================  ========================================  ==========================
p  (``success_prob``)       r1 / 100                                   first attempt succeeds
p_retry                     (r2 - r1) / (100 - r1)                     re-prompt succeeds, given
                                                                       the first attempt failed
passes per exercise         2 - p                                      first + (1 - p) re-prompts
c  (``cost``, USD/pass)     total_cost / (n (2 - p))                   mean cost of one pass
t  (``latency``, s/pass)    seconds_per_case / (2 - p)                 mean wall time of one pass
==========================  ========================================  ==========================

Caveats, which every user of these numbers should keep in mind:

* **Passes are not i.i.d.** The paper's model draws every pass independently with the same p.
  In Aider the re-prompt sees the failing test output, and on the leaderboard p_retry is
  usually much larger than p (e.g. 0.48 vs 0.24 for claude-3-7-sonnet). Using p = r1/100 for
  every pass therefore *understates* the value of a re-prompt; ``retry_success_prob`` is kept so
  that models with feedback retries can use it.
* **c and t average over the two kinds of pass.** A re-prompt carries a longer context, so it
  is likely slower and costlier than a first attempt; the data only give the sum per exercise.
* **seconds_per_case depends on the provider's load** on the day of the run (and on the
  client's concurrency); it is a snapshot, not a property of the model.
* **total_cost includes both attempts**, at the list prices Aider used on the run's date; a
  cost of 0 or a blank means a free or unknown endpoint and cannot be used.
* 2 - p counts the re-prompts as if every failed exercise got exactly one; exercises that
  crashed or timed out may have had fewer.

V (``task_value``) and P (``penalty``) are not in any benchmark: every function here takes them
as explicit assumptions.

**Tasks of different difficulty.** :func:`livecodebench_tasks` reads a reduced copy of the
LiveCodeBench code-generation results (1055 contest problems, ``pass@1`` per problem for 8
models; CC BY-SA 4.0, see ``data/README.md``) and returns a :class:`TaskTable` of per-problem
success probabilities, one row per problem and one column per model, for the simulator's
heterogeneous tasks (``TaskTable.to_task_distribution()``). It has no cost or latency. The
non-reasoning models were sampled 10 times per problem and the reasoning models once, so a
reasoning model's per-problem value is a single 0/1 outcome, not a probability; the
``prior_weight`` option shrinks every entry toward the model's mean.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from routegame._types import FloatArray
from routegame.errors import DataFormatError, ParameterError
from routegame.params import GameParams, ModelSpec

if TYPE_CHECKING:
    import pandas as pd

    from routegame.scenarios import Scenario
    from routegame.simulate import TaskDistribution

__all__ = [
    "AIDER_COLUMNS",
    "AIDER_FILE",
    "LIVECODEBENCH_FILE",
    "CalibratedModel",
    "TaskTable",
    "aider_game",
    "aider_model",
    "aider_pair",
    "aider_scenario",
    "livecodebench_tasks",
    "load_aider",
]

#: File name of the shipped copy of the Aider polyglot leaderboard (in ``routegame/data``).
AIDER_FILE = "aider_polyglot_leaderboard.csv"

#: Columns the estimators need; any other column is ignored.
AIDER_COLUMNS: tuple[str, ...] = (
    "model",
    "test_cases",
    "pass_rate_1",
    "pass_rate_2",
    "seconds_per_case",
    "total_cost",
)

#: File name of the shipped per-problem LiveCodeBench table (in ``routegame/data``).
LIVECODEBENCH_FILE = "livecodebench_pass1_2025-04-22.csv"

#: Columns of the LiveCodeBench table that are not models.
_LCB_META = ("question_id", "platform", "difficulty", "contest_date")

#: How many significant digits the shipped scenario files keep.
_DIGITS = 6

PathLike = str | os.PathLike[str]


@attrs.frozen
class CalibratedModel:
    """One model's per-pass parameters estimated from a leaderboard row.

    Attributes
    ----------
    name : str
        The row's ``model`` field.
    latency : float
        t, mean seconds per pass: ``seconds_per_case / (2 - p)``.
    cost : float
        c, mean USD per pass: ``total_cost / (test_cases (2 - p))``.
    success_prob : float
        p, first-attempt success probability: ``pass_rate_1 / 100``.
    retry_success_prob : float
        Success probability of the re-prompt given that the first attempt failed:
        ``(pass_rate_2 - pass_rate_1) / (100 - pass_rate_1)``. The re-prompt sees the test
        output, so this is not the p of an independent pass.
    source : str
        Where the numbers come from: file, line and model, and the formulas.
    field_sources : dict of str to str
        One entry per field (``latency``, ``cost``, ``success_prob``, ``retry_success_prob``)
        with the formula and the row's values filled in.

    Examples
    --------
    >>> m = aider_model("gpt-4.1")
    >>> round(m.success_prob, 3), round(m.latency, 2), round(m.cost, 4)
    (0.2, 11.39, 0.0243)
    >>> m.to_model_spec().name
    'gpt-4.1'
    """

    name: str
    latency: float
    cost: float
    success_prob: float
    retry_success_prob: float
    source: str
    field_sources: dict[str, str] = attrs.field(factory=dict, hash=False)

    def to_model_spec(self, name: str | None = None) -> ModelSpec:
        """The (t, c, p) of this model as a :class:`~routegame.params.ModelSpec`."""
        return ModelSpec(
            self.latency, self.cost, self.success_prob, name=name if name is not None else self.name
        )


# ---------------------------------------------------------------------------------------------
# reading


def _shipped_text(name: str) -> str:
    return resources.files("routegame").joinpath("data", name).read_text(encoding="utf-8")


def _read_text(path: PathLike | None, shipped: str = AIDER_FILE) -> tuple[str, str]:
    """Return (text, label) of a data file: the shipped copy ``shipped`` when ``path`` is None."""
    if path is None:
        return _shipped_text(shipped), shipped
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except OSError as exc:
        raise ParameterError("path", f"cannot read {p}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataFormatError(str(p), "not a UTF-8 text file") from None


@attrs.frozen
class _Row:
    values: dict[str, str]
    line: int | None  # 1-based line in the file (header = line 1); None for a row given directly
    label: str  # file label

    @property
    def where(self) -> str:
        model = self.values.get("model", "?")
        if self.line is None:
            return f"given row (model = {model!r})"
        return f"{self.label} line {self.line} (model = {model!r})"


def _read_rows(path: PathLike | None) -> list[_Row]:
    text, label = _read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for col in AIDER_COLUMNS:
        if col not in header:
            raise DataFormatError(col, f"column missing from {label}")
    rows = []
    try:
        for rec in reader:
            values = {k: (v or "") for k, v in rec.items() if k is not None}
            rows.append(_Row(values, reader.line_num, label))
    except csv.Error as exc:
        raise DataFormatError(label, f"line {reader.line_num}: {exc}") from None
    return rows


def load_aider(path: PathLike | None = None) -> pd.DataFrame:
    """The Aider polyglot leaderboard as a DataFrame (needs pandas, the ``table`` extra).

    Parameters
    ----------
    path : str or path-like, optional
        A CSV with at least the columns :data:`AIDER_COLUMNS`; the shipped copy by default.

    Returns
    -------
    pandas.DataFrame
        One row per leaderboard entry, columns as in the file.

    Raises
    ------
    DataFormatError
        If a required column is missing (the message names it).

    Examples
    --------
    >>> df = load_aider()
    >>> len(df), int(df.loc[df.model == "gpt-4.1", "test_cases"].iloc[0])
    (69, 225)
    """
    import pandas as pd

    text, label = _read_text(path)
    try:
        df = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataFormatError(label, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    for col in AIDER_COLUMNS:
        if col not in df.columns:
            raise DataFormatError(col, f"column missing from {label}")
    return df


def _find_row(rows: Sequence[_Row], key: str | int, label: str) -> _Row:
    if isinstance(key, int):
        if not 0 <= key < len(rows):
            raise ParameterError(
                "model", f"row {key} out of range: {label} has rows 0..{len(rows) - 1}"
            )
        return rows[key]
    names = [r.values["model"] for r in rows]
    exact = [r for r in rows if r.values["model"] == key]
    if not exact:
        low = key.casefold()
        exact = [r for r in rows if low in r.values["model"].casefold()]
    if len(exact) == 1:
        return exact[0]
    if not exact:
        close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
        hint = f"; close matches: {', '.join(repr(c) for c in close)}" if close else ""
        raise ParameterError("model", f"no row with model {key!r} in {label}{hint}")
    which = ", ".join(f"line {r.line} {r.values['model']!r}" for r in exact)
    raise ParameterError(
        "model",
        f"{key!r} matches {len(exact)} rows of {label} ({which}); "
        "give the exact name or the row index",
    )


def _number(row: _Row, field: str) -> float:
    raw = row.values.get(field)
    if raw is None:
        raise DataFormatError(field, f"column missing from {row.label}")
    raw = raw.strip()
    if raw == "" or raw.lower() == "nan":
        raise ParameterError(field, f"is blank for {row.where}")
    try:
        x = float(raw)
    except ValueError:
        raise DataFormatError(field, f"must be a number, got {raw!r} for {row.where}") from None
    if not math.isfinite(x):
        raise ParameterError(field, f"must be finite, got {raw!r} for {row.where}")
    return x


def _row_from_mapping(row: Any) -> _Row:
    if hasattr(row, "to_dict") and not isinstance(row, Mapping):
        row = row.to_dict()  # a pandas Series
    if not isinstance(row, Mapping):
        raise ParameterError(
            "model", f"must be a model name, a row index or a row mapping, got {type(row).__name__}"
        )
    values = {}
    for k, v in row.items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            values[str(k)] = ""
        else:
            values[str(k)] = str(v)
    for col in AIDER_COLUMNS:
        if col not in values:
            raise DataFormatError(col, "missing from the given row")
    return _Row(values, None, "given row")


def _sig(x: float) -> str:
    return f"{x:.{_DIGITS}g}"


# ---------------------------------------------------------------------------------------------
# estimators


def aider_model(
    name_or_row: str | int | Mapping[str, Any] | Any, *, path: PathLike | None = None
) -> CalibratedModel:
    """Estimate one model's per-pass (t, c, p) from an Aider polyglot leaderboard row.

    Parameters
    ----------
    name_or_row : str, int or mapping
        The row to use: a ``model`` name (exact, or else a case-insensitive substring matching a
        single row), a 0-based row index, or the row itself (a mapping or a pandas Series with
        the columns :data:`AIDER_COLUMNS`).
    path : str or path-like, optional
        The leaderboard CSV; the shipped copy by default.

    Returns
    -------
    CalibratedModel
        With n = ``test_cases``, r1 = ``pass_rate_1``, r2 = ``pass_rate_2`` and p = r1/100:
        ``success_prob`` = p, ``retry_success_prob`` = (r2 - r1)/(100 - r1),
        ``cost`` = ``total_cost``/(n (2 - p)), ``latency`` = ``seconds_per_case``/(2 - p).
        See the module docstring for the caveats (passes are not i.i.d.; cost and time are
        averages over first attempts and re-prompts; time depends on provider load).

    Raises
    ------
    ParameterError
        No row, or several rows, match; a needed field is blank, zero or out of range (the
        message names the field, e.g. ``total_cost: is 0 for ...``).
    DataFormatError
        A needed column is missing, or a field is not a number.

    Examples
    --------
    >>> m = aider_model("claude-3-7-sonnet-20250219 (no thinking)")
    >>> m.success_prob, round(m.retry_success_prob, 4)
    (0.244, 0.4762)
    >>> aider_model("Gemini 2.0 Pro exp-02-05")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: total_cost: is 0 for ... line 2 (model = 'Gemini 2.0 Pro ...
    """
    if isinstance(name_or_row, bool):
        raise ParameterError(
            "model", "must be a model name, a row index or a row mapping, got a bool"
        )
    if isinstance(name_or_row, (str, int)):
        rows = _read_rows(path)
        label = AIDER_FILE if path is None else str(Path(path))
        row = _find_row(rows, name_or_row, label)
    else:
        row = _row_from_mapping(name_or_row)

    n = _number(row, "test_cases")
    if n <= 0 or n != int(n):
        raise ParameterError("test_cases", f"must be a positive integer, got {n:g} for {row.where}")
    r1 = _number(row, "pass_rate_1")
    r2 = _number(row, "pass_rate_2")
    secs = _number(row, "seconds_per_case")
    total = _number(row, "total_cost")
    if not 0 < r1 < 100:
        raise ParameterError(
            "pass_rate_1",
            f"must be in (0, 100) so that success_prob is in (0, 1), got {r1:g} for {row.where}",
        )
    if not r1 <= r2 <= 100:
        raise ParameterError(
            "pass_rate_2",
            f"must be in [pass_rate_1, 100] = [{r1:g}, 100], got {r2:g} for {row.where}",
        )
    if secs <= 0:
        raise ParameterError("seconds_per_case", f"must be > 0, got {secs:g} for {row.where}")
    if total == 0:
        raise ParameterError(
            "total_cost",
            f"is 0 for {row.where} (free or unknown endpoint); cannot estimate the cost per pass",
        )
    if total < 0:
        raise ParameterError("total_cost", f"must be > 0, got {total:g} for {row.where}")

    p = r1 / 100.0
    p_retry = (r2 - r1) / (100.0 - r1)
    passes = 2.0 - p
    cost = total / (n * passes)
    latency = secs / passes
    name = row.values["model"]
    where = row.where
    field_sources = {
        "success_prob": f"{where}: pass_rate_1/100 = {r1:g}/100",
        "retry_success_prob": (
            f"{where}: (pass_rate_2 - pass_rate_1)/(100 - pass_rate_1)"
            f" = ({r2:g} - {r1:g})/(100 - {r1:g})"
        ),
        "cost": (
            f"{where}: total_cost/(test_cases*(2 - pass_rate_1/100))"
            f" = {total:g}/({n:g}*(2 - {p:g})) USD per pass"
        ),
        "latency": (
            f"{where}: seconds_per_case/(2 - pass_rate_1/100) = {secs:g}/(2 - {p:g}) s per pass"
        ),
    }
    source = (
        f"{where}; p = pass_rate_1/100, p_retry = (pass_rate_2 - pass_rate_1)/(100 - pass_rate_1), "
        "c = total_cost/(test_cases*(2 - p)), t = seconds_per_case/(2 - p)"
    )
    return CalibratedModel(
        name=name,
        latency=latency,
        cost=cost,
        success_prob=p,
        retry_success_prob=p_retry,
        source=source,
        field_sources=field_sources,
    )


def aider_game(
    models: Sequence[str | int | Mapping[str, Any]],
    task_value: float,
    penalty: float,
    *,
    path: PathLike | None = None,
) -> GameParams:
    """A K-model game whose (t, c, p) come from Aider leaderboard rows, in the order given.

    ``task_value`` (V, seconds) and ``penalty`` (P, USD) are the caller's assumptions.

    Examples
    --------
    >>> g = aider_game(["gpt-4.1-mini", "gpt-4.1", "o3"], task_value=120, penalty=0.5)
    >>> g.num_models, g.names[2]
    (3, 'o3')
    """
    if isinstance(models, (str, bytes)) or len(models) < 2:
        raise ParameterError(
            "models", f"need a list of at least 2 leaderboard rows, got {models!r}"
        )
    specs = [aider_model(m, path=path).to_model_spec() for m in models]
    return GameParams(task_value=task_value, penalty=penalty, models=tuple(specs))


def aider_pair(
    standard: str | int | Mapping[str, Any],
    reasoning: str | int | Mapping[str, Any],
    task_value: float,
    penalty: float,
    *,
    path: PathLike | None = None,
) -> GameParams:
    """The paper's two-model game: M1 = ``standard``, M2 = ``reasoning``, from Aider rows.

    Use :func:`aider_scenario` to get the same game together with the source of every number.

    Examples
    --------
    >>> g = aider_pair("claude-3-7-sonnet-20250219 (no thinking)",
    ...                "claude-3-7-sonnet-20250219 (32k thinking tokens)",
    ...                task_value=120, penalty=0.5)
    >>> g.success_prob
    array([0.244, 0.293])
    >>> g.standing_assumptions()
    []
    """
    return aider_game([standard, reasoning], task_value, penalty, path=path)


def aider_scenario(
    models: Sequence[str | int | Mapping[str, Any]],
    task_value: float,
    penalty: float,
    *,
    name: str,
    description: str,
    task_value_source: str,
    penalty_source: str,
    path: PathLike | None = None,
    round_digits: int | None = _DIGITS,
) -> Scenario:
    """A :class:`~routegame.scenarios.Scenario` built from Aider rows, with every number's source.

    Parameters
    ----------
    models : sequence
        Leaderboard rows (names, indices or mappings), model 1 first.
    task_value, penalty : float
        V (seconds) and P (USD): assumptions, so ``task_value_source`` and ``penalty_source``
        must say how they were chosen.
    name, description : str
        Registry key and one-line description.
    path : str or path-like, optional
        The leaderboard CSV; the shipped copy by default.
    round_digits : int or None
        Keep this many significant digits of t, c, p (the shipped files keep 6); None keeps all.

    Examples
    --------
    >>> s = aider_scenario(["gpt-4.1", "o3"], 120, 0.5, name="x", description="demo",
    ...                    task_value_source="assumed", penalty_source="assumed")
    >>> s.params.latency
    array([11.3889, 63.9221])
    >>> s.sources["models[2].success_prob"]
    "aider_polyglot_leaderboard.csv line 60 (model = 'o3'): pass_rate_1/100 = 40.9/100"
    """
    from routegame.scenarios import scenario_from_dict

    if round_digits is not None and (
        isinstance(round_digits, bool) or not isinstance(round_digits, int) or round_digits < 1
    ):
        raise ParameterError(
            "round_digits", f"must be None or an integer >= 1, got {round_digits!r}"
        )
    fitted = [aider_model(m, path=path) for m in models]
    if len(fitted) < 2:
        raise ParameterError("models", f"need at least 2 leaderboard rows, got {len(fitted)}")

    def rnd(x: float) -> float:
        return float(f"{x:.{round_digits}g}") if round_digits is not None else x

    specs = [
        ModelSpec(rnd(m.latency), rnd(m.cost), rnd(m.success_prob), name=m.name) for m in fitted
    ]
    params = GameParams(task_value=task_value, penalty=penalty, models=tuple(specs))
    rounding = f", rounded to {round_digits} significant digits" if round_digits is not None else ""
    origin = (
        "Aider-AI/aider @ 5dc9490bb35f9729ef2c95d00a19ccd30c26339c : "
        "aider/website/_data/polyglot_leaderboard.yml converted to CSV (Apache-2.0)"
        if path is None
        else "a leaderboard file given by the user"
    )
    sources = {
        "data": (
            f"{AIDER_FILE if path is None else Path(path)} = {origin}; "
            "line numbers count the header as line 1"
        ),
        "task_value": task_value_source,
        "penalty": penalty_source,
    }
    for k, m in enumerate(fitted, start=1):
        for field in ("latency", "cost"):
            sources[f"models[{k}].{field}"] = m.field_sources[field] + rounding
        exact = rnd(m.success_prob) == m.success_prob
        sources[f"models[{k}].success_prob"] = m.field_sources["success_prob"] + (
            "" if exact else rounding
        )
        sources[f"models[{k}].retry_success_prob"] = (
            m.field_sources["retry_success_prob"]
            + f" = {_sig(m.retry_success_prob)} (not used by the game)"
        )
    data = {
        "name": name,
        "version": 1,
        "description": description,
        "task_value": params.task_value,
        "penalty": params.penalty,
        "units": {"latency": "s", "cost": "USD"},
        "models": [
            {"name": m.name, "latency": m.latency, "cost": m.cost, "success_prob": m.success_prob}
            for m in params.models
        ],
        "sources": sources,
    }
    return scenario_from_dict(data, label="aider_scenario")


# ---------------------------------------------------------------------------------------------
# LiveCodeBench: per-problem success probabilities


@attrs.frozen(eq=False)
class TaskTable:
    """Per-task success probabilities of K models on the same tasks (one row per task).

    Attributes
    ----------
    models : tuple of str
        Column names, model 1 first.
    question_id, platform, difficulty, contest_date : tuple of str
        One entry per task (row).
    success_prob : numpy.ndarray
        Shape (m, K), entries in [0, 1]: the estimated probability that one pass of model k
        solves task j. Rows keep the correlation of difficulty across models.
    num_samples : tuple of int
        Samples per problem behind each column (10 for the non-reasoning models, 1 for the
        reasoning models of the shipped table), inferred from the grid of the values.
    source : str
        File, filters and estimator.

    Examples
    --------
    >>> t = livecodebench_tasks(["GPT-4O-2024-08-06", "O4-Mini (High)"], difficulty="hard")
    >>> t.success_prob.shape, t.num_samples
    ((350, 2), (10, 1))
    >>> t.mean().round(4)
    array([0.0446, 0.6286])
    """

    models: tuple[str, ...]
    question_id: tuple[str, ...]
    platform: tuple[str, ...]
    difficulty: tuple[str, ...]
    contest_date: tuple[str, ...]
    success_prob: FloatArray
    num_samples: tuple[int, ...]
    source: str

    @property
    def num_tasks(self) -> int:
        """m, the number of tasks (rows)."""
        return int(self.success_prob.shape[0])

    def mean(self) -> FloatArray:
        """Mean success probability of each model over the tasks, shape (K,)."""
        return np.asarray(self.success_prob.mean(axis=0), dtype=np.float64)

    def to_task_distribution(self) -> TaskDistribution:
        """The table as ``routegame.simulate.TaskDistribution.empirical`` (rows drawn uniformly)."""
        from routegame.simulate import TaskDistribution

        return TaskDistribution.empirical(self.success_prob)


def _grid_samples(values: FloatArray) -> int:
    """Smallest n <= 100 such that every value (a percentage) is a multiple of 100/n."""
    for n in range(1, 101):
        k = values * n / 100.0
        if np.all(np.abs(k - np.round(k)) < 1e-6):
            return n
    return 100


def livecodebench_tasks(
    models: Sequence[str],
    *,
    difficulty: str | Sequence[str] | None = None,
    platform: str | Sequence[str] | None = None,
    since: str | None = None,
    prior_weight: float = 0.0,
    path: PathLike | None = None,
) -> TaskTable:
    """Per-problem success probabilities of ``models`` on LiveCodeBench code generation.

    Parameters
    ----------
    models : sequence of str
        Column names of the table, model 1 first. The shipped table has the non-reasoning
        ``GPT-4O-mini-2024-07-18``, ``GPT-4O-2024-08-06``, ``DeepSeek-V3``,
        ``Claude-3.5-Sonnet-20241022`` (10 samples per problem) and the reasoning
        ``O3-Mini-2025-01-31 (Med)``, ``O4-Mini (High)``, ``Claude-3.7-Sonnet (Thinking)``,
        ``Gemini-2.5-Flash-Preview`` (1 sample per problem).
    difficulty, platform : str or sequence of str, optional
        Keep only these difficulties (``easy``, ``medium``, ``hard``) or platforms
        (``atcoder``, ``codeforces``, ``leetcode``).
    since : str, optional
        Keep only problems from contests on or after this ISO date (``"2024-08-01"``), e.g. to
        avoid problems older than a model's training cutoff (contamination).
    prior_weight : float
        a >= 0. With n samples and k successes on a problem and the model's mean p_bar over the
        selected problems, the estimate is (k + a p_bar) / (n + a): a = 0 (default) is the raw
        pass@1; a > 0 shrinks single-sample 0/1 entries toward p_bar.
    path : str or path-like, optional
        A table with the same columns; the shipped copy by default.

    Returns
    -------
    TaskTable

    Raises
    ------
    ParameterError
        An unknown model or difficulty, a filter that keeps no problem, ``prior_weight < 0``.

    Examples
    --------
    >>> t = livecodebench_tasks(["Claude-3.5-Sonnet-20241022", "Claude-3.7-Sonnet (Thinking)"])
    >>> t.num_tasks, t.mean().round(3)
    (1055, array([0.487, 0.635]))
    >>> livecodebench_tasks(["Claude-3.5-Sonnet-20241022", "x"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: models: unknown model 'x'; known: GPT-4O-mini-2024-07-18, ...
    """
    if isinstance(models, str) or len(models) < 1:
        raise ParameterError("models", f"must be a non-empty list of model columns, got {models!r}")
    a = float(prior_weight) if not isinstance(prior_weight, bool) else math.nan
    if not (math.isfinite(a) and a >= 0):
        raise ParameterError("prior_weight", f"must be >= 0 and finite, got {prior_weight!r}")
    text, label = _read_text(path, LIVECODEBENCH_FILE)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    for col in _LCB_META:
        if col not in header:
            raise DataFormatError(col, f"column missing from {label}")
    known = [c for c in header if c not in _LCB_META]
    for m in models:
        if m not in known:
            raise ParameterError("models", f"unknown model {m!r}; known: {', '.join(known)}")
    records = list(reader)

    def allowed(field: str, value: str | Sequence[str] | None) -> set[str] | None:
        if value is None:
            return None
        wanted = {value} if isinstance(value, str) else set(value)
        present = sorted({r[field] for r in records})
        bad = sorted(wanted - set(present))
        if bad:
            raise ParameterError(field, f"unknown value {bad[0]!r}; known: {', '.join(present)}")
        return wanted

    keep_difficulty = allowed("difficulty", difficulty)
    keep_platform = allowed("platform", platform)
    if since is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(since)):
        raise ParameterError("since", f"must be an ISO date YYYY-MM-DD, got {since!r}")
    rows = [
        r
        for r in records
        if (keep_difficulty is None or r["difficulty"] in keep_difficulty)
        and (keep_platform is None or r["platform"] in keep_platform)
        and (since is None or r["contest_date"] >= since)
    ]
    if not rows:
        raise ParameterError(
            "since" if since else "difficulty", f"the filters keep no problem of {label}"
        )
    pct = np.empty((len(rows), len(models)))
    for j, r in enumerate(rows):
        for k, m in enumerate(models):
            try:
                pct[j, k] = float(r[m])
            except ValueError:
                raise DataFormatError(
                    m, f"must be a number, got {r[m]!r} for {r['question_id']}"
                ) from None
    if not np.all((pct >= 0) & (pct <= 100)):
        raise DataFormatError("pass@1", f"must be percentages in [0, 100] in {label}")
    # samples behind each column, from the value grid of the whole column
    all_pct = {m: np.array([float(r[m]) for r in records]) for m in models}
    n = np.array([_grid_samples(all_pct[m]) for m in models], dtype=np.float64)
    raw = pct / 100.0
    p_bar = raw.mean(axis=0)
    prob = (raw * n + a * p_bar) / (n + a)
    given = (("difficulty", difficulty), ("platform", platform), ("since", since))
    filters = ", ".join(f"{k}={v!r}" for k, v in given if v is not None)
    source = (
        f"{label}: pass@1/100 per problem"
        + (f", shrunk as (k + {a:g} p_bar)/(n + {a:g})" if a > 0 else "")
        + (f"; filters {filters}" if filters else "")
        + "; LiveCodeBench (CC BY-SA 4.0)"
    )
    return TaskTable(
        models=tuple(models),
        question_id=tuple(r["question_id"] for r in rows),
        platform=tuple(r["platform"] for r in rows),
        difficulty=tuple(r["difficulty"] for r in rows),
        contest_date=tuple(r["contest_date"] for r in rows),
        success_prob=prob,
        num_samples=tuple(int(x) for x in n),
        source=source,
    )
