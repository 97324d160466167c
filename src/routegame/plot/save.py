"""Saving a figure to PNG, SVG or PDF without touching pyplot's backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routegame.errors import ParameterError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


__all__ = ['save_figure']


_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def save_figure(fig: Figure, path: Any, *, dpi: int = 150, fmt: str | None = None) -> None:
    """Save ``fig`` reproducibly (no timestamps in SVG/PDF); format from the suffix or ``fmt``.

    ``path`` is a file name (``.png``, ``.svg`` or ``.pdf``) or, with ``fmt``, a binary
    file object.

    Examples
    --------
    >>> import matplotlib, pathlib, tempfile
    >>> matplotlib.use("Agg")
    >>> from routegame.plot import regime_map
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.svg"
    >>> save_figure(regime_map(n=10), f)
    >>> f.read_text()[:5]
    '<?xml'
    """
    import os

    import matplotlib as mpl

    if fmt is None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        fmt = _FORMATS.get(suffix)
    if fmt not in _FORMATS.values():
        raise ParameterError("--out", f"must end in .png, .svg or .pdf, got {path!s}")
    meta: dict[str, Any] = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[
        str(fmt)]
    with mpl.rc_context({"svg.hashsalt": "routegame"}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=meta)
