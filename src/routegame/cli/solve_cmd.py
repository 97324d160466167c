"""``routegame solve`` (one game, a JSON-lines batch or a CSV/Parquet table) and ``routegame scenarios``.

Usage::

    routegame solve --task-value V --penalty P --latency T1 T2 --cost C1 C2 --success-prob P1 P2
    routegame solve --scenario NAME      [overrides]
    routegame solve --config FILE.toml   [overrides]
    routegame solve --batch IN.jsonl     (or --batch - for stdin)
    routegame solve --table IN.csv|IN.parquet --out OUT.csv|OUT.parquet [--overwrite]
    routegame scenarios [--json]

Common options: ``--tie-break strong|weak`` (default strong), ``--json`` (machine-readable output),
``--query ROUTE CASCADE`` (repeatable; single game only: the user's best response to that policy).

Exactly one source of games is given. With ``--scenario``/``--config`` the game flags override
single values of the file (``--task-value``, ``--penalty``; the pair flags only for two-model
games).

Exit status: 0 on success (in ``--batch`` mode also when some lines were answered with an error
object: per-line errors are reported in-band); 1 when a batch line hit an internal error (a bug,
reported in-band as well); 2 on bad input (one line ``error: <field>: <what is allowed>`` on
stderr) or a usage error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, cast

import numpy as np
import typer

from routegame._types import TieBreak
from routegame.cli._app import app
from routegame.cli._common import (
    MULTI_FLAGS,
    ConfigOpt,
    CostOpt,
    GameCommand,
    LatencyOpt,
    PenaltyOpt,
    ScenarioOpt,
    SuccessProbOpt,
    TaskValueOpt,
    handle_errors,
    resolve_game_scenario,
    silence_stdout,
)
from routegame.errors import ParameterError, RouteGameError
from routegame.params import GameParams, check_scalar, describe_range

__all__ = ["dispatch_record", "is_k_model_record", "scenarios", "solve"]


class TieBreakOption(StrEnum):
    """Values of ``--tie-break``."""

    strong = "strong"
    weak = "weak"


# ---------------------------------------------------------------------------------------------
# ``--query ROUTE CASCADE``: typer cannot declare a repeatable option with two values; like the
# per-model game flags, the values after each ``--query`` are joined into one token
# (:func:`routegame.cli._common.join_multi_args`), and ``_parse_queries`` checks the count.

_QUERY = "--query"


class _SolveCommand(GameCommand):
    """The ``solve`` command, with ``--query ROUTE CASCADE`` taking two values."""

    multi_flags = (*MULTI_FLAGS, _QUERY)


# ---------------------------------------------------------------------------------------------
# one batch line -> one answer (two-model closed form or the K-model solver)


def is_k_model_record(record: Mapping[str, Any]) -> bool:
    """Whether a batch line is for the K-model solver rather than the two-model closed form.

    True when the line names a ``user`` or a ``policy``, or gives a number of models other
    than 2 (a ``models`` list or per-model lists of another length). Two-model lines in either
    form (per-model lists or ``models``) go to the exact two-model solver of the paper.

    Examples
    --------
    >>> is_k_model_record({"latency": [1, 2], "cost": [1, 2], "success_prob": [.2, .5]})
    False
    >>> is_k_model_record({"models": [{}, {}, {}]}), is_k_model_record({"user": "state-aware"})
    (True, True)
    """
    if "user" in record or "policy" in record:
        return True
    models = record.get("models")
    if isinstance(models, list):
        return len(models) != 2
    lengths = {len(v) for k in ("latency", "cost", "success_prob")
               if isinstance(v := record.get(k), list)}
    return bool(lengths) and 2 not in lengths


def _solve_k_record(record: Mapping[str, Any], tie_break: str) -> dict[str, Any]:
    """A K-model batch line: a policy's outcome, or the solved game (engine chosen by the library)."""
    from routegame.engines import solve as solve_game

    if "policy" in record:
        return {"id": record.get("id"), "outcome": _policy_outcome(record)}
    user = record.get("user", "stationary")
    tb = record.get("tie_break", tie_break)
    params = GameParams.from_dict(
        {k: v for k, v in record.items() if k not in ("id", "user", "tie_break")})
    res = solve_game(params, user=user, tie_break=tb)
    return {"id": record.get("id"), **res.to_json_dict()}


