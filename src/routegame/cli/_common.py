"""Helpers shared by every CLI command: one-line errors with exit status 2, atomic output files."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from routegame.errors import ParameterError, RouteGameError

__all__ = ["atomic_output", "check_output_path", "fail", "handle_errors"]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> None:
    """Print ``error: message`` on one line to stderr and exit with status 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def handle_errors(func: F) -> F:
    """Turn routegame and file errors raised by a command into one line and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RouteGameError as exc:
            fail(str(exc))
        except FileNotFoundError as exc:
            fail(f"{exc.filename}: no such file")
        except IsADirectoryError as exc:
            fail(f"{exc.filename}: is a directory")
        except PermissionError as exc:
            fail(f"{exc.filename}: permission denied")
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper  # type: ignore[return-value]


def check_output_path(path: str | os.PathLike[str], overwrite: bool, field: str = "--out") -> Path:
    """Refuse an existing output path unless ``overwrite`` (raises ParameterError)."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise ParameterError(field, f"{p} exists; pass --overwrite to replace it")
    if not p.parent.exists():
        raise ParameterError(field, f"directory {p.parent} does not exist")
    return p


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], overwrite: bool = False, field: str = "--out"
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Nothing half-written is left behind: on any exception the temporary file is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "x.txt").read_text()
    'hello'
    """
    target = check_output_path(path, overwrite, field)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp creates 0600; give the file the user's usual permissions
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
