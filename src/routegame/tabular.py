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
import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from routegame._types import FloatArray
from routegame.errors import DataFormatError, ParameterError
from routegame.params import BOUNDS, TWO_MODEL_FIELDS, describe_range

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "game_columns",
    "read_table",
    "solve_table",
    "table_format",
    "write_table",
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

TableFormat = Literal["csv", "parquet"]

_SUFFIXES: dict[str, TableFormat] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _field_of(column: str) -> str:
    """Parameter (key of :data:`~routegame.params.BOUNDS`) held by a game column."""
    return column.rsplit("_", 1)[0] if column[-2:] in ("_1", "_2") else column


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - only without the extra
        raise ParameterError(
            "table", "CSV/Parquet tables need pyarrow: pip install 'routegame[table]'"
        ) from None
    return pa


def table_format(path: str | os.PathLike[str], field: str = "table") -> TableFormat:
    """The table format of a path, from its suffix (``.csv``, ``.parquet`` or ``.pq``).

    Examples
    --------
    >>> table_format("games.CSV"), table_format("out.parquet")
    ('csv', 'parquet')
    >>> table_format("games.xlsx", "--out")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: --out: must end in .csv, .parquet or .pq, got 'games.xlsx'
    """
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise ParameterError(field, f"must end in .csv, .parquet or .pq, got {str(path)!r}")
    return fmt


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _csv_header(path: Path, label: str) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise DataFormatError(label, "not a UTF-8 text file (CSV expected)") from None
    except csv.Error as exc:
        raise DataFormatError(label, f"malformed CSV header: {_one_line(str(exc))}") from None
    if not header:
        raise DataFormatError(label, "empty file; a CSV table needs a header line")
    return header


def _read_csv(path: Path, label: str) -> pa.Table:
    pa = _pyarrow()
    import pyarrow.csv as pcsv

    header = _csv_header(path, label)
    for col in INPUT_COLUMNS:
        if header.count(col) > 1:
            raise DataFormatError(col, f"appears {header.count(col)} times in the header of {label}")
    bad_rows: list[str] = []

    def on_invalid_row(row: Any) -> str:
        if not bad_rows:
            bad_rows.append(
                f"a row has {row.actual_columns} fields instead of {row.expected_columns}: "
                f"{_one_line(row.text, 80)!r}"
            )
        return "skip"

    def read(game_type: Any, include: list[str] | None = None) -> Any:
        types = {c: (game_type if c in INPUT_COLUMNS else pa.string()) for c in header}
        convert = pcsv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=False,
            include_columns=include,
        )
        parse = pcsv.ParseOptions(invalid_row_handler=on_invalid_row)
        table = pcsv.read_csv(path, parse_options=parse, convert_options=convert)
        if bad_rows:
            raise DataFormatError(label, f"malformed CSV: {bad_rows[0]}")
        return table

    try:
        return read(pa.float64())
    except pa.ArrowInvalid as exc:
        if "conversion error to double" not in str(exc):
            raise DataFormatError(label, f"malformed CSV: {_one_line(str(exc))}") from None
    # A game column holds something that is not a number: read the game columns as text to
    # report the column and the first bad row (slow path, only on error).
    games = [c for c in INPUT_COLUMNS if c in header]
    try:
        text = read(pa.string(), include=games)
    except pa.ArrowInvalid as exc:  # pragma: no cover - the first read would have failed
        raise DataFormatError(label, f"malformed CSV: {_one_line(str(exc))}") from None
    game_columns(text, label=label)
    raise DataFormatError(label, "malformed CSV: a game column holds a value that is not a number")


def read_table(path: str | os.PathLike[str], field: str = "table") -> pa.Table:
    """Read a game table from a CSV or Parquet file (format from the suffix).

    Game columns of a CSV file are read as float64 (an empty cell is null), every other column
    as text. A Parquet file is read as it is. The game columns are checked by
    :func:`game_columns` when the table is solved, not here.

    Parameters
    ----------
    path : path-like
        ``*.csv``, ``*.parquet`` or ``*.pq``.
    field : str
        Name used in error messages about the path itself (e.g. ``--table``).

    Returns
    -------
    pyarrow.Table

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
    >>> t = read_table(f)
    >>> t.column("id").to_pylist(), t.column("latency_2").to_pylist()
    (['007'], [5.0])
    """
    p = Path(path)
    label = str(p)
    fmt = table_format(p, field)
    if not p.exists():
        raise ParameterError(field, f"no such file {label!r}")
    if p.is_dir():
        raise ParameterError(field, f"{label!r} is a directory, not a table")
    pa = _pyarrow()
    if fmt == "csv":
        return _read_csv(p, label)
    import pyarrow.parquet as pq

    try:
        return pq.read_table(p)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(label, f"not a readable Parquet file: {_one_line(str(exc))}") from None


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


def game_columns(table: pa.Table, label: str | None = None) -> dict[str, FloatArray]:
    """The validated game columns of a table, as float64 arrays.

    Parameters
    ----------
    table : pyarrow.Table
        Must have every column of :data:`INPUT_COLUMNS` (other columns are ignored here).
    label : str, optional
        Name of the source (a file), added to error messages.

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
            x = np.asarray(arr.cast(pa.float64()).to_numpy(), dtype=np.float64)
            if arr.null_count:
                nulls = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
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
        raise ParameterError(col, _bad_cell_message(col, cell, row, where))
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
    from routegame.closed_form import solve_arrays

    as_pandas = not isinstance(table, pa.Table)
    tab: Any = pa.Table.from_pandas(table) if as_pandas else table
    where = f" of {label}" if label else ""
    for name in tab.column_names:
        if name in OUTPUT_COLUMNS:
            raise ParameterError(
                name,
                f"the input{where.replace(' of ', ' ')} already has this output column; "
                "rename or drop it",
            )
    g = game_columns(tab, label=label)
    sol = solve_arrays(
        g["task_value"],
        g["penalty"],
        np.stack([g["latency_1"], g["latency_2"]], axis=-1),
        np.stack([g["cost_1"], g["cost_2"]], axis=-1),
        np.stack([g["success_prob_1"], g["success_prob_2"]], axis=-1),
        tie_break=tie_break,
    )
    cols = sol.columns()
    for name in OUTPUT_COLUMNS:
        a = np.asarray(cols[name])
        if name == "regime":
            arr = pa.array(a.astype(str), type=pa.string())
        elif a.dtype.kind == "f":
            arr = pa.array(a, type=pa.float64(), from_pandas=True)  # NaN (undefined) -> null
        else:
            arr = pa.array(a)
        tab = tab.append_column(name, arr)
    return tab.to_pandas() if as_pandas else tab


def write_table(
    table: pa.Table | pd.DataFrame, path: str | os.PathLike[str], fmt: TableFormat | None = None
) -> None:
    """Write a table to CSV or Parquet (format from ``fmt`` or the suffix of ``path``).

    CSV floats are written with the shortest representation that reads back to the same
    float64; nulls are empty cells, booleans ``true``/``false``.

    Examples
    --------
    >>> import pathlib, tempfile, pyarrow as pa
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_table(pa.table({"x": [0.1, None], "ok": [True, False]}), f)
    >>> f.read_text()
    '"x","ok"\\n0.1,true\\n,false\\n'
    """
    pa = _pyarrow()
    tab = table if isinstance(table, pa.Table) else pa.Table.from_pandas(table)
    fmt = fmt or table_format(path)
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(tab, str(path))
    else:
        import pyarrow.parquet as pq

        pq.write_table(tab, str(path))