def _policy_outcome(record: Mapping[str, Any]) -> dict[str, Any]:
    """Outcomes of ``{"policy": {"start": [...], "cascade": [[...]]}, "abandon": q | [q_j]}``."""
    from routegame.markov.chain import chain_outcomes

    params = GameParams.from_dict(
        {k: v for k, v in record.items() if k not in ("id", "policy", "abandon", "user", "queries")}
    )
    policy = record["policy"]
    if not isinstance(policy, Mapping) or "start" not in policy or "cascade" not in policy:
        raise ParameterError("policy", "must be an object with start (list) and cascade (matrix)")
    if "abandon" not in record:
        raise ParameterError("abandon", "missing; a number in [0, 1] or one per model")
    abandon = record["abandon"]
    K = params.num_models
    if isinstance(abandon, list) and len(abandon) != K:
        raise ParameterError("abandon", f"must be a number or a list of {K} numbers in [0, 1]")
    for name, value in (("policy.start", policy["start"]), ("policy.cascade", policy["cascade"])):
        arr = np.asarray(value, dtype=object)
        want = (K,) if name == "policy.start" else (K, K)
        if arr.shape != want:
            raise ParameterError(name, f"must have shape {want} for {K} models")
    out = chain_outcomes(
        params.task_value, params.penalty, params.latency, params.cost, params.success_prob,
        policy["start"], policy["cascade"], abandon, per_model=isinstance(abandon, list),
    )
    from routegame.model.results import Outcome

    return Outcome(success=min(max(float(out.success), 0.0), 1.0), latency=float(out.latency),
                   cost=float(out.cost), user_utility=float(out.user_utility),
                   provider_cost=float(out.provider_cost),
                   passes=tuple(float(v) for v in out.passes)).to_json_dict()


def _error_object(record_id: Any, exc: RouteGameError | None, field: str = "", msg: str = "") -> dict[str, Any]:
    if exc is not None:
        field = getattr(exc, "field", None) or ""
        reason = getattr(exc, "reason", str(exc))
        msg = f"{field}: {reason}" if field else str(reason)
    return {"id": record_id, "error": {"field": field or None, "message": msg}}


def dispatch_record(record: Any, tie_break: str = "strong") -> dict[str, Any]:
    """Answer one parsed batch line: the two-model solver or, for K-model lines, the general one.

    Errors in the line come back as ``{"id": ..., "error": {"field": ..., "message": ...}}``.

    Examples
    --------
    >>> out = dispatch_record({"id": 1, "task_value": 10, "penalty": 20, "latency": [4, 5],
    ...                        "cost": [1, 4], "success_prob": [0.3, 0.8]})
    >>> out["id"], out["equilibrium"]["route"]
    (1, 1)
    >>> dispatch_record({"id": 2, "task_value": 0})["error"]["field"]
    'task_value'
    """
    from routegame.cli._common import check_lengths
    from routegame.game import solve_record

    if isinstance(record, Mapping):  # per-model lists of different lengths: name the odd one
        try:
            check_lengths(record)
        except RouteGameError as exc:
            return _error_object(record.get("id"), exc)
    if isinstance(record, Mapping) and "policies" in record and "tasks" not in record:
        return _error_object(record.get("id"), ParameterError(
            "policies", 'only in a task-table line (with "tasks"); the i.i.d. K-model lines '
            '("models": [...]) already search all policies'))
    if isinstance(record, Mapping) and "tasks" in record:  # a task table: the hetero engine
        from routegame.hetero.record import solve_record as solve_tasks_record

        return solve_tasks_record(record, tie_break)
    if isinstance(record, Mapping) and is_k_model_record(record):
        rid = record.get("id")
        try:
            return _solve_k_record(record, tie_break)
        except RouteGameError as exc:
            return _error_object(rid, exc)
    return solve_record(record, tie_break)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# helpers


def _json_safe(x: Any) -> Any:
    """Floats rounded to 15 significant digits, NaN/inf as None (JSON has neither), recursively."""
    from routegame.model.results import round_json

    return round_json(x)


def _dumps(obj: Any) -> str:
    return json.dumps(_json_safe(obj), allow_nan=False)


