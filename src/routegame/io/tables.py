"""One table reader and one table writer: CSV or Parquet (format from the suffix), via pyarrow.

:func:`write_table` takes a ``pyarrow.Table``, a ``pandas.DataFrame`` or an iterable of column
blocks (dicts of equal-length arrays, written one after the other, so a table larger than
memory streams), and writes it through :func:`~routegame.io.atomic.atomic_write`: nothing
half-written is ever left at the target. CSV: one header line, floats in the shortest form
that reads back to the same float64, nulls (and NaN) as empty cells, booleans ``true``/``false``.
Parquet: column types kept; ``metadata`` (a dict of str) goes into the schema's metadata.

:func:`read_table` reads either format; a CSV's ``numeric`` columns are read as float64 (an
empty cell is null) and every other column as text, so ids such as ``007`` survive a round trip.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_table([{"x": [0.1, float("nan")], "ok": [True, False]}], d / "t.csv")
>>> (d / "t.csv").read_text()
'"x","ok"\\n0.1,true\\n,false\\n'
>>> read_table(d / "t.csv", numeric=["x"]).column("x").to_pylist()
[0.1, None]
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from routegame.errors import DataFormatError, ParameterError
from routegame.io.atomic import atomic_write

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["TableFormat", "read_table", "table_format", "table_rows", "write_table"]

TableFormat = Literal["csv", "parquet"]

_SUFFIXES: dict[str, TableFormat] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


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


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# reading


def _csv_header(path: Path, label: str) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise DataFormatError(label, "not a UTF-8 text file (CSV expected)") from None
    except csv.Error as exc:
        raise DataFormatError(label, f"malformed CSV header: {one_line(str(exc))}") from None
    if not header:
        raise DataFormatError(label, "empty file; a CSV table needs a header line")
    return header


def _read_csv(
    path: Path, label: str, numeric: Sequence[str], explain: Callable[[pa.Table], object] | None
) -> pa.Table:
    pa = _pyarrow()
    import pyarrow.csv as pcsv

    header = _csv_header(path, label)
    for col in numeric:
        if header.count(col) > 1:
            raise DataFormatError(col, f"appears {header.count(col)} times in the header of {label}")
    bad_rows: list[str] = []

    def on_invalid_row(row: Any) -> str:
        if not bad_rows:
            bad_rows.append(
                f"a row has {row.actual_columns} fields instead of {row.expected_columns}: "
                f"{one_line(row.text, 80)!r}"
            )
        return "skip"

    def read(num_type: Any, include: list[str] | None = None) -> Any:
        types = {c: (num_type if c in numeric else pa.string()) for c in header}
        convert = pcsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=False,
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
            raise DataFormatError(label, f"malformed CSV: {one_line(str(exc))}") from None
    # A numeric column holds something that is not a number: read those columns as text so the
    # caller can name the column and the first bad row (slow path, only on error).
    cols = [c for c in numeric if c in header]
    try:
        text = read(pa.string(), include=cols)
    except pa.ArrowInvalid as exc:  # pragma: no cover - the first read would have failed
        raise DataFormatError(label, f"malformed CSV: {one_line(str(exc))}") from None
    if explain is not None:
        explain(text)
    raise DataFormatError(label, "malformed CSV: a numeric column holds a value that is not a number")


def read_table(
    path: str | os.PathLike[str],
    field: str = "table",
    *,
    numeric: Sequence[str] = (),
    explain: Callable[[pa.Table], object] | None = None,
) -> pa.Table:
    """Read a CSV or Parquet table (format from the suffix).

    Parameters
    ----------
    path : path-like
        ``*.csv``, ``*.parquet`` or ``*.pq``.
    field : str
        Name used in error messages about the path itself (e.g. ``--table``).
    numeric : sequence of str
        CSV columns to read as float64; the others are read as text.
    explain : callable, optional
        Called with the ``numeric`` columns read as text when one of them holds a non-number;
        it should raise the error that names the column and row.

    Raises
    ------
    ParameterError
        Unknown suffix, missing file or a directory.
    DataFormatError
        The file is not a valid CSV or Parquet file.
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
        return _read_csv(p, label, tuple(numeric), explain)
    import pyarrow.parquet as pq

    try:
        # ParquetFile, not read_table: read_table imports pyarrow.dataset, which imports pandas
        # (~0.6 s); memory-mapped: no copy of the file into fresh pages
        return pq.ParquetFile(p, memory_map=True).read()
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(label, f"not a readable Parquet file: {one_line(str(exc))}") from None


