"""One atomic writer: a temporary file beside the target, renamed into place only on success.

:func:`atomic_write` yields a temporary path in the target's directory, named
``.<name>.routegame-tmp-<pid>-<random>`` (:data:`TEMP_MARK`), and renames it onto the target
only when the ``with`` block ends normally. The temporary file is removed

* on any exception raised in the block (the target is left as it was);
* on SIGINT, SIGTERM and SIGHUP: while a write is in progress (in the main thread) handlers are
  installed that remove every temporary file being written and then raise
  ``KeyboardInterrupt`` (SIGINT) or ``SystemExit(128 + signal)``; the previous handlers are
  restored when the last write ends;
* after SIGKILL (which no process can catch) on the next write into the same directory: a
  temporary file whose process id is no longer alive is removed and reported on stderr in one
  line (:func:`remove_stale_temps`).

A full disk (``ENOSPC``, ``EDQUOT``) inside the block raises
:class:`~routegame.io.errors.ResourceError` naming the target, after removing the temporary
file, so the caller (the CLI) prints one line and exits with status 2.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_write(d / "x.txt") as tmp:
...     _ = tmp.write_text("hello")
>>> (d / "x.txt").read_text(), sorted(p.name for p in d.iterdir())
('hello', ['x.txt'])
>>> with atomic_write(d / "x.txt") as tmp:  # doctest: +ELLIPSIS
...     pass
Traceback (most recent call last):
...
routegame.errors.ParameterError: --out: ...x.txt exists; pass --overwrite to replace it
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from routegame.errors import ParameterError
from routegame.io.errors import ResourceError

__all__ = [
    "TEMP_MARK",
    "atomic_write",
    "check_output_path",
    "disk_full",
    "is_disk_full",
    "overwrite_hint",
    "remove_stale_temps",
    "temp_path",
    "write_files",
    "write_stdout_line",
]

#: What every temporary file of routegame has in its name.
TEMP_MARK = ".routegame-tmp-"
_TEMP_RE = re.compile(r"^\..+\.routegame-tmp-(\d+)-[0-9a-f]+$")
_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_lock = threading.Lock()
_active: set[Path] = set()  # temporaries being written now, removed on a signal
_saved: dict[int, Any] = {}  # signal -> handler to restore
_depth = 0


def check_output_path(path: str | os.PathLike[str], overwrite: bool, field: str = "--out") -> Path:
    """Refuse an existing output unless ``overwrite``, or a missing directory (ParameterError).

    Examples
    --------
    >>> check_output_path("/nonexistent-dir/x.csv", False)
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: --out: directory /nonexistent-dir does not exist
    """
    p = Path(path)
    if (p.exists() or p.is_symlink()) and not overwrite:
        raise ParameterError(field, f"{p} exists; pass {overwrite_hint(field)} to replace it")
    if not p.parent.is_dir():
        raise ParameterError(field, f"directory {p.parent} does not exist")
    return p


def overwrite_hint(field: str) -> str:
    """How to ask for an overwrite, in the words of the caller: a CLI option or the API.

    Examples
    --------
    >>> overwrite_hint("--out"), overwrite_hint("path")
    ('--overwrite', 'overwrite=True')
    """
    return "--overwrite" if field.startswith("--") else "overwrite=True"


def temp_path(target: str | os.PathLike[str]) -> Path:
    """A fresh temporary name beside ``target`` (not created).

    Examples
    --------
    >>> p = temp_path("/data/out.csv")
    >>> p.parent.as_posix(), p.name.startswith(".out.csv.routegame-tmp-")
    ('/data', True)
    """
    t = Path(target)
    return t.parent / f".{t.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:  # pragma: no cover
        return True
    return True


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size
    except OSError:  # pragma: no cover - raced with another cleaner
        return 0


def remove_stale_temps(directory: str | os.PathLike[str], report: bool = True) -> list[Path]:
    """Remove temporary files of routegame runs that died (their pid is not alive).

    Returns the paths removed; when ``report``, says so on stderr in one line.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / ".out.csv.routegame-tmp-999999999-ab12").write_text("partial")
    >>> [p.name for p in remove_stale_temps(d, report=False)], list(d.iterdir())
    (['.out.csv.routegame-tmp-999999999-ab12'], [])
    """
    d = Path(directory)
    try:
        entries = list(d.iterdir())
    except OSError:
        return []
    removed: list[Path] = []
    total = 0
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or _alive(int(m.group(1))):
            continue
        total += _size(entry)
        _remove(entry)
        removed.append(entry)
    if removed and report:
        names = ", ".join(p.name for p in removed[:3]) + (" ..." if len(removed) > 3 else "")
        print(
            f"routegame: removed {len(removed)} stale temporary file(s) of interrupted runs "
            f"in {d} ({total:,} bytes): {names}",
            file=sys.stderr,
        )
    return removed


def _on_signal(signum: int, frame: Any) -> None:
    for p in list(_active):
        _remove(p)
    if signum == getattr(signal, "SIGINT", None):
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _install() -> None:
    global _depth
    with _lock:
        _depth += 1
        if _depth > 1 or threading.current_thread() is not threading.main_thread():
            return
        for sig in _SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # pragma: no cover - not main thread
                _saved[sig] = signal.signal(sig, _on_signal)


def _restore() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth > 0:
            return
        for sig, handler in list(_saved.items()):
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)
        _saved.clear()


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or quota) is full, also when a library lost the errno.

    Examples
    --------
    >>> is_disk_full(OSError(28, "No space left on device")), is_disk_full(OSError(2, "x"))
    (True, False)
    """
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    text = str(exc)
    return isinstance(exc, OSError | RuntimeError | ValueError) and (
        "No space left on device" in text or "Disk quota exceeded" in text
    )