def _number(text: str, field: str, label: str) -> float:
    """Parse a command-line number and check it against ``field``'s range."""
    try:
        x = float(text)
    except ValueError:
        raise ParameterError(
            label, f"must be a number {describe_range(field)}, got {text!r}"
        ) from None
    return check_scalar(x, field, label)


def _parse_queries(queries: Sequence[str]) -> list[tuple[int, float]]:
    from routegame.model.policy import check_route

    out = []
    for k, q in enumerate(queries, start=1):
        parts = q.split()
        if len(parts) != 2:
            raise ParameterError("--query", f"takes ROUTE CASCADE (two numbers), got {q!r}")
        label = f"query[{k}]"
        route = check_route(int(parts[0]) if parts[0].isdigit() else parts[0], f"{label}.route")
        cascade = _number(parts[1], "cascade", f"{label}.cascade")
        out.append((route, cascade))
    return out


# ---------------------------------------------------------------------------------------------
# one game


def _solve_one(
    params: GameParams, tie_break: str, queries: list[tuple[int, float]], user: str | None = None
) -> dict[str, Any]:
    """The ``--json`` answer for one game: the batch output line with ``"id": null``."""
    from routegame.engines import solve as solve_game
    from routegame.game import TwoModelGame
    from routegame.model.policy import check_user

    if user is not None:
        check_user(user, "--user")
    if queries and (params.num_models != 2 or user is not None):
        raise ParameterError("--query", "only for the two-model game (without --user)")
    res = solve_game(params, user=user, tie_break=cast("TieBreak", tie_break))
    out: dict[str, Any] = {"id": None, **res.to_json_dict()}
    if res.kind == "two-model":
        game = TwoModelGame(params)
        out["responses"] = [game.best_response(r, s, tie_break)  # type: ignore[arg-type]
                            for r, s in queries]
    return out


def _fmt(x: Any) -> str:
    from routegame.present.wording import fmt_value

    return fmt_value(x)


def _add_row(table: Any, *cells: str) -> None:
    """Add a row of plain text (no rich markup: units such as [s] stay as they are)."""
    from rich.text import Text

    table.add_row(*[Text(c) for c in cells])


def _render_params(console: Any, params: GameParams, units: Mapping[str, str]) -> None:
    from rich.table import Table

    lat_u = f" [{units['latency']}]" if "latency" in units else ""
    cost_u = f" [{units['cost']}]" if "cost" in units else ""
    t = Table(title="Parameters", title_justify="left", show_edge=False)
    t.add_column("")
    for k, name in enumerate(params.names, start=1):
        t.add_column(f"M{k}" if name == f"M{k}" else f"M{k} {name}", justify="right")
    _add_row(t, f"latency t{lat_u}", *[_fmt(m.latency) for m in params.models])
    _add_row(t, f"cost c{cost_u}", *[_fmt(m.cost) for m in params.models])
    _add_row(t, "success prob p", *[_fmt(m.success_prob) for m in params.models])
    _add_row(t, "net value ξ = V p - t", *[_fmt(float(x)) for x in params.net_value()])
    console.print(t, markup=False)
    console.print(
        f"task value V = {_fmt(params.task_value)}{lat_u}   penalty P = {_fmt(params.penalty)}{cost_u}",
        markup=False,
    )


def _policy_table(columns: Sequence[str]) -> Any:
    from rich.table import Table

    t = Table(title="Policies", title_justify="left", show_edge=False)
    t.add_column("", no_wrap=True)
    for col in columns:
        t.add_column(col, justify="right")
    return t