def table_rows(path: str | os.PathLike[str]) -> int | None:
    """The number of rows of a Parquet file from its footer (no data read), else None.

    None for a CSV file (its rows are known only once read) and for anything that is not a
    readable Parquet file (:func:`read_table` then reports the problem).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_table([{"x": [1.0, 2.0, 3.0]}], d / "t.parquet")
    >>> table_rows(d / "t.parquet"), table_rows(d / "missing.parquet"), table_rows(d / "t.csv")
    (3, None, None)
    """
    p = Path(path)
    if _SUFFIXES.get(p.suffix.lower()) != "parquet" or not p.is_file():
        return None
    pa = _pyarrow()
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(p, memory_map=True).metadata.num_rows)
    except (pa.ArrowException, OSError):
        return None


# ---------------------------------------------------------------------------------------------
# writing


def _arrow_column(pa: Any, values: Any) -> Any:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    a = np.asarray(values)
    if a.dtype.kind == "f":
        return pa.array(a, type=pa.float64() if a.dtype.itemsize == 8 else None, from_pandas=True)
    if a.dtype.kind in "OUS":
        return pa.array(a.astype(object) if a.dtype.kind == "O" else a.astype(str))
    return pa.array(a)


def _blocks(data: Any) -> Iterable[pa.Table]:
    pa = _pyarrow()
    if isinstance(data, pa.Table):
        yield data
        return
    if type(data).__name__ == "DataFrame" and hasattr(data, "to_dict"):
        yield pa.Table.from_pandas(data, preserve_index=False)
        return
    for block in data:
        if isinstance(block, pa.Table):
            yield block
        else:
            yield pa.table({str(k): _arrow_column(pa, v) for k, v in dict(block).items()})


def _write(data: Any, path: Path, fmt: TableFormat, metadata: Mapping[str, str] | None) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    pa = _pyarrow()
    writer: Any = None
    try:
        for table in _blocks(data):
            if writer is None:
                schema = table.schema
                if metadata:
                    schema = schema.with_metadata({**(schema.metadata or {}), **metadata})
                if fmt == "csv":
                    writer = pcsv.CSVWriter(str(path), schema)
                else:  # dictionary pages only where they pay (not for float columns)
                    coded = [f.name for f in schema if not pa.types.is_floating(f.type)]
                    writer = pq.ParquetWriter(str(path), schema, use_dictionary=coded)
            if fmt == "parquet" and not table.schema.equals(writer.schema, check_metadata=False):
                table = table.cast(writer.schema)
            writer.write_table(table)
        if writer is None:  # no blocks: an empty file is not a table
            raise ParameterError("table", "nothing to write (no rows and no columns)")
    finally:
        if writer is not None:
            writer.close()


def write_table(
    data: Any,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    field: str = "--out",
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``data`` atomically to ``path`` as CSV or Parquet (format from the suffix).

    Parameters
    ----------
    data : pyarrow.Table, pandas.DataFrame or iterable of dict
        The table, or blocks of columns written one after the other (bounded memory).
    path : path-like
        ``*.csv``, ``*.parquet`` or ``*.pq``; its directory must exist.
    overwrite : bool
        Replace an existing file (otherwise ParameterError naming ``field``).
    field : str
        The option or argument named in error messages.
    metadata : dict of str, optional
        Parquet schema metadata (ignored for CSV).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        Bad suffix, an existing file without ``overwrite``, or a missing directory.
    ResourceError
        The disk filled up; nothing is left behind.
    """
    fmt = table_format(path, field)
    with atomic_write(path, overwrite=overwrite, field=field) as tmp:
        _write(data, tmp, fmt, metadata)
    return Path(path)