def disk_full(field: str, target: str | os.PathLike[str]) -> ResourceError:
    """The one-line error of a full disk while writing ``target``.

    Examples
    --------
    >>> str(disk_full("--out", "/tmp/x.csv"))
    '--out: no space left on device while writing /tmp/x.csv; nothing was written'
    """
    return ResourceError(field, f"no space left on device while writing {target}; nothing was written")


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    field: str = "--out",
    directory: bool = False,
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Parameters
    ----------
    path : path-like
        The target. Its directory must exist.
    overwrite : bool
        Replace an existing target (otherwise ParameterError naming ``field``).
    field : str
        The option or argument named in error messages.
    directory : bool
        Create the temporary path as a directory (for outputs that are directories); an
        existing target directory is then replaced as a whole.

    Raises
    ------
    ParameterError
        The target exists (without ``overwrite``) or its directory does not.
    ResourceError
        The disk filled up while writing; nothing is left behind.
    """
    target = check_output_path(path, overwrite, field)
    remove_stale_temps(target.parent)
    tmp = temp_path(target)
    if directory:
        tmp.mkdir()
    _active.add(tmp)
    _install()
    try:
        try:
            yield tmp
            if tmp.exists() and not directory:
                umask = os.umask(0)  # give the file the mode a plain open() would
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            if directory and target.is_dir() and not target.is_symlink():
                old = temp_path(target)
                os.replace(target, old)
                _active.add(old)
                os.replace(tmp, target)
                _remove(old)
                _active.discard(old)
            else:
                os.replace(tmp, target)
        except BaseException as exc:
            _remove(tmp)
            if is_disk_full(exc):
                raise disk_full(field, target) from None
            raise
    finally:
        _active.discard(tmp)
        _restore()


def write_stdout_line(text: str) -> None:
    """Write one line to stdout and flush it; a full disk is a one-line ResourceError.

    A closed pipe (``routegame solve ... | head -1``) propagates as ``BrokenPipeError``, which
    the CLI entry point turns into a quiet exit with status 0.
    """
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except OSError as exc:
        if is_disk_full(exc):
            raise ResourceError("stdout", "no space left on device; output is incomplete") from None
        raise


def write_files(
    directory: str | os.PathLike[str],
    files: dict[str, bytes],
    *,
    overwrite: bool = False,
    field: str = "--out",
) -> list[Path]:
    """Write ``files`` (relative path -> bytes) into ``directory``, each one atomically.

    For outputs made of several files (a report: ``report.html`` and ``figures/*.png``). The
    directory is created when missing (its parent must exist). Only the named files are
    written or replaced; nothing else in the directory is touched or deleted, so a user's
    ``thesis.tex`` beside a previous report survives ``--overwrite``. Without ``overwrite`` an
    existing file among them is refused before anything is written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "rep"
    >>> _ = write_files(d, {"report.html": b"<html>", "figures/a.png": b"png"})
    >>> (d / "mine.tex").write_text("keep me") and None
    >>> _ = write_files(d, {"report.html": b"<html>2"}, overwrite=True)
    >>> sorted(p.name for p in d.iterdir())
    ['figures', 'mine.tex', 'report.html']
    """
    d = Path(directory)
    if not d.parent.is_dir():
        raise ParameterError(field, f"directory {d.parent} does not exist")
    if d.exists() and not d.is_dir():
        raise ParameterError(field, f"{d} exists and is not a directory")
    targets = {name: d / name for name in files}
    for name, path in targets.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise ParameterError(field, f"{name!r} is not a path inside {d}")
        if path.exists() and not overwrite:
            raise ParameterError(field, f"{path} exists; pass {overwrite_hint(field)} to replace it")
    d.mkdir(exist_ok=True)
    for name, data in files.items():
        targets[name].parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(targets[name], overwrite=True, field=field) as tmp:
            tmp.write_bytes(data)
    return list(targets.values())