def _render_two_model(console: Any, out: Mapping[str, Any], tie_break: str) -> None:
    from rich.table import Table

    th = out["thresholds"]
    console.print(
        f"regime: {out['regime']}   thresholds: s0 = {_fmt(th['s0'])}, "
        f"s_low = {_fmt(th['s_low'])}, s_high = {_fmt(th['s_high'])}",
        markup=False,
    )
    t = _policy_table(("route", "cascade s", "abandon q", "provider J", "user U"))
    notes: list[str] = []

    def row(label: str, d: Mapping[str, Any]) -> None:
        mark = "" if d.get("attained", True) else " *"
        _add_row(t, label + mark, _fmt(d.get("route")), _fmt(d.get("cascade")),
                 _fmt(d.get("abandon")), _fmt(d.get("provider_cost")), _fmt(d.get("user_utility")))
        if mark:
            notes.append(
                f"* {label}: the value is an infimum that no policy attains; the policy shown "
                "approaches it"
            )

    eq, weak, thr = out["equilibrium"], out["equilibrium_weak"], out["throttling"]
    if tie_break == "strong":
        row("equilibrium (strong)", eq)
        row("equilibrium (weak)", weak)
    else:
        row("equilibrium (weak)", eq)
    row("user-preferred", out["user_preferred"])
    if thr["pays"]:
        row("throttled", thr)
    console.print(t, markup=False)
    for note in notes:
        console.print(note, markup=False)
    console.print(f"misalignment gap: {_fmt(out['misalignment_gap'])}   price of alignment "
                  f"(J_pref - J*): {_fmt(out.get('price_of_alignment'))}", markup=False)
    if thr["pays"]:
        console.print(
            f"throttling pays: yes - serving with latencies t̂ = {_fmt(thr['latency'])} lowers "
            f"the provider's cost from {_fmt(eq['provider_cost'])} to {_fmt(thr['provider_cost'])} "
            f"and the user's utility from {_fmt(eq['user_utility'])} to "
            f"{_fmt(thr['user_utility'])}",
            markup=False,
        )
    else:
        console.print("throttling pays: no", markup=False)
    if out.get("responses"):
        r = Table(title="Best responses (--query)", title_justify="left", show_edge=False)
        for col in ("route", "cascade s", "abandon q", "user U", "indifferent"):
            r.add_column(col, justify="right")
        for resp in out["responses"]:
            _add_row(r, _fmt(resp["route"]), _fmt(resp["cascade"]), _fmt(resp["abandon"]),
                     _fmt(resp["user_utility"]), _fmt(resp["indifferent"]))
        console.print(r, markup=False)
    console.print(f"guideline: {out['guideline']}", markup=False)
    if out.get("assumptions_violated"):
        console.print(
            "note: the paper's standing assumptions fail here ("
            + ", ".join(out["assumptions_violated"])
            + "); the solution above is exact regardless.",
            markup=False,
        )


def _render_k_model(console: Any, out: Mapping[str, Any], tie_break: str = "strong") -> None:
    t = _policy_table(("route", "abandon q", "provider J", "user U", "success S"))
    lines: list[str] = []
    eq_label = f"equilibrium ({tie_break})"
    for label, key in ((eq_label, "equilibrium"), ("user-preferred", "user_preferred")):
        d = out.get(key)
        if not isinstance(d, Mapping):
            continue
        mark = "" if d.get("attained", True) else " *"
        _add_row(t, label + mark, _fmt(d.get("route")), _fmt(d.get("abandon")),
                 _fmt(d.get("provider_cost")), _fmt(d.get("user_utility")), _fmt(d.get("success")))
        lines.append(
            f"{label}: first model π = {_fmt(d.get('start'))}, re-prompts go to "
            f"{_fmt(d.get('continuation'))}"
            + (" (value approached, not attained)" if mark else "")
        )
    console.print(t, markup=False)
    for line in lines:
        console.print(line, markup=False)
    console.print(f"misalignment gap: {_fmt(out.get('misalignment_gap'))}   price of alignment "
                  f"(J_pref - J*): {_fmt(out.get('price_of_alignment'))}", markup=False)
    console.print(f"user: {out.get('user', 'stationary')}", markup=False)


# ---------------------------------------------------------------------------------------------
# batch


def _blank_line(n: int) -> dict[str, Any]:
    """The answer to a blank input line: an error object, so that answer k is line k."""
    return {"id": None, "line": n, "error": {
        "field": "line", "message": f"line: {n} is blank; expected a JSON object "
        "(one answer per input line, so blank lines are answered too)"}}


