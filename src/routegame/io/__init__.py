"""Input and output in one place: atomic files, tables, TOML, JSON lines, scenario resolution.

* :mod:`~routegame.io.atomic` -- :func:`atomic_write`, the one way routegame writes a file
  (temporary beside the target, renamed on success, removed on error and on SIGINT/SIGTERM/
  SIGHUP; stale temporaries of killed runs removed on the next write; a full disk is one line).
* :mod:`~routegame.io.tables` -- :func:`read_table` / :func:`write_table` (CSV, Parquet).
* :mod:`~routegame.io.toml` -- :func:`read_toml`, every failure a one-line DataFormatError.
* :mod:`~routegame.io.jsonl` -- :func:`iter_jsonl`, JSON lines with per-line errors.
* :mod:`~routegame.io.resolve` -- :func:`resolve_scenario`: a scenario, a config file or a name.
* :mod:`~routegame.io.errors` -- :class:`ResourceError` (disk full, not enough memory, locked).
"""

from __future__ import annotations

from routegame.io.atomic import (
    TEMP_MARK,
    atomic_write,
    check_output_path,
    is_disk_full,
    overwrite_hint,
    remove_stale_temps,
    write_files,
    write_stdout_line,
)
from routegame.io.errors import ResourceError
from routegame.io.jsonl import iter_jsonl, open_lines, parse_line
from routegame.io.resolve import resolve_scenario
from routegame.io.tables import TableFormat, read_table, table_format, write_table
from routegame.io.toml import read_toml, read_toml_text

__all__ = [
    "TEMP_MARK",
    "ResourceError",
    "TableFormat",
    "atomic_write",
    "check_output_path",
    "is_disk_full",
    "iter_jsonl",
    "open_lines",
    "overwrite_hint",
    "parse_line",
    "read_table",
    "read_toml",
    "read_toml_text",
    "remove_stale_temps",
    "resolve_scenario",
    "table_format",
    "write_files",
    "write_stdout_line",
    "write_table",
]
