"""Game tables: read many two-model games from CSV or Parquet, solve them at once, write them out.

A game table has one game per row and the columns

    task_value, penalty, latency_1, latency_2, cost_1, cost_2, success_prob_1, success_prob_2

(:data:`INPUT_COLUMNS`; suffix ``_1`` is model M1, ``_2`` model M2). Any other column (an id, a
label) is passed through unchanged. :func:`solve_table` appends the columns of
:data:`OUTPUT_COLUMNS`, computed by :func:`routegame.solve_arrays` on whole columns (vectorised):
the regime, the provider's equilibrium policy (``route``, ``cascade``) and the user's response
(``abandon``), the equilibrium ``provider_cost``, ``user_utility`` and ``success`` probability,
the ``misalignment_gap``, whether throttling pays (``throttling_pays``) and the thresholds
``s0``, ``s_low``, ``s_high`` of the user's response (empty / null where undefined).

Reading and writing use pyarrow (the ``table`` extra), imported lazily:

* CSV: UTF-8, comma separated, one header line. Game columns must hold plain numbers; an empty
  cell is a missing value. Every other column is read as text and written back verbatim, so a
  CSV → CSV round trip keeps ids such as ``007`` as they were.
* Parquet: game columns may have any integer or floating type; other columns keep their type.

Bad input raises :class:`~routegame.errors.ParameterError` (a game column is missing, holds a
non-number or a value out of range: the message names the column and the first bad row,
counted from 1 without the header) or :class:`~routegame.errors.DataFormatError` (the file is
not CSV/Parquet, a CSV row has the wrong number of fields).

Examples
--------
>>> import pyarrow as pa
>>> games = pa.table({"id": ["a", "b"], "task_value": [10.0, 10.0], "penalty": [20.0, 1.0],
...                   "latency_1": [4.0, 4.0], "latency_2": [5.0, 5.0], "cost_1": [1.0, 1.0],
...                   "cost_2": [4.0, 4.0], "success_prob_1": [0.3, 0.3],
...                   "success_prob_2": [0.8, 0.8]})
>>> out = solve_table(games)
>>> out.column("route").to_pylist(), out.column("abandon").to_pylist()
([1, 1], [0.0, 1.0])
>>> games = games.set_column(3, "latency_1", pa.array([4.0, -1.0]))
>>> solve_table(games)
Traceback (most recent call last):
...
routegame.errors.ParameterError: latency_1: must be > 0 and finite, got -1 (row 2)
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from routegame._types import FloatArray
from routegame.errors import ParameterError
from routegame.io.tables import _pyarrow
from routegame.model.results import REGIMES
from routegame.params import BOUNDS, TWO_MODEL_FIELDS, describe_range

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "check_output_names",
    "game_columns",
    "output_arrays",
    "read_games",
    "solve_columns",
    "solve_table",
]

#: Game columns a table must have, with the parameter each one holds.
INPUT_COLUMNS: tuple[str, ...] = TWO_MODEL_FIELDS

#: Columns :func:`solve_table` appends, in this order (see the module docstring).
OUTPUT_COLUMNS: tuple[str, ...] = (
    "regime",
    "route",
    "cascade",
    "abandon",
    "provider_cost",
    "user_utility",
    "success",
    "misalignment_gap",
    "throttling_pays",
    "s0",
    "s_low",
    "s_high",
)

#: Float output columns: rounded to :data:`~routegame.model.results.SIGNIFICANT_DIGITS`
#: significant digits; the probabilities among them are first clipped into [0, 1].
_FLOAT_COLUMNS: tuple[str, ...] = (
    "cascade", "abandon", "provider_cost", "user_utility", "success", "misalignment_gap",
    "s0", "s_low", "s_high",
)
_CLIPPED: frozenset[str] = frozenset({"cascade", "abandon", "success"})


def _field_of(column: str) -> str:
    """Parameter (key of :data:`~routegame.params.BOUNDS`) held by a game column."""
    return column.rsplit("_", 1)[0] if column[-2:] in ("_1", "_2") else column


def read_games(path: str | os.PathLike[str], field: str = "table") -> pa.Table:
    """Read a game table from a CSV or Parquet file (:func:`routegame.io.read_table`).

    Game columns of a CSV file are read as float64 (an empty cell is null), every other column
    as text. A Parquet file is read as it is. The game columns are checked by
    :func:`game_columns` when the table is solved; a CSV game column holding a non-number is
    reported here with its first bad row.

    Raises
    ------
    ParameterError
        Unknown suffix, missing file, a game column that is not numeric (with its first bad
        row).
    DataFormatError
        The file is not a valid CSV or Parquet file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "games.csv"
    >>> _ = f.write_text("id,task_value,penalty,latency_1,latency_2,cost_1,cost_2,"
    ...                  "success_prob_1,success_prob_2\\n007,10,20,4,5,1,4,0.3,0.8\\n")
    >>> t = read_games(f)
    >>> t.column("id").to_pylist(), t.column("latency_2").to_pylist()
    (['007'], [5.0])
    """
    from routegame.io.tables import read_table

    label = str(path)
    return read_table(path, field, numeric=INPUT_COLUMNS, explain=lambda t: game_columns(t, label=label))


def _float_column(arr: Any) -> tuple[FloatArray, np.ndarray | None]:
    """A float64 ``pyarrow.ChunkedArray`` as (values, null mask or None), read from its buffers:
    no copy for one chunk (pyarrow's ``to_numpy`` would import pandas, 0.2-0.6 s). Values at
    null slots are whatever the buffer holds; the mask says which they are."""
    values: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    for c in arr.chunks:
        n, off = len(c), c.offset
        if n == 0:
            continue
        bufs = c.buffers()
        values.append(np.frombuffer(bufs[1], dtype=np.float64, count=off + n)[off:])
        if c.null_count:
            bits = np.frombuffer(bufs[0], dtype=np.uint8)
            valid = np.unpackbits(bits, count=off + n, bitorder="little")[off:]
            masks.append(valid == 0)
        else:
            masks.append(np.zeros(n, dtype=bool))
    if not values:
        return np.empty(0), None
    x = values[0] if len(values) == 1 else np.concatenate(values)
    nulls = (np.concatenate(masks) if len(masks) > 1 else masks[0]) if arr.null_count else None
    return x, nulls


def _parse_text(values: np.ndarray) -> FloatArray:
    """Parse an object array of str/None to floats (NaN where empty or not a number)."""
    out = np.full(values.shape, np.nan)
    for k, s in enumerate(values):
        if s is not None:
            with contextlib.suppress(ValueError):
                out[k] = float(s)
    return out


def _bad_cell_message(col: str, cell: Any, row: int, where: str) -> str:
    field = _field_of(col)
    if isinstance(cell, str):
        try:
            cell = float(cell)
        except ValueError:
            return f"must be a number {describe_range(field)}, got {cell!r} (row {row + 1}{where})"
    got = "an empty cell" if cell is None else f"{float(cell):g}"
    return f"must be {describe_range(field)}, got {got} (row {row + 1}{where})"


def game_columns(
    table: pa.Table, label: str | None = None, *, first_row: int = 0
) -> dict[str, FloatArray]:
    """The validated game columns of a table, as float64 arrays.

    Parameters
    ----------
    table : pyarrow.Table
        Must have every column of :data:`INPUT_COLUMNS` (other columns are ignored here).
    label : str, optional
        Name of the source (a file), added to error messages.
    first_row : int
        Rows before this table in its source (for a block of a larger table): error
        messages count rows from ``first_row + 1``.

    Returns
    -------
    dict of str to ndarray
        One float64 array per column of :data:`INPUT_COLUMNS`.

    Raises
    ------
    ParameterError
        A column is missing, is not numeric, or has a value outside its parameter's range; the
        message names the column, the first bad row (from 1, without the header) and the
        allowed range. Among several bad cells the one in the earliest row is reported, and in
        that row the first column in the order of :data:`INPUT_COLUMNS`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> cols = {c: [1.0, 1.0] for c in INPUT_COLUMNS}
    >>> cols["success_prob_1"] = [0.5, 0.5]; cols["success_prob_2"] = [0.5, 1.5]
    >>> game_columns(pa.table(cols))["latency_1"]
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: success_prob_2: must be in (0, 1), got 1.5 (row 2)
    """
    pa = _pyarrow()
    where = f" of {label}" if label else ""
    names = list(table.column_names)
    missing = [c for c in INPUT_COLUMNS if c not in names]
    if missing:
        raise ParameterError(
            missing[0],
            f"missing column{where.replace(' of ', ' in ')}; a game table needs the columns "
            f"{', '.join(INPUT_COLUMNS)}",
        )
    values: dict[str, FloatArray] = {}
    cells: dict[str, Any] = {}  # how to show the user a cell of each column
    first_bad: dict[str, int] = {}
    for col in INPUT_COLUMNS:
        if names.count(col) > 1:
            raise ParameterError(col, f"appears {names.count(col)} times{where}")
        field = _field_of(col)
        arr = table.column(col)
        typ = arr.type
        nulls: np.ndarray | None = None
        if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
            # float64 as it is (a cast would import pyarrow.compute, 0.1-0.2 s of a CLI run)
            x, nulls = _float_column(arr if typ == pa.float64() else arr.cast(pa.float64()))
            cells[col] = (x, nulls)
        elif pa.types.is_null(typ):
            x = np.full(len(arr), np.nan)
            nulls = np.ones(len(arr), dtype=bool)
            cells[col] = (x, nulls)
        elif pa.types.is_string(typ) or pa.types.is_large_string(typ):
            text = arr.to_numpy(zero_copy_only=False)
            x = _parse_text(text)
            cells[col] = text
        else:
            raise ParameterError(
                col, f"must be numbers {describe_range(field)}, got a column of type {typ}{where}"
            )
        lo, hi, lo_in, hi_in = BOUNDS[field]
        with np.errstate(invalid="ignore"):
            ok = ((x >= lo) if lo_in else (x > lo)) & ((x <= hi) if hi_in else (x < hi))
        ok &= np.isfinite(x)
        if nulls is not None:
            ok &= ~nulls
        if not ok.all():
            first_bad[col] = int(np.argmin(ok))
        values[col] = x
    if first_bad:
        row = min(first_bad.values())
        col = next(c for c in INPUT_COLUMNS if first_bad.get(c) == row)
        shown = cells[col]
        if isinstance(shown, tuple):
            x, nulls = shown
            cell = None if nulls is not None and nulls[row] else float(x[row])
        else:
            cell = shown[row]
        raise ParameterError(col, _bad_cell_message(col, cell, first_row + row, where))
    return values


def solve_table(
    table: pa.Table | pd.DataFrame, tie_break: str = "strong", label: str | None = None
) -> Any:
    """Solve every game (row) of a table; return the table with :data:`OUTPUT_COLUMNS` appended.

    Parameters
    ----------
    table : pyarrow.Table or pandas.DataFrame
        A game table (see the module docstring). A DataFrame gives a DataFrame back.
    tie_break : {"strong", "weak"}
        Tie-breaking convention of the equilibrium columns.
    label : str, optional
        Name of the source (a file), added to error messages.

    Returns
    -------
    pyarrow.Table or pandas.DataFrame
        The input columns, unchanged, followed by :data:`OUTPUT_COLUMNS`. Thresholds that are
        undefined for a game are null (NaN in a DataFrame).

    Raises
    ------
    ParameterError
        A game column is missing or has a bad value (see :func:`game_columns`), or the table
        already has a column named like an output column.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"task_value": [10.0], "penalty": [20.0], "latency_1": [4.0],
    ...     "latency_2": [5.0], "cost_1": [1.0], "cost_2": [4.0], "success_prob_1": [0.3],
    ...     "success_prob_2": [0.8]})
    >>> out = solve_table(df)
    >>> row = out.iloc[0]
    >>> str(row["regime"]), round(float(row["cascade"]), 4), bool(row["s0"] == row["cascade"])
    ('latency-value', 0.2105, True)
    """
    pa = _pyarrow()
    as_pandas = not isinstance(table, pa.Table)
    tab: Any = pa.Table.from_pandas(table) if as_pandas else table
    check_output_names(tab.column_names, label)
    g = game_columns(tab, label=label)
    for name, arr in output_arrays(solve_columns(g, tie_break)).items():
        tab = tab.append_column(name, arr)
    return tab.to_pandas() if as_pandas else tab


def check_output_names(names: list[str], label: str | None = None) -> None:
    """Refuse a table that already has a column named like one of :data:`OUTPUT_COLUMNS`.

    Examples
    --------
    >>> check_output_names(["id", "route"])
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: route: the input already has this output column; rename or drop it
    """
    where = f" {label}" if label else ""
    for name in names:
        if name in OUTPUT_COLUMNS:
            raise ParameterError(
                name, f"the input{where} already has this output column; rename or drop it")


def solve_columns(
    g: dict[str, FloatArray], tie_break: str = "strong", work: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """The :data:`OUTPUT_COLUMNS` of validated game columns, as numpy arrays.

    The table's path through the solver: the flat arrays of
    :func:`routegame.solve_arrays` (the compiled kernel for large inputs, see
    :func:`routegame.closed_form.provider.use_compiled`), of which only the output columns are
    kept, clipped and rounded as :meth:`routegame.GameResult.columns` does (the same values,
    without building the full result). ``regime`` is given as its int32 codes (indices into
    :data:`routegame.model.results.REGIMES`); undefined thresholds are NaN.

    Parameters
    ----------
    g : dict of str to ndarray
        Float64 game columns, as :func:`game_columns` returns them (already validated).
    tie_break : {"strong", "weak"}
        Tie-breaking convention.
    work : dict, optional
        Scratch memory kept by the caller from block to block (start with ``{}``; one block at
        a time): the compiled kernel's outputs reuse it instead of fresh pages. The returned
        arrays never share it.

    Examples
    --------
    >>> g = {c: np.array([v]) for c, v in zip(INPUT_COLUMNS, (10, 20, 4, 5, 1, 4, 0.3, 0.8))}
    >>> out = solve_columns(g)
    >>> int(out["regime"][0]), int(out["route"][0]), float(out["cascade"][0])
    (2, 1, 0.210526315789474)
    """
    from routegame.closed_form import provider
    from routegame.model.results import round_sig
    from routegame.params import check_tie_break

    check_tie_break(tie_break)
    V, P = g["task_value"], g["penalty"]
    t = np.stack([g["latency_1"], g["latency_2"]], axis=-1)
    c = np.stack([g["cost_1"], g["cost_2"]], axis=-1)
    p = np.stack([g["success_prob_1"], g["success_prob_2"]], axis=-1)
    with np.errstate(all="ignore"):  # beyond the double range: inf/NaN, as solve_arrays
        if provider.use_compiled(V.shape[0]):
            ws = None
            if work is not None:
                from routegame.closed_form import _compiled

                ws = work.setdefault("compiled", _compiled.Workspace())
            res = provider._solve_compiled(V, P, t, c, p, tie_break, work=ws)
        else:
            res = provider._solve_blocks(V, P, t, c, p, V.shape[0], tie_break)
        # the float columns in one matrix (clipped where they are probabilities), rounded in
        # one call: one pass over fresh memory, which the kernel's workspace never shares
        floats = np.empty((len(_FLOAT_COLUMNS), V.shape[0]))
        for k, name in enumerate(_FLOAT_COLUMNS):
            if name in _CLIPPED:
                np.clip(res[name], 0.0, 1.0, out=floats[k])
            else:
                floats[k] = res[name]
        floats = round_sig(floats)
        out: dict[str, np.ndarray] = {}
        for name in OUTPUT_COLUMNS:
            if name in _FLOAT_COLUMNS:
                out[name] = floats[_FLOAT_COLUMNS.index(name)]
            elif name == "regime":
                out[name] = np.asarray(res[name], dtype=np.int32)
            else:  # a copy: the kernel's memory is reused for the next block
                out[name] = np.array(res[name])
    return out


def output_arrays(cols: dict[str, np.ndarray]) -> dict[str, Any]:
    """pyarrow arrays of :func:`solve_columns`' output: regime names (string), NaN as null.

    The arrays are built on the numpy memory (no copy), not by ``pyarrow.array``, which
    imports pandas (0.2-0.6 s of a CLI run).

    Examples
    --------
    >>> g = {c: np.array([v]) for c, v in zip(INPUT_COLUMNS, (10, 20, 4, 5, 1, 4, 0.3, 0.8))}
    >>> arrs = output_arrays(solve_columns(g))
    >>> arrs["regime"].to_pylist(), arrs["s_low"].to_pylist(), arrs["route"].to_pylist()
    (['latency-value'], [None], [1])
    """
    pa = _pyarrow()
    out: dict[str, Any] = {}
    for name in OUTPUT_COLUMNS:
        a = np.ascontiguousarray(cols[name])
        n = a.shape[0]
        if name == "regime":
            out[name] = _regime_strings(pa, a.astype(np.int32))
        elif a.dtype.kind == "f":  # NaN (undefined) -> null
            valid = ~np.isnan(a)
            nulls = n - int(np.count_nonzero(valid))
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
            out[name] = pa.Array.from_buffers(pa.float64(), n, [bitmap, pa.py_buffer(a)],
                                              null_count=nulls)
        elif a.dtype == np.bool_:
            bits = pa.py_buffer(np.packbits(a, bitorder="little"))
            out[name] = pa.Array.from_buffers(pa.bool_(), n, [None, bits], null_count=0)
        else:
            out[name] = pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), n,
                                              [None, pa.py_buffer(a)], null_count=0)
    return out


#: Below this many rows the regime names are spelled out with numpy (~0.14 us a row) rather
#: than by pyarrow's dictionary cast (~0.015 us a row, but its first use imports
#: pyarrow.compute: 0.1-0.2 s).
_SPELL_ROWS = 1 << 15


def _regime_strings(pa: Any, codes: np.ndarray, spell: bool | None = None) -> Any:
    """A pyarrow string array of the regime names of int32 ``codes`` (no Python strings),
    spelled out with numpy (``spell``; default: for fewer than :data:`_SPELL_ROWS` codes while
    pyarrow.compute is not loaded) or by a dictionary cast."""
    n = codes.shape[0]
    if spell is None:
        spell = n < _SPELL_ROWS and "pyarrow.compute" not in sys.modules
    if not spell:
        idx = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(codes)])
        return pa.DictionaryArray.from_arrays(idx, _regime_names(pa)).cast(pa.string())
    chars, lengths = _REGIME_CHARS
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths[codes], out=offsets[1:])
    data = chars[codes][np.arange(chars.shape[1]) < lengths[codes][:, None]]
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                   pa.py_buffer(data)], null_count=0)


def _regime_chars() -> tuple[np.ndarray, np.ndarray]:
    """:data:`REGIMES` as a zero-padded byte matrix (one row per regime) and the lengths."""
    data = [r.encode() for r in REGIMES]
    lengths = np.array([len(d) for d in data], dtype=np.int32)
    chars = np.zeros((len(data), int(lengths.max())), dtype=np.uint8)
    for k, d in enumerate(data):
        chars[k, : len(d)] = np.frombuffer(d, dtype=np.uint8)
    return chars, lengths


_REGIME_CHARS = _regime_chars()


def _regime_names(pa: Any) -> Any:
    """:data:`REGIMES` as a pyarrow string array (from its buffers: no pandas import)."""
    data = [r.encode() for r in REGIMES]
    offsets = np.cumsum([0] + [len(d) for d in data], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(data),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))],
                                 null_count=0)