def _answer_lines(lines: Iterable[bytes], tie_break: str) -> Iterator[tuple[dict[str, Any], bool]]:
    """(answer, internal_error) for every line; a blank line is answered by an error object
    (``field: "line"``), so the k-th answer is the k-th input line."""
    from routegame.errors import DataFormatError
    from routegame.io import iter_jsonl

    total = 0

    def counted() -> Iterator[bytes]:
        nonlocal total
        for raw in lines:
            total += 1
            yield raw

    last = 0
    for n, record in iter_jsonl(counted()):
        for blank in range(last + 1, n):  # iter_jsonl skips blank lines: answer them here
            yield _blank_line(blank), False
        last = n
        if isinstance(record, DataFormatError):
            yield {"id": None, "line": n, **_error_object(None, record)}, False
            continue
        rid = record.get("id") if isinstance(record, dict) else None
        try:
            out = dispatch_record(record, tie_break)
        except Exception as exc:  # a bug: keep answering the other lines, exit 1 at the end
            yield {"id": rid, "line": n, **_error_object(
                rid, None, "line", f"line {n}: internal error: {type(exc).__name__}: {exc}")}, True
            continue
        if "error" in out:
            out = {"id": out.get("id"), "line": n, "error": out["error"]}
        else:  # successful answers carry the line too, so duplicate ids can be matched
            out = {"id": out.get("id"), "line": n, **{k: v for k, v in out.items() if k != "id"}}
        yield out, False
    for blank in range(last + 1, total + 1):  # trailing blank lines
        yield _blank_line(blank), False


