"""JSON-lines input: bytes lines -> ``(line number, record or DataFormatError)``.

Every non-blank line yields either its parsed value or a :class:`~routegame.errors.DataFormatError`
that says why it could not be parsed, so a batch answers every line (blank lines are skipped; a
UTF-8 byte-order mark on line 1 is ignored). Beyond :func:`json.loads`, a line is refused when it
holds

* an integer too large for a double (more than 309 digits: Python would raise ``ValueError`` at
  4300 digits and ``OverflowError`` when converting it to a float later), naming its field;
* arrays or objects nested too deeply (``RecursionError``).

Examples
--------
>>> for n, v in iter_jsonl([b'{"id": 1}\\n', b"\\n", b"[1,", b'{"v": 1' + b"0" * 400 + b"}"]):
...     print(n, v)
1 {'id': 1}
3 json: invalid JSON on line 3: Expecting value (column 4)
4 v: an integer of 401 digits is beyond the range of a double (line 4)
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


class _TooBig:
    """Stands in for an integer too large for a double while a line is parsed."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _find_too_big(value: Any) -> tuple[str, _TooBig] | None:
    """(field path, marker) of the first too-large integer in a parsed line (iterative: a
    line nested as deeply as json accepts cannot overflow the stack here)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, _TooBig):
            return path or "json", v
        if isinstance(v, dict):
            stack.extend((f"{path}.{k}" if path else str(k), x) for k, x in reversed(v.items()))
        elif isinstance(v, list):
            stack.extend((f"{path}[{i + 1}]", x) for i, x in reversed(list(enumerate(v))))
    return None


def parse_line(text: str, n: int) -> Any:
    """Parse one JSON line (number ``n``, for messages); DataFormatError when it is not JSON.

    An integer too large for a double is refused naming its field (``penalty``,
    ``latency[2]``), as the TOML reader does.
    """
    found: list[_TooBig] = []

    def parse_int(text: str) -> Any:
        digits = len(text.lstrip("-"))
        if digits > _MAX_DIGITS:
            found.append(_TooBig(digits))
            return found[-1]
        return int(text)

    try:
        value = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        why = f"{exc.msg} (column {exc.colno})"
    except RecursionError:
        why = "nested too deeply"
    except ValueError as exc:  # pragma: no cover - other limits of the json module
        why = str(exc).splitlines()[0]
    else:
        if not found:
            return value
        where = _find_too_big(value)
        field, big = where if where is not None else ("json", found[0])
        raise DataFormatError(field, f"an integer of {big.digits} digits is beyond the range "
                                     f"of a double (line {n})")
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
