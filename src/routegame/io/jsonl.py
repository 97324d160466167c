"""JSON-lines input: bytes lines -> ``(line number, record or DataFormatError)``.

Every non-blank line yields either its parsed value or a :class:`~routegame.errors.DataFormatError`
that says why it could not be parsed, so a batch answers every line (blank lines are skipped; a
UTF-8 byte-order mark on line 1 is ignored). Beyond :func:`json.loads`, a line is refused when it
holds

* an integer too large for a double (more than 309 digits: Python would raise ``ValueError`` at
  4300 digits and ``OverflowError`` when converting it to a float later);
* arrays or objects nested too deeply (``RecursionError``).

Examples
--------
>>> for n, v in iter_jsonl([b'{"id": 1}\\n', b"\\n", b"[1,", b'{"v": 1' + b"0" * 400 + b"}"]):
...     print(n, v)
1 {'id': 1}
3 json: invalid JSON on line 3: Expecting value (column 4)
4 json: invalid JSON on line 4: an integer of 401 digits is beyond the range of a double
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from routegame.errors import DataFormatError, ParameterError

__all__ = ["iter_jsonl", "open_lines", "parse_line"]

_MAX_DIGITS = 309  # 10**309 > the largest double


class _TooBigError(Exception):
    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        raise _TooBigError(digits)
    return int(text)


def parse_line(text: str, n: int) -> Any:
    """Parse one JSON line (number ``n``, for messages); DataFormatError when it is not JSON."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        why = f"{exc.msg} (column {exc.colno})"
    except RecursionError:
        why = "nested too deeply"
    except _TooBigError as exc:
        why = f"an integer of {exc.digits} digits is beyond the range of a double"
    except ValueError as exc:  # pragma: no cover - other limits of the json module
        why = str(exc).splitlines()[0]
    raise DataFormatError("json", f"invalid JSON on line {n}: {why}")


def iter_jsonl(lines: Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line; ``value`` is a DataFormatError when
    the line is not UTF-8 or not JSON (the caller decides how to report it)."""
    for n, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield n, DataFormatError("line", f"{n} is not UTF-8 text")
            continue
        if n == 1:
            text = text.lstrip("\ufeff")
        if not text.strip():
            continue
        try:
            yield n, parse_line(text, n)
        except DataFormatError as exc:
            yield n, exc


def open_lines(path: str | os.PathLike[str], field: str = "--batch") -> Iterator[bytes]:
    """The byte lines of a file, or of stdin for ``"-"``; a missing or unreadable file is a
    one-line ParameterError naming ``field``."""
    if str(path) == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is not None:
            yield from stream
        else:  # pragma: no cover - a text-only stdin
            for line in sys.stdin:
                yield line.encode("utf-8")
        return
    p = Path(path)
    if not p.exists():
        raise ParameterError(field, f"no such file {str(path)!r}")
    if p.is_dir():
        raise ParameterError(field, f"{str(path)!r} is a directory, not a JSON-lines file")
    if not os.access(p, os.R_OK):
        raise ParameterError(field, f"cannot read {str(path)!r} (permission denied)")
    with open(p, "rb") as f:
        yield from f
