"""Command line interface: ``routegame solve | scenarios | simulate | sweep | plot | report``.

The CLI needs the ``cli`` extra (typer, rich). Without it, ``routegame`` prints a one-line hint
and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``routegame`` command."""
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ImportError:  # pragma: no cover - exercised only without the extra
        print(
            "routegame: the command line needs the 'cli' extra: pip install 'routegame[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    from routegame.cli._app import app

    app()
