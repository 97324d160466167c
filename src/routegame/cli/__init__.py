"""Command line interface: ``routegame solve | scenarios | simulate | sweep | plot | report``.

The CLI needs the ``cli`` extra (typer, rich). Without it, ``routegame`` prints a one-line hint
and exits with status 2 instead of a traceback. Usage errors (an unknown option, a missing
value) are one line ``error: ...`` with status 2, like every other bad input; a closed stdout
pipe (``routegame solve ... | head -1``) ends the command quietly with status 0.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["main"]


def _usage_line(exc: object) -> str:
    """One line for a click usage error, naming the option (``--x-range: takes 2 values``)."""
    import re

    msg = " ".join(str(getattr(exc, "format_message", lambda: exc)()).split())
    m = re.match(r"Option '(--[\w-]+)' requires (\d+) arguments?\.?", msg)
    if m:
        return f"{m.group(1)}: takes {m.group(2)} values, got fewer"
    m = re.match(r"Option '(--[\w-]+)' requires an argument\.?", msg)
    if m:
        return f"{m.group(1)}: missing its value"
    return msg


def _stdout_is_devnull() -> bool:
    import os

    try:
        a, b = os.fstat(sys.stdout.fileno()), os.stat(os.devnull)
    except (OSError, ValueError, AttributeError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``routegame`` command."""
    try:
        import rich  # noqa: F401
        import typer
    except ImportError:  # pragma: no cover - exercised only without the extra
        print(
            "routegame: the command line needs the 'cli' extra: pip install 'routegame[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    import importlib

    try:  # typer >= 0.20 carries its own copy of click
        click_exc: Any = importlib.import_module("typer._click.exceptions")
    except ImportError:  # pragma: no cover - older typer
        click_exc = importlib.import_module("click.exceptions")
    from routegame.cli._app import app
    from routegame.cli._common import silence_stdout
    from routegame.io.atomic import is_disk_full

    was_devnull = _stdout_is_devnull()
    status: int | str | None = 0
    try:
        status = app(args=argv, standalone_mode=False)
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.format_message(), file=sys.stderr)
        status = 2
    except click_exc.UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx is not None else "routegame"
        print(f"error: {_usage_line(exc)} (see {cmd} --help)", file=sys.stderr)
        status = 2
    except typer.Exit as exc:
        status = exc.exit_code
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        status = 130
    except SystemExit as exc:
        status = exc.code
        if status == 1 and not was_devnull and _stdout_is_devnull():
            status = 0  # rich met a closed pipe and pointed stdout at /dev/null
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        status = 0
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        print("error: stdout: no space left on device; output is incomplete", file=sys.stderr)
        silence_stdout()
        status = 2
    raise SystemExit(status if isinstance(status, int | str) or status is None else 0)