def _console() -> Any:
    """A rich console whose broken pipe (``| head``) ends the command quietly with status 0.

    rich handles a closed stdout itself with ``SystemExit(1)``; reading the first lines of a
    table is not an error.
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            silence_stdout()
            raise SystemExit(0)

    return _Console(highlight=False)


def _run_batch(path: str, tie_break: str) -> int:
    from routegame.io import open_lines, write_stdout_line

    status = 0
    for out, internal in _answer_lines(open_lines(path, "--batch"), tie_break):
        if internal:
            status = 1
        write_stdout_line(_dumps(out))
    return status


# ---------------------------------------------------------------------------------------------
# table


#: Rows solved and written at a time by ``--table``: the memory of one block is reused for the
#: next (a fresh page costs more than the solver's work on it), and the file gets row groups
#: of this size.
_TABLE_BLOCK = 1 << 17


def _load_compiled(rows: int) -> None:
    """Load what a large table needs beyond the reading: pyarrow.compute (the regime column's
    dictionary cast) and the compiled kernel. Run in a thread while the table is read and
    checked (Parquet reading and numpy release the GIL; numba's import is mostly Python)."""
    import pyarrow.compute  # noqa: F401

    from routegame.closed_form.provider import prepare_compiled

    prepare_compiled(rows)


def _run_table(table: str, out: str, overwrite: bool, tie_break: str, as_json: bool) -> None:
    """``--table``: read the table, then check, solve and write it block by block.

    Three things at once where there is work for them: a large Parquet table starts loading
    the compiled kernel (in a thread) as soon as its footer gives the row count, while its
    data are read; then one thread checks and solves block k+1 (the kernel itself may use more
    threads) while the main thread writes block k (Parquet encoding releases the GIL). A bad
    cell raises in the block that holds it (the first bad row of the file: blocks go in
    order); the output is written to a temporary file, removed on any error
    (:func:`routegame.io.write_table`), so nothing half-written is left.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    from routegame import io, tabular
    from routegame.closed_form.provider import use_compiled
    from routegame.io.tables import table_rows

    io.table_format(out, "--out")
    io.check_output_path(out, overwrite, "--out")
    load_pool = ThreadPoolExecutor(1, thread_name_prefix="routegame-load-kernel")
    loading: Future[None] | None = None

    def start_loading(rows: int | None) -> None:
        nonlocal loading
        if loading is None and rows is not None and use_compiled(rows):
            loading = load_pool.submit(_load_compiled, rows)

    def loaded() -> None:
        """Wait for the loader (once it is done: at once); raise what it raised."""
        if loading is not None:
            loading.result()

    start_loading(table_rows(table))  # Parquet: from the footer, before the data are read
    try:
        data = tabular.read_games(table, "--table")
        tabular.check_output_names(data.column_names, table)
        rows = data.num_rows
        start_loading(rows)  # CSV: once read
        columns: list[str] = []
        work: dict[str, Any] = {}  # the kernel's output memory, reused by every block

        def solve(start: int) -> Any:
            stop = min(rows, start + _TABLE_BLOCK)
            block = data.slice(start, stop - start)
            games = tabular.game_columns(block, label=table, first_row=start)
            loaded()
            for name, arr in tabular.output_arrays(
                    tabular.solve_columns(games, tie_break, work)).items():
                block = block.append_column(name, arr)
            return block

        def blocks() -> Iterator[Any]:
            """Solved blocks in order, the next one solved in a thread while this one is
            written."""
            starts = range(0, max(rows, 1), _TABLE_BLOCK)
            with ThreadPoolExecutor(1) as pool:
                ahead = pool.submit(solve, starts[0])
                for k in range(len(starts)):
                    solved = ahead.result()
                    if k + 1 < len(starts):
                        ahead = pool.submit(solve, starts[k + 1])
                    columns[:] = solved.column_names
                    yield solved

        io.write_table(blocks(), out, overwrite=overwrite, field="--out")
    finally:
        # after an error, let the load finish: a thread stopped inside numba at exit could
        # crash the process (a cold cache is then compiled, and kept for the next run)
        load_pool.shutdown(wait=True)
    if as_json:
        print(_dumps({"rows": rows, "out": out, "columns": columns}))
    else:
        print(f"solved {rows} games -> {out}")


# ---------------------------------------------------------------------------------------------
# the commands

@app.command(cls=_SolveCommand, no_args_is_help=False)
@handle_errors
def solve(
    task_value: TaskValueOpt = None,
    penalty: PenaltyOpt = None,
    latency: LatencyOpt = None,
    cost: CostOpt = None,
    success_prob: SuccessProbOpt = None,
    config: ConfigOpt = None,
    scenario: ScenarioOpt = None,
    batch: Annotated[str | None, typer.Option(
        "--batch", metavar="IN.jsonl",
        help="Solve one JSON object per line ('-' = stdin); one JSON line out per line in "
        "(a blank line gets an error object). Task-table lines (\"tasks\") carry "
        "response_gap and truncation_bound in every policy block; \"policies\": \"all\" "
        "adds the optimum over all policies (docs/real_data.md).",
    )] = None,
    table: Annotated[str | None, typer.Option(
        "--table", metavar="IN.csv|IN.parquet",
        help="Solve every row of a CSV/Parquet game table (needs --out).")] = None,
    out: Annotated[str | None, typer.Option(
        "--out", metavar="OUT.csv|OUT.parquet", help="Output table for --table.")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing --out file.")] = False,
    tie_break: Annotated[TieBreakOption, typer.Option(
        "--tie-break", help="Resolve the user's indifference for (strong) or against (weak) "
        "the provider.")] = TieBreakOption.strong,
    query: Annotated[list[str] | None, typer.Option(
        "--query", metavar="ROUTE CASCADE",
        help="Also give the user's best response to this policy (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object (the batch output format) instead of tables.",
    )] = False,
    user: Annotated[str | None, typer.Option(
        "--user", metavar="stationary|state-aware|bayes",
        help="Solve with the K-model engine over all policies for this user (default: the paper's "
        "two-model game for 2 models, the stationary user otherwise). On a heterogeneous "
        "scenario also 'bayes' (default: the scenario's user).")] = None,
    policies: Annotated[str, typer.Option(
        "--policies", metavar="paper|all",
        help="Heterogeneous scenarios: the provider's policy class, the paper's (route, s) or "
        "all policies (start mixture, cascade matrix; the best found on a lattice plus "
        "refinement, shown beside the paper class).")] = "paper",
) -> None:
    """Solve routing games: equilibrium, user-preferred policy, misalignment gap, throttling.

    Give exactly one source: the game flags, --config, --scenario, --batch or --table.

    With --config or --scenario, game flags override single values of the file.
    """
    tb = tie_break.value
    flags = {"--task-value": task_value, "--penalty": penalty, "--latency": latency,
             "--cost": cost, "--success-prob": success_prob}
    given_flags = [f for f, v in flags.items() if v is not None]
    sources = [name for name, v in (("--config", config), ("--scenario", scenario),
                                    ("--batch", batch), ("--table", table)) if v is not None]
    if len(sources) > 1:
        raise ParameterError("source", f"give exactly one of {', '.join(sources)}")
    if sources and sources[0] in ("--batch", "--table"):
        if given_flags:
            raise ParameterError(given_flags[0], f"cannot be combined with {sources[0]}")
        if query:
            raise ParameterError("--query", f"only for a single game, not with {sources[0]}")
        # per-line fields ("user", "policies") in a batch; a table is the paper's two-model game
        where = ('a field of each line ("user": ..., "policies": ...)' if sources[0] == "--batch"
                 else "not available: a table holds paper two-model games")
        if user is not None:
            raise ParameterError("--user", f"cannot be combined with {sources[0]}: {where}")
        if policies != "paper":
            raise ParameterError("--policies", f"cannot be combined with {sources[0]}: {where}")
    if out is not None and table is None:
        raise ParameterError("--out", "only with --table")
    if table is not None:
        if out is None:
            raise ParameterError("--out", "missing; --table needs --out OUT.csv|OUT.parquet")
        _run_table(table, out, overwrite, tb, as_json)
        return
    if batch is not None:
        status = _run_batch(batch, tb)
        if status:
            raise typer.Exit(status)
        return

    if config is None and scenario is None and not given_flags:
        raise ParameterError(
            "source",
            "give a game: --task-value V --penalty P --latency T1 T2 --cost C1 C2 "
            "--success-prob P1 P2, or --config FILE.toml, --scenario NAME, --batch FILE, "
            "--table FILE --out FILE (see routegame solve --help)",
        )
    from routegame.cli.hetero_solve import hetero_source, solve_hetero

    if (hsrc := hetero_source(scenario, config)) is not None:  # a task table: data vs i.i.d.
        if query:
            raise ParameterError("--query", "not available for a heterogeneous scenario")
        solve_hetero(_console(), hsrc, tb, as_json=as_json, user=user, given_flags=given_flags,
                     policies=policies,
                     overrides={"task_value": task_value, "penalty": penalty, "latency": latency,
                                "cost": cost, "success_prob": success_prob})
        return
    if policies != "paper":
        raise ParameterError("--policies", "only for a heterogeneous scenario (a task table); "
                             "K-model games search all policies with --user")
    sc = resolve_game_scenario(scenario=scenario, config=config, task_value=task_value,
                               penalty=penalty, latency=latency, cost=cost,
                               success_prob=success_prob, default=None)
    params, units = sc.params, sc.units
    if config is not None or scenario is not None:
        label = f"config {config}" if config is not None else f"scenario {scenario}"
        title = f"{label} (v{sc.version}): {sc.description}" if sc.description else label
        if given_flags:
            title += f"; overridden: {', '.join(given_flags)}"
    else:
        title = "game from the command line"
    queries = _parse_queries(query or [])
    answer = _solve_one(params, tb, queries, user)
    try:
        if as_json:
            print(_dumps(answer))
        else:
            console = _console()
            console.print(title, markup=False, style="bold")
            _render_params(console, params, units)
            if answer.get("regime") is not None:
                _render_two_model(console, answer, tb)
            else:
                _render_k_model(console, answer, tb)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `routegame solve ... | head -1`: stop quietly, exit 0
        silence_stdout()


@app.command("scenarios")
@handle_errors
def scenarios(
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print a JSON list of {name, version, num_models, description}.")] = False,
) -> None:
    """List the built-in scenarios (use one with 'routegame solve --scenario NAME')."""
    from routegame.hetero.scenarios import list_hetero_scenarios
    from routegame.scenarios import list_scenarios

    items = list_scenarios()
    hetero = list_hetero_scenarios()  # task-table games (marked)
    if as_json:
        print(_dumps([{"name": s.name, "version": s.version, "num_models": s.num_models,
                       "description": s.description} for s in items] + hetero))
        return
    from rich.table import Table

    t = Table(show_edge=False)
    t.add_column("name", no_wrap=True)
    t.add_column("models", justify="right")
    t.add_column("description")
    for s in items:
        _add_row(t, s.name, str(s.num_models), s.description)
    for h in hetero:
        _add_row(t, h["name"] + " *", "2", f"{h['description']} ({h['num_tasks']} tasks)")
    t.caption = "* heterogeneous: a task table (solve/report show it beside the i.i.d. game)"
    _console().print(t, markup=False)
