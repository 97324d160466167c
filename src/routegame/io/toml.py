"""One TOML reader: a file or text -> a dict, every failure a one-line DataFormatError.

:func:`read_toml` reads UTF-8 TOML with :mod:`tomllib` and then checks what tomllib accepts but
the rest of routegame cannot use, so that no caller meets a raw exception:

* an integer beyond the range of a double (``OverflowError`` when it is converted, e.g. a
  400-digit integer) is refused naming the file and the field (``models[1].latency``);
* arrays nested deeper than :data:`MAX_DEPTH` are refused naming the file and the field (arrays
  nested thousands deep make tomllib itself overflow the stack: ``RecursionError``; that is
  caught and reported with the line and key where the nesting starts).

Examples
--------
>>> read_toml_text("a = 1\\nb = [1.5, 2]", "x.toml")
{'a': 1, 'b': [1.5, 2]}
>>> read_toml_text("penalty = 1" + "0" * 400, "x.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
routegame.errors.DataFormatError: x.toml: penalty: an integer of 401 digits is beyond the range of a double ...
>>> read_toml_text("cost = " + "[" * 5000 + "]" * 5000, "x.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
routegame.errors.DataFormatError: x.toml: cost: arrays nested too deeply (line 1; at most 16 levels)
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from routegame.errors import DataFormatError, ParameterError

__all__ = ["MAX_DEPTH", "read_toml", "read_toml_text"]

#: Deepest nesting of arrays and tables accepted (routegame files use at most 3).
MAX_DEPTH = 16
_FLOAT_MAX = sys.float_info.max
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=\s*\[")


def _path(parent: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{parent}[{key + 1}]"
    return f"{parent}.{key}" if parent else str(key)


def _check(value: Any, where: str, depth: int, label: str) -> None:
    if depth > MAX_DEPTH:
        raise DataFormatError(label, f"{where}: arrays nested too deeply (at most {MAX_DEPTH} levels)")
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > _FLOAT_MAX:
            digits = len(str(abs(value)))
            raise DataFormatError(
                label,
                f"{where}: an integer of {digits} digits is beyond the range of a double "
                "(at most about 1.8e308)",
            )
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check(v, _path(where, k), depth + 1, label)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, _path(where, i), depth + 1, label)


def _deep_key(text: str) -> tuple[str, int]:
    """The key and line where a run of nested ``[`` starts (for a RecursionError message)."""
    for n, line in enumerate(text.splitlines(), start=1):
        if "[[[[" in line.replace(" ", ""):
            m = _KEY_RE.match(line)
            return (m.group(1).strip().strip("\"'") if m else "value"), n
    return "value", 0


def read_toml_text(text: str, label: str) -> dict[str, Any]:
    """Parse TOML ``text`` read from ``label`` (a file name used in messages) and check it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if "line" not in msg:  # "(at end of document)": say which line that is
            msg = msg.replace("end of document", f"end of document, line {len(text.splitlines())}")
        raise DataFormatError(label, f"invalid TOML: {msg}") from None
    except RecursionError:
        key, line = _deep_key(text)
        raise DataFormatError(
            label, f"{key}: arrays nested too deeply (line {line}; at most {MAX_DEPTH} levels)"
        ) from None
    try:
        _check(data, "", 0, label)
    except RecursionError:  # pragma: no cover - tomllib recurses first
        raise DataFormatError(label, "arrays nested too deeply") from None
    return data


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a TOML file (see the module docstring).

    Raises
    ------
    ParameterError
        The file does not exist, is a directory or cannot be read.
    DataFormatError
        Not UTF-8, not TOML, or a value routegame cannot represent (named with its field).
    """
    p = Path(path)
    label = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ParameterError(label, "no such file") from None
    except IsADirectoryError:
        raise ParameterError(label, "is a directory, not a TOML file") from None
    except OSError as exc:
        raise ParameterError(label, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataFormatError(label, "not a UTF-8 text file") from None
    return read_toml_text(text, label)
