"""The error of a resource (memory, disk, a lock, a cluster) that is missing or full.

It belongs beside :class:`~routegame.errors.ParameterError` in :mod:`routegame.errors`; it lives
here until that module (owned by the core of the library) takes it over.
"""

from __future__ import annotations

from routegame.errors import RouteGameError

__all__ = ["ResourceError"]


class ResourceError(RouteGameError):
    """Not enough memory or disk for a request, a full disk, or an output locked by another run.

    Parameters
    ----------
    field : str
        The option or argument whose value asks for the resource (e.g. ``"--grid"``).
    message : str
        What is needed, what is available and what to do instead.

    Examples
    --------
    >>> str(ResourceError("--out", "no space left on device"))
    '--out: no space left on device'
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")
