"""Serving the explorer: a threaded WSGI server on 127.0.0.1 that stops cleanly on Ctrl-C.

:func:`start` runs the server in a background thread and returns a handle with the URL and a
``stop()`` method (used by the tests and the benchmark); :func:`serve` runs it in the
foreground for ``routegame explore``.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
import threading
import webbrowser
from typing import Any

import attrs

from routegame.errors import ParameterError
from routegame.explore._state import ViewState, query_from_state

__all__ = ["LOOPBACK", "RunningServer", "make_server", "serve", "start"]

#: Host names that stay on this machine.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def make_server(app: Any, host: str = "127.0.0.1", port: int = 0) -> Any:
    """A threaded werkzeug server for ``app`` (port 0: a free port); nothing is served yet.

    Raises
    ------
    ParameterError
        ``--port`` in use or not allowed, or ``--host`` not an address of this machine.
    """
    from werkzeug.serving import make_server as _make

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ParameterError("--port", f"must be an integer in [0, 65535], got {port!r}")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    _check_free(host, port)  # werkzeug would print its own text and exit(1) instead
    try:
        return _make(host, port, app.server, threaded=True)
    except OSError as exc:
        raise _listen_error(host, port, exc) from None


def _listen_error(host: str, port: int, exc: OSError) -> ParameterError:
    field = "--port" if exc.errno in (errno.EADDRINUSE, errno.EACCES) else "--host"
    return ParameterError(field, f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _check_free(host: str, port: int) -> None:
    """Raise ParameterError if ``host:port`` cannot be bound (in use, not ours, bad name)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ParameterError("--host", f"cannot resolve {host!r}: {exc.strerror or exc}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            sock.bind(addr)
        except OSError as exc:
            raise _listen_error(host, port, exc) from None


@attrs.define
class RunningServer:
    """A server running in a background thread."""

    server: Any
    thread: threading.Thread
    url: str
    app: Any = None  #: the Dash app

    def stop(self) -> None:
        """Stop serving and close the socket (waits for the thread)."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start(
    initial: ViewState | None = None, host: str = "127.0.0.1", port: int = 0, **kwargs: Any
) -> RunningServer:
    """Start the explorer in a daemon thread; ``kwargs`` go to :func:`~routegame.explore.app.create_app`."""
    from routegame.explore.app import create_app

    app = create_app(initial, **kwargs)
    srv = make_server(app, host, port)
    th = threading.Thread(target=srv.serve_forever, name="routegame-explore", daemon=True)
    th.start()
    return RunningServer(srv, th, f"http://{_url_host(host)}:{srv.server_port}/", app)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(
    initial: ViewState | None = None, host: str = "127.0.0.1", port: int = 8050, open_browser: bool = False
) -> None:
    """Serve in the foreground until Ctrl-C; prints the URL (with the game in its query string)."""
    from routegame.explore.app import create_app

    if host not in LOOPBACK:
        print(
            f"warning: serving on {host}: other machines that can reach this address can use the "
            "explorer (it has no login); use the default 127.0.0.1 to keep it local",
            file=sys.stderr,
        )
    app = create_app(initial)
    srv = make_server(app, host, port)
    url = f"http://{_url_host(host)}:{srv.server_port}/"
    if initial is not None:
        url += query_from_state(initial)
    try:
        print(f"routegame explorer running at {url}\npress Ctrl-C to stop", flush=True)
        if open_browser:
            webbrowser.open(url)
        srv.serve_forever()  # werkzeug's returns on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        print("stopped", file=sys.stderr, flush=True)
